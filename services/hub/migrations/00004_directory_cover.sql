-- The directory index covers what a search filters on (the folded words,
-- the blocked flag, the role), so that the first phase of a search, a
-- bounded scan of the app's members in name order, reads the index only.

-- +goose Up
CREATE INDEX members_directory_cover ON members (app_id, sort_name, id) INCLUDE (search, blocked, role);
DROP INDEX members_directory;

-- +goose Down
CREATE INDEX members_directory ON members (app_id, sort_name, id);
DROP INDEX members_directory_cover;
