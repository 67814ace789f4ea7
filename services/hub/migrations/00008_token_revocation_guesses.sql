-- Token revocation and the audit log of guesses.
--
-- Every user token hub issues carries a number from token_seq (its "seq"
-- claim). Revoking a user's tokens records the sequence's next value: a
-- token whose seq is at or below the mark is refused. A sequence orders an
-- issue and a revocation exactly, where the tokens' second-granular iat
-- could not tell a token issued just before a password change from one
-- issued just after.
--
-- * organizers.tokens_revoked: every token of the organizer (the account
--   token and the app tokens of every app): a password change, a sign-out.
-- * token_revocations: the tokens of one user in one app: a member's
--   sign-out, a collaborator's removal (their app tokens stay refused if
--   they are invited back).
--
-- The read model carries the mark of each (app, user) for the services
-- that verify tokens themselves; see internal/readmodel.

-- +goose Up
CREATE SEQUENCE token_seq;

ALTER TABLE organizers ADD COLUMN tokens_revoked bigint NOT NULL DEFAULT 0;

CREATE TABLE token_revocations (
    app_id     text   NOT NULL REFERENCES apps ON DELETE CASCADE,
    user_id    text   NOT NULL,
    seq        bigint NOT NULL,
    revoked_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (app_id, user_id)
);

-- Wrong guesses of secrets (event codes, app passcodes, sign-in codes,
-- passwords), one row each, for whoever investigates an attack; the
-- throttle that slows guessers down lives in Redis. Kept 30 days.
CREATE TABLE guesses (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at       timestamptz NOT NULL DEFAULT now(),
    kind     text   NOT NULL,            -- event_code, passcode, sign_in_code, password
    app_id   text   NOT NULL DEFAULT '', -- no foreign key: the log outlives a deleted app
    target   text   NOT NULL,            -- what was guessed: an event id, an app id, an email
    actor    text   NOT NULL DEFAULT '', -- who guessed: a member id, or the email given
    addr     text   NOT NULL DEFAULT '', -- the client's IP address
    delay_ms bigint NOT NULL DEFAULT 0   -- the wait the failure imposed on the guesser
);
CREATE INDEX guesses_at ON guesses (at);
CREATE INDEX guesses_target ON guesses (kind, target, at);

-- +goose Down
DROP TABLE guesses, token_revocations;
ALTER TABLE organizers DROP COLUMN tokens_revoked;
DROP SEQUENCE token_seq;
