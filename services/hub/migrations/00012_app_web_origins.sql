-- An app's web origins: the sites (scheme://host[:port]) of its web apps,
-- which browsers may call every service from (CORS). Set with app.update;
-- the read model keeps them for the other services.

-- +goose Up
ALTER TABLE apps ADD COLUMN web_origins text[] NOT NULL DEFAULT '{}';

-- +goose Down
ALTER TABLE apps DROP COLUMN web_origins;
