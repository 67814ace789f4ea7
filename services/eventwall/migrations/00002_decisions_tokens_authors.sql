-- What a person decided or what cannot be recomputed moves out of Redis:
-- the moderators' verdicts and marks, and the authors' names (from hub's
-- member events, which Redis Streams do not keep forever). Redis keeps a
-- copy that eventwall rebuilds from these tables after a loss.
--
-- Each wall also gets its screen token: the secret part of its public URL,
-- random, distinct from its id, which no longer opens the wall.

-- +goose Up

ALTER TABLE walls ADD COLUMN screen_token text;
-- A new version, too: the ingesters publish the settings again, now with
-- the token the screens' side checks.
UPDATE walls SET screen_token = translate(
    encode(uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid()), 'base64'), '+/=', '-_'),
    version = version + 1;
ALTER TABLE walls ALTER COLUMN screen_token SET NOT NULL;
CREATE UNIQUE INDEX walls_screen_token ON walls (screen_token);

-- moderation_version grows with every verdict or mark on the wall; each
-- moderation row carries the version that wrote it, so that Redis, which
-- gets the same version, keeps the newest whatever the order of writes.
ALTER TABLE walls ADD COLUMN moderation_version bigint NOT NULL DEFAULT 0;

-- A moderator's decisions about one post on one wall: verdict
-- 'a:<hash of the text approved>', 'r' (rejected) or '' (none); mark 'pin',
-- 'highlight' or '' (none).
CREATE TABLE moderation (
    wall_id    text NOT NULL REFERENCES walls (id) ON DELETE CASCADE,
    post_id    text NOT NULL,
    verdict    text NOT NULL DEFAULT '',
    mark       text NOT NULL DEFAULT '' CHECK (mark IN ('', 'pin', 'highlight')),
    version    bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (wall_id, post_id)
);

-- Authors' names and photos, from hub's member.* events; updated_at is the
-- event's time, so that an older event never overwrites a newer profile,
-- and a deleted member's row stays (deleted, empty) so that a replayed
-- older event cannot bring the name back.
CREATE TABLE authors (
    app_id     text NOT NULL,
    member_id  text NOT NULL,
    name       text NOT NULL DEFAULT '',
    photo_url  text NOT NULL DEFAULT '',
    deleted    boolean NOT NULL DEFAULT false,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (app_id, member_id)
);

-- +goose Down
DROP TABLE authors;
DROP TABLE moderation;
ALTER TABLE walls DROP COLUMN moderation_version;
DROP INDEX walls_screen_token;
ALTER TABLE walls DROP COLUMN screen_token;
