-- analytics' schema: the raw events (partitioned by day), the rollups the
-- fold job writes, adoption, and the periodic jobs' state.

-- +goose Up

-- Every event counted, from the apps and the services. One partition per
-- UTC day (raw_events_YYYYMMDD), created when a day's first event arrives
-- and dropped whole when the day leaves the retention. The key is unique
-- per app and day: a batch sent again is stored once.
CREATE TABLE raw_events (
    day          date        NOT NULL,
    app          text        NOT NULL,
    key          text        NOT NULL, -- "a:<install>:<app's id>" or "s:<event id>"
    at           timestamptz NOT NULL, -- corrected to the server's clock
    source       text        NOT NULL, -- app | service
    kind         text        NOT NULL,
    member       text        NOT NULL DEFAULT '',
    install      text        NOT NULL DEFAULT '',
    event_id     text        NOT NULL DEFAULT '',
    session      text        NOT NULL DEFAULT '',
    screen       text        NOT NULL DEFAULT '',
    target_type  text        NOT NULL DEFAULT '',
    target_id    text        NOT NULL DEFAULT '',
    name         text        NOT NULL DEFAULT '',
    duration_ms  bigint      NOT NULL DEFAULT 0,
    photos       int         NOT NULL DEFAULT 0,
    props        jsonb,
    received_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (day, app, key)
) PARTITION BY RANGE (day);

-- No index on time: a rebuild reads whole days in key order (the effects
-- of events do not depend on their order), and fewer indexes keep ingest
-- fast.
CREATE INDEX raw_events_member ON raw_events (app, member) WHERE member <> '';

-- Folded buckets: a copy of the live counters of a minute, hour or day,
-- written again (the same values) whenever the bucket changes.
CREATE TABLE rollups (
    app       text        NOT NULL,
    scope     text        NOT NULL, -- 'all' or a conference event id
    level     text        NOT NULL CHECK (level IN ('minute', 'hour', 'day')),
    start     timestamptz NOT NULL,
    counts    jsonb       NOT NULL,
    members   bigint      NOT NULL,
    installs  bigint      NOT NULL,
    folded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (app, scope, level, start)
);

-- A day's interactions per item (posts, sessions, speakers, sponsors,
-- sponsored campaigns), for top lists over ranges.
CREATE TABLE rollup_items (
    app  text   NOT NULL,
    day  date   NOT NULL,
    kind text   NOT NULL,
    item text   NOT NULL,
    n    bigint NOT NULL,
    PRIMARY KEY (app, day, kind, item)
);

-- Members of an app: their name (for the leaderboard), when they joined
-- (hub's member.created) and when they first used the app (adoption).
-- Deleted with the member.
CREATE TABLE members (
    app             text NOT NULL,
    member          text NOT NULL,
    name            text NOT NULL DEFAULT '',
    joined_at       timestamptz,
    first_opened_at timestamptz,
    PRIMARY KEY (app, member)
);

-- The periodic jobs: the row is held (FOR UPDATE) while a replica runs the
-- job, so that one replica at a time does.
CREATE TABLE jobs (
    name     text PRIMARY KEY,
    last_run timestamptz,
    runs     bigint NOT NULL DEFAULT 0,
    done     bigint NOT NULL DEFAULT 0
);

-- +goose Down
DROP TABLE jobs;
DROP TABLE members;
DROP TABLE rollup_items;
DROP TABLE rollups;
DROP TABLE raw_events;
