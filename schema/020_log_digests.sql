-- 020_log_digests.sql: a retried log export is stored once. digest is the
-- first 16 bytes of the SHA-256 of the record's packed entry, unique per
-- project (store/logstore.c), set for records with a time of their own;
-- the writer skips a record whose digest is already here. Records stored
-- before get theirs from the migration (logstore_digest_stored).
ALTER TABLE logs ADD COLUMN digest BLOB;
CREATE UNIQUE INDEX logs_digest ON logs (project, digest) WHERE digest IS NOT NULL;
