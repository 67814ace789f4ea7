package service

import (
	"context"
	"errors"
	"strings"

	"github.com/attendify/hub"
	"github.com/attendify/platform/errs"
)

func appPayload(a App) hub.AppPayload {
	return hub.AppPayload{ID: a.ID, Slug: a.Slug, Name: a.Name, Status: a.Status, Access: a.Access,
		Branding: hub.Branding{PrimaryColor: a.Branding.PrimaryColor, AccentColor: a.Branding.AccentColor, IconURL: a.Branding.IconURL}}
}

func slugTaken(err error) error {
	if taken(err) {
		return errs.WithCode(errs.CodeConflict, "this slug is taken")
	}
	return err
}

// CreateApp creates an unpublished, open app owned by the calling organizer.
func (s *Service) CreateApp(ctx context.Context, name, slug string) (App, error) {
	a := App{ID: s.newID(), Slug: slug, Name: strings.TrimSpace(name), Status: hub.StatusUnpublished, Access: hub.AccessOpen}
	var col Collaborator
	var evs eventList
	var owner string
	err := s.store.InTx(ctx, func(q Queries) error {
		o, err := s.account(ctx, q, false)
		if err != nil {
			return err
		}
		owner = o.ID
		if a, err = q.CreateApp(ctx, a); err != nil {
			return slugTaken(err)
		}
		if col, err = q.AddCollaborator(ctx, Collaborator{AppID: a.ID, OrganizerID: owner, Role: hub.RoleOwner}); err != nil {
			return err
		}
		if evs, err = touchEvents(ctx, q, a.ID); err != nil {
			return err
		}
		return q.Announce(ctx, event(hub.EventAppCreated, a.ID, a.ID, appPayload(a)),
			event(hub.EventCollaboratorAdded, a.ID, owner, hub.CollaboratorPayload{AppID: a.ID, OrganizerID: owner, Role: hub.RoleOwner}))
	})
	if err != nil {
		return App{}, err
	}
	s.rmFailed(ctx, a.ID, s.rm.PutApp(ctx, a))
	s.rmFailed(ctx, a.ID, s.rm.PutCollaborator(ctx, col))
	s.putEvents(ctx, evs)
	return a, nil
}

// ListApps lists the calling organizer's apps with their role.
func (s *Service) ListApps(ctx context.Context) ([]AppWithRole, error) {
	o, err := s.account(ctx, s.store, false)
	if err != nil {
		return nil, err
	}
	return s.store.AppsOf(ctx, o.ID)
}

// PublicApp finds a published or expired app by id or slug.
func (s *Service) PublicApp(ctx context.Context, id, slug string) (App, error) {
	var a App
	var err error
	switch {
	case (id == "") == (slug == ""):
		return App{}, errs.New(errs.Invalid, "give app_id or slug")
	case id != "":
		a, err = s.store.App(ctx, id, false)
	default:
		a, err = s.store.AppBySlug(ctx, slug)
	}
	if err != nil {
		return App{}, err
	}
	if a.Status != hub.StatusPublished && a.Status != hub.StatusExpired {
		return App{}, errs.New(errs.NotFound, "not found")
	}
	return a, nil
}

// GetApp returns an app's configuration to its organizers and members.
func (s *Service) GetApp(ctx context.Context, app string) (App, error) {
	a, err := s.actor(ctx, s.store, app)
	if err != nil {
		return App{}, err
	}
	return a.App, nil
}

// AppChanges are the optional changes of UpdateApp.
type AppChanges struct {
	Name, Slug, PrimaryColor, AccentColor, IconURL *string
	WebOrigins                                     *[]string
}

// changeApp runs a read-modify-write of an app under its row lock, with
// the matrix check, the event and the read-model write.
func (s *Service) changeApp(ctx context.Context, app string, action hub.Action, typ string, change func(a *App) error) (App, error) {
	var a App
	err := s.store.InTx(ctx, func(q Queries) error {
		if _, err := s.authorize(ctx, q, app, action); err != nil {
			return err
		}
		var changeErr error
		var err error
		a, err = q.UpdateApp(ctx, app, func(a *App) error {
			changeErr = change(a)
			return changeErr
		})
		if changeErr != nil {
			return changeErr
		}
		if err != nil {
			return slugTaken(err)
		}
		return q.Announce(ctx, event(typ, a.ID, a.ID, appPayload(a)))
	})
	if err != nil {
		return App{}, err
	}
	s.rmFailed(ctx, a.ID, s.rm.PutApp(ctx, a))
	return a, nil
}

// UpdateApp renames, re-slugs or re-brands an app.
func (s *Service) UpdateApp(ctx context.Context, app string, c AppChanges) (App, error) {
	if c.IconURL != nil {
		if err := checkURL("/icon_url", *c.IconURL); err != nil {
			return App{}, err
		}
	}
	if c.WebOrigins != nil {
		o, err := hub.CheckWebOrigins(*c.WebOrigins)
		if err != nil {
			return App{}, err
		}
		c.WebOrigins = &o
	}
	return s.changeApp(ctx, app, hub.ActEditApp, hub.EventAppUpdated, func(a *App) error {
		set(&a.WebOrigins, c.WebOrigins)
		set(&a.Name, c.Name)
		set(&a.Slug, c.Slug)
		set(&a.Branding.PrimaryColor, c.PrimaryColor)
		set(&a.Branding.AccentColor, c.AccentColor)
		set(&a.Branding.IconURL, c.IconURL)
		return nil
	})
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// SetAccess sets the app's access mode (and passcode).
func (s *Service) SetAccess(ctx context.Context, app, access, passcode string) (App, error) {
	var hash string
	if access == hub.AccessPasscode {
		if len(passcode) < 4 {
			return App{}, errs.InvalidFields("passcode mode needs a passcode", errs.FieldError{Field: "/passcode", Message: "at least 4 characters"})
		}
		var err error
		if hash, err = s.hashPassword(ctx, passcode); err != nil {
			return App{}, err
		}
	}
	return s.changeApp(ctx, app, hub.ActEditApp, hub.EventAppUpdated, func(a *App) error {
		a.Access, a.PasscodeHash = access, hash
		return nil
	})
}

// SetStatus publishes, unpublishes or expires an app.
func (s *Service) SetStatus(ctx context.Context, app, status string) (App, error) {
	typ := map[string]string{
		hub.StatusPublished:   hub.EventAppPublished,
		hub.StatusUnpublished: hub.EventAppUnpublished,
		hub.StatusExpired:     hub.EventAppExpired,
	}[status]
	return s.changeApp(ctx, app, hub.ActPublishApp, typ, func(a *App) error {
		a.Status = status
		return nil
	})
}

// DeleteApp deletes an app and everything in it.
func (s *Service) DeleteApp(ctx context.Context, app string) error {
	var users []string
	var version int64
	err := s.store.InTx(ctx, func(q Queries) error {
		if _, err := s.authorize(ctx, q, app, hub.ActDeleteApp); err != nil {
			return err
		}
		if _, err := q.App(ctx, app, true); err != nil {
			return err
		}
		var err error
		if users, err = q.DeleteApp(ctx, app); err != nil {
			return err
		}
		if version, err = q.NextVersion(ctx); err != nil {
			return err
		}
		return q.Announce(ctx, event(hub.EventAppDeleted, app, app, hub.IDsPayload{AppID: app, ID: app}))
	})
	if err != nil {
		return err
	}
	s.rmFailed(ctx, app, s.rm.DeleteApp(ctx, app, version, users))
	return nil
}

// TransferOwnership makes another collaborator the owner; the old owner
// becomes an admin. The caller's role is checked again under their row
// lock: of transfers made at once, the first makes the owner and the
// others find the caller no longer one.
func (s *Service) TransferOwnership(ctx context.Context, app, to string) (App, error) {
	var changed []Collaborator
	var a App
	err := s.store.InTx(ctx, func(q Queries) error {
		actor, err := s.authorize(ctx, q, app, hub.ActTransferOwnership)
		if err != nil {
			return err
		}
		if a, err = q.App(ctx, app, true); err != nil {
			return err
		}
		if to == actor.ID {
			return errs.New(errs.Invalid, "you own this app already")
		}
		old, err := q.UpdateCollaborator(ctx, app, actor.ID, func(c *Collaborator) error {
			if !hub.Allowed(c.Role, hub.ActTransferOwnership) {
				return errs.WithCode(errs.CodeForbidden, "your role may not %s", hub.ActionNames[hub.ActTransferOwnership])
			}
			c.Role = hub.RoleAdmin
			return nil
		})
		if err != nil {
			return err
		}
		nu, err := q.UpdateCollaborator(ctx, app, to, func(c *Collaborator) error {
			c.Role = hub.RoleOwner
			return nil
		})
		if errors.Is(err, errs.NotFound) {
			return errs.New(errs.NotFound, "the new owner must be a collaborator of the app")
		}
		if err != nil {
			return err
		}
		changed = []Collaborator{old, nu}
		for _, c := range changed {
			if err := q.Announce(ctx, event(hub.EventCollaboratorChanged, app, c.OrganizerID,
				hub.CollaboratorPayload{AppID: app, OrganizerID: c.OrganizerID, Role: c.Role})); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return App{}, err
	}
	for _, c := range changed {
		s.rmFailed(ctx, app, s.rm.PutCollaborator(ctx, c))
	}
	return a, nil
}

// ---------------------------------------------------------------------------
// Collaborators.

// SetRole changes a collaborator's role (never to or from owner).
func (s *Service) SetRole(ctx context.Context, app, organizer, role string) (Collaborator, error) {
	var c Collaborator
	err := s.store.InTx(ctx, func(q Queries) error {
		actor, err := s.authorize(ctx, q, app, hub.ActManageCollaborators)
		if err != nil {
			return err
		}
		c, err = q.UpdateCollaborator(ctx, app, organizer, func(c *Collaborator) error {
			if c.Role == hub.RoleOwner {
				return errs.WithCode(errs.CodeForbidden, "the owner's role changes only by transferring ownership")
			}
			c.Role = role
			return nil
		})
		if err != nil {
			return err
		}
		if !hub.Allowed(role, hub.ActManageCollaborators) {
			if err := s.revokeInvitationsOf(ctx, q, app, organizer, actor.ID); err != nil {
				return err
			}
		}
		return q.Announce(ctx, event(hub.EventCollaboratorChanged, app, organizer,
			hub.CollaboratorPayload{AppID: app, OrganizerID: organizer, Role: role}))
	})
	if err != nil {
		return Collaborator{}, err
	}
	s.rmFailed(ctx, app, s.rm.PutCollaborator(ctx, c))
	return c, nil
}

// RemoveCollaborator removes a collaborator (RevokeInvitation cancels an
// invitation). Anyone but the owner may remove themself. The removed
// collaborator's tokens of the app stay refused, even if they are invited
// back.
func (s *Service) RemoveCollaborator(ctx context.Context, app, organizer string) error {
	var version int64
	var marks []Revocation
	err := s.store.InTx(ctx, func(q Queries) error {
		actor, err := s.actor(ctx, q, app)
		if err != nil {
			return err
		}
		self := actor.Kind == ActorOrganizer && organizer == actor.ID
		if !self && !hub.Allowed(actor.matrixRole(), hub.ActManageCollaborators) {
			return errs.WithCode(errs.CodeForbidden, "your role may not %s", hub.ActionNames[hub.ActManageCollaborators])
		}
		cur, err := q.Collaborator(ctx, app, organizer, true) // locked: a transfer to them waits or has committed
		if err != nil {
			return err
		}
		if cur.Role == hub.RoleOwner {
			return errs.WithCode(errs.CodeForbidden, "the owner cannot be removed: transfer ownership first")
		}
		if err := q.RemoveCollaborator(ctx, app, organizer); err != nil {
			return err
		}
		if err := s.revokeInvitationsOf(ctx, q, app, organizer, actor.ID); err != nil {
			return err
		}
		if marks, err = q.RevokeTokens(ctx, app, organizer); err != nil {
			return err
		}
		if version, err = q.NextVersion(ctx); err != nil {
			return err
		}
		return q.Announce(ctx, event(hub.EventCollaboratorRemoved, app, organizer,
			hub.CollaboratorPayload{AppID: app, OrganizerID: organizer}))
	})
	if err != nil {
		return err
	}
	s.putRevocations(ctx, marks)
	s.rmFailed(ctx, app, s.rm.DeleteMembership(ctx, app, organizer, version))
	return nil
}

// revokeInvitationsOf revokes, as by, the pending invitations inviter
// sent to collaborate on app: an invitation stands only while its inviter
// may still invite, so that an organizer who is removed (or leaves) or
// loses the right to invite cannot come back, or bring someone in, with
// an invitation sent before.
func (s *Service) revokeInvitationsOf(ctx context.Context, q Queries, app, inviter, by string) error {
	now := s.now()
	invs, err := q.Invitations(ctx, app, now)
	if err != nil {
		return err
	}
	for _, inv := range invs {
		if inv.InvitedBy != inviter || inv.Status(now) != hub.InvitationPending {
			continue
		}
		// Not found: accepted meanwhile (the acceptance holds its row).
		if err := q.RevokeInvitation(ctx, app, inv.ID, by, now); err != nil && !errors.Is(err, errs.NotFound) {
			return err
		}
	}
	return nil
}
