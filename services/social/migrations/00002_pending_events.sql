-- Events of documents being created in CouchDB: written before the document,
-- moved to the outbox in the transaction that follows it. A row older than a
-- minute means the process died in between; the sweeper then publishes the
-- event if the document exists and drops it otherwise, so that no created
-- post or comment goes unannounced.

-- +goose Up
CREATE TABLE pending_events (
    id         text PRIMARY KEY,       -- the event's id
    app        text NOT NULL,
    doc_id     text NOT NULL,          -- the CouchDB document the event announces
    event      jsonb NOT NULL,         -- the events.Event
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX pending_events_age ON pending_events (created_at);

-- +goose Down
DROP TABLE pending_events;
