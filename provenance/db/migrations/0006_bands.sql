-- The stored candidate index and the per-article lineage decisions (incremental trace).
-- band_paragraphs: the paragraphs that are in the index, with the article's publication
-- day (YYYY-MM-DD, NULL if unknown) that windows and `provenance prune` use.
-- bands: one row per LSH band key of an indexed paragraph, clustered by key, so finding the
-- paragraphs that share a key is a range read. ``key`` is a pure function of the
-- paragraph's MinHash signature (provenance/candidates/base.py: 37 bands x 3 rows, BLAKE2b,
-- signed int64): a paragraph's keys are recomputed from its fingerprint, never looked up,
-- so bands needs no second index (about 14 bytes a key, 2.6 KB for a 5-paragraph article).
CREATE TABLE band_paragraphs (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: bands rows name it
    article_id      TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    paragraph_index INTEGER NOT NULL,
    day             TEXT,
    UNIQUE (article_id, paragraph_index)
);
CREATE INDEX band_paragraphs_day ON band_paragraphs (day);
CREATE TABLE bands (
    key       INTEGER NOT NULL,
    paragraph INTEGER NOT NULL,  -- band_paragraphs.id; rows go with it (see Store)
    PRIMARY KEY (key, paragraph)
) WITHOUT ROWID;

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

-- Column documentation (0004): the new tables.
INSERT INTO _provenance_docs (table_name, column_name, description) VALUES
('band_paragraphs', '', 'Paragraphs in the candidate index (LSH bands), with their article''s publication day.'),
('band_paragraphs', 'id', 'Small id that bands rows name.'),
('band_paragraphs', 'day', 'Publication day of the article (YYYY-MM-DD), NULL if unknown; used by --window and prune.'),
('bands', '', 'Candidate index: one row per LSH band key of an indexed paragraph (37 bands x 3 rows of its MinHash).'),
('bands', 'key', 'Band key: a pure function of the paragraph''s signature (provenance/candidates/base.py).'),
('bands', 'paragraph', 'band_paragraphs.id of the paragraph holding the key.'),
('decisions', '', 'The parent the last analysis chose for each traced article (NULL: an origin); untraced articles have no row.'),
('vocabulary', '', 'Document frequency of each word over the stored articles (word weights of an incremental trace).'),
('vocabulary_size', '', 'How many articles the document frequencies in vocabulary count (one row).');
