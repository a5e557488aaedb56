-- A store people can open in Datasette and sqlite-utils: foreign keys from the analysis to
-- the articles it is about, views for the common questions, full-text search on the
-- articles, and a description of every table and column.
--
-- Foreign keys. matches.a / matches.b and edges.child always name stored articles (the
-- analysis runs over the store), so they get foreign keys with ON DELETE CASCADE. An
-- edge's parent is an article id or an outlet id, and outlets are rewritten by every
-- analysis while attributions and articles.outlet are written at ingest, so those stay
-- plain columns (the views below join them). SQLite adds a foreign key only by rebuilding
-- the table: create the new table, copy, drop the old one, rename (provenance.db.migrate
-- runs migrations with foreign keys off and checks them before COMMIT). Rows of an older
-- analysis that name no stored article cannot keep a foreign key and are left behind;
-- the next analysis writes the table anew anyway.

CREATE TABLE matches_new (
    id                   INTEGER PRIMARY KEY,
    a                    TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    b                    TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    kind                 TEXT NOT NULL,
    score                REAL NOT NULL,
    method               TEXT NOT NULL,
    a_coverage           REAL NOT NULL DEFAULT 0,
    b_coverage           REAL NOT NULL DEFAULT 0,
    direction_parent     TEXT,
    direction_child      TEXT,
    direction_confidence REAL NOT NULL DEFAULT 0,
    evidence             TEXT NOT NULL DEFAULT '[]',
    a_score              REAL,
    b_score              REAL,
    a_kind               TEXT,
    b_kind               TEXT
);
INSERT INTO matches_new (id, a, b, kind, score, method, a_coverage, b_coverage,
                         direction_parent, direction_child, direction_confidence, evidence,
                         a_score, b_score, a_kind, b_kind)
SELECT id, a, b, kind, score, method, a_coverage, b_coverage,
       direction_parent, direction_child, direction_confidence, evidence,
       a_score, b_score, a_kind, b_kind
FROM matches
WHERE a IN (SELECT id FROM articles) AND b IN (SELECT id FROM articles);
DROP TABLE matches;
ALTER TABLE matches_new RENAME TO matches;
CREATE INDEX matches_a ON matches (a);
CREATE INDEX matches_b ON matches (b);
DELETE FROM match_pairs WHERE match_id NOT IN (SELECT id FROM matches);
DELETE FROM match_spans WHERE pair_id NOT IN (SELECT id FROM match_pairs);

CREATE TABLE edges_new (
    id           INTEGER PRIMARY KEY,
    parent       TEXT NOT NULL,
    child        TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    confidence   REAL NOT NULL,
    evidence     TEXT NOT NULL DEFAULT '[]',
    alternatives TEXT NOT NULL DEFAULT '[]'
);
INSERT INTO edges_new (id, parent, child, kind, confidence, evidence, alternatives)
SELECT id, parent, child, kind, confidence, evidence, alternatives
FROM edges
WHERE child IN (SELECT id FROM articles);
DROP TABLE edges;
ALTER TABLE edges_new RENAME TO edges;
CREATE INDEX edges_parent ON edges (parent);
CREATE INDEX edges_child ON edges (child);

-- Full-text search on titles and text, in the form sqlite-utils' enable_fts writes (so
-- Datasette and `table.search()` find it), kept in sync by triggers. The trigram
-- tokenizer finds any run of 3 or more characters in every script, including those
-- written without spaces (Japanese, Chinese, Thai); shorter queries find nothing.
-- (Written content="articles" exactly: that is how sqlite-utils and Datasette detect it.)
CREATE VIRTUAL TABLE articles_fts USING FTS5 (
    title, text,
    content="articles",
    tokenize="trigram"
);
INSERT INTO articles_fts (rowid, title, text) SELECT rowid, title, text FROM articles;
CREATE TRIGGER articles_ai AFTER INSERT ON articles BEGIN
  INSERT INTO articles_fts (rowid, title, text) VALUES (new.rowid, new.title, new.text);
END;
CREATE TRIGGER articles_ad AFTER DELETE ON articles BEGIN
  INSERT INTO articles_fts (articles_fts, rowid, title, text) VALUES ('delete', old.rowid, old.title, old.text);
END;
CREATE TRIGGER articles_au AFTER UPDATE ON articles BEGIN
  INSERT INTO articles_fts (articles_fts, rowid, title, text) VALUES ('delete', old.rowid, old.title, old.text);
  INSERT INTO articles_fts (rowid, title, text) VALUES (new.rowid, new.title, new.text);
END;

-- Each lineage edge with the names a reader needs: titles, outlets, languages and dates of
-- both ends (a parent that is an outlet has its name as title and outlet).
CREATE VIEW edges_readable AS
SELECT e.id AS edge_id,
       e.kind,
       e.confidence,
       e.parent,
       CASE WHEN pa.id IS NOT NULL THEN 'article' ELSE 'outlet' END AS parent_type,
       COALESCE(pa.title, po.name) AS parent_title,
       COALESCE(pa.outlet_name, pao.name, po.name) AS parent_outlet,
       pa.language AS parent_language,
       pa.published AS parent_published,
       e.child,
       c.title AS child_title,
       COALESCE(c.outlet_name, co.name) AS child_outlet,
       c.language AS child_language,
       c.published AS child_published,
       e.evidence
FROM edges e
JOIN articles c ON c.id = e.child
LEFT JOIN articles pa ON pa.id = e.parent
LEFT JOIN outlets po ON po.id = e.parent
LEFT JOIN outlets pao ON pao.id = pa.outlet
LEFT JOIN outlets co ON co.id = c.outlet;

-- Who credits whom: per outlet, how many credits name it, in how many articles, how often
-- it is an article's parent, and the kinds of credit (self-credits and photo credits are
-- counted apart: they are never a text source).
CREATE VIEW credits_per_outlet AS
SELECT x.outlet,
       COALESCE(o.name, MIN(x.surface)) AS outlet_name,
       COALESCE(o.in_corpus, 0) AS in_corpus,
       SUM(x.self = 0 AND x.text_source = 1) AS credits,
       COUNT(DISTINCT CASE WHEN x.self = 0 AND x.text_source = 1 THEN x.article_id END) AS crediting_articles,
       (SELECT COUNT(*) FROM edges e WHERE e.parent = x.outlet) AS parent_of,
       SUM(x.self) AS self_credits,
       SUM(x.text_source = 0) AS photo_credits,
       GROUP_CONCAT(DISTINCT x.kind) AS kinds
FROM attributions x
LEFT JOIN outlets o ON o.id = x.outlet
GROUP BY x.outlet
ORDER BY credits DESC, x.outlet;

-- Each article's origin: follow the parents up to the root of its tree. origin_type is
-- 'article' for an origin in the corpus, 'outlet' for a credited outlet whose text is not
-- in it; hops is 0 for an article that is itself an origin. (The edges form a forest;
-- the depth cap only guards against a damaged file.)
CREATE VIEW article_origins AS
WITH RECURSIVE up (article, node, hops) AS (
    SELECT id, id, 0 FROM articles
    UNION ALL
    SELECT up.article, e.parent, up.hops + 1
    FROM up JOIN edges e ON e.child = up.node
    WHERE up.hops < 100
),
top AS (  -- the node with no parent (edges_child index: one probe per step)
    SELECT article, node, hops FROM up
    WHERE hops = 100 OR NOT EXISTS (SELECT 1 FROM edges e WHERE e.child = up.node)
)
SELECT a.id AS article,
       a.title,
       COALESCE(a.outlet_name, ao.name) AS outlet,
       a.language,
       a.published,
       top.node AS origin,
       CASE WHEN oa.id IS NOT NULL THEN 'article' ELSE 'outlet' END AS origin_type,
       COALESCE(oa.title, oo.name) AS origin_title,
       COALESCE(oa.outlet_name, oao.name, oo.name) AS origin_outlet,
       oa.published AS origin_published,
       top.hops
FROM articles a
JOIN top ON top.article = a.id
LEFT JOIN outlets ao ON ao.id = a.outlet
LEFT JOIN articles oa ON oa.id = top.node
LEFT JOIN outlets oao ON oao.id = oa.outlet
LEFT JOIN outlets oo ON oo.id = top.node;

-- What every table, view and column holds: read by `provenance datasette-metadata` (a
-- Datasette metadata file) and queryable as it is.
CREATE TABLE _provenance_docs (
    table_name  TEXT NOT NULL,
    column_name TEXT NOT NULL DEFAULT '',  -- '' for the table itself
    description TEXT NOT NULL,
    PRIMARY KEY (table_name, column_name)
);
INSERT INTO _provenance_docs (table_name, column_name, description) VALUES
('articles', '', 'One row per article: its extracted text and metadata. Full-text search: articles_fts (titles and text; 3 characters or more).'),
('articles', 'id', 'Article id: the path as given, directory/relative path, path#N for a line of a .jsonl or a WARC record, or the URL.'),
('articles', 'source', 'The file, URL or - that the article was read from.'),
('articles', 'text', 'The extracted main text; all offsets are character offsets into it, end exclusive.'),
('articles', 'title', 'Headline, from metadata or the first line.'),
('articles', 'published', 'Publication date or datetime (ISO 8601).'),
('articles', 'published_evidence', 'Where the date comes from: metadata, the text as written, or a web archive''s capture date.'),
('articles', 'outlet', 'Publisher''s outlet id (outlet:slug), when known.'),
('articles', 'outlet_name', 'Publisher''s name as found (site name, JSON outlet field).'),
('articles', 'publisher_evidence', 'JSON list: why outlet is the publisher.'),
('articles', 'url', 'Where the article was published or fetched.'),
('articles', 'domain', 'Registered domain of url.'),
('articles', 'language', 'Language of the article (ISO 639-1).'),
('articles', 'content_hash', 'Hash of the normalised text: equal for the same text under two ids.'),
('articles', 'format', 'Input format: txt, html or json.'),
('paragraphs', '', 'Paragraphs of each article with offsets; boilerplate is marked, never dropped.'),
('paragraphs', 'paragraph_index', 'Position in the article, from 0.'),
('paragraphs', 'start_offset', 'Start of the paragraph in articles.text.'),
('paragraphs', 'end_offset', 'End of the paragraph in articles.text (exclusive).'),
('paragraphs', 'boilerplate', 'NULL for content; otherwise why the paragraph is boilerplate (share, related, repeated...). Boilerplate never creates an edge.'),
('attributions', '', 'Credit phrases found in the articles ("According to the FT", "(With information from Reuters)").'),
('attributions', 'outlet', 'Credited outlet id (outlet:slug).'),
('attributions', 'surface', 'The outlet''s name as written.'),
('attributions', 'phrase', 'The whole credit phrase.'),
('attributions', 'kind', 'according_to, credit, dateline, quotes_report, told, first_reported, source_footer, via or photo_credit.'),
('attributions', 'paragraph_index', 'Paragraph of the phrase, from 0.'),
('attributions', 'text_source', '0 for credits that are not a text source (photo credits).'),
('attributions', 'self', '1 for a credit to the article''s own publisher: kept, never a parent.'),
('outlets', '', 'Outlets of the last analysis: publishers and credited outlets.'),
('outlets', 'in_corpus', '1 when an article of this outlet is stored.'),
('outlets', 'domains', 'JSON list of the outlet''s domains.'),
('matches', '', 'Every verified pair of articles that share text, edge or not.'),
('matches', 'kind', 'copy, rewrite, translation (derivation); shared_quote, incidental (never an edge).'),
('matches', 'score', 'Reuse score of the side that looks most like a copy (0-1).'),
('matches', 'method', 'How the pair was aligned: align (same language), anchors or embedding (across languages).'),
('matches', 'a_coverage', 'Share of a''s content text in the shared material (0-1).'),
('matches', 'b_coverage', 'Share of b''s content text in the shared material (0-1).'),
('matches', 'direction_parent', 'The parent the aligner argued for, if any.'),
('matches', 'evidence', 'JSON list of evidence lines.'),
('match_pairs', '', 'Aligned paragraph pairs of each match.'),
('match_spans', '', 'Shared spans of each paragraph pair: offsets into each article''s text.'),
('match_spans', 'quoted', '1 when the span is inside quotation marks on both sides (a third party''s words: not reuse).'),
('edges', '', 'The lineage forest: each article''s one best parent, with its evidence.'),
('edges', 'parent', 'Parent: an article id, or an outlet id (outlet:slug) for a credited outlet not in the corpus.'),
('edges', 'kind', 'copy, rewrite, translation or attributed.'),
('edges', 'confidence', 'How sure the tracer is of this parent (0-1).'),
('edges', 'evidence', 'JSON list of evidence lines.'),
('edges', 'alternatives', 'JSON list of runner-up parents: {parent, kind, confidence}.'),
('fingerprints', '', 'MinHash signatures of paragraphs (internal).'),
('embeddings', '', 'Cache of paragraph embeddings (internal).'),
('edges_readable', '', 'Each lineage edge with titles, outlets, languages and dates of both ends.'),
('credits_per_outlet', '', 'Per credited outlet: credits, crediting articles, times it is a parent, kinds of credit.'),
('credits_per_outlet', 'parent_of', 'How many articles have this outlet as their parent (credited, text not in the corpus).'),
('article_origins', '', 'Each article''s origin: the root of its lineage tree, and how many hops away it is.'),
('article_origins', 'origin_type', 'article: an origin in the corpus; outlet: a credited outlet whose text is not in it.'),
('article_origins', 'hops', '0 when the article is itself an origin.');
