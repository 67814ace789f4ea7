-- +goose Up
-- A wall per event (or several): its look, filters and moderation policy.
-- The posts, the queue and the screens' state live in Redis, derived from
-- social's CouchDB feed; this table is the truth of the settings.
CREATE TABLE walls (
    id              text PRIMARY KEY,
    app_id          text NOT NULL,
    event_id        text NOT NULL,
    title           text NOT NULL,
    layout          text NOT NULL CHECK (layout IN ('grid', 'masonry', 'spotlight')),
    background      text NOT NULL,
    text_color      text NOT NULL,
    accent          text NOT NULL,
    logo_url        text NOT NULL DEFAULT '',
    scope           text NOT NULL CHECK (scope IN ('event', 'app')),
    hashtags        text[] NOT NULL DEFAULT '{}',
    photos_only     boolean NOT NULL DEFAULT false,
    moderation      text NOT NULL CHECK (moderation IN ('auto', 'manual', 'off')),
    blocklist       text[] NOT NULL DEFAULT '{}',
    allow_list      text[] NOT NULL DEFAULT '{}',
    blocked_authors text[] NOT NULL DEFAULT '{}',
    display_seconds integer NOT NULL CHECK (display_seconds BETWEEN 3 AND 120),
    paused          boolean NOT NULL DEFAULT false,
    public          boolean NOT NULL DEFAULT true,
    screen_key      text NOT NULL DEFAULT '',
    version         bigint NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX walls_app_event ON walls (app_id, event_id, created_at);

-- +goose Down
DROP TABLE walls;
