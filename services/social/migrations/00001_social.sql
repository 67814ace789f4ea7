-- social's Postgres schema: notifications, reports, blocks and the authors'
-- profiles. Posts and comments live in CouchDB, reactions and counters in
-- the key-value port (pgkv's tables, in this schema by default), the
-- outbox comes from platform/events.

-- +goose Up

-- Notifications of a member; ids are flake ids (time-sortable).
CREATE TABLE notifications (
    id         text PRIMARY KEY,
    app        text NOT NULL,
    member     text NOT NULL,
    kind       text NOT NULL CHECK (kind IN ('liked', 'commented', 'mentioned')),
    actor      text NOT NULL,
    post       text NOT NULL,
    comment    text NOT NULL DEFAULT '',
    reaction   text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL,
    read_at    timestamptz
);
CREATE INDEX notifications_by_member ON notifications (app, member, id DESC);
CREATE INDEX notifications_unread ON notifications (app, member) WHERE read_at IS NULL;
-- A member is told once that someone reacted to a post, however often the
-- reaction changes.
CREATE UNIQUE INDEX notifications_liked_once ON notifications (app, member, actor, post) WHERE kind = 'liked';

-- Reports of posts, once per reporter and post.
CREATE TABLE reports (
    id          text PRIMARY KEY,
    app         text NOT NULL,
    post        text NOT NULL,
    reporter    text NOT NULL,
    reason      text NOT NULL,
    note        text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL,
    resolved_at timestamptz,
    resolved_by text,
    UNIQUE (app, post, reporter)
);
CREATE INDEX reports_open ON reports (app, id) WHERE resolved_at IS NULL;

-- Blocks of members: by a moderator in social ('social') or in hub ('hub').
-- A member is blocked while any row exists.
CREATE TABLE blocks (
    app        text NOT NULL,
    member     text NOT NULL,
    source     text NOT NULL CHECK (source IN ('social', 'hub')),
    blocked_by text NOT NULL DEFAULT '',
    reason     text NOT NULL DEFAULT '',
    blocked_at timestamptz NOT NULL,
    PRIMARY KEY (app, member, source)
);

-- Authors' public profiles, from hub's member.* events; updated_at is the
-- event's time, so that an older event never overwrites a newer profile.
CREATE TABLE profiles (
    app        text NOT NULL,
    member     text NOT NULL,
    name       text NOT NULL DEFAULT '',
    company    text NOT NULL DEFAULT '',
    title      text NOT NULL DEFAULT '',
    photo_url  text NOT NULL DEFAULT '',
    deleted    boolean NOT NULL DEFAULT false,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (app, member)
);

-- +goose Down
DROP TABLE profiles;
DROP TABLE blocks;
DROP TABLE reports;
DROP TABLE notifications;
