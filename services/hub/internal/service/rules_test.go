package service_test

// The domain's rules on the in-memory store (internal/store/memstore), one
// table per outcome: who may change an app or an event, who the access
// check lets in, the sign-in code rules and the invitation rules. The
// stories on the real stores are in the other tests of this package and
// in hub's.

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"

	"github.com/attendify/hub"
	"github.com/attendify/hub/internal/service"
	"github.com/attendify/hub/internal/store/memstore"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/testkit"
)

// noReadModel is a read model that takes every write and holds nothing.
type noReadModel struct{}

func (noReadModel) PutApp(context.Context, service.App) error                       { return nil }
func (noReadModel) DeleteApp(context.Context, string, int64, []string) error        { return nil }
func (noReadModel) PutMembers(context.Context, string, []service.MemberState) error { return nil }
func (noReadModel) PutCollaborator(context.Context, service.Collaborator) error     { return nil }
func (noReadModel) DeleteMembership(context.Context, string, string, int64) error   { return nil }
func (noReadModel) PutEvents(context.Context, string, int64, []service.Event) error { return nil }
func (noReadModel) PutRevocations(context.Context, []service.Revocation) error      { return nil }
func (noReadModel) Sync(context.Context, service.Snapshot) error                    { return nil }
func (noReadModel) Users(context.Context, string) ([]string, error)                 { return nil, nil }
func (noReadModel) MarkReady(context.Context) error                                 { return nil }
func (noReadModel) Ready(context.Context) (bool, error)                             { return true, nil }
func (noReadModel) LockRebuild(context.Context, time.Duration) (bool, error)        { return true, nil }
func (noReadModel) UnlockRebuild(context.Context) error                             { return nil }

// noThrottle never slows anyone down (the throttles have tests of their
// own, on Redis).
type noThrottle struct{}

func (noThrottle) Wait(context.Context, time.Time, []service.GuessKey) (time.Duration, error) {
	return 0, nil
}
func (noThrottle) Fail(context.Context, time.Time, []service.GuessKey) (time.Duration, error) {
	return 0, nil
}
func (noThrottle) Succeed(context.Context, []service.GuessKey) error { return nil }
func (noThrottle) Take(context.Context, time.Time, []service.Quota) (time.Duration, error) {
	return 0, nil
}
func (noThrottle) LockedOut(context.Context, time.Time, string) (time.Duration, error) {
	return 0, nil
}
func (noThrottle) FailLockOut(context.Context, time.Time, service.LockOut) (time.Duration, bool, error) {
	return 0, true, nil
}

// testKey signs the tokens of the rule tests.
var _, testKey, _ = ed25519.GenerateKey(nil)

// cheapHashes keep argon2id fast in tests.
var cheapHashes = &argon2id.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// world is a service on memstore with app "app" (published, open): its
// collaborators owner, admin, moderator and member (each an organizer of
// that id), an organizer "outsider" who collaborates on nothing, members
// "ann" and "bob" (blocked), and an event "ev".
type world struct {
	svc   *service.Service
	store *memstore.Store
	clock *clock
}

const appID = "app"

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{store: memstore.New(), clock: &clock{t: time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)}}
	w.svc = startWorld(t, w.store, w.clock, false)
	return w
}

// startWorld seeds store with the world's app, organizers, members and
// event, and returns a service on it (in dev mode with dev: sign-in codes
// and mailed tokens kept for DevLastCode and DevLastToken).
func startWorld(t *testing.T, store service.Store, c *clock, dev bool) *service.Service {
	t.Helper()
	ctx := testkit.Context(t)
	svc := service.New(service.Options{Store: store, ReadModel: noReadModel{}, Issuer: auth.NewIssuer("test", testKey),
		Now: c.Now, Throttle: noThrottle{}, PasswordParams: cheapHashes, DevMode: dev})
	err := store.InTx(ctx, func(q service.Queries) error {
		if _, err := q.CreateApp(ctx, service.App{ID: appID, Slug: appID, Name: "App", Status: hub.StatusPublished, Access: hub.AccessOpen}); err != nil {
			return err
		}
		for _, id := range []string{hub.RoleOwner, hub.RoleAdmin, hub.RoleModerator, hub.RoleMember, "outsider"} {
			if _, err := q.CreateOrganizer(ctx, service.Organizer{ID: id, Email: id + "@org.io", Name: id}); err != nil {
				return err
			}
			if id == "outsider" {
				continue
			}
			if _, err := q.AddCollaborator(ctx, service.Collaborator{AppID: appID, OrganizerID: id, Role: id}); err != nil {
				return err
			}
		}
		for _, m := range []service.Member{
			{ID: "ann", AppID: appID, Email: "ann@x.io", Name: "Ann", Role: "attendee"},
			{ID: "bob", AppID: appID, Email: "bob@x.io", Name: "Bob", Role: "attendee", Blocked: true},
		} {
			if _, err := q.CreateMember(ctx, m); err != nil {
				return err
			}
		}
		start := c.Now().Add(24 * time.Hour)
		return q.CreateEvent(ctx, service.Event{ID: "ev", AppID: appID, Name: "Ev", TimeZone: "UTC", Start: start, End: start.Add(time.Hour),
			Visibility: hub.VisibilityPublic, Access: hub.EventAccessOpen})
	})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// The callers of the tables.
var (
	asService  = auth.Caller{Kind: auth.CallerService, Service: "test"}
	asOwner    = orgCaller(hub.RoleOwner)
	asAdmin    = orgCaller(hub.RoleAdmin)
	asMod      = orgCaller(hub.RoleModerator)
	asMember   = orgCaller(hub.RoleMember)
	asOutsider = orgCaller("outsider")
	asAnn      = auth.Caller{Kind: auth.CallerUser, User: "ann", App: appID, Role: auth.RoleAttendee, TokenSeq: 1}
	asBob      = auth.Caller{Kind: auth.CallerUser, User: "bob", App: appID, Role: auth.RoleAttendee, TokenSeq: 1}
)

// orgCaller is organizer id with an app token of the app.
func orgCaller(id string) auth.Caller {
	return auth.Caller{Kind: auth.CallerUser, User: id, App: appID, Role: auth.RoleCollaborator, TokenSeq: 1}
}

// account is organizer id with their account token.
func account(id string) auth.Caller {
	return auth.Caller{Kind: auth.CallerUser, User: id, Role: auth.RoleOrganizer, TokenSeq: 1}
}

// op is one use case, called as the context's caller.
type op struct {
	name string
	call func(ctx context.Context, s *service.Service) error
}

func ptr[T any](v T) *T { return &v }

var (
	opUpdateApp = op{"UpdateApp", func(ctx context.Context, s *service.Service) error {
		_, err := s.UpdateApp(ctx, appID, service.AppChanges{Name: ptr("Renamed")})
		return err
	}}
	opSetStatus = op{"SetStatus", func(ctx context.Context, s *service.Service) error {
		_, err := s.SetStatus(ctx, appID, hub.StatusExpired)
		return err
	}}
	opDeleteApp = op{"DeleteApp", func(ctx context.Context, s *service.Service) error { return s.DeleteApp(ctx, appID) }}
	opGetApp    = op{"GetApp", func(ctx context.Context, s *service.Service) error {
		_, err := s.GetApp(ctx, appID)
		return err
	}}
	opCreateEvent = op{"CreateEvent", func(ctx context.Context, s *service.Service) error {
		_, err := s.CreateEvent(ctx, appID, service.EventInput{Name: ptr("New"), TimeZone: ptr("Europe/Paris"),
			Start: ptr("2026-07-01T09:00"), End: ptr("2026-07-01T18:00")})
		return err
	}}
	opUpdateEvent = op{"UpdateEvent", func(ctx context.Context, s *service.Service) error {
		_, err := s.UpdateEvent(ctx, appID, "ev", service.EventInput{Name: ptr("Renamed")})
		return err
	}}
	opDeleteEvent = op{"DeleteEvent", func(ctx context.Context, s *service.Service) error { return s.DeleteEvent(ctx, appID, "ev") }}
	opInvite      = op{"Invite", func(ctx context.Context, s *service.Service) error {
		_, err := s.Invite(ctx, appID, "new@org.io", hub.RoleModerator)
		return err
	}}
	opBlock = op{"SetBlocked", func(ctx context.Context, s *service.Service) error {
		_, err := s.SetBlocked(ctx, appID, "ann", true)
		return err
	}}
)

type ruleCase struct {
	caller auth.Caller
	op     op
}

func (c ruleCase) name() string {
	who := c.caller.User
	if c.caller.Kind == auth.CallerService {
		who = "service"
	}
	return who + "/" + c.op.name
}

// run runs each case on a world of its own and returns the outcome's code
// (0 for success).
func runCases(t *testing.T, cases []ruleCase, want errs.Code) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name(), func(t *testing.T) {
			w := newWorld(t)
			ctx := auth.WithCaller(testkit.Context(t), c.caller)
			if got := refusal(c.op.call(ctx, w.svc)); got != want {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	}
}

// TestRulesAllowed: who may change an app, its events and its members.
func TestRulesAllowed(t *testing.T) {
	runCases(t, []ruleCase{
		{asOwner, opUpdateApp}, {asAdmin, opUpdateApp}, {asService, opUpdateApp},
		{asOwner, opSetStatus}, {asAdmin, opSetStatus}, {asService, opSetStatus},
		{asOwner, opDeleteApp},
		{asOwner, opCreateEvent}, {asAdmin, opCreateEvent}, {asMember, opCreateEvent}, {asService, opCreateEvent},
		{asOwner, opUpdateEvent}, {asAdmin, opUpdateEvent}, {asMember, opUpdateEvent}, {asService, opUpdateEvent},
		{asOwner, opDeleteEvent}, {asAdmin, opDeleteEvent}, {asService, opDeleteEvent},
		{asOwner, opInvite}, {asAdmin, opInvite},
		{asMod, opBlock}, {asService, opBlock},
		{asMod, opGetApp}, {asMember, opGetApp}, {asAnn, opGetApp},
	}, 0)
}

// TestRulesForbidden: the roles the matrix refuses, and callers the
// access check turns away (not a collaborator, a blocked member, a member
// of another app's token).
func TestRulesForbidden(t *testing.T) {
	otherApp := asAnn
	otherApp.App = "other"
	runCases(t, []ruleCase{
		{asMod, opUpdateApp}, {asMember, opUpdateApp}, {asAnn, opUpdateApp},
		{asMod, opSetStatus}, {asMember, opSetStatus},
		{asAdmin, opDeleteApp}, {asService, opDeleteApp}, {asMod, opDeleteApp},
		{asMod, opCreateEvent}, {asAnn, opCreateEvent},
		{asMod, opUpdateEvent},
		{asMember, opDeleteEvent}, {asMod, opDeleteEvent},
		{asMod, opInvite}, {asMember, opInvite}, {asService, opInvite},
		{asMember, opBlock}, {asAnn, opBlock},
		{asOutsider, opGetApp}, {asOutsider, opUpdateApp},
		{asBob, opGetApp},
		{otherApp, opGetApp},
	}, errs.CodeForbidden)
}

// TestRulesTokenRevoked: a token issued before the user's revocation mark
// is refused, whatever the role.
func TestRulesTokenRevoked(t *testing.T) {
	for _, c := range []auth.Caller{asOwner, asAdmin, asAnn} {
		t.Run(c.User, func(t *testing.T) {
			w := newWorld(t)
			ctx := testkit.Context(t)
			var mark int64
			err := w.store.InTx(ctx, func(q service.Queries) error {
				marks, err := q.RevokeTokens(ctx, appID, c.User)
				if len(marks) == 1 {
					mark = marks[0].Seq
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			old, fresh := c, c
			old.TokenSeq, fresh.TokenSeq = mark, mark+1
			if got := refusal(opGetApp.call(auth.WithCaller(ctx, old), w.svc)); got != errs.CodeTokenInvalid {
				t.Errorf("a token issued at the mark: %v, want %v", got, errs.CodeTokenInvalid)
			}
			if got := refusal(opGetApp.call(auth.WithCaller(ctx, fresh), w.svc)); got != 0 {
				t.Errorf("a token issued after the mark: %v", got)
			}
		})
	}
}

// TestRulesUnpublished: members see nothing of an app that is not
// published; its organizers do.
func TestRulesUnpublished(t *testing.T) {
	w := newWorld(t)
	ctx := testkit.Context(t)
	if _, err := w.svc.SetStatus(auth.WithCaller(ctx, asOwner), appID, hub.StatusUnpublished); err != nil {
		t.Fatal(err)
	}
	if got := refusal(opGetApp.call(auth.WithCaller(ctx, asAnn), w.svc)); got != errs.CodeForbidden {
		t.Errorf("a member of an unpublished app: %v, want %v", got, errs.CodeForbidden)
	}
	if got := refusal(opGetApp.call(auth.WithCaller(ctx, asMod), w.svc)); got != 0 {
		t.Errorf("a moderator of an unpublished app: %v", got)
	}
	if _, err := w.svc.RequestCode(ctx, appID, "ann@x.io", ""); refusal(err) != errs.CodeNotFound {
		t.Errorf("a code of an unpublished app: %v, want not found", err)
	}
}

// TestRulesRefusedChangesWriteNothing: a refused change leaves the store
// and the outbox as they were.
func TestRulesRefusedChangesWriteNothing(t *testing.T) {
	for _, c := range []ruleCase{{asMod, opUpdateApp}, {asMember, opDeleteEvent}, {asAdmin, opDeleteApp}} {
		t.Run(c.name(), func(t *testing.T) {
			w := newWorld(t)
			ctx := testkit.Context(t)
			before := len(w.store.Outbox())
			if err := c.op.call(auth.WithCaller(ctx, c.caller), w.svc); err == nil {
				t.Fatal("allowed")
			}
			if n := len(w.store.Outbox()); n != before {
				t.Errorf("the outbox went from %d to %d events", before, n)
			}
			a, err := w.store.App(ctx, appID, false)
			if err != nil || a.Name != "App" {
				t.Errorf("the app is now %+v, %v", a, err)
			}
			if _, err := w.store.Event(ctx, appID, "ev", false); err != nil {
				t.Errorf("the event: %v", err)
			}
		})
	}
}

// ---------------------------------------------------------------------------
// Sign-in codes.

// mailedCode is the code last mailed to email (from the outbox).
func (w *world) mailedCode(t *testing.T, email string) string {
	t.Helper()
	code := ""
	for _, ev := range w.store.Outbox() {
		var p hub.MailPayload
		if ev.Type != hub.EventMailRequested || json.Unmarshal(ev.Data, &p) != nil || p.To != email {
			continue
		}
		code = p.Data["code"]
	}
	if code == "" {
		t.Fatalf("no code mailed to %s", email)
	}
	return code
}

// codeCase asks for a code for email, lets prepare act (on the world,
// with the mailed code), then verifies the code it returns.
type codeCase struct {
	name    string
	email   string
	prepare func(t *testing.T, w *world, code string) string
}

func runCodeCases(t *testing.T, cases []codeCase, want errs.Code) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			ctx := testkit.Context(t)
			if _, err := w.svc.RequestCode(ctx, appID, c.email, ""); err != nil {
				t.Fatal(err)
			}
			code := w.mailedCode(t, c.email)
			if c.prepare != nil {
				code = c.prepare(t, w, code)
			}
			_, _, err := w.svc.VerifyCode(ctx, appID, c.email, code)
			if got := refusal(err); got != want {
				t.Errorf("got %v (%v), want %v", got, err, want)
			}
		})
	}
}

// TestCodeRulesSignIn: the codes that sign in.
func TestCodeRulesSignIn(t *testing.T) {
	runCodeCases(t, []codeCase{
		{name: "a member's code", email: "ann@x.io"},
		{name: "a new email in an open app", email: "new@x.io"},
		{name: "a second before it expires", email: "ann@x.io", prepare: func(t *testing.T, w *world, code string) string {
			w.clock.Add(service.CodeTTL - time.Second)
			return code
		}},
		{name: "after fewer wrong guesses than the limit", email: "ann@x.io", prepare: func(t *testing.T, w *world, code string) string {
			for range service.MaxCodeAttempts - 1 {
				_, _, _ = w.svc.VerifyCode(testkit.Context(t), appID, "ann@x.io", wrongCode(code))
			}
			return code
		}},
	}, 0)
}

// codeOtherThan asks for a sign-in code for email, two minutes later, until
// the code mailed differs from code (two random codes are equal once in a
// million draws), and returns it.
func (w *world) codeOtherThan(t *testing.T, email, code string) string {
	t.Helper()
	for range 3 {
		w.clock.Add(2 * time.Minute)
		if _, err := w.svc.RequestCode(testkit.Context(t), appID, email, ""); err != nil {
			t.Fatal(err)
		}
		if c := w.mailedCode(t, email); c != code {
			return c
		}
	}
	t.Fatalf("three codes mailed to %s equal %s", email, code)
	return ""
}

// TestCodeRulesUnauthenticated: the codes that do not.
func TestCodeRulesUnauthenticated(t *testing.T) {
	runCodeCases(t, []codeCase{
		{name: "a wrong code", email: "ann@x.io", prepare: func(t *testing.T, w *world, code string) string { return wrongCode(code) }},
		{name: "expired", email: "ann@x.io", prepare: func(t *testing.T, w *world, code string) string {
			w.clock.Add(service.CodeTTL + time.Second)
			return code
		}},
		{name: "used once already", email: "ann@x.io", prepare: func(t *testing.T, w *world, code string) string {
			if _, _, err := w.svc.VerifyCode(testkit.Context(t), appID, "ann@x.io", code); err != nil {
				t.Fatal(err)
			}
			return code
		}},
		{name: "after as many wrong guesses as the limit", email: "ann@x.io", prepare: func(t *testing.T, w *world, code string) string {
			for range service.MaxCodeAttempts {
				_, _, _ = w.svc.VerifyCode(testkit.Context(t), appID, "ann@x.io", wrongCode(code))
			}
			return code
		}},
		{name: "an older code once a newer was asked for", email: "ann@x.io", prepare: func(t *testing.T, w *world, code string) string {
			w.codeOtherThan(t, "ann@x.io", code)
			return code
		}},
		{name: "another email's code", email: "ann@x.io", prepare: func(t *testing.T, w *world, code string) string {
			return w.codeOtherThan(t, "new@x.io", code)
		}},
	}, errs.CodeUnauthenticated)
}

// TestCodeRulesForbidden: right codes of people the app does not let in.
func TestCodeRulesForbidden(t *testing.T) {
	runCodeCases(t, []codeCase{
		{name: "a member blocked after the code was mailed", email: "ann@x.io", prepare: func(t *testing.T, w *world, code string) string {
			if _, err := w.svc.SetBlocked(auth.WithCaller(testkit.Context(t), asMod), appID, "ann", true); err != nil {
				t.Fatal(err)
			}
			return code
		}},
		{name: "a new email once the app is invite-only", email: "new@x.io", prepare: func(t *testing.T, w *world, code string) string {
			if _, err := w.svc.SetAccess(auth.WithCaller(testkit.Context(t), asOwner), appID, hub.AccessInvite, ""); err != nil {
				t.Fatal(err)
			}
			return code
		}},
	}, errs.CodeForbidden)
}

// TestCodeRulesNoMail: the requests answered as any other, with no code
// mailed (the answer does not tell who may sign in).
func TestCodeRulesNoMail(t *testing.T) {
	for _, c := range []struct {
		name, email string
		prepare     func(t *testing.T, w *world)
	}{
		{"a blocked member", "bob@x.io", nil},
		{"a new email in an invite-only app", "new@x.io", func(t *testing.T, w *world) {
			if _, err := w.svc.SetAccess(auth.WithCaller(testkit.Context(t), asOwner), appID, hub.AccessInvite, ""); err != nil {
				t.Fatal(err)
			}
		}},
		{"a new email in an expired app", "new@x.io", func(t *testing.T, w *world) {
			if _, err := w.svc.SetStatus(auth.WithCaller(testkit.Context(t), asOwner), appID, hub.StatusExpired); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			if c.prepare != nil {
				c.prepare(t, w)
			}
			if _, err := w.svc.RequestCode(testkit.Context(t), appID, c.email, ""); err != nil {
				t.Fatalf("the request was refused: %v", err)
			}
			for _, ev := range w.store.Outbox() {
				if ev.Type == hub.EventMailRequested && ev.Subject == c.email {
					t.Errorf("a mail went to %s: %s", c.email, ev.Data)
				}
			}
		})
	}
}

// TestCodeRulesRateLimited: a second code within a minute.
func TestCodeRulesRateLimited(t *testing.T) {
	w := newWorld(t)
	ctx := testkit.Context(t)
	if _, err := w.svc.RequestCode(ctx, appID, "ann@x.io", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.RequestCode(ctx, appID, "ann@x.io", ""); refusal(err) != errs.CodeRateLimited {
		t.Errorf("a second code at once: %v, want %v", err, errs.CodeRateLimited)
	}
	w.clock.Add(time.Minute)
	if _, err := w.svc.RequestCode(ctx, appID, "ann@x.io", ""); err != nil {
		t.Errorf("a second code a minute later: %v", err)
	}
}

// ---------------------------------------------------------------------------
// Invitations.

// invitationToken invites email as the owner and returns the mailed token.
func (w *world) invitationToken(t *testing.T, email string) string {
	t.Helper()
	ctx := auth.WithCaller(testkit.Context(t), asOwner)
	if _, err := w.svc.Invite(ctx, appID, email, hub.RoleModerator); err != nil {
		t.Fatal(err)
	}
	token := ""
	for _, ev := range w.store.Outbox() {
		var p hub.MailPayload
		if ev.Type == hub.EventMailRequested && json.Unmarshal(ev.Data, &p) == nil && p.To == email {
			token = p.Data["token"]
		}
	}
	if token == "" {
		t.Fatalf("no invitation mailed to %s", email)
	}
	return token
}

// acceptCase invites outsider@org.io, lets prepare act, and accepts the
// token prepare returns as who.
type acceptCase struct {
	name    string
	who     string
	prepare func(t *testing.T, w *world, token string) string
}

func runAcceptCases(t *testing.T, cases []acceptCase, want errs.Code) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			token := w.invitationToken(t, "outsider@org.io")
			if c.prepare != nil {
				token = c.prepare(t, w, token)
			}
			_, err := w.svc.Accept(auth.WithCaller(testkit.Context(t), account(c.who)), token)
			if got := refusal(err); got != want {
				t.Errorf("got %v (%v), want %v", got, err, want)
			}
		})
	}
}

// TestInvitationRulesAccepted: the invitations that make a collaborator.
func TestInvitationRulesAccepted(t *testing.T) {
	runAcceptCases(t, []acceptCase{
		{name: "the invited account", who: "outsider"},
		{name: "just before it expires", who: "outsider", prepare: func(t *testing.T, w *world, token string) string {
			w.clock.Add(hub.InvitationTTL - time.Second)
			return token
		}},
	}, 0)
}

// TestInvitationRulesNotFound: the tokens that make nobody a collaborator.
func TestInvitationRulesNotFound(t *testing.T) {
	runAcceptCases(t, []acceptCase{
		{name: "a wrong token", who: "outsider", prepare: func(t *testing.T, w *world, token string) string { return token + "x" }},
		{name: "expired", who: "outsider", prepare: func(t *testing.T, w *world, token string) string {
			w.clock.Add(hub.InvitationTTL)
			return token
		}},
		{name: "revoked", who: "outsider", prepare: func(t *testing.T, w *world, token string) string {
			ctx := auth.WithCaller(testkit.Context(t), asOwner)
			invs, err := w.svc.Invitations(ctx, appID)
			if err != nil || len(invs) != 1 {
				t.Fatalf("invitations: %v, %v", invs, err)
			}
			if _, err := w.svc.RevokeInvitation(ctx, appID, invs[0].ID); err != nil {
				t.Fatal(err)
			}
			return token
		}},
		{name: "replaced by a new invitation of the email", who: "outsider", prepare: func(t *testing.T, w *world, token string) string {
			w.invitationToken(t, "outsider@org.io")
			return token
		}},
		{name: "accepted already", who: "outsider", prepare: func(t *testing.T, w *world, token string) string {
			if _, err := w.svc.Accept(auth.WithCaller(testkit.Context(t), account("outsider")), token); err != nil {
				t.Fatal(err)
			}
			return token
		}},
	}, errs.CodeNotFound)
}

// TestInvitationRulesConflict: invitations of people who collaborate
// already.
func TestInvitationRulesConflict(t *testing.T) {
	runAcceptCases(t, []acceptCase{
		{name: "accepted by a collaborator", who: hub.RoleMember},
	}, errs.CodeConflict)
	t.Run("inviting a collaborator's email", func(t *testing.T) {
		w := newWorld(t)
		_, err := w.svc.Invite(auth.WithCaller(testkit.Context(t), asOwner), appID, "admin@org.io", hub.RoleModerator)
		if got := refusal(err); got != errs.CodeConflict {
			t.Errorf("got %v, want %v", got, errs.CodeConflict)
		}
	})
}

// ---------------------------------------------------------------------------
// Event codes, addresses and speakers.

// TestEventCodeIgnoresSurroundingSpaces: the event code is compared
// without the spaces around it on both sides (an organizer pasting
// " SECRET " does not lock every attendee out), and a code of spaces only
// is no code.
func TestEventCodeIgnoresSurroundingSpaces(t *testing.T) {
	w := newWorld(t)
	ctx := testkit.Context(t)
	octx := auth.WithCaller(ctx, asOwner)
	in := service.EventInput{Name: ptr("Coded"), TimeZone: ptr("UTC"), Start: ptr("2026-07-01T09:00"), End: ptr("2026-07-01T18:00"),
		Access: ptr(hub.EventAccessCode), Code: ptr("  SECRET \t")}
	ev, err := w.svc.CreateEvent(octx, appID, in)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Code != "SECRET" {
		t.Errorf("stored code %q, want %q", ev.Code, "SECRET")
	}
	for _, typed := range []string{"SECRET", " SECRET "} {
		if _, err := w.svc.Register(auth.WithCaller(ctx, asAnn), appID, ev.ID, typed); err != nil {
			t.Errorf("register with %q: %v", typed, err)
		}
	}
	in.Code = ptr("    ")
	if _, err := w.svc.CreateEvent(octx, appID, in); refusal(err) != errs.CodeInvalid {
		t.Errorf("a code of spaces only: %v, want %v", err, errs.CodeInvalid)
	}
	if _, err := w.svc.UpdateEvent(octx, appID, ev.ID, service.EventInput{Code: ptr("     ")}); refusal(err) != errs.CodeInvalid {
		t.Errorf("changing the code to spaces only: %v, want %v", err, errs.CodeInvalid)
	}
}

// TestCodeRulesOneMemberPerMailbox: an address written with the root's
// trailing dot ("bob@x.io.", which mail delivers to bob@x.io) is the
// same address: a blocked member gets no code through it, and a member
// who signs in with it is the member of that address, not a second one.
func TestCodeRulesOneMemberPerMailbox(t *testing.T) {
	w := newWorld(t)
	ctx := testkit.Context(t)
	if _, err := w.svc.RequestCode(ctx, appID, "bob@x.io.", ""); err != nil {
		t.Fatal(err)
	}
	for _, ev := range w.store.Outbox() {
		var p hub.MailPayload
		if ev.Type == hub.EventMailRequested && json.Unmarshal(ev.Data, &p) == nil && p.Template == "sign_in_code" {
			t.Errorf("a blocked member got a code through %q", p.To)
		}
	}
	w.clock.Add(time.Minute)
	if _, err := w.svc.RequestCode(ctx, appID, "Ann@X.io.", ""); err != nil {
		t.Fatal(err)
	}
	m, _, err := w.svc.VerifyCode(ctx, appID, "ann@x.io.", w.mailedCode(t, "ann@x.io"))
	if err != nil {
		t.Fatal(err)
	}
	if m.ID != "ann" {
		t.Errorf("signed in as member %s (%s), want ann", m.ID, m.Email)
	}
}

// TestSpeakersOfHiddenEvents: a member's speaker list leaves out the
// speakers whose every session is in an event whose agenda the member may
// not read (hidden from them, or for its registered attendees); a speaker
// with no session, or with one in an event they may read, is listed, and
// organizers see every speaker.
func TestSpeakersOfHiddenEvents(t *testing.T) {
	w := newWorld(t)
	ctx := testkit.Context(t)
	octx := auth.WithCaller(ctx, asOwner)
	hidden, err := w.svc.CreateEvent(octx, appID, service.EventInput{Name: ptr("Board"), TimeZone: ptr("UTC"),
		Start: ptr("2026-07-01T09:00"), End: ptr("2026-07-01T18:00"), Visibility: ptr(hub.VisibilityHidden)})
	if err != nil {
		t.Fatal(err)
	}
	speaker := func(name string) string {
		t.Helper()
		sp, err := w.svc.SaveSpeaker(octx, service.Speaker{AppID: appID, Name: name})
		if err != nil {
			t.Fatal(err)
		}
		return sp.ID
	}
	secret, both, public := speaker("Secret guest"), speaker("Both"), speaker("Public")
	speaker("Idle")
	session := func(event, start string, speakers ...string) {
		t.Helper()
		if _, err := w.svc.SaveSession(octx, service.SessionInput{AppID: appID, EventID: event, Title: "Talk", Start: start,
			End: start[:11] + "23:00", SpeakerIDs: speakers}); err != nil {
			t.Fatal(err)
		}
	}
	session(hidden.ID, "2026-07-01T10:00", secret, both)
	evStart := time.Date(2026, 6, 2, 9, 0, 0, 0, time.UTC).Format(hub.LocalTimeLayout) // "ev" starts a day after the world's clock
	session("ev", evStart, both, public)
	names := func(caller auth.Caller) []string {
		t.Helper()
		sps, _, err := w.svc.ListSpeakers(auth.WithCaller(ctx, caller), appID)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, sp := range sps {
			out = append(out, sp.Name)
		}
		return out
	}
	if got, want := names(asAnn), []string{"Both", "Idle", "Public"}; !slices.Equal(got, want) {
		t.Errorf("a member sees %v, want %v", got, want)
	}
	if got, want := names(asMod), []string{"Both", "Idle", "Public", "Secret guest"}; !slices.Equal(got, want) {
		t.Errorf("a moderator sees %v, want %v", got, want)
	}
	if _, err := w.svc.AddAttendees(octx, appID, hidden.ID, []string{"ann"}); err != nil {
		t.Fatal(err)
	}
	if got, want := names(asAnn), []string{"Both", "Idle", "Public", "Secret guest"}; !slices.Equal(got, want) {
		t.Errorf("a member registered to the hidden event sees %v, want %v", got, want)
	}
}

// TestAgendaDayWhereMidnightIsSkipped: in Santiago, 2026-09-06 starts at
// 01:00 (clocks go from 00:00 to 01:00); the agenda of that day holds its
// sessions and not the last one of the evening before, which time.Date's
// midnight (23:00 on the 5th) took in.
func TestAgendaDayWhereMidnightIsSkipped(t *testing.T) {
	w := newWorld(t)
	ctx := testkit.Context(t)
	octx := auth.WithCaller(ctx, asOwner)
	ev, err := w.svc.CreateEvent(octx, appID, service.EventInput{Name: ptr("Santiago"), TimeZone: ptr("America/Santiago"),
		Start: ptr("2026-09-05T09:00"), End: ptr("2026-09-06T18:00")})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range []struct{ title, start, end string }{
		{"Late", "2026-09-05T23:10", "2026-09-05T23:50"},
		{"Morning", "2026-09-06T09:00", "2026-09-06T10:00"},
	} {
		if _, err := w.svc.SaveSession(octx, service.SessionInput{AppID: appID, EventID: ev.ID, Title: x.title, Start: x.start, End: x.end}); err != nil {
			t.Fatal(err)
		}
	}
	ag, err := w.svc.GetAgenda(octx, appID, ev.ID, "2026-09-06", "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range ag.Days {
		for _, x := range d.Sessions {
			got = append(got, x.Title)
		}
	}
	if !slices.Equal(got, []string{"Morning"}) {
		t.Errorf("the agenda of 2026-09-06 in Santiago holds %v, want [Morning]", got)
	}
}
