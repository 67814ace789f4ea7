-- +goose Up
-- Map versions come from a sequence (taken under the map's row lock, so
-- they still grow with commit order within a map). A version was the
-- previous one plus one: a transaction that updated a map and rolled back
-- had used a version that the next update then took again, so a context
-- read inside that transaction (pgkv on a caller's pgx.Tx) covered an
-- update made after it, and a removal with it took that update away.
-- Sequences are not rolled back: a version is never handed out twice. The
-- sequence starts well above every version in use, those that rolled-back
-- transactions handed out included.
CREATE SEQUENCE kv_map_versions;
SELECT setval('kv_map_versions', COALESCE((SELECT max(version) FROM kv_maps), 0) + 1000000);

-- +goose Down
DROP SEQUENCE kv_map_versions;
