package service

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/attendify/hub"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
)

// Sign-in code rules. Only the newest code of an email works (a new one
// spends the others), so an email gets at most CodesPerHour *
// MaxCodeAttempts guesses an hour.
const (
	CodeTTL         = 10 * time.Minute
	CodeInterval    = time.Minute // at most one code a minute per email
	CodesPerHour    = 5
	MaxCodeAttempts = 5
)

func codeHash(app, email, code string) string {
	h := sha256.Sum256([]byte(app + "\x00" + email + "\x00" + code))
	return hex.EncodeToString(h[:])
}

func newCode() string {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return fmt.Sprintf("%06d", n.Int64())
}

// signInApp loads an app members may sign in to.
func signInApp(ctx context.Context, q AppStore, app string) (App, error) {
	a, err := q.App(ctx, app, false)
	if errors.Is(err, errs.NotFound) || (err == nil && a.Status == hub.StatusUnpublished) {
		return App{}, errs.New(errs.NotFound, "no such app")
	}
	return a, err
}

// RequestCode emails a one-time sign-in code (through the outbox event
// mail.requested) and returns when it expires. The answer does not say
// whether the email belongs to a member, a blocked member or nobody: every
// request takes the same path (the rate limits, the passcode, the
// per-email limits, a code row), and only the mail is left out for an
// email that may not sign in (blocked; not listed in an invite-only or
// expired app), whose code row holds a hash no code matches.
func (s *Service) RequestCode(ctx context.Context, app, email, passcode string) (time.Time, error) {
	email = NormalizeEmail(email)
	if err := s.takeQuotas(ctx, s.codeQuotas(ctx), "too many sign-in codes asked for: try again later"); err != nil {
		return time.Time{}, err
	}
	// The passcode's counters are read for every app: an app's access mode
	// shows in app.info, but the request costs the same either way.
	guess := s.newGuess(ctx, GuessPasscode, app, app, email)
	if err := guess.allow(ctx); err != nil {
		return time.Time{}, err
	}
	code := newCode()
	now := s.now()
	c := SignInCode{ID: s.newID(), AppID: app, Email: email, ExpiresAt: now.Add(CodeTTL), CreatedAt: now}
	var send, passcodeApp, wrongPasscode bool
	err := s.store.InTx(ctx, func(q Queries) error {
		send, wrongPasscode = false, false
		a, err := signInApp(ctx, q, app)
		if err != nil {
			return err
		}
		if passcodeApp = a.Access == hub.AccessPasscode; passcodeApp {
			ok, err := s.checkPassword(ctx, passcode, a.PasscodeHash)
			if err != nil && errs.KindOf(err) != errs.Internal {
				return err // overloaded, or the call ended: not a wrong passcode
			}
			if err != nil || !ok {
				wrongPasscode = true
				return errs.InvalidFields("wrong passcode", errs.FieldError{Field: "/passcode", Message: "wrong passcode"})
			}
		}
		m, err := q.MemberByEmail(ctx, app, email)
		listed := err == nil
		if err != nil && !errors.Is(err, errs.NotFound) {
			return err
		}
		switch {
		case listed:
			send = !m.Blocked
		default:
			send = a.Access != hub.AccessInvite && a.Status != hub.StatusExpired
		}
		// CodesSince locks the email's codes until the commit: parallel
		// requests see each other's codes.
		n, last, err := q.CodesSince(ctx, app, email, now.Add(-time.Hour))
		if err != nil {
			return err
		}
		if wait := last.Add(CodeInterval).Sub(now); n > 0 && wait > 0 {
			return &errs.Error{Code: errs.CodeRateLimited, Msg: "a code was asked for less than a minute ago", RetryAfter: wait}
		}
		if n >= CodesPerHour {
			return &errs.Error{Code: errs.CodeRateLimited, Msg: "too many codes for this email: try again later", RetryAfter: 15 * time.Minute}
		}
		// The new code spends the live ones: guesses are not renewed by
		// falling back to an older code once the newest is burnt.
		for {
			_, err := q.UpdateLiveCode(ctx, app, email, now, func(old *SignInCode) error {
				old.Used = true
				return nil
			})
			if errors.Is(err, errs.NotFound) {
				break
			}
			if err != nil {
				return err
			}
		}
		c.CodeHash = codeHash(app, email, code)
		if !send {
			c.CodeHash = codeHash(app, email, rand.Text()) // no 6-digit code has this hash
		}
		if err := q.AddCode(ctx, c); err != nil {
			return err
		}
		if !send {
			return nil
		}
		return q.Announce(ctx, event(hub.EventMailRequested, app, email, hub.MailPayload{
			To: email, Template: "sign_in_code", AppID: app,
			Data: map[string]string{"app_name": a.Name, "code": code, "expires_at": c.ExpiresAt.UTC().Format(time.RFC3339)},
		}))
	})
	switch {
	case wrongPasscode:
		guess.failed(ctx)
	case passcodeApp && err == nil:
		guess.succeeded(ctx)
	}
	if err != nil {
		return time.Time{}, err
	}
	switch {
	case !send:
		s.log.InfoContext(ctx, "sign-in code asked for an email that may not sign in: no mail", "app", app)
	case s.dev:
		s.mu.Lock()
		s.lastCodes[app+"|"+email] = code
		s.mu.Unlock()
		s.log.InfoContext(ctx, "sign-in code (HUB_DEV_MODE)", "app", app, "email", email, "code", code)
	default:
		s.log.InfoContext(ctx, "sign-in code sent", "app", app)
	}
	return c.ExpiresAt, nil
}

// VerifyCode exchanges a one-time code for a member token, creating the
// member in open and passcode apps. Wrong codes count as guesses of the
// email's codes (on top of the tries each code allows), from the address.
func (s *Service) VerifyCode(ctx context.Context, app, email, code string) (Member, Token, error) {
	email = NormalizeEmail(email)
	guess := s.newGuess(ctx, GuessSignInCode, app, email, "")
	if err := guess.allow(ctx); err != nil {
		return Member{}, Token{}, err
	}
	bad := errs.WithCode(errs.CodeUnauthenticated, "wrong or expired code: ask for a new one")
	var m Member
	var created bool
	var seq int64
	var outcome error
	err := s.store.InTx(ctx, func(q Queries) error {
		created, outcome = false, nil
		a, err := signInApp(ctx, q, app)
		if err != nil {
			return err
		}
		// Each try counts under the code's row lock: of tries made at
		// once, one spends the code and the others find none.
		_, err = q.UpdateLiveCode(ctx, app, email, s.now(), func(c *SignInCode) error {
			c.Attempts++
			if subtle.ConstantTimeCompare([]byte(codeHash(app, email, strings.TrimSpace(code))), []byte(c.CodeHash)) != 1 {
				outcome = bad
				c.Used = c.Attempts >= MaxCodeAttempts
				return nil
			}
			c.Used = true
			return nil
		})
		if errors.Is(err, errs.NotFound) {
			outcome = bad
			return nil
		}
		if err != nil || outcome != nil {
			return err
		}
		if seq, err = q.NextTokenSeq(ctx); err != nil {
			return err
		}
		m, err = q.MemberByEmail(ctx, app, email)
		switch {
		case err == nil && m.Blocked:
			outcome = errs.WithCode(errs.CodeForbidden, "this member is blocked")
			return nil
		case err == nil:
			return nil
		case !errors.Is(err, errs.NotFound):
			return err
		case a.Access == hub.AccessInvite || a.Status == hub.StatusExpired:
			outcome = errs.WithCode(errs.CodeForbidden, "this app takes no new members")
			return nil
		}
		name, _, _ := strings.Cut(email, "@")
		m = Member{ID: s.newID(), AppID: app, Email: email, Name: name, Role: hub.MemberAttendee}
		if m, err = q.CreateMember(ctx, m); err != nil {
			return err
		}
		created = true
		return q.Announce(ctx, event(hub.EventMemberCreated, app, m.ID, memberPayload(m)))
	})
	if err != nil {
		return Member{}, Token{}, err
	}
	if outcome == bad {
		guess.failed(ctx)
	} else {
		guess.succeeded(ctx)
	}
	if outcome != nil {
		return Member{}, Token{}, outcome
	}
	if created {
		s.rmFailed(ctx, app, s.rm.PutMembers(ctx, app, []MemberState{memberState(m, nil)}))
	}
	t, err := s.issue(auth.Claims{User: m.ID, App: app, Role: auth.RoleAttendee, Seq: seq}, hub.MemberTokenTTL)
	return m, t, err
}

// devToken keeps the last token of kind mailed to email (about app), in
// dev mode only.
func (s *Service) devToken(kind, app, email, token string) {
	if !s.dev {
		return
	}
	s.mu.Lock()
	s.lastTokens[kind+"|"+app+"|"+email] = token
	s.mu.Unlock()
	s.log.Info("mailed token (HUB_DEV_MODE)", "kind", kind, "app", app, "email", email, "token", token)
}

// DevLastToken returns the last token of kind (hub.TokenSignUp,
// hub.TokenInvitation) mailed to email about app ("" for sign-ups), in
// dev mode only.
func (s *Service) DevLastToken(kind, app, email string) (string, error) {
	if !s.dev {
		return "", errs.WithCode(errs.CodeForbidden, "dev.lastToken works only with HUB_DEV_MODE=true")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.lastTokens[kind+"|"+app+"|"+NormalizeEmail(email)]
	if !ok {
		return "", errs.New(errs.NotFound, "no %s token was mailed to this email", kind)
	}
	return t, nil
}

// DevLastCode returns the last code sent to email, in dev mode only.
func (s *Service) DevLastCode(app, email string) (string, error) {
	if !s.dev {
		return "", errs.WithCode(errs.CodeForbidden, "dev.lastCode works only with HUB_DEV_MODE=true")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.lastCodes[app+"|"+NormalizeEmail(email)]
	if !ok {
		return "", errs.New(errs.NotFound, "no code was sent to this email")
	}
	return c, nil
}
