-- Compact store, part 3 (issue 9): the per-paragraph tables name their article by a
-- number, not by its id. An id is a path or a URL (40 characters and more), and it was
-- repeated in four b-trees per paragraph (paragraphs and its wording index, band_paragraphs
-- and its unique index): about 0.9 KB of a 6.7 KB article (docs/scale.md, "Database size").
-- 1. articles gets ``number INTEGER PRIMARY KEY``, its old rowid (so the stored order and
--    the full-text index's rowids stay as they were, and VACUUM can no longer renumber
--    them); ``id`` stays the article's name everywhere the analysis speaks of it.
-- 2. paragraphs, band_paragraphs and decisions reference articles (number) in a column
--    ``article``. band_paragraphs keeps its ids, which bands rows name, and its sequence
--    (AUTOINCREMENT: an id is never reused), but not its index on the day (below).
-- SQLite's table rebuild (create, copy, drop, rename) runs with legacy_alter_table on, so
-- that renaming does not re-check the views, which name articles (they read what they
-- read before). Dropping articles drops the full-text index's triggers: Store puts them
-- back when the index is kept (it cannot be done here without knowing whether it is).
PRAGMA legacy_alter_table = ON;

CREATE TABLE articles_numbered (
    number             INTEGER PRIMARY KEY,  -- the stored order; paragraphs name it
    id                 TEXT NOT NULL UNIQUE,  -- path as given / URL (the trace contract's id)
    source             TEXT NOT NULL,
    text               TEXT NOT NULL,
    title              TEXT,
    published          TEXT,                  -- ISO 8601
    outlet             TEXT,                  -- "outlet:slug"
    outlet_name        TEXT,
    url                TEXT,
    domain             TEXT,
    language           TEXT,
    content_hash       TEXT NOT NULL,
    format             TEXT NOT NULL DEFAULT 'txt',
    publisher_evidence TEXT NOT NULL DEFAULT '[]',
    published_evidence TEXT
);
INSERT INTO articles_numbered (number, id, source, text, title, published, outlet, outlet_name, url,
                               domain, language, content_hash, format, publisher_evidence, published_evidence)
SELECT rowid, id, source, text, title, published, outlet, outlet_name, url,
       domain, language, content_hash, format, publisher_evidence, published_evidence
FROM articles ORDER BY rowid;

CREATE TABLE paragraphs_numbered (
    article         INTEGER NOT NULL REFERENCES articles (number) ON DELETE CASCADE,
    paragraph_index INTEGER NOT NULL,
    start_offset    INTEGER NOT NULL,
    end_offset      INTEGER NOT NULL,
    text            TEXT,               -- NULL: articles.text[start_offset:end_offset]
    language        TEXT,
    boilerplate     TEXT,               -- NULL for content, else why it is boilerplate
    wording         INTEGER,
    PRIMARY KEY (article, paragraph_index)
) WITHOUT ROWID;
INSERT INTO paragraphs_numbered
SELECT a.rowid, p.paragraph_index, p.start_offset, p.end_offset, p.text, p.language, p.boilerplate, p.wording
FROM paragraphs p JOIN articles a ON a.id = p.article_id ORDER BY a.rowid, p.paragraph_index;

CREATE TABLE band_paragraphs_numbered (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: bands rows name it
    article         INTEGER NOT NULL REFERENCES articles (number) ON DELETE CASCADE,
    paragraph_index INTEGER NOT NULL,
    day             TEXT,
    UNIQUE (article, paragraph_index)
);
INSERT INTO band_paragraphs_numbered (id, article, paragraph_index, day)
SELECT b.id, a.rowid, b.paragraph_index, b.day
FROM band_paragraphs b JOIN articles a ON a.id = b.article_id ORDER BY b.id;
UPDATE sqlite_sequence SET seq = max(seq, COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'band_paragraphs'), 0))
WHERE name = 'band_paragraphs_numbered';
INSERT INTO sqlite_sequence (name, seq)  -- every indexed paragraph was pruned: no row yet
SELECT 'band_paragraphs_numbered', seq FROM sqlite_sequence
WHERE name = 'band_paragraphs' AND NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'band_paragraphs_numbered');

CREATE TABLE decisions_numbered (
    article INTEGER PRIMARY KEY REFERENCES articles (number) ON DELETE CASCADE,
    parent  TEXT
);
INSERT INTO decisions_numbered (article, parent)
SELECT a.rowid, d.parent FROM decisions d JOIN articles a ON a.id = d.article_id;

DROP TABLE decisions;
DROP TABLE band_paragraphs;
DROP TABLE paragraphs;
DROP TABLE articles;
ALTER TABLE articles_numbered RENAME TO articles;
ALTER TABLE paragraphs_numbered RENAME TO paragraphs;
ALTER TABLE band_paragraphs_numbered RENAME TO band_paragraphs;
ALTER TABLE decisions_numbered RENAME TO decisions;
CREATE INDEX articles_content_hash ON articles (content_hash);
CREATE INDEX paragraphs_wording ON paragraphs (wording);
-- band_paragraphs_day (0006) goes with the old table and is not rebuilt: only `provenance
-- prune` filters on the day, and a scan of band_paragraphs is a fraction of a second at
-- 100,000 articles; the index was 95-157 bytes an article.

PRAGMA legacy_alter_table = OFF;

INSERT INTO _provenance_docs (table_name, column_name, description) VALUES
('articles', 'number', 'The article''s number in this file, in the order articles were stored; paragraphs, band_paragraphs and decisions name their article by it.'),
('paragraphs', 'article', 'articles.number of the paragraph''s article.'),
('band_paragraphs', 'article', 'articles.number of the paragraph''s article.'),
('decisions', 'article', 'articles.number of the traced article.');
