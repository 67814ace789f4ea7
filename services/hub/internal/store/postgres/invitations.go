package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/attendify/hub/internal/service"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/pg"
)

// CountCollaborators implements service.CollaboratorStore.
func (s *Store) CountCollaborators(ctx context.Context, app string, now time.Time) (_ int, err error) {
	defer errs.Annotate(&err, "store.CountCollaborators(%s)", app)
	const q = `
		SELECT (SELECT count(*) FROM collaborators WHERE app_id = $1)
		     + (SELECT count(*) FROM invitations
		        WHERE app_id = $1 AND accepted_at IS NULL AND revoked_at IS NULL
		          AND token_hash IS NOT NULL AND expires_at > $2)`
	var n int
	err = s.db.QueryRow(ctx, q, app, now).Scan(&n)
	return n, pg.Err(err)
}

const invitationQuery = `
	SELECT i.id, i.app_id, i.email, i.role, i.invited_by, coalesce(i.token_hash, ''), i.created_at, i.expires_at,
		coalesce(i.accepted_by, ''), coalesce(o.email, ''), coalesce(i.accepted_at, 'epoch'),
		coalesce(i.revoked_by, ''), coalesce(i.revoked_at, 'epoch')
	FROM invitations i LEFT JOIN organizers o ON o.id = i.accepted_by`

func scanInvitation(row pgx.Row) (service.Invitation, error) {
	var i service.Invitation
	err := row.Scan(&i.ID, &i.AppID, &i.Email, &i.Role, &i.InvitedBy, &i.TokenHash, &i.CreatedAt, &i.ExpiresAt,
		&i.AcceptedBy, &i.AcceptedEmail, &i.AcceptedAt, &i.RevokedBy, &i.RevokedAt)
	epoch := time.Unix(0, 0)
	if i.AcceptedAt.Equal(epoch) {
		i.AcceptedAt = time.Time{}
	}
	if i.RevokedAt.Equal(epoch) {
		i.RevokedAt = time.Time{}
	}
	return i, pg.Err(err)
}

// lockInvitation is the locking clause of invitationQuery (the outer join
// leaves organizers unlocked).
func (s *Store) lockInvitation(lock bool) string {
	if lock && s.tx != nil {
		return ` FOR UPDATE OF i`
	}
	return ""
}

// Invitations implements service.InvitationStore.
func (s *Store) Invitations(ctx context.Context, app string, closedSince time.Time) (_ []service.Invitation, err error) {
	defer errs.Annotate(&err, "store.Invitations(%s)", app)
	const q = invitationQuery + `
		WHERE i.app_id = $1
		  AND coalesce(i.accepted_at, i.revoked_at, i.expires_at) >= $2
		ORDER BY i.created_at DESC, i.id DESC`
	rows, err := s.db.Query(ctx, q, app, closedSince)
	if err != nil {
		return nil, pg.Err(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (service.Invitation, error) { return scanInvitation(r) })
	return out, pg.Err(err)
}

// AddInvitation implements service.InvitationStore.
func (s *Store) AddInvitation(ctx context.Context, i service.Invitation) (err error) {
	defer errs.Annotate(&err, "store.AddInvitation(%s)", i.ID)
	const q = `
		INSERT INTO invitations (id, app_id, email, role, invited_by, token_hash, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`
	_, err = s.db.Exec(ctx, q, i.ID, i.AppID, i.Email, i.Role, i.InvitedBy, i.TokenHash, i.CreatedAt, i.ExpiresAt)
	return pg.Err(err)
}

// Invitation implements service.InvitationStore.
func (s *Store) Invitation(ctx context.Context, app, id string, lock bool) (_ service.Invitation, err error) {
	defer errs.Annotate(&err, "store.Invitation(%s, %s, %v)", app, id, lock)
	q := invitationQuery + ` WHERE i.app_id = $1 AND i.id = $2` + s.lockInvitation(lock)
	return scanInvitation(s.db.QueryRow(ctx, q, app, id))
}

// InvitationByToken implements service.InvitationStore.
func (s *Store) InvitationByToken(ctx context.Context, tokenHash string) (service.Invitation, error) {
	return s.invitationByToken(ctx, tokenHash, false)
}

// invitationByToken is the one query that finds an invitation without its
// app, by the hash of its secret.
func (s *Store) invitationByToken(ctx context.Context, tokenHash string, lock bool) (_ service.Invitation, err error) {
	defer errs.Annotate(&err, "store.InvitationByToken(%v)", lock) // never the token hash
	q := invitationQuery + ` WHERE i.token_hash = $1` + s.lockInvitation(lock)
	return scanInvitation(s.db.QueryRow(ctx, q, tokenHash))
}

// UpdateInvitationByToken implements service.InvitationStore.
func (s *Store) UpdateInvitationByToken(ctx context.Context, tokenHash string, update func(inv *service.Invitation) error) (out service.Invitation, err error) {
	err = s.inTx(ctx, func(s *Store) error {
		inv, err := s.invitationByToken(ctx, tokenHash, true)
		if err != nil {
			return err
		}
		if err := update(&inv); err != nil {
			return err
		}
		out, err = s.closeInvitation(ctx, inv)
		return err
	})
	return out, err
}

// closeInvitation writes who closed an invitation read by
// UpdateInvitationByToken, and when.
func (s *Store) closeInvitation(ctx context.Context, inv service.Invitation) (_ service.Invitation, err error) {
	defer errs.Annotate(&err, "store.UpdateInvitationByToken(%s, %s)", inv.AppID, inv.ID)
	const q = `
		UPDATE invitations SET accepted_by = $3, accepted_at = $4, revoked_by = $5, revoked_at = $6
		WHERE app_id = $1 AND id = $2`
	tag, err := s.db.Exec(ctx, q, inv.AppID, inv.ID, nullable(inv.AcceptedBy), nullTime(inv.AcceptedAt),
		nullable(inv.RevokedBy), nullTime(inv.RevokedAt))
	if err := notFound(tag, err, "invitation"); err != nil {
		return service.Invitation{}, err
	}
	return s.Invitation(ctx, inv.AppID, inv.ID, false)
}

// OpenInvitation implements service.InvitationStore.
func (s *Store) OpenInvitation(ctx context.Context, app, email string) (_ service.Invitation, err error) {
	defer errs.Annotate(&err, "store.OpenInvitation(%s, %s)", app, email)
	const q = invitationQuery + ` WHERE i.app_id = $1 AND i.email = $2 AND i.accepted_at IS NULL AND i.revoked_at IS NULL`
	return scanInvitation(s.db.QueryRow(ctx, q, app, email))
}

// RevokeInvitation implements service.InvitationStore.
func (s *Store) RevokeInvitation(ctx context.Context, app, id, organizerID string, at time.Time) (err error) {
	defer errs.Annotate(&err, "store.RevokeInvitation(%s, %s, %s)", app, id, organizerID)
	const q = `
		UPDATE invitations SET revoked_at = $4, revoked_by = $3
		WHERE app_id = $1 AND id = $2 AND accepted_at IS NULL AND revoked_at IS NULL`
	tag, err := s.db.Exec(ctx, q, app, id, organizerID, at)
	return notFound(tag, err, "open invitation")
}

// AddSignUp implements service.SignUpStore.
func (s *Store) AddSignUp(ctx context.Context, su service.SignUp) (err error) {
	defer errs.Annotate(&err, "store.AddSignUp(%s)", su.ID)
	const q = `
		INSERT INTO sign_ups (id, email, token_hash, invitation, expires_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)`
	_, err = s.db.Exec(ctx, q, su.ID, su.Email, su.TokenHash, su.InvitationHash, su.ExpiresAt, su.CreatedAt)
	return pg.Err(err)
}

// SignUpByToken implements service.SignUpStore.
func (s *Store) SignUpByToken(ctx context.Context, tokenHash string, now time.Time, lock bool) (_ service.SignUp, err error) {
	defer errs.Annotate(&err, "store.SignUpByToken(%v)", lock) // never the token hash
	q := `
		SELECT id, email, token_hash, invitation, expires_at, created_at
		FROM sign_ups WHERE token_hash = $1 AND expires_at > $2` + s.forUpdate(lock)
	var su service.SignUp
	err = s.db.QueryRow(ctx, q, tokenHash, now).Scan(&su.ID, &su.Email, &su.TokenHash, &su.InvitationHash, &su.ExpiresAt, &su.CreatedAt)
	return su, pg.Err(err)
}

// DeleteSignUp implements service.SignUpStore.
func (s *Store) DeleteSignUp(ctx context.Context, id string) (err error) {
	defer errs.Annotate(&err, "store.DeleteSignUp(%s)", id)
	tag, err := s.db.Exec(ctx, `DELETE FROM sign_ups WHERE id = $1`, id)
	return notFound(tag, err, "sign-up")
}

// PruneInvitations implements service.Upkeep.
func (s *Store) PruneInvitations(ctx context.Context, signUpsBefore, invitationsBefore time.Time) (err error) {
	defer errs.Annotate(&err, "store.PruneInvitations()")
	if _, err := s.db.Exec(ctx, `DELETE FROM sign_ups WHERE expires_at < $1`, signUpsBefore); err != nil {
		return pg.Err(err)
	}
	const q = `DELETE FROM invitations WHERE coalesce(accepted_at, revoked_at, expires_at) < $1`
	_, err = s.db.Exec(ctx, q, invitationsBefore)
	return pg.Err(err)
}
