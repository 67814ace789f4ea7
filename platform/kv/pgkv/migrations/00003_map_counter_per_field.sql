-- +goose Up
-- A map counter is one row again: its total and the map version of its
-- latest update (dot). That is what Riak's maps do (riak_dt_emcntr keeps
-- one running total per actor, and pgkv is a single actor): a removal whose
-- context saw the latest update removes the counter, any other keeps it
-- whole. The per-update rows of 00002 are summed into one.
CREATE TEMPORARY TABLE kv_map_counters_folded ON COMMIT DROP AS
    SELECT bucket, key, field, sum(n)::bigint AS n, max(dot) AS dot
    FROM kv_map_counters GROUP BY bucket, key, field;
DELETE FROM kv_map_counters;
ALTER TABLE kv_map_counters DROP CONSTRAINT kv_map_counters_pkey;
INSERT INTO kv_map_counters (bucket, key, field, n, dot)
    SELECT bucket, key, field, n, dot FROM kv_map_counters_folded;
ALTER TABLE kv_map_counters ADD PRIMARY KEY (bucket, key, field);

-- +goose Down
ALTER TABLE kv_map_counters DROP CONSTRAINT kv_map_counters_pkey;
ALTER TABLE kv_map_counters ADD PRIMARY KEY (bucket, key, field, dot);
