package service

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/attendify/hub"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
)

// Lock-out of organizer accounts after repeated wrong passwords.
const (
	MaxFailedLogins = 5
	LockOutFor      = 15 * time.Minute
)

// Token is a signed token and when it expires.
type Token struct {
	Token     string
	ExpiresAt time.Time
}

func (s *Service) issue(c auth.Claims, ttl time.Duration) (Token, error) {
	t, err := s.issuer.Issue(c, ttl)
	if err != nil {
		return Token{}, err
	}
	return Token{Token: t, ExpiresAt: s.now().Add(ttl).Truncate(time.Second)}, nil
}

// NormalizeEmail is the stored form of an email address.
func NormalizeEmail(e string) string { return strings.ToLower(strings.TrimSpace(e)) }

// SignUp creates an organizer account, accepts the invitations waiting
// for its email, and returns an account token.
func (s *Service) SignUp(ctx context.Context, email, password, name string) (Organizer, Token, error) {
	hash, err := s.hashPassword(ctx, password)
	if err != nil {
		return Organizer{}, Token{}, err
	}
	o := Organizer{ID: s.newID(), Email: NormalizeEmail(email), Name: strings.TrimSpace(name), PasswordHash: hash}
	var claimed []Collaborator
	err = s.store.InTx(ctx, func(q Queries) error {
		var err error
		if o, err = q.CreateOrganizer(ctx, o); err != nil {
			if errors.Is(err, errs.Conflict) {
				return errs.InvalidFields("an account with this email exists", errs.FieldError{Field: "/email", Message: "already registered"})
			}
			return err
		}
		if claimed, err = q.ClaimInvitations(ctx, o.Email, o.ID); err != nil {
			return err
		}
		for _, c := range claimed {
			if err := q.Announce(ctx, event(hub.EventCollaboratorAdded, c.AppID, c.OrganizerID,
				hub.CollaboratorPayload{AppID: c.AppID, OrganizerID: c.OrganizerID, Role: c.Role})); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Organizer{}, Token{}, err
	}
	for _, c := range claimed {
		s.rmFailed(ctx, c.AppID, s.rm.PutCollaborator(ctx, c))
	}
	t, err := s.issue(auth.Claims{User: o.ID, Role: auth.RoleOrganizer}, hub.AccountTokenTTL)
	return o, t, err
}

// LogIn checks an organizer's password and returns an account token. After
// MaxFailedLogins wrong passwords in a row the account is locked for
// LockOutFor.
func (s *Service) LogIn(ctx context.Context, email, password string) (Organizer, Token, error) {
	wrong := errs.WithCode(errs.CodeUnauthenticated, "wrong email or password")
	var o Organizer
	var outcome error
	err := s.store.InTx(ctx, func(q Queries) error {
		var err error
		o, err = q.OrganizerByEmail(ctx, NormalizeEmail(email), true)
		if errors.Is(err, errs.NotFound) {
			if _, err := s.checkPassword(ctx, password, s.dummyHash); err != nil {
				return err
			}
			outcome = wrong
			return nil
		}
		if err != nil {
			return err
		}
		now := s.now()
		if o.LockedUntil.After(now) {
			outcome = &errs.Error{Code: errs.CodeRateLimited, Msg: "too many wrong passwords: the account is locked for a while",
				RetryAfter: o.LockedUntil.Sub(now)}
			return nil
		}
		ok, err := s.checkPassword(ctx, password, o.PasswordHash)
		if err != nil {
			return err
		}
		if ok {
			outcome = nil
			if o.FailedLogins == 0 && o.LockedUntil.IsZero() {
				return nil
			}
			return q.SaveLoginState(ctx, o.ID, 0, time.Time{})
		}
		failed, until := o.FailedLogins+1, time.Time{}
		outcome = wrong
		if failed >= MaxFailedLogins {
			failed, until = 0, now.Add(LockOutFor)
			outcome = &errs.Error{Code: errs.CodeRateLimited, Msg: "too many wrong passwords: the account is locked for a while",
				RetryAfter: LockOutFor}
		}
		return q.SaveLoginState(ctx, o.ID, failed, until)
	})
	if err != nil {
		return Organizer{}, Token{}, err
	}
	if outcome != nil {
		return Organizer{}, Token{}, outcome
	}
	t, err := s.issue(auth.Claims{User: o.ID, Role: auth.RoleOrganizer}, hub.AccountTokenTTL)
	return o, t, err
}

// Me is the calling organizer's account.
func (s *Service) Me(ctx context.Context) (Organizer, error) {
	id, err := organizerAccount(ctx)
	if err != nil {
		return Organizer{}, err
	}
	o, err := s.store.OrganizerByID(ctx, id)
	if errors.Is(err, errs.NotFound) {
		return Organizer{}, errs.WithCode(errs.CodeTokenInvalid, "the account no longer exists")
	}
	return o, err
}

// ChangePassword changes the calling organizer's password.
func (s *Service) ChangePassword(ctx context.Context, oldPassword, newPassword string) error {
	o, err := s.Me(ctx)
	if err != nil {
		return err
	}
	ok, err := s.checkPassword(ctx, oldPassword, o.PasswordHash)
	if err != nil {
		return err
	}
	if !ok {
		return errs.InvalidFields("the old password is wrong", errs.FieldError{Field: "/old_password", Message: "wrong password"})
	}
	hash, err := s.hashPassword(ctx, newPassword)
	if err != nil {
		return err
	}
	return s.store.SetPassword(ctx, o.ID, hash)
}

// AppToken exchanges the calling organizer's account token for a token of
// app carrying their collaborator role.
func (s *Service) AppToken(ctx context.Context, app string) (Token, string, error) {
	id, err := organizerAccount(ctx)
	if err != nil {
		return Token{}, "", err
	}
	c, err := s.store.Collaborator(ctx, app, id)
	if errors.Is(err, errs.NotFound) {
		return Token{}, "", errs.New(errs.NotFound, "no such app among yours")
	}
	if err != nil {
		return Token{}, "", err
	}
	t, err := s.issue(auth.Claims{User: id, App: app, Role: hub.TokenRole(c.Role)}, hub.AppTokenTTL)
	return t, c.Role, err
}
