-- title_tsv: the words of what a search hit shows as its title (an
-- event's name, a session's title, a speaker's name), in a GIN index of
-- its own. search.query ranks first the hits whose title holds every word
-- of the query, and finds them in this index alone: a short prefix that
-- starts a word of most descriptions (type-ahead sends them) need not
-- fetch and rank every row it matches when a page of titles answers it.
-- Rooms and tracks have nothing but their name in tsv, which serves.

-- +goose Up
ALTER TABLE events ADD COLUMN title_tsv tsvector GENERATED ALWAYS AS (to_tsvector('fold', name)) STORED;
ALTER TABLE sessions ADD COLUMN title_tsv tsvector GENERATED ALWAYS AS (to_tsvector('fold', title)) STORED;
ALTER TABLE speakers ADD COLUMN title_tsv tsvector GENERATED ALWAYS AS (to_tsvector('fold', name)) STORED;
CREATE INDEX events_title_tsv ON events USING gin (title_tsv);
CREATE INDEX sessions_title_tsv ON sessions USING gin (title_tsv);
CREATE INDEX speakers_title_tsv ON speakers USING gin (title_tsv);

-- +goose Down
ALTER TABLE events DROP COLUMN title_tsv;
ALTER TABLE sessions DROP COLUMN title_tsv;
ALTER TABLE speakers DROP COLUMN title_tsv;
