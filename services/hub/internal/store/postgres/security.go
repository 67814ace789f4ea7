package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/attendify/hub/internal/service"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/pg"
)

// NextTokenSeq implements service.TokenStore.
func (s *Store) NextTokenSeq(ctx context.Context) (_ int64, err error) {
	defer errs.Annotate(&err, "store.NextTokenSeq()")
	var seq int64
	err = s.db.QueryRow(ctx, `SELECT nextval('token_seq')`).Scan(&seq)
	return seq, pg.Err(err)
}

// RevokeTokens implements service.TokenStore: one statement for all the
// users, their marks' rows written in user order (two revocations never
// wait for each other in a circle).
func (s *Store) RevokeTokens(ctx context.Context, app string, users ...string) (_ []service.Revocation, err error) {
	defer errs.Annotate(&err, "store.RevokeTokens(%s, %d users)", app, len(users))
	const q = `
		INSERT INTO token_revocations (app_id, user_id, seq)
		SELECT $1, u, nextval('token_seq') FROM (SELECT DISTINCT u FROM unnest($2::text[]) AS u ORDER BY u) x
		ON CONFLICT (app_id, user_id) DO UPDATE SET seq = excluded.seq, revoked_at = now()
		RETURNING app_id, user_id, seq`
	rows, err := s.db.Query(ctx, q, app, users)
	if err != nil {
		return nil, pg.Err(err)
	}
	out, err := pgx.CollectRows(rows, scanRevocation)
	return out, pg.Err(err)
}

// scanRevocation reads a row of app, user and mark.
func scanRevocation(r pgx.CollectableRow) (service.Revocation, error) {
	var x service.Revocation
	err := r.Scan(&x.App, &x.User, &x.Seq)
	return x, err
}

// Revocations implements service.TokenStore: the marks of one app's users
// (or of every app's, app ""), an organizer's own mark for each app they
// collaborate on; a user may come twice (the read model keeps the higher).
func (s *Store) Revocations(ctx context.Context, app string) (_ []service.Revocation, err error) {
	defer errs.Annotate(&err, "store.Revocations(%s)", app)
	const q = `
		SELECT app_id, user_id, seq FROM token_revocations WHERE $1 = '' OR app_id = $1
		UNION ALL
		SELECT c.app_id, c.organizer_id, o.tokens_revoked
		FROM collaborators c JOIN organizers o ON o.id = c.organizer_id
		WHERE o.tokens_revoked > 0 AND ($1 = '' OR c.app_id = $1)`
	rows, err := s.db.Query(ctx, q, app)
	if err != nil {
		return nil, pg.Err(err)
	}
	out, err := pgx.CollectRows(rows, scanRevocation)
	return out, pg.Err(err)
}

// RecordGuess implements service.TokenStore.
func (s *Store) RecordGuess(ctx context.Context, g service.Guess) (err error) {
	defer errs.Annotate(&err, "store.RecordGuess()")
	const q = `
		INSERT INTO guesses (at, kind, app_id, target, actor, addr, delay_ms)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`
	_, err = s.db.Exec(ctx, q, g.At, g.Kind, g.App, g.Target, g.Actor, g.Addr, g.Delay.Milliseconds())
	return pg.Err(err)
}

// Prune implements service.Upkeep.
func (s *Store) Prune(ctx context.Context, guessesBefore, revocationsBefore time.Time) (err error) {
	defer errs.Annotate(&err, "store.Prune()")
	if _, err := s.db.Exec(ctx, `DELETE FROM guesses WHERE at < $1`, guessesBefore); err != nil {
		return pg.Err(err)
	}
	_, err = s.db.Exec(ctx, `DELETE FROM token_revocations WHERE revoked_at < $1`, revocationsBefore)
	return pg.Err(err)
}
