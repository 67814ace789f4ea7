-- The key-value and data-type port (platform/kv) on Postgres. Names compare
-- byte-wise (COLLATE "C"), like Riak's binaries, and so do the indexes.

-- +goose Up

-- Objects: a value and its version, the causal context. Versions come from
-- one sequence so that a context is never valid again for a later
-- incarnation of a deleted key.
CREATE SEQUENCE kv_object_versions;

CREATE TABLE kv_objects (
    bucket  text COLLATE "C" NOT NULL,
    key     text COLLATE "C" NOT NULL,
    value   bytea  NOT NULL,
    version bigint NOT NULL,
    PRIMARY KEY (bucket, key)
);

CREATE TABLE kv_counters (
    bucket text COLLATE "C" NOT NULL,
    key    text COLLATE "C" NOT NULL,
    n      bigint NOT NULL,
    PRIMARY KEY (bucket, key)
);

-- Sets: each member carries the id of the transaction that last added it
-- (its dot, pg_current_xact_id()). A causal context is the snapshot a read
-- ran under (pg_current_snapshot()): a removal deletes a member only if its
-- dot is visible in that snapshot, i.e. only the adds the reader observed.
-- Adds take no lock but their own rows'.
CREATE TABLE kv_set_members (
    bucket text COLLATE "C" NOT NULL,
    key    text COLLATE "C" NOT NULL,
    member text COLLATE "C" NOT NULL,
    dot    xid8 NOT NULL,
    PRIMARY KEY (bucket, key, member)
);

-- Maps: the head row's version is the map's clock, bumped by every update
-- under the head's row lock (so versions follow commit order within a map,
-- and updates of one map never deadlock). Every field remembers the version
-- of its latest update, every member of a set field the version of its
-- latest add; a context is a version. Heads are never deleted.
CREATE TABLE kv_maps (
    bucket  text COLLATE "C" NOT NULL,
    key     text COLLATE "C" NOT NULL,
    version bigint NOT NULL,
    PRIMARY KEY (bucket, key)
);

CREATE TABLE kv_map_registers (
    bucket text COLLATE "C" NOT NULL,
    key    text COLLATE "C" NOT NULL,
    field  text COLLATE "C" NOT NULL,
    value  text   NOT NULL,
    dot    bigint NOT NULL,
    PRIMARY KEY (bucket, key, field)
);

CREATE TABLE kv_map_counters (
    bucket text COLLATE "C" NOT NULL,
    key    text COLLATE "C" NOT NULL,
    field  text COLLATE "C" NOT NULL,
    n      bigint NOT NULL,
    dot    bigint NOT NULL,
    PRIMARY KEY (bucket, key, field)
);

CREATE TABLE kv_map_set_members (
    bucket text COLLATE "C" NOT NULL,
    key    text COLLATE "C" NOT NULL,
    field  text COLLATE "C" NOT NULL,
    member text COLLATE "C" NOT NULL,
    dot    bigint NOT NULL,
    PRIMARY KEY (bucket, key, field, member)
);

-- +goose Down
DROP TABLE kv_map_set_members;
DROP TABLE kv_map_counters;
DROP TABLE kv_map_registers;
DROP TABLE kv_maps;
DROP TABLE kv_set_members;
DROP TABLE kv_counters;
DROP TABLE kv_objects;
DROP SEQUENCE kv_object_versions;
