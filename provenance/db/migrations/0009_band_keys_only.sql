-- Compact store, part 2 (issue 9): a paragraph's band keys are all that is stored of its
-- MinHash signature.
-- 1. fingerprints is dropped (128 x 4 bytes a paragraph, a fifth of the file). At ingest
--    a signature gives the paragraph's band keys and is let go; where a whole signature
--    is needed again (the in-memory engine, `provenance sign`) it is recomputed from the
--    stored text (align.signatures_of_texts), at about 100,000 paragraphs a second.
-- 2. Band keys are 48 bits: the 64-bit key shifted right by 16 (provenance/candidates/
--    base.py, band_keys), which SQLite stores in 6 bytes instead of 8. A 100,000-article
--    archive holds about 2 x 10^7 keys: two of them equal in 48 bits by chance give about
--    one false candidate pair, which verification drops.
-- bands is rebuilt from the old keys (a key's top 48 bits are the new key); the settings'
-- signature_hash still names the shingle hash the keys were made with, and Store rebuilds
-- every key from the text when it is not the current one.
CREATE TABLE bands_48 (
    key       INTEGER NOT NULL,
    paragraph INTEGER NOT NULL,  -- band_paragraphs.id
    PRIMARY KEY (key, paragraph)
) WITHOUT ROWID;
INSERT OR IGNORE INTO bands_48 (key, paragraph) SELECT key >> 16, paragraph FROM bands ORDER BY key, paragraph;
DROP TABLE bands;
ALTER TABLE bands_48 RENAME TO bands;

DROP TABLE fingerprints;

DELETE FROM _provenance_docs WHERE table_name = 'fingerprints';
UPDATE _provenance_docs SET description =
    'Candidate index: one row per LSH band key of an indexed paragraph (37 bands x 3 rows of its MinHash signature, which is not stored).'
WHERE table_name = 'bands' AND column_name = '';
UPDATE _provenance_docs SET description =
    'Band key: a pure function of the paragraph''s signature, 48 bits (provenance/candidates/base.py).'
WHERE table_name = 'bands' AND column_name = 'key';
