-- The stored candidate index and the per-article lineage decisions (incremental trace).
-- bands: one row per LSH band of a content paragraph's MinHash signature; ``key`` is a pure
-- function of the signature (provenance/candidates/base.py: 37 bands x 3 rows, BLAKE2b,
-- signed int64). Two paragraphs of different articles sharing a key are candidates.
-- ``day`` is the article's publication day (YYYY-MM-DD, NULL if unknown): windows and
-- `provenance prune` use it.
CREATE TABLE bands (
    article_id      TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    paragraph_index INTEGER NOT NULL,
    band            INTEGER NOT NULL,
    key             INTEGER NOT NULL,
    day             TEXT,
    PRIMARY KEY (article_id, paragraph_index, band)
) WITHOUT ROWID;
CREATE INDEX bands_key ON bands (key);
CREATE INDEX bands_day ON bands (day);

-- Lineage decided per article by the last analysis that covered it: its parent (article
-- or outlet id; NULL for an origin). An article without a row has not been traced yet,
-- which is what an incremental `trace --db` aligns against the archive.
CREATE TABLE decisions (
    article_id TEXT PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    parent     TEXT
);

-- Document frequencies of words over the stored articles that have content paragraphs
-- (align.Vocabulary's IDF), kept at ingest so that an incremental trace weighs words as
-- a full analysis would, without reading the archive. ``vocabulary_size`` has one row:
-- how many articles the frequencies count.
CREATE TABLE vocabulary (
    word     TEXT PRIMARY KEY,
    articles INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE vocabulary_size (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    articles INTEGER NOT NULL
);
INSERT INTO vocabulary_size (id, articles) VALUES (1, 0);
