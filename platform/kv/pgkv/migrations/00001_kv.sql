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

-- Sets: the head row's version is the set's clock, bumped by every add under
-- the head's row lock, so versions follow commit order within a set. Each
-- member carries the version of its latest add (its dot). A context is a
-- version: a removal deletes the members whose dot it covers. Heads are never
-- deleted, so versions never go back.
CREATE TABLE kv_sets (
    bucket  text COLLATE "C" NOT NULL,
    key     text COLLATE "C" NOT NULL,
    version bigint NOT NULL,
    PRIMARY KEY (bucket, key)
);

CREATE TABLE kv_set_members (
    bucket text COLLATE "C" NOT NULL,
    key    text COLLATE "C" NOT NULL,
    member text COLLATE "C" NOT NULL,
    dot    bigint NOT NULL,
    PRIMARY KEY (bucket, key, member)
);

-- Maps: the same clock scheme; every field remembers the version of its
-- latest update, every member of a set field the version of its latest add.
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
DROP TABLE kv_sets;
DROP TABLE kv_counters;
DROP TABLE kv_objects;
DROP SEQUENCE kv_object_versions;
