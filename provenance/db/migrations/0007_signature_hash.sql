-- Settings of the data a database holds. ``signature_hash`` names the shingle hash its
-- MinHash signatures were made with (provenance/fingerprint.py, HASH). Databases from
-- before this migration hold SHA-1 ones: Store recomputes them, with their band keys,
-- from the stored text when it opens such a file, then records the current hash.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO settings (key, value) VALUES ('signature_hash', 'sha1-32');

INSERT INTO _provenance_docs (table_name, column_name, description) VALUES
('settings', '', 'Settings of the stored data: signature_hash names the shingle hash the fingerprints were made with.');
