-- multievent's projection of hub's events and agenda, the bookkeeping of
-- the content databases, and the secret calendar links.
--
-- Every projected row carries version: the time hub recorded the change
-- it comes from (or a rebuild's snapshot time). A change older than the
-- row is ignored, and a deletion leaves the row as a tombstone (deleted =
-- true) that older changes cannot bring back. Every row belongs to an app
-- and every query names it.

-- +goose Up

-- unaccent lives in public, where every service's schema finds it (hub
-- creates it too); it is a trusted extension.
CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public;

-- fold is the text search configuration of search.query: words folded to
-- lower case without accents ("Éloïse" is "eloise"), not stemmed, so that
-- a prefix of what a person types matches (type-ahead).
CREATE TEXT SEARCH CONFIGURATION fold (COPY = pg_catalog.simple);
ALTER TEXT SEARCH CONFIGURATION fold
    ALTER MAPPING FOR word, hword, hword_part WITH public.unaccent, pg_catalog.simple;

-- apps: the apps the projection holds; a deleted app is a tombstone.
CREATE TABLE apps (
    app_id  text PRIMARY KEY,
    version timestamptz NOT NULL,
    deleted boolean NOT NULL DEFAULT false
);

CREATE TABLE events (
    app_id     text NOT NULL,
    id         text NOT NULL,
    name       text NOT NULL DEFAULT '',
    time_zone  text NOT NULL DEFAULT 'UTC',
    venue      text NOT NULL DEFAULT '',
    visibility text NOT NULL DEFAULT 'public',
    access     text NOT NULL DEFAULT 'open',
    start_utc  timestamptz NOT NULL DEFAULT 'epoch',
    end_utc    timestamptz NOT NULL DEFAULT 'epoch',
    version    timestamptz NOT NULL,
    deleted    boolean NOT NULL DEFAULT false,
    tsv tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('fold', name), 'A') || setweight(to_tsvector('fold', venue), 'C')) STORED,
    PRIMARY KEY (app_id, id)
);
CREATE INDEX events_tsv ON events USING gin (tsv);

CREATE TABLE sessions (
    app_id      text NOT NULL,
    id          text NOT NULL,
    event_id    text NOT NULL DEFAULT '',
    title       text NOT NULL DEFAULT '',
    description text NOT NULL DEFAULT '',
    room_id     text NOT NULL DEFAULT '',
    track_id    text NOT NULL DEFAULT '',
    start_utc   timestamptz NOT NULL DEFAULT 'epoch',
    end_utc     timestamptz NOT NULL DEFAULT 'epoch',
    capacity    integer NOT NULL DEFAULT 0,
    speaker_ids text[] NOT NULL DEFAULT '{}',
    version     timestamptz NOT NULL,
    deleted     boolean NOT NULL DEFAULT false,
    tsv tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('fold', title), 'A') || setweight(to_tsvector('fold', description), 'C')) STORED,
    PRIMARY KEY (app_id, id)
);
CREATE INDEX sessions_event ON sessions (app_id, event_id);
CREATE INDEX sessions_tsv ON sessions USING gin (tsv);
CREATE INDEX sessions_speakers ON sessions USING gin (speaker_ids);

CREATE TABLE speakers (
    app_id    text NOT NULL,
    id        text NOT NULL,
    name      text NOT NULL DEFAULT '',
    company   text NOT NULL DEFAULT '',
    title     text NOT NULL DEFAULT '',
    bio       text NOT NULL DEFAULT '',
    photo_url text NOT NULL DEFAULT '',
    -- event_ids: the events of the speaker's live sessions, kept by every
    -- change of a session, a speaker or an event (search filters on it).
    event_ids text[] NOT NULL DEFAULT '{}',
    version   timestamptz NOT NULL,
    deleted   boolean NOT NULL DEFAULT false,
    tsv tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('fold', name), 'A') || setweight(to_tsvector('fold', company), 'B') ||
        setweight(to_tsvector('fold', title), 'B') || setweight(to_tsvector('fold', bio), 'D')) STORED,
    PRIMARY KEY (app_id, id)
);
CREATE INDEX speakers_tsv ON speakers USING gin (tsv);

-- rooms and tracks: places of an event's sessions.
CREATE TABLE rooms (
    app_id   text NOT NULL,
    id       text NOT NULL,
    event_id text NOT NULL DEFAULT '',
    name     text NOT NULL DEFAULT '',
    capacity integer NOT NULL DEFAULT 0,
    version  timestamptz NOT NULL,
    deleted  boolean NOT NULL DEFAULT false,
    tsv tsvector GENERATED ALWAYS AS (setweight(to_tsvector('fold', name), 'A')) STORED,
    PRIMARY KEY (app_id, id)
);
CREATE INDEX rooms_event ON rooms (app_id, event_id);
CREATE INDEX rooms_tsv ON rooms USING gin (tsv);

CREATE TABLE tracks (
    app_id   text NOT NULL,
    id       text NOT NULL,
    event_id text NOT NULL DEFAULT '',
    name     text NOT NULL DEFAULT '',
    color    text NOT NULL DEFAULT '',
    version  timestamptz NOT NULL,
    deleted  boolean NOT NULL DEFAULT false,
    tsv tsvector GENERATED ALWAYS AS (setweight(to_tsvector('fold', name), 'A')) STORED,
    PRIMARY KEY (app_id, id)
);
CREATE INDEX tracks_event ON tracks (app_id, event_id);
CREATE INDEX tracks_tsv ON tracks USING gin (tsv);

-- content_docs: where each content document is written (its group's
-- CouchDB database), with its revision and the hash of its content.
CREATE TABLE content_docs (
    app_id text NOT NULL,
    doc_id text NOT NULL,
    grp    text NOT NULL,
    rev    text NOT NULL,
    hash   text NOT NULL,
    PRIMARY KEY (app_id, doc_id, grp)
);

-- content_dirty: documents to write again, marked in the transaction of
-- the change; seq tells a mark made while a writer ran from the one it
-- settled.
CREATE SEQUENCE content_dirty_seq;
CREATE TABLE content_dirty (
    app_id text NOT NULL,
    doc_id text NOT NULL,
    seq    bigint NOT NULL DEFAULT nextval('content_dirty_seq'),
    PRIMARY KEY (app_id, doc_id)
);

-- calendar_links: one secret feed address per member, stored as the
-- SHA-256 of its secret.
CREATE TABLE calendar_links (
    app_id     text NOT NULL,
    member_id  text NOT NULL,
    token_hash bytea NOT NULL UNIQUE,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (app_id, member_id)
);

-- agenda_owners: the members with a personal agenda (key-value data) or a
-- calendar link in an app, so that the app's deletion erases them.
CREATE TABLE agenda_owners (
    app_id    text NOT NULL,
    member_id text NOT NULL,
    PRIMARY KEY (app_id, member_id)
);
