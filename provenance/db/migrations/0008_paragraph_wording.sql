-- Each paragraph's wording key (provenance/segment.py, wording_key: SHA-1 of the folded
-- text, 8 bytes as a signed integer), indexed, so that ingest finds an outlet's repeated
-- furniture ("Follow us on ...") in the archive by lookup instead of reading the outlet's
-- stored articles. NULL until computed: Store fills the rows of older databases on open.
ALTER TABLE paragraphs ADD COLUMN wording INTEGER;
CREATE INDEX paragraphs_wording ON paragraphs (wording);

INSERT INTO _provenance_docs (table_name, column_name, description) VALUES
('paragraphs', 'wording', 'Key of the paragraph''s wording (case, punctuation and spacing folded; provenance.segment.wording_key): equal for the same words.');
