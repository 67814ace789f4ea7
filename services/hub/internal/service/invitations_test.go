package service_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/attendify/hub"
	"github.com/attendify/hub/internal/service"
	"github.com/attendify/hub/internal/store/postgres"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/testkit"
)

// invitations is a dev-mode service on a clock the test moves, with an app
// owned by an organizer.
type invitations struct {
	*signIn
	owner context.Context // the owner's app token
}

func newInvitations(t *testing.T) *invitations {
	t.Helper()
	s := &invitations{signIn: newSignIn(t, func(o *service.Options) { o.DevMode = true })}
	ctx := testkit.Context(t)
	owner := s.account(t, "owner@x.io")
	err := postgres.New(s.pool).InTx(ctx, func(q service.Queries) error {
		_, err := q.AddCollaborator(ctx, service.Collaborator{AppID: s.app, OrganizerID: owner.ID, Role: hub.RoleOwner})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	s.owner = auth.WithCaller(ctx, auth.Caller{Kind: auth.CallerUser, User: owner.ID, App: s.app, Role: auth.RoleOwner, TokenSeq: math.MaxInt64})
	return s
}

// signUp starts a sign-up of email (carrying invitation) and returns the
// mailed token.
func (s *invitations) signUp(t *testing.T, email, invitation string) string {
	t.Helper()
	if _, err := s.svc.SignUp(testkit.Context(t), email, invitation); err != nil {
		t.Fatal(err)
	}
	tok, err := s.svc.DevLastToken(hub.TokenSignUp, "", email)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// account signs email up and confirms it.
func (s *invitations) account(t *testing.T, email string) service.Organizer {
	t.Helper()
	o, _, _, err := s.svc.ConfirmSignUp(testkit.Context(t), s.signUp(t, email, ""), "a long password", "Someone")
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// as is ctx of the organizer's account token.
func as(ctx context.Context, o service.Organizer) context.Context {
	return auth.WithCaller(ctx, auth.Caller{Kind: auth.CallerUser, User: o.ID, Role: auth.RoleOrganizer, TokenSeq: math.MaxInt64})
}

// invite invites email and returns the mailed token.
func (s *invitations) invite(t *testing.T, email string) string {
	t.Helper()
	if _, err := s.svc.Invite(s.owner, s.app, email, hub.RoleMember); err != nil {
		t.Fatalf("invite %s: %v", email, err)
	}
	tok, err := s.svc.DevLastToken(hub.TokenInvitation, s.app, email)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestInvitationExpires(t *testing.T) {
	s := newInvitations(t)
	ctx := testkit.Context(t)
	early, late := s.account(t, "early@x.io"), s.account(t, "late@x.io")
	earlyTok, lateTok := s.invite(t, "early@x.io"), s.invite(t, "late@x.io")
	s.clock.Add(hub.InvitationTTL - time.Second)
	if _, err := s.svc.Accept(as(ctx, early), earlyTok); err != nil {
		t.Errorf("a second before it expires: %v", err)
	}
	s.clock.Add(2 * time.Second)
	_, err := s.svc.Accept(as(ctx, late), lateTok)
	if e, ok := errs.As(err); !ok || e.Kind() != errs.NotFound || e.Msg != "this invitation has expired: ask for a new one" {
		t.Errorf("a second after it expired: %v", err)
	}
	// A sign-up cannot carry it either, and it no longer counts against
	// the app's collaborators.
	if _, err := s.svc.SignUp(ctx, "other@x.io", lateTok); !errors.Is(err, errs.Invalid) {
		t.Errorf("a sign-up carrying an expired invitation: %v, want invalid", err)
	}
	invs, err := s.svc.Invitations(s.owner, s.app)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, i := range invs {
		got[i.Email] = i.Status
	}
	if got["early@x.io"] != hub.InvitationAccepted || got["late@x.io"] != hub.InvitationExpired {
		t.Errorf("statuses: %v", got)
	}
	// Expired invitations are listed for KeepInvitations, then pruned.
	s.clock.Add(service.KeepInvitations)
	if invs, _ := s.svc.Invitations(s.owner, s.app); len(invs) != 0 {
		t.Errorf("listed %d invitations closed longer than %v ago", len(invs), service.KeepInvitations)
	}
	now := s.clock.Now()
	if err := postgres.New(s.pool).PruneInvitations(ctx, now, now.Add(-service.KeepInvitations)); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM invitations`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d invitations after pruning (%v)", n, err)
	}
}

func TestExpiredInvitationsLeaveRoom(t *testing.T) {
	s := newInvitations(t)
	for i := 1; i < hub.MaxCollaborators; i++ { // the owner is one
		s.invite(t, fmt.Sprintf("c%d@x.io", i))
	}
	if _, err := s.svc.Invite(s.owner, s.app, "one-too-many@x.io", hub.RoleMember); !errors.Is(err, errs.Conflict) {
		t.Fatalf("invitation past the limit: %v, want conflict", err)
	}
	s.clock.Add(hub.InvitationTTL)
	s.invite(t, "one-more@x.io")
}

func TestSignUpTokenExpires(t *testing.T) {
	s := newInvitations(t)
	ctx := testkit.Context(t)
	early, late := s.signUp(t, "early@x.io", ""), s.signUp(t, "late@x.io", "")
	s.clock.Add(hub.SignUpTTL - time.Second)
	if _, _, _, err := s.svc.ConfirmSignUp(ctx, early, "a long password", "Early"); err != nil {
		t.Errorf("a second before it expires: %v", err)
	}
	s.clock.Add(2 * time.Second)
	if _, _, _, err := s.svc.ConfirmSignUp(ctx, late, "a long password", "Late"); !errors.Is(err, errs.Unauthenticated) {
		t.Errorf("a second after it expired: %v, want unauthenticated", err)
	}
	now := s.clock.Now()
	if err := postgres.New(s.pool).PruneInvitations(ctx, now, now.Add(-service.KeepInvitations)); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM sign_ups`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d sign-ups after pruning (%v)", n, err)
	}
}

// TestSignUpWithInvitation: a sign-up that carries an invitation takes its
// role on confirmation, unless it was revoked in between.
func TestSignUpWithInvitation(t *testing.T) {
	s := newInvitations(t)
	ctx := testkit.Context(t)
	_, _, j, err := s.svc.ConfirmSignUp(ctx, s.signUp(t, "new@x.io", s.invite(t, "new@x.io")), "a long password", "New")
	if err != nil || j == nil || j.AppID != s.app || j.Role != hub.RoleMember {
		t.Errorf("joined %+v (%v)", j, err)
	}
	// Revoked between the sign-up and its confirmation: the account comes
	// without the role.
	signUpTok := s.signUp(t, "late@x.io", s.invite(t, "late@x.io"))
	invs, err := s.svc.Invitations(s.owner, s.app)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range invs {
		if i.Email == "late@x.io" {
			if _, err := s.svc.RevokeInvitation(s.owner, s.app, i.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	o, _, j, err := s.svc.ConfirmSignUp(ctx, signUpTok, "a long password", "Late")
	if err != nil || j != nil {
		t.Errorf("joined %+v (%v), want an account without a role", j, err)
	}
	if _, _, err := s.svc.AppToken(as(ctx, o), s.app); !errors.Is(err, errs.NotFound) {
		t.Errorf("app token of the revoked invitee: %v, want not_found", err)
	}
}

// TestDevTokensNeedDevMode: without dev mode nobody reads a mailed token.
func TestDevTokensNeedDevMode(t *testing.T) {
	s := newSignIn(t)
	if _, err := s.svc.SignUp(testkit.Context(t), "a@x.io", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.DevLastToken(hub.TokenSignUp, "", "a@x.io"); errs.CodeOf(err) != errs.CodeForbidden {
		t.Errorf("dev.lastToken without dev mode: %v, want forbidden", err)
	}
}
