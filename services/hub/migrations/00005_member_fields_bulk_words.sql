-- Phone and custom profile fields of members (organizers and the member
-- only; not searched), and the directory's word index kept by statement
-- triggers that work in bulk:
--
-- * inserts add the words of all new rows in index order, so that a batch
--   of thousands of members writes the index's pages one after the other
--   instead of jumping around it (the words are sorted in the C collation,
--   the index's);
-- * updates, like inserts and deletes, fire once per statement with the
--   old and new rows, not once per row;
-- * the rows of a member are found through the primary key, from the
--   words of the member's old search text, so the index on member_id goes:
--   on an import of 1,000,000 members it cost as much as the rest of the
--   word index's upkeep (random inserts in a 95 MB index).

-- +goose Up
ALTER TABLE members
    ADD COLUMN phone  text  NOT NULL DEFAULT '',
    ADD COLUMN custom jsonb NOT NULL DEFAULT '{}';

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION member_words_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO member_words (app_id, word, sort_name, member_id, blocked, role)
    SELECT DISTINCT n.app_id, w COLLATE "C", n.sort_name, n.id, n.blocked, n.role
    FROM new_rows n, unnest(string_to_array(btrim(n.search), ' ')) AS w
    WHERE w <> ''
    ORDER BY 1, 2, 3, 4;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION member_words_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM member_words mw
    USING (SELECT DISTINCT o.app_id, w COLLATE "C" AS word, o.sort_name, o.id
           FROM old_rows o, unnest(string_to_array(btrim(o.search), ' ')) AS w
           WHERE w <> '') d
    WHERE mw.app_id = d.app_id AND mw.word = d.word AND mw.sort_name = d.sort_name AND mw.member_id = d.id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- The rows whose indexed columns changed lose their old words and get the
-- new ones.
-- +goose StatementBegin
CREATE FUNCTION member_words_update_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM member_words mw
    USING (SELECT DISTINCT o.app_id, w COLLATE "C" AS word, o.sort_name, o.id
           FROM old_rows o JOIN new_rows n ON n.id = o.id,
                unnest(string_to_array(btrim(o.search), ' ')) AS w
           WHERE w <> '' AND (o.search, o.sort_name, o.blocked, o.role) IS DISTINCT FROM (n.search, n.sort_name, n.blocked, n.role)) d
    WHERE mw.app_id = d.app_id AND mw.word = d.word AND mw.sort_name = d.sort_name AND mw.member_id = d.id;
    INSERT INTO member_words (app_id, word, sort_name, member_id, blocked, role)
    SELECT DISTINCT n.app_id, w COLLATE "C", n.sort_name, n.id, n.blocked, n.role
    FROM old_rows o JOIN new_rows n ON n.id = o.id,
         unnest(string_to_array(btrim(n.search), ' ')) AS w
    WHERE w <> '' AND (o.search, o.sort_name, o.blocked, o.role) IS DISTINCT FROM (n.search, n.sort_name, n.blocked, n.role)
    ORDER BY 1, 2, 3, 4;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

DROP TRIGGER member_words_update ON members;
DROP FUNCTION member_words_update();
CREATE TRIGGER member_words_update AFTER UPDATE ON members
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION member_words_update_rows();
DROP INDEX member_words_member;

-- +goose Down
CREATE INDEX member_words_member ON member_words (member_id);
DROP TRIGGER member_words_update ON members;
DROP FUNCTION member_words_update_rows();
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
CREATE TRIGGER member_words_update AFTER UPDATE ON members FOR EACH ROW
    WHEN ((OLD.search, OLD.sort_name, OLD.blocked, OLD.role) IS DISTINCT FROM (NEW.search, NEW.sort_name, NEW.blocked, NEW.role))
    EXECUTE FUNCTION member_words_update();
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION member_words_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM member_words mw USING old_rows o WHERE mw.member_id = o.id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION member_words_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO member_words (app_id, word, sort_name, member_id, blocked, role)
    SELECT DISTINCT n.app_id, w, n.sort_name, n.id, n.blocked, n.role
    FROM new_rows n, unnest(string_to_array(btrim(n.search), ' ')) AS w
    WHERE w <> '';
    RETURN NULL;
END
$$;
-- +goose StatementEnd
ALTER TABLE members DROP COLUMN custom, DROP COLUMN phone;
