package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/attendify/hub"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
)

// Lock-out of organizer accounts after repeated wrong passwords, and of
// emails that have no account alike (UnknownLockOutForget).
const (
	MaxFailedLogins = 5
	LockOutFor      = 15 * time.Minute
	// UnknownLockOutForget is how long the count of an email without an
	// account is kept after its last wrong password (an account's count
	// is kept until a right password or the lock).
	UnknownLockOutForget = 30 * 24 * time.Hour
)

// lockedOut is the answer to a log-in of a locked account, and of a
// locked email without one: the same code, message and wait.
func lockedOut(wait time.Duration) error {
	return &errs.Error{Code: errs.CodeRateLimited, Msg: "too many wrong passwords: the account is locked for a while",
		RetryAfter: wait}
}

// wrongLogIn is the answer to a wrong password, and to an email without
// an account alike.
func wrongLogIn() error { return errs.WithCode(errs.CodeUnauthenticated, "wrong email or password") }

// unknownLockOut is the lock-out of an email without an account, in the
// throttle's Redis; the key holds the email's SHA-256, not the email.
func unknownLockOut(email string) LockOut {
	sum := sha256.Sum256([]byte(email))
	return LockOut{Key: GuessPassword + ":lockout:" + hex.EncodeToString(sum[:]), Max: MaxFailedLogins,
		For: LockOutFor, Forget: UnknownLockOutForget}
}

// Token is a signed token and when it expires.
type Token struct {
	Token     string
	ExpiresAt time.Time
}

// issue signs a token for c, whose Seq the caller took from the store
// (NextTokenSeq) in the transaction that decided to issue it.
func (s *Service) issue(c auth.Claims, ttl time.Duration) (Token, error) {
	t, err := s.issuer.Issue(c, ttl)
	if err != nil {
		return Token{}, err
	}
	return Token{Token: t, ExpiresAt: s.now().Add(ttl).Truncate(time.Second)}, nil
}

// NormalizeEmail is the stored form of an email address: without the
// spaces around it, in lower case, and without the trailing dots of its
// domain ("ann@example.com." is the root-anchored name of the same
// domain, and mail to it reaches ann@example.com: kept apart, one mailbox
// could hold two members of an app, a blocked member come back as a new
// one, or two organizer accounts). Migration 13 gave the emails stored
// before that rule their normal form, in SQL that must drop exactly the
// dots this drops (TestTrailingDotsMigration).
func NormalizeEmail(e string) string {
	e = strings.ToLower(strings.TrimSpace(e))
	if at := strings.LastIndexByte(e, '@'); at >= 0 {
		e = e[:at+1] + strings.TrimRight(e[at+1:], ".")
	}
	return e
}

// LogIn checks an organizer's password and returns an account token. After
// MaxFailedLogins wrong passwords in a row the account is locked for
// LockOutFor; wrong passwords also count as guesses from the caller's
// address (password spraying across accounts). An email without an
// account answers as an account whose password is not the one given,
// lock-out included (logInUnknown), so that the answers do not tell which
// emails have accounts.
func (s *Service) LogIn(ctx context.Context, email, password string) (Organizer, Token, error) {
	email = NormalizeEmail(email)
	guess := s.newGuess(ctx, GuessPassword, "", email, "")
	if err := guess.allow(ctx); err != nil {
		return Organizer{}, Token{}, err
	}
	wrong := wrongLogIn()
	var o Organizer
	var outcome error
	var seq int64
	var wrongPassword bool // the locking one included; not the refusal of a locked account
	var unknown bool
	err := s.store.InTx(ctx, func(q Queries) error {
		var err error
		outcome, wrongPassword, unknown = nil, false, false
		o, err = q.UpdateLogin(ctx, email, func(acct *Organizer) error {
			now := s.now()
			if acct.LockedUntil.After(now) {
				outcome = lockedOut(acct.LockedUntil.Sub(now))
				return nil
			}
			ok, err := s.checkPassword(ctx, password, acct.PasswordHash)
			if err != nil {
				return err
			}
			if ok {
				acct.FailedLogins, acct.LockedUntil = 0, time.Time{}
				return nil
			}
			acct.FailedLogins, acct.LockedUntil = acct.FailedLogins+1, time.Time{}
			outcome, wrongPassword = wrong, true
			if acct.FailedLogins >= MaxFailedLogins {
				acct.FailedLogins, acct.LockedUntil = 0, now.Add(LockOutFor)
				outcome = lockedOut(LockOutFor)
			}
			return nil
		})
		if errors.Is(err, errs.NotFound) {
			unknown = true // answered after the transaction, from Redis
			return nil
		}
		if err != nil || outcome != nil {
			return err
		}
		// The sequence number under the row lock (held until the commit):
		// a password change (which takes the lock too) revokes this token
		// or comes after.
		seq, err = q.NextTokenSeq(ctx)
		return err
	})
	if err == nil && unknown {
		outcome, wrongPassword, err = s.logInUnknown(ctx, email, password)
	}
	if err != nil {
		return Organizer{}, Token{}, err
	}
	switch {
	case outcome == nil:
		guess.succeeded(ctx)
	case wrongPassword:
		guess.failed(ctx)
	}
	if outcome != nil {
		return Organizer{}, Token{}, outcome
	}
	t, err := s.issue(auth.Claims{User: o.ID, Role: auth.RoleOrganizer, Seq: seq}, hub.AccountTokenTTL)
	return o, t, err
}

// logInUnknown answers a log-in to an email without an account as LogIn
// answers an account whose password is not the one given, with the same
// lock-out kept in Redis (unknownLockOut) instead of the account's row:
// while locked, the lock's answer, no password hashed, nothing counted;
// otherwise a hash against a dummy, then the wrong try counted, the
// MaxFailedLogins-th locking the email for LockOutFor and starting its
// count again. The counter and the lock are counted in one step, as the
// account's under its row lock. wrongPassword is whether the try counts
// as a wrong guess. Losing Redis forgives the count.
func (s *Service) logInUnknown(ctx context.Context, email, password string) (outcome error, wrongPassword bool, err error) {
	lo := unknownLockOut(email)
	wait, err := s.throttle.LockedOut(ctx, s.now(), lo.Key)
	if err != nil {
		return nil, false, errs.Wrap(errs.Unavailable, err, "cannot check the rate limits; retry")
	}
	if wait > 0 {
		return lockedOut(wait), false, nil
	}
	if _, err := s.checkPassword(ctx, password, s.dummyHash); err != nil {
		return nil, false, err
	}
	wait, counted, err := s.throttle.FailLockOut(context.WithoutCancel(ctx), s.now(), lo)
	switch {
	case err != nil:
		// As a wrong guess that cannot be counted: the answer does not
		// change.
		s.log.ErrorContext(ctx, "cannot count a wrong password of an unknown email", "error", err)
		return wrongLogIn(), true, nil
	case !counted: // locked meanwhile by another try
		return lockedOut(wait), false, nil
	case wait > 0:
		return lockedOut(wait), true, nil
	}
	return wrongLogIn(), true, nil
}

// account is the organizer calling with an account token, as Postgres has
// them now: the token must be an account token of an account that exists,
// issued after the account's revocation mark. With lock (inside InTx) the
// row stays locked until the commit, so that a revocation waits for it.
func (s *Service) account(ctx context.Context, q OrganizerStore, lock bool) (Organizer, error) {
	c := auth.CallerFrom(ctx)
	if c.Kind != auth.CallerUser || c.Role != auth.RoleOrganizer || c.App != "" || c.User == "" {
		return Organizer{}, errs.WithCode(errs.CodeForbidden, "this method needs an organizer's account token")
	}
	o, err := q.OrganizerByID(ctx, c.User, lock)
	if errors.Is(err, errs.NotFound) {
		return Organizer{}, errs.WithCode(errs.CodeTokenInvalid, "the account no longer exists")
	}
	if err != nil {
		return Organizer{}, err
	}
	if err := hub.CheckTokenSeq(c.TokenSeq, o.TokensRevoked); err != nil {
		return Organizer{}, err
	}
	return o, nil
}

// Me is the calling organizer's account.
func (s *Service) Me(ctx context.Context) (Organizer, error) {
	return s.account(ctx, s.store, false)
}

// ChangePassword changes the calling organizer's password, refuses every
// token issued to them before (their account token and their app tokens
// of every app, in hub at once, in the other services at their next read
// of the read model) and returns a new account token. A wrong old password
// is a password guess, counted as LogIn counts them (the account, the
// address): a stolen account token does not make the password guessable.
func (s *Service) ChangePassword(ctx context.Context, oldPassword, newPassword string) (Organizer, Token, error) {
	o, err := s.account(ctx, s.store, false)
	if err != nil {
		return Organizer{}, Token{}, err
	}
	guess := s.newGuess(ctx, GuessPassword, "", o.Email, "")
	if err := guess.allow(ctx); err != nil {
		return Organizer{}, Token{}, err
	}
	hash, err := s.hashPassword(ctx, newPassword)
	if err != nil {
		return Organizer{}, Token{}, err
	}
	var marks []Revocation
	var seq int64
	var wrongPassword bool
	err = s.store.InTx(ctx, func(q Queries) error {
		wrongPassword = false
		var err error
		if o, err = s.account(ctx, q, true); err != nil {
			return err
		}
		ok, err := s.checkPassword(ctx, oldPassword, o.PasswordHash)
		if err != nil {
			return err
		}
		if !ok {
			wrongPassword = true
			return errs.InvalidFields("the old password is wrong", errs.FieldError{Field: "/old_password", Message: "wrong password"})
		}
		if err := q.SetPassword(ctx, o.ID, hash); err != nil {
			return err
		}
		if marks, err = s.revokeOrganizer(ctx, q, o.ID); err != nil {
			return err
		}
		seq, err = q.NextTokenSeq(ctx)
		return err
	})
	if wrongPassword {
		guess.failed(ctx)
	}
	if err != nil {
		return Organizer{}, Token{}, err
	}
	guess.succeeded(ctx)
	s.putRevocations(ctx, marks)
	t, err := s.issue(auth.Claims{User: o.ID, Role: auth.RoleOrganizer, Seq: seq}, hub.AccountTokenTTL)
	return o, t, err
}

// revokeOrganizer refuses every token of an organizer issued so far and
// returns the marks to write to the read model, one per app they
// collaborate on.
func (s *Service) revokeOrganizer(ctx context.Context, q interface {
	TokenStore
	AppStore
}, id string) ([]Revocation, error) {
	seq, err := q.RevokeOrganizerTokens(ctx, id)
	if err != nil {
		return nil, err
	}
	apps, err := q.AppsOf(ctx, id)
	if err != nil {
		return nil, err
	}
	marks := make([]Revocation, len(apps))
	for i, a := range apps {
		marks[i] = Revocation{App: a.ID, User: id, Seq: seq}
	}
	return marks, nil
}

// putRevocations writes revocation marks after their transaction
// committed; an app whose write failed is queued for repair.
func (s *Service) putRevocations(ctx context.Context, marks []Revocation) {
	if len(marks) == 0 {
		return
	}
	if err := s.rm.PutRevocations(ctx, marks); err != nil {
		for _, m := range marks {
			s.rmFailed(ctx, m.App, err)
		}
	}
}

// SignOut refuses every token of the caller issued so far: for an
// organizer (any of their tokens) the account token and the app tokens of
// every app; for a member their tokens of the app.
func (s *Service) SignOut(ctx context.Context) error {
	c := auth.CallerFrom(ctx)
	var marks []Revocation
	err := s.store.InTx(ctx, func(q Queries) error {
		switch {
		case c.User == "":
			return errs.WithCode(errs.CodeUnauthenticated, "sign in to sign out")
		case auth.IsOrganizerRole(c.Role):
			o, err := q.OrganizerByID(ctx, c.User, true)
			if errors.Is(err, errs.NotFound) {
				return errs.WithCode(errs.CodeTokenInvalid, "the account no longer exists")
			}
			if err != nil {
				return err
			}
			if err := hub.CheckTokenSeq(c.TokenSeq, o.TokensRevoked); err != nil {
				return err
			}
			marks, err = s.revokeOrganizer(ctx, q, o.ID)
			return err
		default:
			a, revoked, err := q.AppFor(ctx, c.App, c.User)
			if err == nil {
				_, err = q.Member(ctx, c.App, c.User, true)
			}
			if errors.Is(err, errs.NotFound) {
				return errs.WithCode(errs.CodeTokenInvalid, "the account no longer exists")
			}
			if err != nil {
				return err
			}
			if err := hub.CheckTokenSeq(c.TokenSeq, revoked); err != nil {
				return err
			}
			marks, err = q.RevokeTokens(ctx, a.ID, c.User)
			return err
		}
	})
	if err != nil {
		return err
	}
	s.putRevocations(ctx, marks)
	return nil
}

// AppToken exchanges the calling organizer's account token for a token of
// app carrying their collaborator role.
func (s *Service) AppToken(ctx context.Context, app string) (Token, string, error) {
	var c Collaborator
	var seq int64
	err := s.store.InTx(ctx, func(q Queries) error {
		o, err := s.account(ctx, q, true)
		if err != nil {
			return err
		}
		// The collaborator's row lock: a removal waits for this token's
		// sequence number, and so revokes it.
		c, err = q.Collaborator(ctx, app, o.ID, true)
		if errors.Is(err, errs.NotFound) {
			return errs.New(errs.NotFound, "no such app among yours")
		}
		if err != nil {
			return err
		}
		seq, err = q.NextTokenSeq(ctx)
		return err
	})
	if err != nil {
		return Token{}, "", err
	}
	t, err := s.issue(auth.Claims{User: c.OrganizerID, App: app, Role: hub.TokenRole(c.Role), Seq: seq}, hub.AppTokenTTL)
	return t, c.Role, err
}
