-- Hub stores http and https URLs only (photos, icons, links; see
-- service.webURL). This clears the others stored before the rule: a
-- photo or an icon becomes none, a link goes. Apps whose icon changed are
-- queued for the read model's repair, which rewrites their configuration.
--
-- The pattern is a little stricter than webURL (no user info), which only
-- ever clears more.

-- +goose Up
UPDATE members SET photo_url = '', updated_at = now()
WHERE photo_url <> '' AND photo_url !~* '^https?://[^[:space:][:cntrl:]/?#@]+([/?#][^[:space:][:cntrl:]]*)?$';

UPDATE members SET links = (
        SELECT coalesce(jsonb_agg(l ORDER BY i), '[]')
        FROM jsonb_array_elements(links) WITH ORDINALITY AS x (l, i)
        WHERE l->>'url' ~* '^https?://[^[:space:][:cntrl:]/?#@]+([/?#][^[:space:][:cntrl:]]*)?$'),
    updated_at = now()
WHERE EXISTS (
    SELECT 1 FROM jsonb_array_elements(links) AS l
    WHERE coalesce(l->>'url', '') !~* '^https?://[^[:space:][:cntrl:]/?#@]+([/?#][^[:space:][:cntrl:]]*)?$');

UPDATE speakers SET photo_url = '', updated_at = now()
WHERE photo_url <> '' AND photo_url !~* '^https?://[^[:space:][:cntrl:]/?#@]+([/?#][^[:space:][:cntrl:]]*)?$';

WITH cleared AS (
    UPDATE apps SET icon_url = '', version = nextval('rm_version'), updated_at = now()
    WHERE icon_url <> '' AND icon_url !~* '^https?://[^[:space:][:cntrl:]/?#@]+([/?#][^[:space:][:cntrl:]]*)?$'
    RETURNING id
)
INSERT INTO rm_repair (app_id) SELECT id FROM cleared
ON CONFLICT (app_id) DO UPDATE SET marked_at = now();

-- +goose Down
-- The URLs cleared are gone.
SELECT 1;
