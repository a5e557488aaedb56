-- provenance store, schema version 1.
-- Offsets are character offsets into articles.text, end exclusive (as in provenance/models.py).
-- Small lists (evidence, domains, alternatives) are JSON text; spans and paragraph pairs
-- have their own tables so they can be queried.

CREATE TABLE articles (
    id           TEXT PRIMARY KEY,      -- path as given / URL (the trace contract's id)
    source       TEXT NOT NULL,
    text         TEXT NOT NULL,
    title        TEXT,
    published    TEXT,                  -- ISO 8601
    outlet       TEXT,                  -- "outlet:slug"
    outlet_name  TEXT,
    url          TEXT,
    domain       TEXT,
    language     TEXT,
    content_hash TEXT NOT NULL,
    format       TEXT NOT NULL DEFAULT 'txt'
);
CREATE INDEX articles_content_hash ON articles (content_hash);

CREATE TABLE paragraphs (
    article_id      TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    paragraph_index INTEGER NOT NULL,
    start_offset    INTEGER NOT NULL,
    end_offset      INTEGER NOT NULL,
    text            TEXT NOT NULL,
    language        TEXT,
    boilerplate     TEXT,               -- NULL for content, else why it is boilerplate
    PRIMARY KEY (article_id, paragraph_index)
);

-- MinHash signatures, one per paragraph: little-endian uint64 hash values.
CREATE TABLE fingerprints (
    article_id      TEXT NOT NULL,
    paragraph_index INTEGER NOT NULL,
    hashvalues      BLOB NOT NULL,
    PRIMARY KEY (article_id, paragraph_index),
    FOREIGN KEY (article_id, paragraph_index)
        REFERENCES paragraphs (article_id, paragraph_index) ON DELETE CASCADE
);

CREATE TABLE attributions (
    id              INTEGER PRIMARY KEY,  -- keeps the extraction order
    article_id      TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    outlet          TEXT NOT NULL,
    surface         TEXT NOT NULL,
    phrase          TEXT NOT NULL,
    kind            TEXT NOT NULL,
    paragraph_index INTEGER NOT NULL,
    start_offset    INTEGER NOT NULL,
    end_offset      INTEGER NOT NULL,
    language        TEXT,
    text_source     INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX attributions_article ON attributions (article_id);
CREATE INDEX attributions_outlet ON attributions (outlet);

-- The analysis tables (outlets, matches, edges) are replaced as a whole by each analysis.
-- matches/edges name articles without a foreign key: an analysis may involve an input that
-- was not stored under its own id (a duplicate of a stored article).
CREATE TABLE outlets (
    id        TEXT PRIMARY KEY,
    name      TEXT NOT NULL,
    domains   TEXT NOT NULL DEFAULT '[]',  -- JSON list
    in_corpus INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE matches (
    id                   INTEGER PRIMARY KEY,
    a                    TEXT NOT NULL,
    b                    TEXT NOT NULL,
    kind                 TEXT NOT NULL,
    score                REAL NOT NULL,
    method               TEXT NOT NULL,
    a_coverage           REAL NOT NULL DEFAULT 0,
    b_coverage           REAL NOT NULL DEFAULT 0,
    direction_parent     TEXT,             -- both NULL when the aligner argued no direction
    direction_child      TEXT,
    direction_confidence REAL NOT NULL DEFAULT 0,
    evidence             TEXT NOT NULL DEFAULT '[]'  -- JSON list of strings
);
CREATE INDEX matches_a ON matches (a);
CREATE INDEX matches_b ON matches (b);

CREATE TABLE match_pairs (
    id          INTEGER PRIMARY KEY,
    match_id    INTEGER NOT NULL REFERENCES matches (id) ON DELETE CASCADE,
    a_paragraph INTEGER NOT NULL,
    b_paragraph INTEGER NOT NULL,
    score       REAL NOT NULL,
    method      TEXT NOT NULL
);
CREATE INDEX match_pairs_match ON match_pairs (match_id);

CREATE TABLE match_spans (
    id      INTEGER PRIMARY KEY,
    pair_id INTEGER NOT NULL REFERENCES match_pairs (id) ON DELETE CASCADE,
    a_start INTEGER NOT NULL,
    a_end   INTEGER NOT NULL,
    b_start INTEGER NOT NULL,
    b_end   INTEGER NOT NULL,
    quoted  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX match_spans_pair ON match_spans (pair_id);

CREATE TABLE edges (
    id           INTEGER PRIMARY KEY,
    parent       TEXT NOT NULL,           -- article id or outlet id
    child        TEXT NOT NULL,
    kind         TEXT NOT NULL,
    confidence   REAL NOT NULL,
    evidence     TEXT NOT NULL DEFAULT '[]',  -- JSON list of strings
    alternatives TEXT NOT NULL DEFAULT '[]'   -- JSON list of objects
);
CREATE INDEX edges_parent ON edges (parent);
CREATE INDEX edges_child ON edges (child);

-- Embedding cache: key is the sha1 of the paragraph text; vector is little-endian float32.
CREATE TABLE embeddings (
    model  TEXT NOT NULL,
    key    TEXT NOT NULL,
    dim    INTEGER NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (model, key)
);
