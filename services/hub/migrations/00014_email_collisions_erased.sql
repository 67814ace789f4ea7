-- Erasing an entry erases what email_collisions keeps of it. A row there
-- names the entry that kept a dotted spelling (other_id) and holds that
-- spelling: once that entry is deleted (member.delete, member.deleteMe,
-- speaker.delete, an invitation pruned, its app deleted, by cascade), its
-- row goes with it, whatever path deleted it: a statement trigger per
-- table, as member_words' (00003). The row of a collision whose kept entry
-- is deleted stays: the other entry, with the same mailbox, is still
-- there and still unreachable by email.
--
-- Rows of entries deleted before this migration are deleted by it.

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION email_collisions_erase() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM email_collisions c USING old_rows o WHERE c.tab = TG_ARGV[0] AND c.other_id = o.id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER members_email_collisions_erase AFTER DELETE ON members
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION email_collisions_erase('members');
CREATE TRIGGER speakers_email_collisions_erase AFTER DELETE ON speakers
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION email_collisions_erase('speakers');
CREATE TRIGGER invitations_email_collisions_erase AFTER DELETE ON invitations
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION email_collisions_erase('invitations');
CREATE TRIGGER organizers_email_collisions_erase AFTER DELETE ON organizers
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION email_collisions_erase('organizers');

DELETE FROM email_collisions c
WHERE (c.tab = 'members' AND NOT EXISTS (SELECT 1 FROM members x WHERE x.id = c.other_id))
   OR (c.tab = 'speakers' AND NOT EXISTS (SELECT 1 FROM speakers x WHERE x.id = c.other_id))
   OR (c.tab = 'invitations' AND NOT EXISTS (SELECT 1 FROM invitations x WHERE x.id = c.other_id))
   OR (c.tab = 'organizers' AND NOT EXISTS (SELECT 1 FROM organizers x WHERE x.id = c.other_id));

-- +goose Down
DROP TRIGGER members_email_collisions_erase ON members;
DROP TRIGGER speakers_email_collisions_erase ON speakers;
DROP TRIGGER invitations_email_collisions_erase ON invitations;
DROP TRIGGER organizers_email_collisions_erase ON organizers;
DROP FUNCTION email_collisions_erase();
