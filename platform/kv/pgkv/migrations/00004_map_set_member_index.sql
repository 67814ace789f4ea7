-- +goose Up
-- A map set member's key was (bucket, key, field, member): up to
-- 255 + 1024 + 1024 + 1024 bytes, more than a btree entry may hold (2704
-- bytes), so names within the port's limits (kv.MaxBucketLen, kv.MaxKeyLen)
-- failed with "index row size exceeds btree maximum" (54000). The member
-- is now keyed by its SHA-256: at most 255 + 1024 + 1024 + 32 bytes.
-- kv_member_key is IMMUTABLE: the UTF-8 bytes of a text in a given
-- database never change (convert_to is only STABLE because CREATE
-- CONVERSION could change a conversion, and there is none to UTF-8 from
-- UTF-8).
-- +goose StatementBegin
CREATE FUNCTION kv_member_key(member text) RETURNS bytea
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT pg_catalog.sha256(pg_catalog.convert_to(member, 'UTF8')) $$;
-- +goose StatementEnd

CREATE UNIQUE INDEX kv_map_set_members_key
    ON kv_map_set_members (bucket, key, field, kv_member_key(member));
ALTER TABLE kv_map_set_members DROP CONSTRAINT kv_map_set_members_pkey;

-- +goose Down
ALTER TABLE kv_map_set_members ADD PRIMARY KEY (bucket, key, field, member);
DROP INDEX kv_map_set_members_key;
DROP FUNCTION kv_member_key(text);
