-- Hub's tables: organizers, apps, collaborators, events, members, agenda,
-- sign-in codes. Every row that belongs to an app carries app_id, and every
-- query names it: no query crosses apps.
--
-- version columns take values from one sequence (rm_version) on every
-- change: per row they grow in commit order (a writer waits for the row
-- lock of the previous one), so the Redis read model keeps the newest state
-- whatever order its writes arrive in (see internal/readmodel).

-- +goose Up

-- unaccent and pg_trgm live in public, where any service's schema finds
-- them (search_path is "<schema>, public"). Both are trusted extensions.
CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public;
CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;
CREATE EXTENSION IF NOT EXISTS btree_gist SCHEMA public;

CREATE SEQUENCE rm_version;

-- fold is the search normal form: lower case, accents removed, every run of
-- spaces and punctuation turned into one space. unaccent() is only STABLE
-- (its dictionary could change); naming the dictionary makes the call
-- immutable in practice, which index expressions and generated columns need.
CREATE FUNCTION fold(s text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN btrim(regexp_replace(lower(public.unaccent('public.unaccent'::regdictionary, s)),
                            '[[:space:][:punct:]]+', ' ', 'g'));

CREATE TABLE organizers (
    id            text PRIMARY KEY,
    email         text NOT NULL UNIQUE,            -- lower case
    name          text NOT NULL,
    password_hash text NOT NULL,                   -- argon2id, PHC string
    failed_logins int  NOT NULL DEFAULT 0,         -- since the last success
    locked_until  timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE apps (
    id             text PRIMARY KEY,
    slug           text NOT NULL UNIQUE,
    name           text NOT NULL,
    status         text NOT NULL DEFAULT 'unpublished' CHECK (status IN ('unpublished', 'published', 'expired')),
    access         text NOT NULL DEFAULT 'open' CHECK (access IN ('open', 'passcode', 'invite')),
    passcode_hash  text NOT NULL DEFAULT '',
    primary_color  text NOT NULL DEFAULT '',
    accent_color   text NOT NULL DEFAULT '',
    icon_url       text NOT NULL DEFAULT '',
    version        bigint NOT NULL DEFAULT nextval('rm_version'),
    events_version bigint NOT NULL DEFAULT nextval('rm_version'),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE collaborators (
    app_id       text NOT NULL REFERENCES apps ON DELETE CASCADE,
    organizer_id text NOT NULL REFERENCES organizers ON DELETE CASCADE,
    role         text NOT NULL CHECK (role IN ('owner', 'admin', 'moderator', 'member')),
    version      bigint NOT NULL DEFAULT nextval('rm_version'),
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (app_id, organizer_id)
);
CREATE INDEX collaborators_organizer ON collaborators (organizer_id);
-- Exactly one owner per app.
CREATE UNIQUE INDEX collaborators_one_owner ON collaborators (app_id) WHERE role = 'owner';

-- Invitations of people without an organizer account yet; claimed at sign-up.
CREATE TABLE invitations (
    app_id     text NOT NULL REFERENCES apps ON DELETE CASCADE,
    email      text NOT NULL,
    role       text NOT NULL CHECK (role IN ('admin', 'moderator', 'member')),
    invited_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (app_id, email)
);
CREATE INDEX invitations_email ON invitations (email);

CREATE TABLE events (
    id         text PRIMARY KEY,
    app_id     text NOT NULL REFERENCES apps ON DELETE CASCADE,
    name       text NOT NULL,
    time_zone  text NOT NULL,
    starts_at  timestamptz NOT NULL,
    ends_at    timestamptz NOT NULL,
    venue      text NOT NULL DEFAULT '',
    visibility text NOT NULL DEFAULT 'public' CHECK (visibility IN ('public', 'hidden')),
    access     text NOT NULL DEFAULT 'open' CHECK (access IN ('open', 'code', 'listed')),
    code       text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at >= starts_at),
    UNIQUE (app_id, id)
);
CREATE INDEX events_app ON events (app_id, starts_at);

CREATE TABLE members (
    id          text PRIMARY KEY,
    app_id      text NOT NULL REFERENCES apps ON DELETE CASCADE,
    email       text NOT NULL,                     -- lower case
    external_id text,
    name        text NOT NULL,
    company     text NOT NULL DEFAULT '',
    title       text NOT NULL DEFAULT '',
    photo_url   text NOT NULL DEFAULT '',
    bio         text NOT NULL DEFAULT '',
    links       jsonb NOT NULL DEFAULT '[]',
    role        text NOT NULL DEFAULT 'attendee' CHECK (role IN ('attendee', 'speaker', 'sponsor', 'staff')),
    blocked     boolean NOT NULL DEFAULT false,
    version     bigint NOT NULL DEFAULT nextval('rm_version'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    -- The directory: sorted by folded name, searched by word prefixes of
    -- name and company (" jo" matches the start of any word).
    sort_name   text COLLATE "C" GENERATED ALWAYS AS (fold(name)) STORED,
    search      text GENERATED ALWAYS AS (' ' || fold(name || ' ' || company)) STORED,
    UNIQUE (app_id, email),
    UNIQUE (app_id, id)
);
CREATE UNIQUE INDEX members_external ON members (app_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX members_directory ON members (app_id, sort_name, id);
CREATE INDEX members_search ON members USING gin (search public.gin_trgm_ops);

CREATE TABLE registrations (
    app_id     text NOT NULL,
    event_id   text NOT NULL,
    member_id  text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (event_id, member_id),
    FOREIGN KEY (app_id, event_id) REFERENCES events (app_id, id) ON DELETE CASCADE,
    FOREIGN KEY (app_id, member_id) REFERENCES members (app_id, id) ON DELETE CASCADE
);
CREATE INDEX registrations_member ON registrations (member_id);

CREATE TABLE rooms (
    id       text PRIMARY KEY,
    app_id   text NOT NULL,
    event_id text NOT NULL,
    name     text NOT NULL,
    capacity int,
    FOREIGN KEY (app_id, event_id) REFERENCES events (app_id, id) ON DELETE CASCADE,
    UNIQUE (event_id, name),
    UNIQUE (app_id, event_id, id)
);

CREATE TABLE tracks (
    id       text PRIMARY KEY,
    app_id   text NOT NULL,
    event_id text NOT NULL,
    name     text NOT NULL,
    color    text NOT NULL DEFAULT '',
    FOREIGN KEY (app_id, event_id) REFERENCES events (app_id, id) ON DELETE CASCADE,
    UNIQUE (event_id, name),
    UNIQUE (app_id, event_id, id)
);

CREATE TABLE speakers (
    id          text PRIMARY KEY,
    app_id      text NOT NULL REFERENCES apps ON DELETE CASCADE,
    external_id text,
    email       text,                              -- lower case; links to a member of the same email
    name        text NOT NULL,
    company     text NOT NULL DEFAULT '',
    title       text NOT NULL DEFAULT '',
    bio         text NOT NULL DEFAULT '',
    photo_url   text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (app_id, id)
);
CREATE UNIQUE INDEX speakers_external ON speakers (app_id, external_id) WHERE external_id IS NOT NULL;
CREATE UNIQUE INDEX speakers_email ON speakers (app_id, email) WHERE email IS NOT NULL;

CREATE TABLE sessions (
    id          text PRIMARY KEY,
    app_id      text NOT NULL,
    event_id    text NOT NULL,
    external_id text,
    title       text NOT NULL,
    description text NOT NULL DEFAULT '',
    starts_at   timestamptz NOT NULL,
    ends_at     timestamptz NOT NULL,
    room_id     text,
    track_id    text,
    capacity    int,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at > starts_at),
    FOREIGN KEY (app_id, event_id) REFERENCES events (app_id, id) ON DELETE CASCADE,
    FOREIGN KEY (app_id, event_id, room_id) REFERENCES rooms (app_id, event_id, id),
    FOREIGN KEY (app_id, event_id, track_id) REFERENCES tracks (app_id, event_id, id),
    -- Two sessions of one room never overlap ([start, end): back to back is fine).
    CONSTRAINT sessions_room_overlap EXCLUDE USING gist (room_id WITH =, tstzrange(starts_at, ends_at) WITH &&)
        WHERE (room_id IS NOT NULL)
);
CREATE INDEX sessions_event ON sessions (app_id, event_id, starts_at);
CREATE UNIQUE INDEX sessions_external ON sessions (app_id, external_id) WHERE external_id IS NOT NULL;

CREATE TABLE session_speakers (
    session_id text NOT NULL REFERENCES sessions ON DELETE CASCADE,
    speaker_id text NOT NULL REFERENCES speakers ON DELETE CASCADE,
    position   int  NOT NULL,
    PRIMARY KEY (session_id, speaker_id)
);
CREATE INDEX session_speakers_speaker ON session_speakers (speaker_id);

-- One-time sign-in codes of members (only a hash is kept).
CREATE TABLE sign_in_codes (
    id         text PRIMARY KEY,
    app_id     text NOT NULL REFERENCES apps ON DELETE CASCADE,
    email      text NOT NULL,
    code_hash  text NOT NULL,
    attempts   int  NOT NULL DEFAULT 0,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sign_in_codes_email ON sign_in_codes (app_id, email, created_at);

-- Apps whose Redis read model missed a write (Redis down after a commit):
-- the read-model worker rewrites them.
CREATE TABLE rm_repair (
    app_id    text PRIMARY KEY,
    marked_at timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE rm_repair, sign_in_codes, session_speakers, sessions, speakers, tracks, rooms,
    registrations, members, events, invitations, collaborators, apps, organizers;
DROP FUNCTION fold(text);
DROP SEQUENCE rm_version;
