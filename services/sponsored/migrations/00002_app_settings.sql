-- +goose Up
-- Per-app placement settings: every is the organic posts per sponsored
-- slot (absent: SPONSORED_EVERY, 5).
CREATE TABLE app_settings (
    app_id     text PRIMARY KEY,
    every      int NOT NULL CHECK (every BETWEEN 1 AND 100),
    updated_at timestamptz NOT NULL
);

-- +goose Down
DROP TABLE app_settings;
