-- Retention and quotas. An import whose time is up (ended longer than
-- IMPORTER_RETENTION ago, or left uncommitted longer than
-- IMPORTER_UNFINISHED_RETENTION) is marked expired_at, under a short lock,
-- and then loses its file chunks and staged rows in small batches; purged_at
-- says they are all gone. The row itself (summary, counts, result) stays.
-- import_quotas holds a row per app that uploads take FOR UPDATE, so that
-- the check of the app's stored bytes and running analyses and the insert
-- of the new import are one step for concurrent uploads.

-- +goose Up
ALTER TABLE imports ADD COLUMN expired_at timestamptz, ADD COLUMN purged_at timestamptz;
-- What the quotas count and the expiry scans: the imports not expired.
CREATE INDEX imports_kept ON imports (app_id) INCLUDE (status, file_size) WHERE expired_at IS NULL;
-- What is left to delete.
CREATE INDEX imports_to_purge ON imports (expired_at) WHERE expired_at IS NOT NULL AND purged_at IS NULL;

CREATE TABLE import_quotas (
    app_id text PRIMARY KEY
);

-- +goose Down
DROP TABLE import_quotas;
DROP INDEX imports_to_purge;
DROP INDEX imports_kept;
ALTER TABLE imports DROP COLUMN purged_at, DROP COLUMN expired_at;
