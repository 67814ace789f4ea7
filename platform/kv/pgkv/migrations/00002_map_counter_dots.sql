-- +goose Up
-- A map counter keeps a row per update that changed it (dot: the map's
-- version of that update), so that a removal takes away only the increments
-- its causal context has seen and keeps those made after it, as Riak's maps
-- do. MapUpdate folds the rows older than the last foldEvery versions into
-- one now and then.
ALTER TABLE kv_map_counters DROP CONSTRAINT kv_map_counters_pkey;
ALTER TABLE kv_map_counters ADD PRIMARY KEY (bucket, key, field, dot);

-- +goose Down
CREATE TEMPORARY TABLE kv_map_counters_folded AS
    SELECT bucket, key, field, sum(n)::bigint AS n, max(dot) AS dot
    FROM kv_map_counters GROUP BY bucket, key, field;
DELETE FROM kv_map_counters;
ALTER TABLE kv_map_counters DROP CONSTRAINT kv_map_counters_pkey;
INSERT INTO kv_map_counters (bucket, key, field, n, dot)
    SELECT bucket, key, field, n, dot FROM kv_map_counters_folded;
ALTER TABLE kv_map_counters ADD PRIMARY KEY (bucket, key, field);
DROP TABLE kv_map_counters_folded;
