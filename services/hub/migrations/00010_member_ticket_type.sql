-- A member's ticket type (the ticket, pass or registration type of the
-- registration system: "VIP", "Early Bird"), shown to organizers and
-- filtered on in the directory, and the E.164 form of the phone number
-- beside the number as written (empty when the number does not say its
-- country). The directory's filter on ticket type reads this index.

-- +goose Up
ALTER TABLE members
    ADD COLUMN ticket_type text NOT NULL DEFAULT '',
    ADD COLUMN phone_e164  text NOT NULL DEFAULT '';
CREATE INDEX members_ticket_type ON members (app_id, lower(ticket_type)) WHERE ticket_type <> '';

-- +goose Down
DROP INDEX members_ticket_type;
ALTER TABLE members DROP COLUMN phone_e164, DROP COLUMN ticket_type;
