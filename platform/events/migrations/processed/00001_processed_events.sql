-- The events a consumer has processed, for events.IdempotentTx: the row is
-- inserted in the same transaction as the handler's own writes, so an event
-- takes effect exactly once per scope.

-- +goose Up
CREATE TABLE processed_events (
    scope        text        NOT NULL, -- the handler (usually the consumer group)
    event_id     text        NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, event_id)
);

-- For PruneProcessed.
CREATE INDEX processed_events_processed_at ON processed_events (processed_at);

-- +goose Down
DROP TABLE processed_events;
