package service

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/attendify/hub"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
)

// KeepInvitations is how long a closed (accepted, revoked, expired)
// invitation stays listed before it is forgotten.
const KeepInvitations = 30 * 24 * time.Hour

// newToken returns a secret to mail (130 random bits from crypto/rand, 26
// characters of base32) and the hash stored in its place.
func newToken() (token, hash string) {
	token = rand.Text()
	return token, tokenHash(token)
}

// tokenHash is the stored form of a mailed token. The token's 130 random
// bits make a plain SHA-256 enough: there is nothing to guess offline.
func tokenHash(token string) string {
	h := sha256.Sum256([]byte(strings.TrimSpace(token)))
	return hex.EncodeToString(h[:])
}

// Collaborators lists an app's collaborators.
func (s *Service) Collaborators(ctx context.Context, app string) ([]Collaborator, error) {
	if _, err := s.authorize(ctx, s.store, app, hub.ActView); err != nil {
		return nil, err
	}
	return s.store.Collaborators(ctx, app)
}

// Invitations lists an app's invitations: the open ones and those closed
// in the last KeepInvitations.
func (s *Service) Invitations(ctx context.Context, app string) ([]InvitationView, error) {
	if _, err := s.authorize(ctx, s.store, app, hub.ActView); err != nil {
		return nil, err
	}
	now := s.now()
	invs, err := s.store.Invitations(ctx, app, now.Add(-KeepInvitations))
	out := make([]InvitationView, len(invs))
	for i, inv := range invs {
		out[i] = InvitationView{Invitation: inv, Status: inv.Status(now)}
	}
	return out, err
}

// Invite mails email a token that gives role in app to whoever accepts it
// (Accept, or ConfirmSignUp of a sign-up that carried it). Nobody is
// added here, and the answer is the same whether or not the email has an
// account. Inviting an email again replaces its open invitation.
func (s *Service) Invite(ctx context.Context, app, email, role string) (InvitationView, error) {
	email = NormalizeEmail(email)
	token, hash := newToken()
	var inv Invitation
	err := s.store.InTx(ctx, func(q Queries) error {
		actor, err := s.authorize(ctx, q, app, hub.ActManageCollaborators)
		if err != nil {
			return err
		}
		// After the permission check: strangers spend no app's quota.
		if err := s.takeQuotas(ctx, s.inviteQuotas(app, email, actor.ID), "too many invitations: try again later"); err != nil {
			return err
		}
		a, err := q.App(ctx, app, true) // serialises invitations: the count below holds
		if err != nil {
			return err
		}
		if actor.Kind == ActorOrganizer {
			// The inviter's row lock: a removal or a demotion that runs
			// at the same time waits for this invitation, and revokes it.
			col, err := q.Collaborator(ctx, app, actor.ID, true)
			if errors.Is(err, errs.NotFound) || (err == nil && !hub.Allowed(col.Role, hub.ActManageCollaborators)) {
				return errs.WithCode(errs.CodeForbidden, "your role may not %s", hub.ActionNames[hub.ActManageCollaborators])
			}
			if err != nil {
				return err
			}
		}
		cols, err := q.Collaborators(ctx, app)
		if err != nil {
			return err
		}
		var inviter string
		for _, c := range cols {
			if c.Email == email {
				return errs.WithCode(errs.CodeConflict, "this email belongs to a collaborator of the app already")
			}
			if c.OrganizerID == actor.ID {
				inviter = c.Name
			}
		}
		now := s.now()
		old, err := q.OpenInvitation(ctx, app, email)
		switch {
		case err == nil:
			if err := q.RevokeInvitation(ctx, app, old.ID, actor.ID, now); err != nil {
				return err
			}
		case !errors.Is(err, errs.NotFound):
			return err
		}
		n, err := q.CountCollaborators(ctx, app, now)
		if err != nil {
			return err
		}
		if n >= hub.MaxCollaborators {
			return errs.WithCode(errs.CodeConflict, "an app has at most %d collaborators and pending invitations", hub.MaxCollaborators)
		}
		inv = Invitation{ID: s.newID(), AppID: app, Email: email, Role: role, InvitedBy: actor.ID, TokenHash: hash,
			CreatedAt: now, ExpiresAt: now.Add(hub.InvitationTTL)}
		if err := q.AddInvitation(ctx, inv); err != nil {
			return err
		}
		return q.Announce(ctx, event(hub.EventMailRequested, app, email, hub.MailPayload{
			To: email, Template: "collaborator_invitation", AppID: app,
			Data: map[string]string{"app_name": a.Name, "role": role, "invited_by": actor.ID, "invited_by_name": inviter,
				"invitation_id": inv.ID, "token": token, "expires_at": inv.ExpiresAt.UTC().Format(time.RFC3339)},
		}))
	})
	if err != nil {
		return InvitationView{}, err
	}
	s.devToken(hub.TokenInvitation, app, email, token)
	return InvitationView{Invitation: inv, Status: hub.InvitationPending}, nil
}

// RevokeInvitation revokes an open invitation of app: its token stops
// working.
func (s *Service) RevokeInvitation(ctx context.Context, app, id string) (InvitationView, error) {
	var inv Invitation
	err := s.store.InTx(ctx, func(q Queries) error {
		actor, err := s.authorize(ctx, q, app, hub.ActManageCollaborators)
		if err != nil {
			return err
		}
		if inv, err = q.Invitation(ctx, app, id, true); err != nil {
			return err
		}
		if st := inv.Status(s.now()); st == hub.InvitationAccepted || st == hub.InvitationRevoked {
			return errs.WithCode(errs.CodeConflict, "this invitation was %s already", st)
		}
		inv.RevokedAt, inv.RevokedBy = s.now(), actor.ID
		return q.RevokeInvitation(ctx, app, id, actor.ID, inv.RevokedAt)
	})
	if err != nil {
		return InvitationView{}, err
	}
	return InvitationView{Invitation: inv, Status: hub.InvitationRevoked}, nil
}

// Accept gives the calling organizer (account token) the role of the
// invitation whose token they present. The token is the proof: the
// account's email need not be the one invited, and the invitation records
// who accepted. Wrong tokens count as guesses of the account and of the
// client's address.
func (s *Service) Accept(ctx context.Context, token string) (Joined, error) {
	guess := s.newGuess(ctx, GuessInvitation, "", "", auth.CallerFrom(ctx).User)
	if err := guess.allow(ctx); err != nil {
		return Joined{}, err
	}
	var col Collaborator
	var j Joined
	var wrong bool
	err := s.store.InTx(ctx, func(q Queries) error {
		wrong = false
		o, err := s.account(ctx, q, false)
		if err != nil {
			return err
		}
		found := false
		inv, err := q.UpdateInvitationByToken(ctx, tokenHash(token), func(inv *Invitation) error {
			found = true
			return accept(inv, o, s.now())
		})
		if !found && errors.Is(err, errs.NotFound) {
			wrong = true
			return errs.New(errs.NotFound, "no such invitation: check the link in the mail")
		}
		if err != nil {
			return err
		}
		col, j, err = s.join(ctx, q, inv, o)
		return err
	})
	if wrong {
		guess.failed(ctx)
	}
	if err != nil {
		return Joined{}, err
	}
	guess.succeeded(ctx)
	s.rmFailed(ctx, col.AppID, s.rm.PutCollaborator(ctx, col))
	return j, nil
}

// accept closes inv as accepted by o at now (the update of
// UpdateInvitationByToken); inv must be pending.
func accept(inv *Invitation, o Organizer, now time.Time) error {
	switch inv.Status(now) {
	case hub.InvitationAccepted:
		return errs.New(errs.NotFound, "this invitation was accepted already")
	case hub.InvitationRevoked:
		return errs.New(errs.NotFound, "this invitation was revoked: ask for a new one")
	case hub.InvitationExpired:
		return errs.New(errs.NotFound, "this invitation has expired: ask for a new one")
	}
	inv.AcceptedBy, inv.AcceptedAt = o.ID, now
	return nil
}

// join makes o a collaborator with the role of inv, which o accepted in
// this transaction.
func (s *Service) join(ctx context.Context, q Queries, inv Invitation, o Organizer) (Collaborator, Joined, error) {
	a, err := q.App(ctx, inv.AppID, false)
	if err != nil {
		return Collaborator{}, Joined{}, err
	}
	_, err = q.Collaborator(ctx, inv.AppID, o.ID, false)
	switch {
	case err == nil:
		return Collaborator{}, Joined{}, errs.WithCode(errs.CodeConflict, "you collaborate on this app already")
	case !errors.Is(err, errs.NotFound):
		return Collaborator{}, Joined{}, err
	}
	c, err := q.AddCollaborator(ctx, Collaborator{AppID: inv.AppID, OrganizerID: o.ID, Role: inv.Role})
	if taken(err) {
		return Collaborator{}, Joined{}, errs.WithCode(errs.CodeConflict, "you collaborate on this app already")
	}
	if err != nil {
		return Collaborator{}, Joined{}, err
	}
	c.Email, c.Name = o.Email, o.Name
	err = q.Announce(ctx, event(hub.EventCollaboratorAdded, inv.AppID, o.ID,
		hub.CollaboratorPayload{AppID: inv.AppID, OrganizerID: o.ID, Role: inv.Role}))
	return c, Joined{AppID: a.ID, AppName: a.Name, Role: inv.Role}, err
}

// inviteQuotas bound the invitations mailed by one inviter, for one app,
// and to one email of an app.
func (s *Service) inviteQuotas(app, email, inviter string) []Quota {
	return []Quota{
		{Key: "invites:inviter:" + inviter, Limit: s.limits.InvitesPerInviterHour, Window: time.Hour},
		{Key: "invites:app:" + app, Limit: s.limits.InvitesPerAppHour, Window: time.Hour},
		{Key: "invites:app-email:" + app + ":" + email, Limit: s.limits.InvitesPerEmailHour, Window: time.Hour},
	}
}
