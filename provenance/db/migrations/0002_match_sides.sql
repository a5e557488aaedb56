-- Each side of a match read as the copy: its reuse score and the kind of copy it would be
-- (NULL kind: that side shows no derivation). NULL scores: a translation, or a match stored
-- before this migration; lineage then falls back to the match's own kind and score.
ALTER TABLE matches ADD COLUMN a_score REAL;
ALTER TABLE matches ADD COLUMN b_score REAL;
ALTER TABLE matches ADD COLUMN a_kind TEXT;
ALTER TABLE matches ADD COLUMN b_kind TEXT;
