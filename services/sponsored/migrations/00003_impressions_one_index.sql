-- +goose NO TRANSACTION
-- +goose Up
-- One index on impressions beside the primary key: every insert of the
-- counter paid for three. (campaign_id, day) serves the reports' figures
-- (they read the heap rows for member_id anyway, and filter billable and
-- internal there) and the cap rebuild (every impression of a campaign);
-- clicks and views join impressions by id.
--
-- Built and dropped CONCURRENTLY, outside a transaction: a plain CREATE
-- INDEX would hold off the counter's inserts for as long as it reads a
-- large table. Each statement may run again after a failure (goose records
-- the migration only when all succeeded): a build that failed half-way
-- leaves an invalid index, which the first statement drops.
DROP INDEX CONCURRENTLY IF EXISTS impressions_campaign_day;
CREATE INDEX CONCURRENTLY impressions_campaign_day ON impressions (campaign_id, day);
DROP INDEX CONCURRENTLY IF EXISTS impressions_campaign;
DROP INDEX CONCURRENTLY IF EXISTS impressions_days;

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS impressions_campaign;
CREATE INDEX CONCURRENTLY impressions_campaign ON impressions (campaign_id, member_id);
DROP INDEX CONCURRENTLY IF EXISTS impressions_days;
CREATE INDEX CONCURRENTLY impressions_days ON impressions (campaign_id, day) WHERE billable AND NOT internal;
DROP INDEX CONCURRENTLY IF EXISTS impressions_campaign_day;
