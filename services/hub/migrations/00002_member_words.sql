-- The directory's word index: one row per distinct word of a member's
-- folded name and company, kept by triggers. A search for a word prefix is a
-- range scan of (app_id, word) that yields the members already carrying
-- their sort key, so a page is an index-only scan and a small sort, whatever
-- the prefix matches. It replaces the trigram index, whose bitmap scans had
-- to visit every matching member row to sort them by name.

-- +goose Up
CREATE TABLE member_words (
    app_id    text NOT NULL,
    word      text COLLATE "C" NOT NULL,
    sort_name text COLLATE "C" NOT NULL,
    member_id text NOT NULL REFERENCES members ON DELETE CASCADE,
    blocked   boolean NOT NULL,
    role      text NOT NULL,
    PRIMARY KEY (app_id, word, sort_name, member_id) INCLUDE (blocked, role)
);
CREATE INDEX member_words_member ON member_words (member_id);

-- +goose StatementBegin
CREATE FUNCTION member_words_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO member_words (app_id, word, sort_name, member_id, blocked, role)
    SELECT DISTINCT n.app_id, w, n.sort_name, n.id, n.blocked, n.role
    FROM new_rows n, unnest(string_to_array(btrim(n.search), ' ')) AS w
    WHERE w <> '';
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION member_words_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM member_words WHERE member_id = NEW.id;
    INSERT INTO member_words (app_id, word, sort_name, member_id, blocked, role)
    SELECT DISTINCT NEW.app_id, w, NEW.sort_name, NEW.id, NEW.blocked, NEW.role
    FROM unnest(string_to_array(btrim(NEW.search), ' ')) AS w
    WHERE w <> '';
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER member_words_insert AFTER INSERT ON members
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION member_words_insert();
-- Per row, and only when a column the index holds changed: a bulk update of
-- titles or bios does not touch it.
CREATE TRIGGER member_words_update AFTER UPDATE ON members FOR EACH ROW
    WHEN ((OLD.search, OLD.sort_name, OLD.blocked, OLD.role) IS DISTINCT FROM (NEW.search, NEW.sort_name, NEW.blocked, NEW.role))
    EXECUTE FUNCTION member_words_update();

INSERT INTO member_words (app_id, word, sort_name, member_id, blocked, role)
SELECT DISTINCT m.app_id, w, m.sort_name, m.id, m.blocked, m.role
FROM members m, unnest(string_to_array(btrim(m.search), ' ')) AS w
WHERE w <> '';

DROP INDEX members_search;

-- +goose Down
CREATE INDEX members_search ON members USING gin (search public.gin_trgm_ops);
DROP TRIGGER member_words_update ON members;
DROP TRIGGER member_words_insert ON members;
DROP FUNCTION member_words_update();
DROP FUNCTION member_words_insert();
DROP TABLE member_words;
