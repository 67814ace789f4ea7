-- Collaborator invitations carry a secret, and organizer sign-ups wait for
-- the owner of the address.
--
-- An invitation was claimed by whoever signed up with its email first, and
-- an existing account was added at once; sign-up never checked the email.
-- Now an invitation is a record whose token (130 random bits, mailed to
-- the invitee) is stored only as its SHA-256: whoever presents the token
-- takes the role, once, within 7 days, unless an admin revoked it. A
-- sign-up mails a token to the address; the account exists only once that
-- token comes back (sign_ups). The email alone grants nothing any more.
--
-- Invitations made before carry no token (nobody was mailed one): they
-- become records that expired at the upgrade, listed for 30 days for the
-- admins to invite again.

-- +goose Up
ALTER TABLE invitations DROP CONSTRAINT invitations_pkey;
DROP INDEX invitations_email;
ALTER TABLE invitations
    ADD COLUMN id          text,
    ADD COLUMN token_hash  text UNIQUE,                 -- hex SHA-256 of the token; NULL before tokens
    ADD COLUMN expires_at  timestamptz,
    ADD COLUMN accepted_at timestamptz,
    ADD COLUMN accepted_by text,                        -- the organizer who presented the token
    ADD COLUMN revoked_at  timestamptz,
    ADD COLUMN revoked_by  text;                        -- the organizer who revoked it or invited again
UPDATE invitations SET id = 'legacy-' || md5(app_id || ' ' || email), expires_at = now();
ALTER TABLE invitations
    ALTER COLUMN id SET NOT NULL,
    ALTER COLUMN expires_at SET NOT NULL,
    ADD PRIMARY KEY (id);
-- One open (neither accepted nor revoked) invitation per app and email:
-- inviting again revokes the older one.
CREATE UNIQUE INDEX invitations_open ON invitations (app_id, email) WHERE accepted_at IS NULL AND revoked_at IS NULL;
CREATE INDEX invitations_app ON invitations (app_id, created_at);

-- Sign-ups waiting for their address's confirmation. A row is made for
-- every auth.signUp, for an address with an account too (its token is
-- never mailed), so that both take the same path; pruned after expiry.
CREATE TABLE sign_ups (
    id            text PRIMARY KEY,
    email         text NOT NULL,
    token_hash    text NOT NULL UNIQUE,                 -- hex SHA-256 of the mailed token
    invitation    text NOT NULL DEFAULT '',             -- the token hash of an invitation to accept on confirmation
    expires_at    timestamptz NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sign_ups_expires ON sign_ups (expires_at);

-- +goose Down
DROP TABLE sign_ups;
DROP INDEX invitations_open, invitations_app;
DELETE FROM invitations WHERE accepted_at IS NOT NULL OR revoked_at IS NOT NULL;
ALTER TABLE invitations DROP CONSTRAINT invitations_pkey;
ALTER TABLE invitations
    DROP COLUMN id, DROP COLUMN token_hash, DROP COLUMN expires_at, DROP COLUMN accepted_at,
    DROP COLUMN accepted_by, DROP COLUMN revoked_at, DROP COLUMN revoked_by;
ALTER TABLE invitations ADD PRIMARY KEY (app_id, email);
CREATE INDEX invitations_email ON invitations (email);
