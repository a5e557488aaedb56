-- Compact store (issue 9).
-- 1. A paragraph's text is a slice of its article's text: stored as NULL when it equals
--    articles.text[start_offset:end_offset] (SQLite's substr counts characters, as Python
--    offsets do), so text is kept once; a paragraph whose text differs keeps its own.
-- 2. MinHash values are 32-bit (datasketch's affine32 scheme): fingerprints written from
--    now on are little-endian uint32 (4 bytes per value, not 8). Older uint64 blobs are
--    rewritten by the store on open (SQL cannot cut blobs here); reads accept both widths.
-- 3. Both tables are WITHOUT ROWID: rows live in their primary key's b-tree, which is not
--    kept a second time as an index.
-- Both tables are rebuilt (SQLite cannot drop NOT NULL in place). fingerprints goes first
-- and its copy references the new paragraphs table, so no ON DELETE CASCADE fires on the
-- rows being kept.
CREATE TABLE paragraphs_compact (
    article_id      TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    paragraph_index INTEGER NOT NULL,
    start_offset    INTEGER NOT NULL,
    end_offset      INTEGER NOT NULL,
    text            TEXT,               -- NULL: articles.text[start_offset:end_offset]
    language        TEXT,
    boilerplate     TEXT,               -- NULL for content, else why it is boilerplate
    PRIMARY KEY (article_id, paragraph_index)
) WITHOUT ROWID;
INSERT INTO paragraphs_compact
SELECT p.article_id, p.paragraph_index, p.start_offset, p.end_offset,
       CASE WHEN p.text = substr(a.text, p.start_offset + 1, p.end_offset - p.start_offset)
            THEN NULL ELSE p.text END,
       p.language, p.boilerplate
FROM paragraphs AS p JOIN articles AS a ON a.id = p.article_id;

-- MinHash signatures, one per paragraph: little-endian uint32 hash values (affine32).
CREATE TABLE fingerprints_compact (
    article_id      TEXT NOT NULL,
    paragraph_index INTEGER NOT NULL,
    hashvalues      BLOB NOT NULL,
    PRIMARY KEY (article_id, paragraph_index),
    FOREIGN KEY (article_id, paragraph_index)
        REFERENCES paragraphs_compact (article_id, paragraph_index) ON DELETE CASCADE
) WITHOUT ROWID;
INSERT INTO fingerprints_compact SELECT article_id, paragraph_index, hashvalues FROM fingerprints;

DROP TABLE fingerprints;
DROP TABLE paragraphs;
-- Renaming also rewrites fingerprints_compact's foreign key to name "paragraphs".
ALTER TABLE paragraphs_compact RENAME TO paragraphs;
ALTER TABLE fingerprints_compact RENAME TO fingerprints;

-- The column documentation (0004) says what a NULL text now means.
INSERT INTO _provenance_docs (table_name, column_name, description) VALUES
('paragraphs', 'text', 'The paragraph text when it differs from its slice of articles.text; NULL when it is articles.text[start_offset:end_offset] (stored once).');
