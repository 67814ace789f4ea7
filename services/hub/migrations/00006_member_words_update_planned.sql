-- The word index's update trigger plans its statements on each call. As
-- static PL/pgSQL statements their plans were cached by the connection,
-- made for the transition tables of the first update that fired the
-- trigger; often a bulk upsert that changed nothing, whose empty tables made
-- the join of old and new rows a nested loop. On a batch of 10,000 changed
-- members each statement then compared 100,000,000 pairs of rows: 13 s of a
-- batch whose UPDATE took 0.35 s. Planned for the rows at hand, the join is
-- a hash or merge join (a few milliseconds), whatever came before.

-- +goose Up
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION member_words_update_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE $q$
        DELETE FROM member_words mw
        USING (SELECT DISTINCT o.app_id, w COLLATE "C" AS word, o.sort_name, o.id
               FROM old_rows o JOIN new_rows n ON n.id = o.id,
                    unnest(string_to_array(btrim(o.search), ' ')) AS w
               WHERE w <> '' AND (o.search, o.sort_name, o.blocked, o.role) IS DISTINCT FROM (n.search, n.sort_name, n.blocked, n.role)) d
        WHERE mw.app_id = d.app_id AND mw.word = d.word AND mw.sort_name = d.sort_name AND mw.member_id = d.id
    $q$;
    EXECUTE $q$
        INSERT INTO member_words (app_id, word, sort_name, member_id, blocked, role)
        SELECT DISTINCT n.app_id, w COLLATE "C", n.sort_name, n.id, n.blocked, n.role
        FROM old_rows o JOIN new_rows n ON n.id = o.id,
             unnest(string_to_array(btrim(n.search), ' ')) AS w
        WHERE w <> '' AND (o.search, o.sort_name, o.blocked, o.role) IS DISTINCT FROM (n.search, n.sort_name, n.blocked, n.role)
        ORDER BY 1, 2, 3, 4
    $q$;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION member_words_update_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM member_words mw
    USING (SELECT DISTINCT o.app_id, w COLLATE "C" AS word, o.sort_name, o.id
           FROM old_rows o JOIN new_rows n ON n.id = o.id,
                unnest(string_to_array(btrim(o.search), ' ')) AS w
           WHERE w <> '' AND (o.search, o.sort_name, o.blocked, o.role) IS DISTINCT FROM (n.search, n.sort_name, n.blocked, n.role)) d
    WHERE mw.app_id = d.app_id AND mw.word = d.word AND mw.sort_name = d.sort_name AND mw.member_id = d.id;
    INSERT INTO member_words (app_id, word, sort_name, member_id, blocked, role)
    SELECT DISTINCT n.app_id, w COLLATE "C", n.sort_name, n.id, n.blocked, n.role
    FROM old_rows o JOIN new_rows n ON n.id = o.id,
         unnest(string_to_array(btrim(n.search), ' ')) AS w
    WHERE w <> '' AND (o.search, o.sort_name, o.blocked, o.role) IS DISTINCT FROM (n.search, n.sort_name, n.blocked, n.role)
    ORDER BY 1, 2, 3, 4;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
