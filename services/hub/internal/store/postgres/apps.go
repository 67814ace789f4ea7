package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/attendify/hub/internal/service"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/pg"
)

// CreateOrganizer implements service.OrganizerStore.
func (s *Store) CreateOrganizer(ctx context.Context, o service.Organizer) (_ service.Organizer, err error) {
	defer errs.Annotate(&err, "store.CreateOrganizer(%s)", o.ID)
	const q = `
		INSERT INTO organizers (id, email, name, password_hash) VALUES ($1, $2, $3, $4)
		RETURNING created_at`
	err = s.db.QueryRow(ctx, q, o.ID, o.Email, o.Name, o.PasswordHash).Scan(&o.CreatedAt)
	return o, pg.Err(err)
}

const organizerCols = `id, email, name, password_hash, failed_logins, coalesce(locked_until, 'epoch'), tokens_revoked, created_at`

func scanOrganizer(row pgx.Row) (service.Organizer, error) {
	var o service.Organizer
	err := row.Scan(&o.ID, &o.Email, &o.Name, &o.PasswordHash, &o.FailedLogins, &o.LockedUntil, &o.TokensRevoked, &o.CreatedAt)
	if o.LockedUntil.Equal(time.Unix(0, 0)) {
		o.LockedUntil = time.Time{}
	}
	return o, pg.Err(err)
}

// OrganizerByEmail implements service.OrganizerStore.
func (s *Store) OrganizerByEmail(ctx context.Context, email string) (_ service.Organizer, err error) {
	defer errs.Annotate(&err, "store.OrganizerByEmail(%s)", email)
	const q = `SELECT ` + organizerCols + ` FROM organizers WHERE email = $1`
	return scanOrganizer(s.db.QueryRow(ctx, q, email))
}

// OrganizerByID implements service.OrganizerStore.
func (s *Store) OrganizerByID(ctx context.Context, id string, lock bool) (_ service.Organizer, err error) {
	defer errs.Annotate(&err, "store.OrganizerByID(%s, %v)", id, lock)
	q := `SELECT ` + organizerCols + ` FROM organizers WHERE id = $1` + s.forUpdate(lock)
	return scanOrganizer(s.db.QueryRow(ctx, q, id))
}

// UpdateLogin implements service.OrganizerStore.
func (s *Store) UpdateLogin(ctx context.Context, email string, update func(o *service.Organizer) error) (out service.Organizer, err error) {
	err = s.inTx(ctx, func(s *Store) error {
		out, err = s.updateLogin(ctx, email, update)
		return err
	})
	return out, err
}

func (s *Store) updateLogin(ctx context.Context, email string, update func(o *service.Organizer) error) (service.Organizer, error) {
	o, err := s.lockOrganizer(ctx, email)
	if err != nil {
		return service.Organizer{}, err
	}
	changed := o
	if err := update(&changed); err != nil {
		return service.Organizer{}, err
	}
	if changed.FailedLogins == o.FailedLogins && changed.LockedUntil.Equal(o.LockedUntil) {
		return o, nil
	}
	o.FailedLogins, o.LockedUntil = changed.FailedLogins, changed.LockedUntil
	return o, s.writeLogin(ctx, o)
}

// lockOrganizer reads the organizer of email for UpdateLogin.
func (s *Store) lockOrganizer(ctx context.Context, email string) (_ service.Organizer, err error) {
	defer errs.Annotate(&err, "store.UpdateLogin(%s)", email)
	const q = `SELECT ` + organizerCols + ` FROM organizers WHERE email = $1 FOR UPDATE`
	return scanOrganizer(s.db.QueryRow(ctx, q, email))
}

// writeLogin writes the log-in state of an organizer read by UpdateLogin.
func (s *Store) writeLogin(ctx context.Context, o service.Organizer) (err error) {
	defer errs.Annotate(&err, "store.UpdateLogin(%s)", o.Email)
	const q = `UPDATE organizers SET failed_logins = $2, locked_until = $3 WHERE id = $1`
	_, err = s.db.Exec(ctx, q, o.ID, o.FailedLogins, nullTime(o.LockedUntil))
	return pg.Err(err)
}

// RevokeOrganizerTokens implements service.TokenStore.
func (s *Store) RevokeOrganizerTokens(ctx context.Context, id string) (_ int64, err error) {
	defer errs.Annotate(&err, "store.RevokeOrganizerTokens(%s)", id)
	const q = `UPDATE organizers SET tokens_revoked = nextval('token_seq'), updated_at = now() WHERE id = $1 RETURNING tokens_revoked`
	var seq int64
	err = s.db.QueryRow(ctx, q, id).Scan(&seq)
	return seq, pg.Err(err)
}

// SetPassword implements service.OrganizerStore.
func (s *Store) SetPassword(ctx context.Context, id, hash string) (err error) {
	defer errs.Annotate(&err, "store.SetPassword(%s)", id) // never the hash
	const q = `UPDATE organizers SET password_hash = $2, updated_at = now() WHERE id = $1`
	tag, err := s.db.Exec(ctx, q, id, hash)
	return notFound(tag, err, "organizer")
}

const appCols = `id, slug, name, status, access, passcode_hash, primary_color, accent_color, icon_url, web_origins, version, created_at, updated_at`

func scanApp(row pgx.Row) (service.App, error) {
	var a service.App
	err := row.Scan(&a.ID, &a.Slug, &a.Name, &a.Status, &a.Access, &a.PasscodeHash,
		&a.Branding.PrimaryColor, &a.Branding.AccentColor, &a.Branding.IconURL, &a.WebOrigins, &a.Version, &a.CreatedAt, &a.UpdatedAt)
	return a, pg.Err(err)
}

// CreateApp implements service.AppStore.
func (s *Store) CreateApp(ctx context.Context, a service.App) (_ service.App, err error) {
	defer errs.Annotate(&err, "store.CreateApp(%s)", a.ID)
	const q = `
		INSERT INTO apps (id, slug, name, status, access) VALUES ($1, $2, $3, $4, $5)
		RETURNING ` + appCols
	return scanApp(s.db.QueryRow(ctx, q, a.ID, a.Slug, a.Name, a.Status, a.Access))
}

// App implements service.AppStore.
func (s *Store) App(ctx context.Context, id string, lock bool) (_ service.App, err error) {
	defer errs.Annotate(&err, "store.App(%s, %v)", id, lock)
	q := `SELECT ` + appCols + ` FROM apps WHERE id = $1` + s.forUpdate(lock)
	return scanApp(s.db.QueryRow(ctx, q, id))
}

// AppFor implements service.AppStore: the app and the user's revocation
// mark in one round trip (it runs on every app-scoped call).
func (s *Store) AppFor(ctx context.Context, id, user string) (_ service.App, _ int64, err error) {
	defer errs.Annotate(&err, "store.AppFor(%s, %s)", id, user)
	const q = `
		SELECT ` + appCols + `, greatest(
			(SELECT seq FROM token_revocations WHERE app_id = $1 AND user_id = $2),
			(SELECT tokens_revoked FROM organizers WHERE id = $2), 0)
		FROM apps WHERE id = $1`
	var a service.App
	var revoked int64
	err = s.db.QueryRow(ctx, q, id, user).Scan(&a.ID, &a.Slug, &a.Name, &a.Status, &a.Access, &a.PasscodeHash,
		&a.Branding.PrimaryColor, &a.Branding.AccentColor, &a.Branding.IconURL, &a.WebOrigins, &a.Version, &a.CreatedAt, &a.UpdatedAt, &revoked)
	return a, revoked, pg.Err(err)
}

// AppBySlug implements service.AppStore.
func (s *Store) AppBySlug(ctx context.Context, slug string) (_ service.App, err error) {
	defer errs.Annotate(&err, "store.AppBySlug(%s)", slug)
	const q = `SELECT ` + appCols + ` FROM apps WHERE slug = $1`
	return scanApp(s.db.QueryRow(ctx, q, slug))
}

// UpdateApp implements service.AppStore.
func (s *Store) UpdateApp(ctx context.Context, id string, update func(a *service.App) error) (service.App, error) {
	a, err := s.App(ctx, id, true)
	if err != nil {
		return service.App{}, err
	}
	if err := update(&a); err != nil {
		return service.App{}, err
	}
	return s.writeApp(ctx, a)
}

// writeApp writes an app read by UpdateApp.
func (s *Store) writeApp(ctx context.Context, a service.App) (_ service.App, err error) {
	defer errs.Annotate(&err, "store.UpdateApp(%s)", a.ID)
	const q = `
		UPDATE apps SET slug = $2, name = $3, status = $4, access = $5, passcode_hash = $6,
			primary_color = $7, accent_color = $8, icon_url = $9, web_origins = $10,
			version = nextval('rm_version'), updated_at = now()
		WHERE id = $1
		RETURNING ` + appCols
	return scanApp(s.db.QueryRow(ctx, q, a.ID, a.Slug, a.Name, a.Status, a.Access, a.PasscodeHash,
		a.Branding.PrimaryColor, a.Branding.AccentColor, a.Branding.IconURL, webOrigins(a.WebOrigins)))
}

// webOrigins is never NULL: the column is not.
func webOrigins(o []string) []string {
	if o == nil {
		return []string{}
	}
	return o
}

// DeleteApp implements service.AppStore.
func (s *Store) DeleteApp(ctx context.Context, id string) (_ []string, err error) {
	defer errs.Annotate(&err, "store.DeleteApp(%s)", id)
	const users = `
		SELECT id FROM members WHERE app_id = $1
		UNION ALL
		SELECT organizer_id FROM collaborators WHERE app_id = $1`
	rows, err := s.db.Query(ctx, users, id)
	if err != nil {
		return nil, pg.Err(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, pg.Err(err)
	}
	tag, err := s.db.Exec(ctx, `DELETE FROM apps WHERE id = $1`, id) // cascades to everything of the app
	return ids, notFound(tag, err, "app")
}

// AppsOf implements service.AppStore.
func (s *Store) AppsOf(ctx context.Context, organizerID string) (_ []service.AppWithRole, err error) {
	defer errs.Annotate(&err, "store.AppsOf(%s)", organizerID)
	const q = `
		SELECT a.id, a.slug, a.name, a.status, a.access, a.passcode_hash, a.primary_color, a.accent_color,
			a.icon_url, a.web_origins, a.version, a.created_at, a.updated_at, c.role
		FROM collaborators c JOIN apps a ON a.id = c.app_id
		WHERE c.organizer_id = $1
		ORDER BY a.name, a.id`
	rows, err := s.db.Query(ctx, q, organizerID)
	if err != nil {
		return nil, pg.Err(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (service.AppWithRole, error) {
		var a service.AppWithRole
		err := r.Scan(&a.ID, &a.Slug, &a.Name, &a.Status, &a.Access, &a.PasscodeHash,
			&a.Branding.PrimaryColor, &a.Branding.AccentColor, &a.Branding.IconURL, &a.WebOrigins, &a.Version, &a.CreatedAt, &a.UpdatedAt, &a.Role)
		return a, err
	})
	return out, pg.Err(err)
}

// AddCollaborator implements service.CollaboratorStore.
func (s *Store) AddCollaborator(ctx context.Context, c service.Collaborator) (_ service.Collaborator, err error) {
	defer errs.Annotate(&err, "store.AddCollaborator()")
	const q = `
		INSERT INTO collaborators (app_id, organizer_id, role) VALUES ($1, $2, $3)
		RETURNING version`
	err = s.db.QueryRow(ctx, q, c.AppID, c.OrganizerID, c.Role).Scan(&c.Version)
	return c, pg.Err(err)
}

const collaboratorQuery = `
	SELECT c.app_id, c.organizer_id, o.email, o.name, c.role, c.version
	FROM collaborators c JOIN organizers o ON o.id = c.organizer_id`

func scanCollaborator(row pgx.Row) (service.Collaborator, error) {
	var c service.Collaborator
	err := row.Scan(&c.AppID, &c.OrganizerID, &c.Email, &c.Name, &c.Role, &c.Version)
	return c, pg.Err(err)
}

// Collaborator implements service.CollaboratorStore.
func (s *Store) Collaborator(ctx context.Context, app, organizerID string, lock bool) (_ service.Collaborator, err error) {
	defer errs.Annotate(&err, "store.Collaborator(%s, %s, %v)", app, organizerID, lock)
	q := collaboratorQuery + ` WHERE c.app_id = $1 AND c.organizer_id = $2`
	if lock && s.tx != nil {
		q += ` FOR UPDATE OF c`
	}
	return scanCollaborator(s.db.QueryRow(ctx, q, app, organizerID))
}

// Collaborators implements service.CollaboratorStore.
func (s *Store) Collaborators(ctx context.Context, app string) (_ []service.Collaborator, err error) {
	defer errs.Annotate(&err, "store.Collaborators(%s)", app)
	const q = collaboratorQuery + ` WHERE c.app_id = $1 ORDER BY c.created_at, c.organizer_id`
	rows, err := s.db.Query(ctx, q, app)
	if err != nil {
		return nil, pg.Err(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (service.Collaborator, error) { return scanCollaborator(r) })
	return out, pg.Err(err)
}

// UpdateCollaborator implements service.CollaboratorStore.
func (s *Store) UpdateCollaborator(ctx context.Context, app, organizerID string, update func(c *service.Collaborator) error) (out service.Collaborator, err error) {
	err = s.inTx(ctx, func(s *Store) error {
		c, err := s.Collaborator(ctx, app, organizerID, true)
		if err != nil {
			return err
		}
		if err := update(&c); err != nil {
			return err
		}
		out, err = s.writeCollaborator(ctx, app, organizerID, c.Role)
		return err
	})
	return out, err
}

// writeCollaborator writes the role of a collaborator read by
// UpdateCollaborator.
func (s *Store) writeCollaborator(ctx context.Context, app, organizerID, role string) (_ service.Collaborator, err error) {
	defer errs.Annotate(&err, "store.UpdateCollaborator(%s, %s, %s)", app, organizerID, role)
	const q = `
		UPDATE collaborators c SET role = $3, version = nextval('rm_version')
		FROM organizers o
		WHERE c.app_id = $1 AND c.organizer_id = $2 AND o.id = c.organizer_id
		RETURNING c.app_id, c.organizer_id, o.email, o.name, c.role, c.version`
	return scanCollaborator(s.db.QueryRow(ctx, q, app, organizerID, role))
}

// RemoveCollaborator implements service.CollaboratorStore.
func (s *Store) RemoveCollaborator(ctx context.Context, app, organizerID string) (err error) {
	defer errs.Annotate(&err, "store.RemoveCollaborator(%s, %s)", app, organizerID)
	const q = `DELETE FROM collaborators WHERE app_id = $1 AND organizer_id = $2`
	tag, err := s.db.Exec(ctx, q, app, organizerID)
	return notFound(tag, err, "collaborator")
}
