-- Pending events now cover every change of a post or comment, not only
-- creations: an edit, hide, show, block or delete keeps its event here
-- before its CouchDB write, with the comment count deltas the change makes
-- (a comment deleted, or hidden by a block of its author), applied by
-- whichever transaction settles the row, so exactly once. The sweeper
-- publishes a change when the document names its event (last_event), or,
-- for a creation, when the document exists.

-- +goose Up
ALTER TABLE pending_events ADD COLUMN comments jsonb NOT NULL DEFAULT '{}';

-- +goose Down
ALTER TABLE pending_events DROP COLUMN comments;
