-- +goose Up
CREATE TABLE campaigns (
    id           text PRIMARY KEY,
    app_id       text NOT NULL,
    settings     jsonb NOT NULL,
    state        text NOT NULL,
    start_at     timestamptz NOT NULL,
    end_at       timestamptz NOT NULL,
    budget       bigint NOT NULL CHECK (budget > 0),
    counted      bigint NOT NULL DEFAULT 0 CHECK (counted >= 0),
    report_nonce text NOT NULL,
    version      bigint NOT NULL,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL
);
CREATE INDEX campaigns_app ON campaigns (app_id, created_at DESC);
CREATE INDEX campaigns_active ON campaigns (state, updated_at);

-- One row per impression id: a replayed record inserts nothing.
CREATE TABLE impressions (
    id          text PRIMARY KEY,
    app_id      text NOT NULL,
    campaign_id text NOT NULL,
    member_id   text NOT NULL,
    served_at   timestamptz NOT NULL,
    day         date NOT NULL, -- in the flight's time zone
    internal    boolean NOT NULL,
    billable    boolean NOT NULL
);
CREATE INDEX impressions_campaign ON impressions (campaign_id, member_id);
CREATE INDEX impressions_days ON impressions (campaign_id, day) WHERE billable AND NOT internal;

CREATE TABLE clicks (
    impression_id text PRIMARY KEY,
    app_id        text NOT NULL,
    campaign_id   text NOT NULL,
    member_id     text NOT NULL,
    at            timestamptz NOT NULL,
    day           date NOT NULL,
    internal      boolean NOT NULL
);
CREATE INDEX clicks_campaign ON clicks (campaign_id, day);

CREATE TABLE views (
    impression_id text PRIMARY KEY,
    app_id        text NOT NULL,
    campaign_id   text NOT NULL,
    member_id     text NOT NULL,
    at            timestamptz NOT NULL,
    day           date NOT NULL,
    internal      boolean NOT NULL
);
CREATE INDEX views_campaign ON views (campaign_id, day);

CREATE TABLE leads (
    id            text PRIMARY KEY,
    app_id        text NOT NULL,
    campaign_id   text NOT NULL,
    member_id     text NOT NULL,
    impression_id text NOT NULL,
    fields        jsonb NOT NULL,
    consent       text NOT NULL, -- the text the member accepted
    internal      boolean NOT NULL,
    created_at    timestamptz NOT NULL,
    day           date NOT NULL,
    UNIQUE (campaign_id, member_id)
);

CREATE TABLE hides (
    campaign_id text NOT NULL,
    member_id   text NOT NULL,
    app_id      text NOT NULL,
    reason      text NOT NULL,
    hidden_at   timestamptz NOT NULL,
    PRIMARY KEY (campaign_id, member_id)
);

-- +goose Down
DROP TABLE hides, leads, views, clicks, impressions, campaigns;
