-- content_seq: a counter of the changes applied to an app's projected
-- content (events, sessions, speakers, rooms, tracks), bumped in the
-- transaction of every change, rebuild and deletion of the app. The
-- directory and search cache what they read from the projection under it
-- (Projection.ContentVersion): a cached answer is used only while the
-- counter has not moved, so no answer outlives the change that makes it
-- stale.

-- +goose Up
ALTER TABLE apps ADD COLUMN content_seq bigint NOT NULL DEFAULT 1;

-- +goose Down
ALTER TABLE apps DROP COLUMN content_seq;
