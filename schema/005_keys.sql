-- 005_keys.sql: API keys (src/store/keys.c, docs/auth.md). Only a SHA-256
-- of each secret is kept. public_id is the non-secret half of a key pair
-- (Langfuse's pk-lf-...; NULL for tracelite's own keys), project the project
-- name a key belongs to (NULL: any). keys_version counts every change that
-- matters to a running server (not last_used_ns), so the server polls one
-- integer instead of rereading the table.
CREATE TABLE api_keys (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL UNIQUE,
	scope TEXT NOT NULL CHECK (scope IN ('ingest', 'read', 'admin')),
	hash BLOB NOT NULL UNIQUE CHECK (length(hash) = 32),
	public_id TEXT UNIQUE,
	project TEXT,
	created_ns INTEGER NOT NULL,
	last_used_ns INTEGER
);
CREATE TABLE api_keys_version (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL);
INSERT INTO api_keys_version VALUES (1, 0);
CREATE TRIGGER api_keys_insert AFTER INSERT ON api_keys
BEGIN UPDATE api_keys_version SET version = version + 1; END;
CREATE TRIGGER api_keys_delete AFTER DELETE ON api_keys
BEGIN UPDATE api_keys_version SET version = version + 1; END;
CREATE TRIGGER api_keys_update AFTER UPDATE OF name, scope, hash, public_id, project ON api_keys
BEGIN UPDATE api_keys_version SET version = version + 1; END;
