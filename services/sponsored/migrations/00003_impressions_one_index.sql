-- +goose Up
-- One index on impressions beside the primary key: every insert of the
-- counter paid for three. (campaign_id, day) serves the reports' figures
-- (they read the heap rows for member_id anyway, and filter billable and
-- internal there) and the cap rebuild (every impression of a campaign);
-- clicks and views join impressions by id.
CREATE INDEX impressions_campaign_day ON impressions (campaign_id, day);
DROP INDEX impressions_campaign;
DROP INDEX impressions_days;

-- +goose Down
CREATE INDEX impressions_campaign ON impressions (campaign_id, member_id);
CREATE INDEX impressions_days ON impressions (campaign_id, day) WHERE billable AND NOT internal;
DROP INDEX impressions_campaign_day;
