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

// SignUp starts an organizer's sign-up and returns when its token
// expires. It answers the same whether or not email has an account, after
// the same work: a sign-up row and a mail either way. A new address is
// mailed the token that ConfirmSignUp takes; an address with an account
// is mailed a notice, and its row holds a hash no mailed token has. With
// invitation (a collaborator invitation's token, checked here and counted
// as a guess when wrong) the confirmation accepts that invitation too.
func (s *Service) SignUp(ctx context.Context, email, invitation string) (time.Time, error) {
	email = NormalizeEmail(email)
	if err := s.takeQuotas(ctx, s.signUpQuotas(ctx, email), "too many sign-ups asked for: try again later"); err != nil {
		return time.Time{}, err
	}
	var invitationHash string
	if invitation != "" {
		guess := s.newGuess(ctx, GuessInvitation, "", "", "")
		if err := guess.allow(ctx); err != nil {
			return time.Time{}, err
		}
		invitationHash = tokenHash(invitation)
		inv, err := s.store.InvitationByToken(ctx, invitationHash)
		if errors.Is(err, errs.NotFound) {
			guess.failed(ctx)
			return time.Time{}, errs.InvalidFields("no such invitation", errs.FieldError{Field: "/invitation", Message: "no such invitation: check the link in the mail"})
		}
		if err != nil {
			return time.Time{}, err
		}
		if st := inv.Status(s.now()); st != hub.InvitationPending {
			return time.Time{}, errs.InvalidFields("the invitation is "+st, errs.FieldError{Field: "/invitation", Message: "this invitation is " + st})
		}
	}
	token, hash := newToken()
	now := s.now()
	su := SignUp{ID: s.newID(), Email: email, TokenHash: hash, InvitationHash: invitationHash, CreatedAt: now, ExpiresAt: now.Add(hub.SignUpTTL)}
	var known bool
	err := s.store.InTx(ctx, func(q Queries) error {
		_, err := q.OrganizerByEmail(ctx, email)
		if err != nil && !errors.Is(err, errs.NotFound) {
			return err
		}
		known = err == nil
		mail := hub.MailPayload{To: email, Template: "sign_up_confirmation",
			Data: map[string]string{"token": token, "expires_at": su.ExpiresAt.UTC().Format(time.RFC3339)}}
		row := su
		if known {
			_, row.TokenHash = newToken() // mailed to nobody: nothing confirms this row
			row.InvitationHash = ""
			mail = hub.MailPayload{To: email, Template: "sign_up_existing", Data: map[string]string{}}
		}
		if err := q.AddSignUp(ctx, row); err != nil {
			return err
		}
		return q.Announce(ctx, event(hub.EventMailRequested, "", email, mail))
	})
	if err != nil {
		return time.Time{}, err
	}
	if known { // a log line either way: the same work
		s.log.InfoContext(ctx, "sign-up asked for an address with an account: notice mailed")
	} else {
		s.log.InfoContext(ctx, "sign-up asked: confirmation token mailed")
		s.devToken(hub.TokenSignUp, "", email, token)
	}
	return su.ExpiresAt, nil
}

// ConfirmSignUp creates the account of a sign-up whose mailed token is
// presented, with the password and name given now (by whoever holds the
// token, i.e. controls the address), accepts the invitation the sign-up
// carried if it is still pending, and returns an account token. Wrong
// tokens count as guesses from the client's address; no password is
// hashed for them.
func (s *Service) ConfirmSignUp(ctx context.Context, token, password, name string) (Organizer, Token, *Joined, error) {
	guess := s.newGuess(ctx, GuessSignUpToken, "", "", "")
	if err := guess.allow(ctx); err != nil {
		return Organizer{}, Token{}, nil, err
	}
	bad := errs.WithCode(errs.CodeUnauthenticated, "wrong or expired confirmation token: sign up again")
	exists := errs.WithCode(errs.CodeConflict, "this address has an account already: log in")
	hash := tokenHash(token)
	_, err := s.store.SignUpByToken(ctx, hash, s.now(), false)
	if errors.Is(err, errs.NotFound) {
		guess.failed(ctx)
		return Organizer{}, Token{}, nil, bad
	}
	if err != nil {
		return Organizer{}, Token{}, nil, err
	}
	pw, err := s.hashPassword(ctx, password)
	if err != nil {
		return Organizer{}, Token{}, nil, err
	}
	var o Organizer
	var seq int64
	var col *Collaborator
	var joined *Joined
	var outcome error
	err = s.store.InTx(ctx, func(q Queries) error {
		outcome, col, joined = nil, nil, nil
		su, err := q.SignUpByToken(ctx, hash, s.now(), true)
		if errors.Is(err, errs.NotFound) {
			outcome = bad // used or expired since the check above
			return nil
		}
		if err != nil {
			return err
		}
		if err := q.DeleteSignUp(ctx, su.ID); err != nil {
			return err
		}
		_, err = q.OrganizerByEmail(ctx, su.Email)
		switch {
		case err == nil:
			outcome = exists
			return nil // the token is spent all the same
		case !errors.Is(err, errs.NotFound):
			return err
		}
		o = Organizer{ID: s.newID(), Email: su.Email, Name: strings.TrimSpace(name), PasswordHash: pw}
		if o, err = q.CreateOrganizer(ctx, o); err != nil {
			if taken(err) {
				return exists // made by a confirmation running at the same time
			}
			return err
		}
		if seq, err = q.NextTokenSeq(ctx); err != nil {
			return err
		}
		if su.InvitationHash == "" {
			return nil
		}
		inv, err := q.UpdateInvitationByToken(ctx, su.InvitationHash, func(inv *Invitation) error {
			return accept(inv, o, s.now())
		})
		if errors.Is(err, errs.NotFound) {
			// Its app was deleted, or it was revoked, accepted or expired
			// since the sign-up: the account comes without the role.
			return nil
		}
		if err != nil {
			return err
		}
		c, j, err := s.join(ctx, q, inv, o)
		col, joined = &c, &j
		return err
	})
	if err != nil {
		return Organizer{}, Token{}, nil, err
	}
	if outcome != nil {
		return Organizer{}, Token{}, nil, outcome
	}
	if col != nil {
		s.rmFailed(ctx, col.AppID, s.rm.PutCollaborator(ctx, *col))
	}
	t, err := s.issue(auth.Claims{User: o.ID, Role: auth.RoleOrganizer, Seq: seq}, hub.AccountTokenTTL)
	return o, t, joined, err
}

// signUpQuotas are the quotas an auth.signUp counts against, in this
// order: its client address's (not for services), the email's (the mail a
// stranger can have sent to one address) and everyone's.
func (s *Service) signUpQuotas(ctx context.Context, email string) []Quota {
	c := auth.CallerFrom(ctx)
	var qs []Quota
	if c.Kind != auth.CallerService && c.Addr != "" {
		qs = append(qs, Quota{Key: "signups:addr-hour:" + auth.AddrKey(c.Addr), Limit: s.limits.SignUpsPerAddrHour, Window: time.Hour})
	}
	return append(qs, Quota{Key: "signups:email:" + email, Limit: s.limits.SignUpsPerEmailHour, Window: time.Hour},
		Quota{Key: "signups:all", Limit: s.limits.SignUpsPerMinute, Window: time.Minute})
}
