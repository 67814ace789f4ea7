-- A staged row keeps what the commit sends (input) and, only when there
-- are any, the row's problems for the preview and the error report,
-- instead of the whole validated row. Both are json (written once, read once, kept as
-- written) rather than jsonb, which Postgres would parse and rebuild on
-- every COPY. The index on (import_id, action, seq) goes: the commit
-- reads the rows by seq (primary key), and so do the preview and the
-- report.

-- +goose Up
ALTER TABLE import_rows ADD COLUMN problems json;
UPDATE import_rows SET problems = (record->'problems')::json WHERE record ? 'problems';
ALTER TABLE import_rows DROP COLUMN record, ALTER COLUMN input TYPE json USING input::json;
DROP INDEX import_rows_action;

-- +goose Down
CREATE INDEX import_rows_action ON import_rows (import_id, action, seq);
ALTER TABLE import_rows ADD COLUMN record jsonb NOT NULL DEFAULT '{}', ALTER COLUMN input TYPE jsonb USING input::jsonb;
UPDATE import_rows SET record = jsonb_build_object('problems', problems::jsonb) WHERE problems IS NOT NULL;
ALTER TABLE import_rows DROP COLUMN problems;
