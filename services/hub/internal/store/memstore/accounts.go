package memstore

import (
	"context"
	"maps"
	"sort"
	"time"

	"github.com/attendify/hub/internal/service"
	"github.com/attendify/platform/errs"
)

// ---------------------------------------------------------------------------
// Organizers and sign-ups.

// CreateOrganizer implements service.OrganizerStore.
func (s *Store) CreateOrganizer(ctx context.Context, o service.Organizer) (service.Organizer, error) {
	err := s.do(func(d *data) error {
		if _, ok := d.organizers[o.ID]; ok {
			return errs.New(errs.Conflict, "an organizer has this id already")
		}
		for _, x := range d.organizers {
			if x.Email == o.Email {
				return errs.New(errs.Conflict, "an organizer has this email already")
			}
		}
		o.FailedLogins, o.LockedUntil, o.TokensRevoked, o.CreatedAt = 0, time.Time{}, 0, time.Now()
		d.organizers[o.ID] = o
		return nil
	})
	return o, err
}

// OrganizerByEmail implements service.OrganizerStore.
func (s *Store) OrganizerByEmail(ctx context.Context, email string) (out service.Organizer, err error) {
	err = s.do(func(d *data) error {
		var ok bool
		out, ok = d.organizerByEmail(email)
		if !ok {
			return notFound("organizer")
		}
		return nil
	})
	return out, err
}

func (d *data) organizerByEmail(email string) (service.Organizer, bool) {
	for _, o := range d.organizers {
		if o.Email == email {
			return o, true
		}
	}
	return service.Organizer{}, false
}

// OrganizerByID implements service.OrganizerStore.
func (s *Store) OrganizerByID(ctx context.Context, id string, lock bool) (out service.Organizer, err error) {
	err = s.do(func(d *data) error {
		o, ok := d.organizers[id]
		if !ok {
			return notFound("organizer")
		}
		out = o
		return nil
	})
	return out, err
}

func (s *Store) changeOrganizer(id string, fn func(o *service.Organizer)) error {
	return s.do(func(d *data) error {
		o, ok := d.organizers[id]
		if !ok {
			return notFound("organizer")
		}
		fn(&o)
		d.organizers[id] = o
		return nil
	})
}

// UpdateLogin implements service.OrganizerStore: update runs under the
// store's lock.
func (s *Store) UpdateLogin(ctx context.Context, email string, update func(o *service.Organizer) error) (out service.Organizer, err error) {
	err = s.do(func(d *data) error {
		o, ok := d.organizerByEmail(email)
		if !ok {
			return notFound("organizer")
		}
		changed := o
		if err := update(&changed); err != nil {
			return err
		}
		o.FailedLogins, o.LockedUntil = changed.FailedLogins, changed.LockedUntil
		d.organizers[o.ID] = o
		out = o
		return nil
	})
	return out, err
}

// SetPassword implements service.OrganizerStore.
func (s *Store) SetPassword(ctx context.Context, id, hash string) error {
	return s.changeOrganizer(id, func(o *service.Organizer) { o.PasswordHash = hash })
}

// AddSignUp implements service.SignUpStore.
func (s *Store) AddSignUp(ctx context.Context, su service.SignUp) error {
	return s.do(func(d *data) error {
		if _, ok := d.signUps[su.ID]; ok {
			return errs.New(errs.Conflict, "a sign-up has this id already")
		}
		d.signUps[su.ID] = su
		return nil
	})
}

// SignUpByToken implements service.SignUpStore.
func (s *Store) SignUpByToken(ctx context.Context, tokenHash string, now time.Time, lock bool) (out service.SignUp, err error) {
	err = s.do(func(d *data) error {
		for _, su := range d.signUps {
			if su.TokenHash == tokenHash && su.ExpiresAt.After(now) {
				out = su
				return nil
			}
		}
		return notFound("sign-up")
	})
	return out, err
}

// DeleteSignUp implements service.SignUpStore.
func (s *Store) DeleteSignUp(ctx context.Context, id string) error {
	return s.do(func(d *data) error {
		if _, ok := d.signUps[id]; !ok {
			return notFound("sign-up")
		}
		delete(d.signUps, id)
		return nil
	})
}

// ---------------------------------------------------------------------------
// Apps.

// CreateApp implements service.AppStore.
func (s *Store) CreateApp(ctx context.Context, a service.App) (out service.App, err error) {
	err = s.do(func(d *data) error {
		if _, ok := d.apps[a.ID]; ok {
			return errs.New(errs.Conflict, "an app has this id already")
		}
		if d.slugTaken(a.Slug, a.ID) {
			return errs.New(errs.Conflict, "an app has this slug already")
		}
		if err := checkApp(a); err != nil {
			return err
		}
		now := time.Now()
		out = service.App{ID: a.ID, Slug: a.Slug, Name: a.Name, Status: a.Status, Access: a.Access,
			Version: d.nextVersion(), CreatedAt: now, UpdatedAt: now}
		d.apps[a.ID] = appRow{App: out}
		return nil
	})
	return out, err
}

func (d *data) slugTaken(slug, except string) bool {
	for id, x := range d.apps {
		if id != except && x.Slug == slug {
			return true
		}
	}
	return false
}

// App implements service.AppStore.
func (s *Store) App(ctx context.Context, id string, lock bool) (out service.App, err error) {
	err = s.do(func(d *data) error {
		a, ok := d.apps[id]
		if !ok {
			return notFound("app")
		}
		out = a.App
		return nil
	})
	return out, err
}

// AppFor implements service.AppStore.
func (s *Store) AppFor(ctx context.Context, id, user string) (out service.App, revoked int64, err error) {
	err = s.do(func(d *data) error {
		a, ok := d.apps[id]
		if !ok {
			return notFound("app")
		}
		out = a.App
		revoked = max(d.revocations[key2{id, user}].seq, d.organizers[user].TokensRevoked)
		return nil
	})
	return out, revoked, err
}

// AppBySlug implements service.AppStore.
func (s *Store) AppBySlug(ctx context.Context, slug string) (out service.App, err error) {
	err = s.do(func(d *data) error {
		for _, a := range d.apps {
			if a.Slug == slug {
				out = a.App
				return nil
			}
		}
		return notFound("app")
	})
	return out, err
}

// UpdateApp implements service.AppStore.
func (s *Store) UpdateApp(ctx context.Context, id string, update func(a *service.App) error) (out service.App, err error) {
	err = s.do(func(d *data) error {
		row, ok := d.apps[id]
		if !ok {
			return notFound("app")
		}
		a := row.App
		if err := update(&a); err != nil {
			return err
		}
		if d.slugTaken(a.Slug, id) {
			return errs.New(errs.Conflict, "an app has this slug already")
		}
		if err := checkApp(a); err != nil {
			return err
		}
		a.ID, a.CreatedAt, a.Version, a.UpdatedAt = id, row.CreatedAt, d.nextVersion(), time.Now()
		row.App = a
		d.apps[id] = row
		out = a
		return nil
	})
	return out, err
}

// DeleteApp implements service.AppStore: everything of the app goes with
// it, as Postgres cascades.
func (s *Store) DeleteApp(ctx context.Context, id string) (users []string, err error) {
	err = s.do(func(d *data) error {
		if _, ok := d.apps[id]; !ok {
			return notFound("app")
		}
		for _, m := range d.membersOf(id) {
			users = append(users, m.ID)
		}
		for _, c := range d.collaboratorsOf(id) {
			users = append(users, c.OrganizerID)
		}
		delete(d.apps, id)
		maps.DeleteFunc(d.collisions, func(_ key2, c service.EmailCollision) bool { return c.App == id && c.Table != "organizers" })
		maps.DeleteFunc(d.collaborators, func(k key2, _ collabRow) bool { return k.a == id })
		maps.DeleteFunc(d.invitations, func(_ string, i service.Invitation) bool { return i.AppID == id })
		for k := range d.events {
			if k.a == id {
				d.deleteEvent(k)
			}
		}
		maps.DeleteFunc(d.members, func(k key2, _ service.Member) bool { return k.a == id })
		maps.DeleteFunc(d.codes, func(_ string, c service.SignInCode) bool { return c.AppID == id })
		maps.DeleteFunc(d.speakers, func(k key2, _ service.Speaker) bool { return k.a == id })
		maps.DeleteFunc(d.revocations, func(k key2, _ revocationRow) bool { return k.a == id })
		return nil
	})
	return users, err
}

// AppsOf implements service.AppStore.
func (s *Store) AppsOf(ctx context.Context, organizerID string) (out []service.AppWithRole, err error) {
	err = s.do(func(d *data) error {
		for k, c := range d.collaborators {
			if k.b == organizerID {
				out = append(out, service.AppWithRole{App: d.apps[k.a].App, Role: c.role})
			}
		}
		sort.Slice(out, func(i, j int) bool {
			if out[i].Name != out[j].Name {
				return out[i].Name < out[j].Name
			}
			return out[i].ID < out[j].ID
		})
		return nil
	})
	return out, err
}

// ---------------------------------------------------------------------------
// Collaborators.

func (d *data) collaborator(app, organizer string) (service.Collaborator, bool) {
	c, ok := d.collaborators[key2{app, organizer}]
	if !ok {
		return service.Collaborator{}, false
	}
	o := d.organizers[organizer]
	return service.Collaborator{AppID: app, OrganizerID: organizer, Email: o.Email, Name: o.Name, Role: c.role, Version: c.version}, true
}

func (d *data) collaboratorsOf(app string) []service.Collaborator {
	type row struct {
		c     service.Collaborator
		order int64
	}
	var rows []row
	for k, c := range d.collaborators {
		if k.a == app {
			x, _ := d.collaborator(k.a, k.b)
			rows = append(rows, row{x, c.order})
		}
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].order < rows[j].order })
	out := make([]service.Collaborator, len(rows))
	for i, r := range rows {
		out[i] = r.c
	}
	return out
}

// AddCollaborator implements service.CollaboratorStore.
func (s *Store) AddCollaborator(ctx context.Context, c service.Collaborator) (out service.Collaborator, err error) {
	err = s.do(func(d *data) error {
		k := key2{c.AppID, c.OrganizerID}
		if _, ok := d.collaborators[k]; ok {
			return errs.New(errs.Conflict, "already a collaborator")
		}
		if _, ok := d.apps[c.AppID]; !ok {
			return errs.New(errs.Invalid, "no such app")
		}
		if _, ok := d.organizers[c.OrganizerID]; !ok {
			return errs.New(errs.Invalid, "no such organizer")
		}
		if err := checkIn("collaborator role", c.Role, "owner", "admin", "moderator", "member"); err != nil {
			return err
		}
		c.Version = d.nextVersion()
		d.collaborators[k] = collabRow{role: c.Role, version: c.Version, order: d.nextOrder()}
		out = c
		return nil
	})
	return out, err
}

// Collaborator implements service.CollaboratorStore.
func (s *Store) Collaborator(ctx context.Context, app, organizerID string, lock bool) (out service.Collaborator, err error) {
	err = s.do(func(d *data) error {
		c, ok := d.collaborator(app, organizerID)
		if !ok {
			return notFound("collaborator")
		}
		out = c
		return nil
	})
	return out, err
}

// Collaborators implements service.CollaboratorStore.
func (s *Store) Collaborators(ctx context.Context, app string) (out []service.Collaborator, err error) {
	err = s.do(func(d *data) error {
		out = d.collaboratorsOf(app)
		return nil
	})
	return out, err
}

// UpdateCollaborator implements service.CollaboratorStore: update runs
// under the store's lock.
func (s *Store) UpdateCollaborator(ctx context.Context, app, organizerID string, update func(c *service.Collaborator) error) (out service.Collaborator, err error) {
	err = s.do(func(d *data) error {
		c, ok := d.collaborator(app, organizerID)
		if !ok {
			return notFound("collaborator")
		}
		if err := update(&c); err != nil {
			return err
		}
		if err := checkIn("collaborator role", c.Role, "owner", "admin", "moderator", "member"); err != nil {
			return err
		}
		if c.Role == "owner" {
			for k, x := range d.collaborators {
				if k.a == app && k.b != organizerID && x.role == "owner" {
					return errs.New(errs.Conflict, "the app has an owner already")
				}
			}
		}
		k := key2{app, organizerID}
		row := d.collaborators[k]
		row.role, row.version = c.Role, d.nextVersion()
		d.collaborators[k] = row
		out, _ = d.collaborator(app, organizerID)
		return nil
	})
	return out, err
}

// RemoveCollaborator implements service.CollaboratorStore.
func (s *Store) RemoveCollaborator(ctx context.Context, app, organizerID string) error {
	return s.do(func(d *data) error {
		k := key2{app, organizerID}
		if _, ok := d.collaborators[k]; !ok {
			return notFound("collaborator")
		}
		delete(d.collaborators, k)
		return nil
	})
}

// CountCollaborators implements service.CollaboratorStore.
func (s *Store) CountCollaborators(ctx context.Context, app string, now time.Time) (n int, err error) {
	err = s.do(func(d *data) error {
		for k := range d.collaborators {
			if k.a == app {
				n++
			}
		}
		for _, i := range d.invitations {
			if i.AppID == app && i.AcceptedAt.IsZero() && i.RevokedAt.IsZero() && i.TokenHash != "" && i.ExpiresAt.After(now) {
				n++
			}
		}
		return nil
	})
	return n, err
}

// ---------------------------------------------------------------------------
// Invitations.

// withEmail fills the accepting account's email in.
func (d *data) withEmail(i service.Invitation) service.Invitation {
	i.AcceptedEmail = d.organizers[i.AcceptedBy].Email
	return i
}

// Invitations implements service.InvitationStore.
func (s *Store) Invitations(ctx context.Context, app string, closedSince time.Time) (out []service.Invitation, err error) {
	err = s.do(func(d *data) error {
		for _, i := range d.invitations {
			if i.AppID == app && !closedAt(i).Before(closedSince) {
				out = append(out, d.withEmail(i))
			}
		}
		sort.Slice(out, func(a, b int) bool {
			if !out[a].CreatedAt.Equal(out[b].CreatedAt) {
				return out[a].CreatedAt.After(out[b].CreatedAt)
			}
			return out[a].ID > out[b].ID
		})
		return nil
	})
	return out, err
}

// AddInvitation implements service.InvitationStore.
func (s *Store) AddInvitation(ctx context.Context, inv service.Invitation) error {
	return s.do(func(d *data) error {
		if _, ok := d.invitations[inv.ID]; ok {
			return errs.New(errs.Conflict, "an invitation has this id already")
		}
		if err := checkIn("invitation role", inv.Role, "admin", "moderator", "member"); err != nil {
			return err
		}
		for _, x := range d.invitations {
			if x.AppID == inv.AppID && x.Email == inv.Email && x.AcceptedAt.IsZero() && x.RevokedAt.IsZero() {
				return errs.New(errs.Conflict, "this email has an open invitation already")
			}
			if inv.TokenHash != "" && x.TokenHash == inv.TokenHash {
				return errs.New(errs.Conflict, "an invitation has this token already")
			}
		}
		inv.AcceptedBy, inv.AcceptedEmail, inv.AcceptedAt, inv.RevokedBy, inv.RevokedAt = "", "", time.Time{}, "", time.Time{}
		d.invitations[inv.ID] = inv
		return nil
	})
}

// Invitation implements service.InvitationStore.
func (s *Store) Invitation(ctx context.Context, app, id string, lock bool) (out service.Invitation, err error) {
	err = s.do(func(d *data) error {
		i, ok := d.invitations[id]
		if !ok || i.AppID != app {
			return notFound("invitation")
		}
		out = d.withEmail(i)
		return nil
	})
	return out, err
}

// InvitationByToken implements service.InvitationStore.
func (s *Store) InvitationByToken(ctx context.Context, tokenHash string) (out service.Invitation, err error) {
	err = s.do(func(d *data) error {
		var ok bool
		out, ok = d.invitationByToken(tokenHash)
		if !ok {
			return notFound("invitation")
		}
		return nil
	})
	return out, err
}

func (d *data) invitationByToken(tokenHash string) (service.Invitation, bool) {
	for _, i := range d.invitations {
		if tokenHash != "" && i.TokenHash == tokenHash {
			return d.withEmail(i), true
		}
	}
	return service.Invitation{}, false
}

// UpdateInvitationByToken implements service.InvitationStore: update runs
// under the store's lock.
func (s *Store) UpdateInvitationByToken(ctx context.Context, tokenHash string, update func(inv *service.Invitation) error) (out service.Invitation, err error) {
	err = s.do(func(d *data) error {
		i, ok := d.invitationByToken(tokenHash)
		if !ok {
			return notFound("invitation")
		}
		changed := i
		if err := update(&changed); err != nil {
			return err
		}
		i.AcceptedBy, i.AcceptedAt, i.RevokedBy, i.RevokedAt = changed.AcceptedBy, changed.AcceptedAt, changed.RevokedBy, changed.RevokedAt
		d.invitations[i.ID] = i
		out = d.withEmail(i)
		return nil
	})
	return out, err
}

// OpenInvitation implements service.InvitationStore.
func (s *Store) OpenInvitation(ctx context.Context, app, email string) (out service.Invitation, err error) {
	err = s.do(func(d *data) error {
		for _, i := range d.invitations {
			if i.AppID == app && i.Email == email && i.AcceptedAt.IsZero() && i.RevokedAt.IsZero() {
				out = d.withEmail(i)
				return nil
			}
		}
		return notFound("invitation")
	})
	return out, err
}

// RevokeInvitation implements service.InvitationStore.
func (s *Store) RevokeInvitation(ctx context.Context, app, id, organizerID string, at time.Time) error {
	return s.do(func(d *data) error {
		i, ok := d.invitations[id]
		if !ok || i.AppID != app || !i.AcceptedAt.IsZero() || !i.RevokedAt.IsZero() {
			return notFound("open invitation")
		}
		i.RevokedBy, i.RevokedAt = organizerID, at
		d.invitations[id] = i
		return nil
	})
}
