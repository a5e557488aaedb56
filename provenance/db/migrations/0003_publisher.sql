-- Who published each article and how we know (JSON list of evidence lines), where its date
-- comes from, and credits to the article's own publisher (self-credits: never a parent).
ALTER TABLE articles ADD COLUMN publisher_evidence TEXT NOT NULL DEFAULT '[]';
ALTER TABLE articles ADD COLUMN published_evidence TEXT;
ALTER TABLE attributions ADD COLUMN self INTEGER NOT NULL DEFAULT 0;
