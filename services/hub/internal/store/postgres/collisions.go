package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/attendify/hub/internal/service"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/pg"
)

// EmailCollisions implements service.EmailCollisionStore: the app's rows
// of email_collisions (organizers' rows where one of the two accounts
// collaborates on it) with their entries as they are now, each looked up
// in the collision's table and app only: an organizer account that does
// not collaborate on the app shows neither its name nor an email other
// than the spelling the collision holds. Ordered byte-wise (COLLATE "C")
// as the keyset compares.
func (s *Store) EmailCollisions(ctx context.Context, f service.CollisionFilter) (_ []service.EmailCollision, err error) {
	defer errs.Annotate(&err, "store.EmailCollisions(%s)", f.App)
	const q = `
		SELECT c.tab, c.app_id, c.email, c.kept_id, coalesce(k.name, ''), c.other_id, coalesce(o.name, ''),
			c.other_email, coalesce(o.email, ''), o.id IS NOT NULL, coalesce(o.blocked, false), coalesce(o.closed, false),
			c.tokens_revoked, c.found_at
		FROM email_collisions c
		LEFT JOIN LATERAL (
			SELECT name FROM members WHERE c.tab = 'members' AND app_id = c.app_id AND id = c.kept_id
			UNION ALL
			SELECT name FROM speakers WHERE c.tab = 'speakers' AND app_id = c.app_id AND id = c.kept_id
			UNION ALL
			SELECT x.name FROM organizers x JOIN collaborators cl ON cl.organizer_id = x.id AND cl.app_id = $1
			WHERE c.tab = 'organizers' AND x.id = c.kept_id
		) k ON true
		LEFT JOIN LATERAL (
			SELECT id, name, email, blocked, false AS closed FROM members
			WHERE c.tab = 'members' AND app_id = c.app_id AND id = c.other_id
			UNION ALL
			SELECT id, name, coalesce(email, ''), false, false FROM speakers
			WHERE c.tab = 'speakers' AND app_id = c.app_id AND id = c.other_id
			UNION ALL
			SELECT id, '', email, false, accepted_at IS NOT NULL OR revoked_at IS NOT NULL FROM invitations
			WHERE c.tab = 'invitations' AND app_id = c.app_id AND id = c.other_id
			UNION ALL
			SELECT id, CASE WHEN collab THEN name ELSE '' END,
				CASE WHEN collab OR email = c.other_email THEN email ELSE '' END, false, false
			FROM organizers, LATERAL (SELECT EXISTS (SELECT 1 FROM collaborators WHERE app_id = $1 AND organizer_id = c.other_id) AS collab) x
			WHERE c.tab = 'organizers' AND id = c.other_id
		) o ON true
		WHERE ((c.app_id = $1 AND c.tab <> 'organizers')
		    OR (c.app_id = '' AND c.tab = 'organizers'
		        AND EXISTS (SELECT 1 FROM collaborators WHERE app_id = $1 AND organizer_id IN (c.kept_id, c.other_id))))
		  AND ($2 = '' OR c.tab = $2)
		  AND (NOT $3 OR (o.id IS NOT NULL AND NOT o.blocked AND NOT o.closed AND o.email = c.other_email))
		  AND ($6 = '' OR (c.tab COLLATE "C", c.email COLLATE "C", c.other_id COLLATE "C") > ($4, $5, $6))
		ORDER BY c.tab COLLATE "C", c.email COLLATE "C", c.other_id COLLATE "C"
		LIMIT $7`
	a := f.After
	rows, err := s.db.Query(ctx, q, f.App, f.Table, f.OpenOnly, a.Table, a.Email, a.OtherID, f.Limit+1)
	if err != nil {
		return nil, pg.Err(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (service.EmailCollision, error) {
		var c service.EmailCollision
		err := r.Scan(&c.Table, &c.App, &c.Email, &c.KeptID, &c.KeptName, &c.OtherID, &c.OtherName,
			&c.DottedEmail, &c.OtherEmail, &c.OtherFound, &c.OtherBlocked, &c.OtherClosed, &c.TokensRevoked, &c.FoundAt)
		return c, err
	})
	return out, pg.Err(err)
}
