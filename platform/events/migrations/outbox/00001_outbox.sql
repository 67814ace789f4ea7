-- The transactional outbox of the events package: a service inserts its
-- events here in the same transaction as its data (events.AddToOutbox), and
-- events.Relay publishes them to Redis Streams, then deletes them. The table
-- holds only the backlog; the streams are the history.
--
-- data is json, not jsonb: a row is written once and read once, and json
-- keeps the producer's bytes exactly (jsonb would reformat and reorder the
-- payload, so that the same event would differ published directly and
-- through the outbox) and skips the conversion both ways.

-- +goose Up
CREATE TABLE outbox (
    seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, -- publish order
    id          text        NOT NULL,                            -- event id (flake)
    type        text        NOT NULL CHECK (type ~ '^[a-z0-9_-]{1,64}\..'),
    app         text        NOT NULL DEFAULT '',
    subject     text        NOT NULL DEFAULT '',
    occurred_at timestamptz NOT NULL,
    data        json,                                            -- kept byte for byte
    request_id  text        NOT NULL DEFAULT '',
    traceparent text        NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Wake the relays at commit: one notification per inserting transaction
-- (Postgres folds identical ones), on the channel "outbox.<schema>".
-- +goose StatementBegin
CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('outbox.' || TG_TABLE_SCHEMA, '');
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();

-- +goose Down
DROP TABLE outbox;
DROP FUNCTION outbox_notify();
