-- Emails stored before service.NormalizeEmail dropped the trailing dots of
-- the domain get their normal form, so that the lookups, which normalise
-- what they are given, find them again: a member stored as
-- "ann@x.io." could not sign in as ann@x.io, and a bulk import created a
-- second member of that address beside them.
--
-- Only the dots are rewritten. The other rules of NormalizeEmail (spaces
-- around, lower case) applied from the start, and Postgres' lower() is not
-- Go's strings.ToLower for every letter, so the stored emails are already in
-- that form and are left as they are. For those, dropping the dots is
-- exactly NormalizeEmail: the dots after the last "@" that end the address
-- (rtrim(email, '.') where the address holds an "@", LIKE '%@%.').
--
-- Where the normal form is taken by another row of the same app (the same
-- mailbox registered twice, once with the dot), no identities are merged
-- (other services key data by member id). Of the rows of one app and one
-- normal form, one keeps the normal form and so is the one every lookup by
-- email finds, the keeper, chosen in this order:
--
--   1. a blocked member before one who is not: whoever was blocked under
--      either spelling stays blocked for that mailbox,
--   2. the row that has the normal form already (lookups have found it
--      since the rule: nothing changes for its user),
--   3. the oldest row, then the smallest id.
--
-- The others keep a spelling with trailing dots, which no lookup matches:
-- when a dotted blocked member becomes the keeper, the row that had the
-- normal form takes the keeper's old spelling. A member who is not blocked
-- but lost the address to a blocked one has their tokens revoked (they
-- can no longer sign in: they were the blocked member's way back in), and
-- their app is queued for the read model's repair, which writes the marks.
-- Speakers, organizers and open invitations follow rules 2 and 3 (an open
-- invitation: the newest first, as inviting again would keep). Every row
-- that keeps its dots is listed in email_collisions for the organizers
-- to decide (change its email, block or delete it): nothing else is done
-- to it. Sign-in codes and sign-ups have no unique email and are all
-- rewritten. The audit log of guesses is left as it was given.
--
-- Locks: no DDL on an existing table. Each table is read once in full
-- (the pattern cannot use an index: a sequential scan, a second or so for
-- a million members) and only the rows rewritten are locked, until the
-- commit. A member created under a normal form taken here while the
-- migration runs makes it fail with a unique violation and change
-- nothing; it runs again at the next start.

-- +goose Up
CREATE TABLE email_collisions (
    tab            text NOT NULL CHECK (tab IN ('members', 'speakers', 'organizers', 'invitations')),
    app_id         text NOT NULL,                   -- '' for organizers
    email          text NOT NULL,                   -- the normal form the rows share
    kept_id        text NOT NULL,                   -- the row that has it: lookups by email find this one
    other_id       text NOT NULL,                   -- a row that keeps its dots
    other_email    text NOT NULL,                   -- its email now
    tokens_revoked boolean NOT NULL DEFAULT false,  -- the other member's tokens were revoked (the keeper is blocked)
    found_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tab, other_id)
);
CREATE INDEX email_collisions_app ON email_collisions (app_id, tab);

-- Members: the rows of every (app, normal form) that has a dotted one, the
-- dotted ones from a scan, the undotted through the unique index.
CREATE TEMP TABLE member_emails ON COMMIT DROP AS
SELECT id, app_id, email, rtrim(email, '.') AS norm, blocked, created_at
FROM members WHERE email LIKE '%@%.';
INSERT INTO member_emails
SELECT id, app_id, email, email, blocked, created_at FROM members
WHERE (app_id, email) IN (SELECT app_id, norm FROM member_emails);

CREATE TEMP TABLE member_keepers ON COMMIT DROP AS
SELECT DISTINCT ON (app_id, norm) app_id, norm, id, email, blocked
FROM member_emails
ORDER BY app_id, norm, blocked DESC, email = norm DESC, created_at, id;

-- The keeper's old spelling goes to the row that had the normal form, in
-- three steps: every (app, email) stays unique after each row.
UPDATE members m SET email = 'migration 13 ' || m.id
FROM member_keepers k WHERE m.id = k.id AND k.email <> k.norm;
UPDATE members m SET email = k.email, updated_at = now()
FROM member_keepers k WHERE m.app_id = k.app_id AND m.email = k.norm AND m.id <> k.id;
UPDATE members m SET email = k.norm, updated_at = now()
FROM member_keepers k WHERE m.id = k.id AND k.email <> k.norm;

INSERT INTO email_collisions (tab, app_id, email, kept_id, other_id, other_email, tokens_revoked)
SELECT 'members', k.app_id, k.norm, k.id, m.id, m.email, k.blocked AND NOT m.blocked
FROM member_keepers k JOIN member_emails e ON e.app_id = k.app_id AND e.norm = k.norm AND e.id <> k.id
JOIN members m ON m.id = e.id;

INSERT INTO token_revocations (app_id, user_id, seq)
SELECT app_id, other_id, nextval('token_seq') FROM (
    SELECT app_id, other_id FROM email_collisions WHERE tab = 'members' AND tokens_revoked ORDER BY app_id, other_id) x
ON CONFLICT (app_id, user_id) DO UPDATE SET seq = excluded.seq, revoked_at = now();
INSERT INTO rm_repair (app_id)
SELECT DISTINCT app_id FROM email_collisions WHERE tab = 'members' AND tokens_revoked
ON CONFLICT (app_id) DO UPDATE SET marked_at = now();

-- Speakers: no block, so the keeper is the undotted row when there is one,
-- and only dotted keepers move.
CREATE TEMP TABLE speaker_emails ON COMMIT DROP AS
SELECT id, app_id, email, rtrim(email, '.') AS norm, created_at
FROM speakers WHERE email LIKE '%@%.';
INSERT INTO speaker_emails
SELECT id, app_id, email, email, created_at FROM speakers
WHERE (app_id, email) IN (SELECT app_id, norm FROM speaker_emails);

CREATE TEMP TABLE speaker_keepers ON COMMIT DROP AS
SELECT DISTINCT ON (app_id, norm) app_id, norm, id, email
FROM speaker_emails
ORDER BY app_id, norm, email = norm DESC, created_at, id;

UPDATE speakers s SET email = k.norm, updated_at = now()
FROM speaker_keepers k WHERE s.id = k.id AND k.email <> k.norm;

INSERT INTO email_collisions (tab, app_id, email, kept_id, other_id, other_email)
SELECT 'speakers', k.app_id, k.norm, k.id, e.id, e.email
FROM speaker_keepers k JOIN speaker_emails e ON e.app_id = k.app_id AND e.norm = k.norm AND e.id <> k.id;

-- Organizers: one email per account across apps.
CREATE TEMP TABLE organizer_emails ON COMMIT DROP AS
SELECT id, email, rtrim(email, '.') AS norm, created_at
FROM organizers WHERE email LIKE '%@%.';
INSERT INTO organizer_emails
SELECT id, email, email, created_at FROM organizers
WHERE email IN (SELECT norm FROM organizer_emails);

CREATE TEMP TABLE organizer_keepers ON COMMIT DROP AS
SELECT DISTINCT ON (norm) norm, id, email
FROM organizer_emails
ORDER BY norm, email = norm DESC, created_at, id;

UPDATE organizers o SET email = k.norm, updated_at = now()
FROM organizer_keepers k WHERE o.id = k.id AND k.email <> k.norm;

INSERT INTO email_collisions (tab, app_id, email, kept_id, other_id, other_email)
SELECT 'organizers', '', k.norm, k.id, e.id, e.email
FROM organizer_keepers k JOIN organizer_emails e ON e.norm = k.norm AND e.id <> k.id;

-- Invitations: one open invitation per app and email (invitations_open);
-- closed ones are all rewritten.
UPDATE invitations SET email = rtrim(email, '.')
WHERE email LIKE '%@%.' AND (accepted_at IS NOT NULL OR revoked_at IS NOT NULL);

CREATE TEMP TABLE invitation_emails ON COMMIT DROP AS
SELECT id, app_id, email, rtrim(email, '.') AS norm, created_at
FROM invitations WHERE email LIKE '%@%.';
INSERT INTO invitation_emails
SELECT id, app_id, email, email, created_at FROM invitations
WHERE accepted_at IS NULL AND revoked_at IS NULL
  AND (app_id, email) IN (SELECT app_id, norm FROM invitation_emails);

CREATE TEMP TABLE invitation_keepers ON COMMIT DROP AS
SELECT DISTINCT ON (app_id, norm) app_id, norm, id, email
FROM invitation_emails
ORDER BY app_id, norm, email = norm DESC, created_at DESC, id;

UPDATE invitations i SET email = k.norm
FROM invitation_keepers k WHERE i.id = k.id AND k.email <> k.norm;

INSERT INTO email_collisions (tab, app_id, email, kept_id, other_id, other_email)
SELECT 'invitations', k.app_id, k.norm, k.id, e.id, e.email
FROM invitation_keepers k JOIN invitation_emails e ON e.app_id = k.app_id AND e.norm = k.norm AND e.id <> k.id;

-- Sign-in codes (a code's hash covers the email it was asked for: one asked
-- for with the dot no longer signs in, but it still counts towards the
-- address's limits) and sign-ups.
UPDATE sign_in_codes SET email = rtrim(email, '.') WHERE email LIKE '%@%.';
UPDATE sign_ups SET email = rtrim(email, '.') WHERE email LIKE '%@%.';

-- +goose Down
-- The emails stay in their normal form: the spellings with dots named the
-- same mailboxes, and putting them back would only hide members from their
-- own address again. The list of collisions goes.
DROP TABLE email_collisions;
