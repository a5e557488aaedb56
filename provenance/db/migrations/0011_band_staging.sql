-- Linear ingest into a file (issue 9): new band keys are appended to band_staging and
-- merged into bands in key order in bulk (Store: when the staged keys reach a share of
-- the merged ones, and before any lookup). Inserting them into bands directly put about
-- 60,000 keys of a 200-article commit all over its b-tree: once the archive outgrew the
-- page cache, every commit rewrote most of bands' leaf pages (read, then written to the
-- WAL), and ingest slowed from 5 ms an article at 20,000 articles to 11 ms at 100,000.
-- band_staging is clustered by paragraph (band_paragraphs.id, which only grows), so a
-- commit writes only its last pages, and a replaced article's staged keys are a range.
CREATE TABLE band_staging (
    paragraph INTEGER NOT NULL,  -- band_paragraphs.id
    key       INTEGER NOT NULL,
    PRIMARY KEY (paragraph, key)
) WITHOUT ROWID;

INSERT INTO _provenance_docs (table_name, column_name, description) VALUES
('band_staging', '', 'Band keys stored since the last merge into bands (same rows; provenance merges them in key order before any lookup). Empty after an ingest.'),
('band_staging', 'paragraph', 'band_paragraphs.id of the indexed paragraph.'),
('band_staging', 'key', 'Band key, as in bands.');
