package postgres

import (
	"context"
	"time"

	"github.com/attendify/multievent/internal/derr"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/pg"
)

// SetLink implements service.Links.
func (s *Store) SetLink(ctx context.Context, app, member string, hash []byte, at time.Time) (err error) {
	defer derr.Wrap(&err, "SetLink(%q, %q)", app, member)
	const q = `
		INSERT INTO calendar_links (app_id, member_id, token_hash, created_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (app_id, member_id) DO UPDATE SET token_hash = EXCLUDED.token_hash, created_at = EXCLUDED.created_at`
	_, err = s.pool.Exec(ctx, q, app, member, hash, at)
	return pg.Err(err)
}

// LinkOwner implements service.Links.
func (s *Store) LinkOwner(ctx context.Context, hash []byte) (app, member string, err error) {
	defer derr.Wrap(&err, "LinkOwner")
	err = s.pool.QueryRow(ctx, `SELECT app_id, member_id FROM calendar_links WHERE token_hash = $1`, hash).Scan(&app, &member)
	if err != nil {
		err = pg.Err(err)
		if errs.KindOf(err) == errs.NotFound {
			return "", "", errs.New(errs.NotFound, "no such calendar")
		}
	}
	return app, member, err
}

// DeleteLink implements service.Links.
func (s *Store) DeleteLink(ctx context.Context, app, member string) (err error) {
	defer derr.Wrap(&err, "DeleteLink(%q, %q)", app, member)
	_, err = s.pool.Exec(ctx, `DELETE FROM calendar_links WHERE app_id = $1 AND member_id = $2`, app, member)
	return pg.Err(err)
}

// DeleteAppLinks implements service.Links.
func (s *Store) DeleteAppLinks(ctx context.Context, app string) (err error) {
	defer derr.Wrap(&err, "DeleteAppLinks(%q)", app)
	_, err = s.pool.Exec(ctx, `DELETE FROM calendar_links WHERE app_id = $1`, app)
	return pg.Err(err)
}

// AddAgendaOwner implements service.Links.
func (s *Store) AddAgendaOwner(ctx context.Context, app, member string) (err error) {
	defer derr.Wrap(&err, "AddAgendaOwner(%q, %q)", app, member)
	const q = `INSERT INTO agenda_owners (app_id, member_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`
	_, err = s.pool.Exec(ctx, q, app, member)
	return pg.Err(err)
}

// AgendaOwners implements service.Links.
func (s *Store) AgendaOwners(ctx context.Context, app string) (_ []string, err error) {
	defer derr.Wrap(&err, "AgendaOwners(%q)", app)
	return collectStrings(s.pool.Query(ctx, `SELECT member_id FROM agenda_owners WHERE app_id = $1 ORDER BY member_id`, app))
}

// DeleteAgendaOwner implements service.Links.
func (s *Store) DeleteAgendaOwner(ctx context.Context, app, member string) (err error) {
	defer derr.Wrap(&err, "DeleteAgendaOwner(%q, %q)", app, member)
	_, err = s.pool.Exec(ctx, `DELETE FROM agenda_owners WHERE app_id = $1 AND member_id = $2`, app, member)
	return pg.Err(err)
}
