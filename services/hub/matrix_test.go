package hub_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/attendify/hub"
	"github.com/attendify/hub/internal/app"
	"github.com/attendify/hub/internal/hubtest"
	"github.com/attendify/hub/internal/service"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/testkit"
)

// The kinds of caller of the auth matrix test.
const (
	anon    = "anonymous"
	other   = "member of another app"
	member  = "member"
	collab  = "collaborator" // the "member" collaborator role
	mod     = "moderator"
	admin   = "admin"
	owner   = "owner"
	svc     = "service"
	account = "organizer account" // an organizer's account token, not scoped to an app
)

var callers = []string{anon, other, member, collab, mod, admin, owner, svc, account}

const password = "correct horse battery"

// world is what every case shares: the organizers, and app B with its
// member (the "member of another app").
type world struct {
	env                       *hubtest.Env
	owner, admin, mod, collab service.Organizer
	appB                      service.App
	memberB                   service.MemberView
	seq                       atomic.Int64
}

// fixture is one case's app A, fresh, with something of every kind in it.
type fixture struct {
	w                *world
	app              service.App
	event, codeEvent service.Event
	room             service.Room
	track            service.Track
	speaker          service.Speaker
	session          service.SessionView
	member, target   service.MemberView
	uniq             string
}

func serviceCtx(ctx context.Context) context.Context {
	return auth.WithCaller(ctx, auth.Caller{Kind: auth.CallerService, Service: "test"})
}

// freshSeq is the sequence number of the tokens the fixtures act with:
// issued after any revocation the cases make.
const freshSeq = math.MaxInt64

func accountCtx(ctx context.Context, id string) context.Context {
	return auth.WithCaller(ctx, auth.Caller{Kind: auth.CallerUser, User: id, Role: auth.RoleOrganizer, TokenSeq: freshSeq})
}

// signUp creates an organizer account through the domain, as
// auth.signUp and auth.confirmSignUp do.
func signUp(ctx context.Context, d *service.Service, email string) (service.Organizer, error) {
	if _, err := d.SignUp(ctx, email, ""); err != nil {
		return service.Organizer{}, err
	}
	tok, err := d.DevLastToken(hub.TokenSignUp, "", email)
	if err != nil {
		return service.Organizer{}, err
	}
	o, _, _, err := d.ConfirmSignUp(ctx, tok, password, "Organizer")
	return o, err
}

// invitation invites email to app as the app's owner (the world's) and
// returns the invitation and its mailed token.
func (w *world) invitation(ctx context.Context, app, email, role string) (service.InvitationView, string, error) {
	d := w.env.Hub.Domain
	octx := auth.WithCaller(ctx, auth.Caller{Kind: auth.CallerUser, User: w.owner.ID, App: app, Role: auth.RoleOwner, TokenSeq: freshSeq})
	inv, err := d.Invite(octx, app, email, role)
	if err != nil {
		return service.InvitationView{}, "", err
	}
	tok, err := d.DevLastToken(hub.TokenInvitation, app, email)
	return inv, tok, err
}

// startWorld starts a hub for a world's fixtures: the world's owner
// invites three organizers to every fixture's app, far more than an
// inviter's hourly quota.
func startWorld(t *testing.T) *hubtest.Env {
	return hubtest.StartWith(t, func(c *app.Config) { c.InvitesPerInviterHour = 1 << 20 })
}

func newWorld(t *testing.T, env *hubtest.Env) *world {
	ctx := testkit.Context(t)
	d := env.Hub.Domain
	w := &world{env: env}
	for _, o := range []*service.Organizer{&w.owner, &w.admin, &w.mod, &w.collab} {
		var err error
		if *o, err = signUp(ctx, d, fmt.Sprintf("org%d@example.com", w.seq.Add(1))); err != nil {
			t.Fatal(err)
		}
	}
	var err error
	if w.appB, err = d.CreateApp(accountCtx(ctx, w.owner.ID), "App B", "app-b"); err != nil {
		t.Fatal(err)
	}
	sctx := serviceCtx(ctx)
	if _, err := d.SetStatus(sctx, w.appB.ID, hub.StatusPublished); err != nil {
		t.Fatal(err)
	}
	if w.memberB, err = d.CreateMember(sctx, service.Member{AppID: w.appB.ID, Email: "b@example.com", Name: "Bea"}); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *world) fixture(t *testing.T) *fixture {
	t.Helper()
	ctx := testkit.Context(t)
	d := w.env.Hub.Domain
	n := w.seq.Add(1)
	f := &fixture{w: w, uniq: fmt.Sprint(n)}
	var err error
	check := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	f.app, err = d.CreateApp(accountCtx(ctx, w.owner.ID), "App A", fmt.Sprintf("app-a-%d", n))
	check(err)
	for _, x := range []struct {
		o    service.Organizer
		role string
	}{{w.admin, hub.RoleAdmin}, {w.mod, hub.RoleModerator}, {w.collab, hub.RoleMember}} {
		_, tok, err := w.invitation(ctx, f.app.ID, x.o.Email, x.role)
		check(err)
		_, err = d.Accept(accountCtx(ctx, x.o.ID), tok)
		check(err)
	}
	sctx := serviceCtx(ctx)
	_, err = d.SetStatus(sctx, f.app.ID, hub.StatusPublished)
	check(err)
	s := func(v string) *string { return &v }
	f.event, err = d.CreateEvent(sctx, f.app.ID, service.EventInput{Name: s("Conf"), TimeZone: s("Europe/Paris"),
		Start: s("2026-06-11T09:00"), End: s("2026-06-12T18:00")})
	check(err)
	f.codeEvent, err = d.CreateEvent(sctx, f.app.ID, service.EventInput{Name: s("Workshop"), TimeZone: s("UTC"),
		Start: s("2026-06-13T09:00"), End: s("2026-06-13T18:00"), Access: s(hub.EventAccessCode), Code: s("OPEN-SESAME")})
	check(err)
	f.room, err = d.SaveRoom(sctx, service.Room{AppID: f.app.ID, EventID: f.event.ID, Name: "Hall"})
	check(err)
	f.track, err = d.SaveTrack(sctx, service.Track{AppID: f.app.ID, EventID: f.event.ID, Name: "Go"})
	check(err)
	f.speaker, err = d.SaveSpeaker(sctx, service.Speaker{AppID: f.app.ID, Name: "Grace", Email: "grace@example.com"})
	check(err)
	f.session, err = d.SaveSession(sctx, service.SessionInput{AppID: f.app.ID, EventID: f.event.ID, Title: "Keynote",
		Start: "2026-06-11T09:30", End: "2026-06-11T10:30", RoomID: f.room.ID, TrackID: f.track.ID, SpeakerIDs: []string{f.speaker.ID}})
	check(err)
	f.member, err = d.CreateMember(sctx, service.Member{AppID: f.app.ID, Email: "m@example.com", Name: "Mia"})
	check(err)
	f.target, err = d.CreateMember(sctx, service.Member{AppID: f.app.ID, Email: "t@example.com", Name: "Tom"})
	check(err)
	return f
}

// token is the token a caller kind presents ("" for anonymous and services).
func (f *fixture) token(t *testing.T, caller string) string {
	w, e := f.w, f.w.env
	app := f.app.ID
	switch caller {
	case other:
		return e.Token(t, auth.Claims{User: w.memberB.ID, App: w.appB.ID, Role: auth.RoleAttendee})
	case member:
		return e.Token(t, auth.Claims{User: f.member.ID, App: app, Role: auth.RoleAttendee})
	case collab:
		return e.Token(t, auth.Claims{User: w.collab.ID, App: app, Role: auth.RoleCollaborator})
	case mod:
		return e.Token(t, auth.Claims{User: w.mod.ID, App: app, Role: auth.RoleModerator})
	case admin:
		return e.Token(t, auth.Claims{User: w.admin.ID, App: app, Role: auth.RoleAdmin})
	case owner:
		return e.Token(t, auth.Claims{User: w.owner.ID, App: app, Role: auth.RoleOwner})
	case account:
		return e.Token(t, auth.Claims{User: w.owner.ID, Role: auth.RoleOrganizer})
	}
	return ""
}

// matrixCase is one method of the matrix: its params for a fixture and the
// callers allowed to call it.
type matrixCase struct {
	method  string
	level   auth.Level
	params  func(f *fixture) any
	allowed []string
}

// revoking are the methods that revoke the caller's tokens: their cases
// run before the others, which take fresh tokens.
var revoking = map[string]bool{"organizer.changePassword": true, "auth.signOut": true}

var (
	everyone   = callers
	readers    = []string{member, collab, mod, admin, owner, svc}
	organizers = []string{collab, mod, admin, owner, svc}
	editors    = []string{collab, admin, owner, svc}
	managers   = []string{admin, owner, svc}
)

func ids(f *fixture) hub.AppParams { return hub.AppParams{AppRef: rpc.AppRef{App: f.app.ID}} }

func (f *fixture) email() string { return "x" + f.uniq + "@example.com" }

func (f *fixture) sentCode() (string, string) {
	ctx := serviceCtx(context.Background())
	email := f.email()
	d := f.w.env.Hub.Domain
	if _, err := d.RequestCode(ctx, f.app.ID, email, ""); err != nil {
		panic(err)
	}
	code, err := d.DevLastCode(f.app.ID, email)
	if err != nil {
		panic(err)
	}
	return email, code
}

// sentToken starts a sign-up of the fixture's email and returns the
// mailed token.
func (f *fixture) sentToken() string {
	d := f.w.env.Hub.Domain
	if _, err := d.SignUp(context.Background(), f.email(), ""); err != nil {
		panic(err)
	}
	tok, err := d.DevLastToken(hub.TokenSignUp, "", f.email())
	if err != nil {
		panic(err)
	}
	return tok
}

func matrixCases() []matrixCase {
	s := func(v string) *string { return &v }
	return []matrixCase{
		{"auth.signUp", auth.Public, func(f *fixture) any { return hub.SignUpParams{Email: f.email()} }, everyone},
		{"auth.confirmSignUp", auth.Public, func(f *fixture) any {
			return hub.ConfirmSignUpParams{Token: f.sentToken(), Password: password, Name: "New"}
		}, everyone},
		{"auth.logIn", auth.Public, func(f *fixture) any { return hub.LogInParams{Email: f.w.owner.Email, Password: password} }, everyone},
		{"auth.appToken", auth.User, func(f *fixture) any { return ids(f) }, []string{account}},
		{"organizer.me", auth.User, func(f *fixture) any { return hub.NoParams{} }, []string{account}},
		{"organizer.changePassword", auth.User, func(f *fixture) any {
			return hub.ChangePasswordParams{OldPassword: password, NewPassword: password}
		}, []string{account}},
		{"auth.signOut", auth.User, func(f *fixture) any { return hub.NoParams{} },
			[]string{other, member, collab, mod, admin, owner, account}},
		{"app.create", auth.User, func(f *fixture) any { return hub.CreateAppParams{Name: "New", Slug: "new-" + f.uniq} }, []string{account}},
		{"app.list", auth.User, func(f *fixture) any { return hub.NoParams{} }, []string{account}},
		{"app.info", auth.Public, func(f *fixture) any { return hub.PublicAppParams{App: f.app.ID} }, everyone},
		{"app.get", auth.Member, func(f *fixture) any { return ids(f) }, readers},
		{"app.update", auth.Admin, func(f *fixture) any {
			return hub.UpdateAppParams{AppRef: rpc.AppRef{App: f.app.ID}, Name: s("Renamed")}
		}, managers},
		{"app.setAccess", auth.Admin, func(f *fixture) any {
			return hub.SetAccessParams{AppRef: rpc.AppRef{App: f.app.ID}, Access: hub.AccessPasscode, Passcode: "1234"}
		}, managers},
		{"app.publish", auth.Admin, func(f *fixture) any { return ids(f) }, managers},
		{"app.unpublish", auth.Admin, func(f *fixture) any { return ids(f) }, managers},
		{"app.expire", auth.Admin, func(f *fixture) any { return ids(f) }, managers},
		{"app.delete", auth.Admin, func(f *fixture) any { return ids(f) }, []string{owner}},
		{"app.transferOwnership", auth.Admin, func(f *fixture) any {
			return hub.TransferOwnershipParams{AppRef: rpc.AppRef{App: f.app.ID}, OrganizerID: f.w.admin.ID}
		}, []string{owner}},
		{"app.emailCollisions", auth.Admin, func(f *fixture) any {
			return hub.EmailCollisionsParams{AppRef: rpc.AppRef{App: f.app.ID}, IncludeResolved: true}
		}, organizers},
		{"collaborator.list", auth.Admin, func(f *fixture) any { return ids(f) }, organizers},
		{"collaborator.invite", auth.Admin, func(f *fixture) any {
			return hub.InviteParams{AppRef: rpc.AppRef{App: f.app.ID}, Email: f.email(), Role: hub.RoleMember}
		}, []string{admin, owner}},
		{"collaborator.invitations", auth.Admin, func(f *fixture) any { return ids(f) }, organizers},
		{"collaborator.revokeInvitation", auth.Admin, func(f *fixture) any {
			inv, _, err := f.w.invitation(context.Background(), f.app.ID, f.email(), hub.RoleMember)
			if err != nil {
				panic(err)
			}
			return hub.InvitationParams{AppRef: rpc.AppRef{App: f.app.ID}, Invitation: inv.ID}
		}, []string{admin, owner}},
		{"collaborator.accept", auth.User, func(f *fixture) any {
			// An invitation to an app of another owner: the account caller
			// (the world's owner) does not collaborate on it yet.
			ctx := context.Background()
			d := f.w.env.Hub.Domain
			a, err := d.CreateApp(accountCtx(ctx, f.w.admin.ID), "Other", "other-"+f.uniq)
			if err != nil {
				panic(err)
			}
			actx := auth.WithCaller(ctx, auth.Caller{Kind: auth.CallerUser, User: f.w.admin.ID, App: a.ID, Role: auth.RoleOwner, TokenSeq: freshSeq})
			if _, err := d.Invite(actx, a.ID, f.email(), hub.RoleMember); err != nil {
				panic(err)
			}
			tok, err := d.DevLastToken(hub.TokenInvitation, a.ID, f.email())
			if err != nil {
				panic(err)
			}
			return hub.AcceptParams{Token: tok}
		}, []string{account}},
		{"collaborator.setRole", auth.Admin, func(f *fixture) any {
			return hub.SetRoleParams{AppRef: rpc.AppRef{App: f.app.ID}, OrganizerID: f.w.collab.ID, Role: hub.RoleModerator}
		}, []string{admin, owner}},
		{"collaborator.remove", auth.Admin, func(f *fixture) any {
			return hub.RemoveCollaboratorParams{AppRef: rpc.AppRef{App: f.app.ID}, OrganizerID: f.w.mod.ID}
		}, []string{mod, admin, owner}}, // the moderator removes themself
		{"event.create", auth.Admin, func(f *fixture) any {
			return hub.CreateEventParams{AppRef: rpc.AppRef{App: f.app.ID}, Name: "New", TimeZone: "UTC", Start: "2026-01-01T10:00", End: "2026-01-01T12:00"}
		}, editors},
		{"event.update", auth.Admin, func(f *fixture) any {
			return hub.UpdateEventParams{AppRef: rpc.AppRef{App: f.app.ID}, Event: f.event.ID, Name: s("Renamed")}
		}, editors},
		{"event.delete", auth.Admin, func(f *fixture) any { return hub.EventParams{AppRef: rpc.AppRef{App: f.app.ID}, Event: f.event.ID} }, managers},
		{"event.list", auth.Member, func(f *fixture) any { return ids(f) }, readers},
		{"event.get", auth.Member, func(f *fixture) any { return hub.EventParams{AppRef: rpc.AppRef{App: f.app.ID}, Event: f.event.ID} }, readers},
		{"event.register", auth.Member, func(f *fixture) any {
			return hub.RegisterParams{AppRef: rpc.AppRef{App: f.app.ID}, Event: f.codeEvent.ID, Code: "OPEN-SESAME"}
		}, []string{member}},
		{"event.addAttendees", auth.Admin, func(f *fixture) any {
			return hub.AttendeesParams{AppRef: rpc.AppRef{App: f.app.ID}, Event: f.event.ID, Members: []string{f.target.ID}}
		}, editors},
		{"event.removeAttendees", auth.Admin, func(f *fixture) any {
			return hub.AttendeesParams{AppRef: rpc.AppRef{App: f.app.ID}, Event: f.event.ID, Members: []string{f.target.ID}}
		}, editors},
		{"member.create", auth.Admin, func(f *fixture) any {
			return hub.CreateMemberParams{AppRef: rpc.AppRef{App: f.app.ID}, MemberInput: hub.MemberInput{Email: f.email(), Name: "New"}}
		}, organizers},
		{"member.update", auth.Admin, func(f *fixture) any {
			return hub.UpdateMemberParams{AppRef: rpc.AppRef{App: f.app.ID}, Member: f.target.ID, ProfileChanges: hub.ProfileChanges{Title: s("CTO")}}
		}, organizers},
		{"member.get", auth.Member, func(f *fixture) any { return hub.MemberParams{AppRef: rpc.AppRef{App: f.app.ID}, Member: f.target.ID} }, readers},
		{"member.search", auth.Member, func(f *fixture) any { return hub.SearchMembersParams{AppRef: rpc.AppRef{App: f.app.ID}, Query: "to"} }, readers},
		{"member.block", auth.Admin, func(f *fixture) any { return hub.MemberParams{AppRef: rpc.AppRef{App: f.app.ID}, Member: f.target.ID} },
			[]string{mod, admin, owner, svc}},
		{"member.unblock", auth.Admin, func(f *fixture) any { return hub.MemberParams{AppRef: rpc.AppRef{App: f.app.ID}, Member: f.target.ID} },
			[]string{mod, admin, owner, svc}},
		{"member.delete", auth.Admin, func(f *fixture) any { return hub.MemberParams{AppRef: rpc.AppRef{App: f.app.ID}, Member: f.target.ID} }, managers},
		{"member.me", auth.Member, func(f *fixture) any { return ids(f) }, []string{member}},
		{"member.updateMe", auth.Member, func(f *fixture) any {
			return hub.UpdateMeParams{AppRef: rpc.AppRef{App: f.app.ID}, ProfileChanges: hub.ProfileChanges{Bio: s("Hi")}}
		}, []string{member}},
		{"member.deleteMe", auth.Member, func(f *fixture) any { return ids(f) }, []string{member}},
		{"auth.requestCode", auth.Public, func(f *fixture) any { return hub.RequestCodeParams{App: f.app.ID, Email: f.email()} }, everyone},
		{"auth.verifyCode", auth.Public, func(f *fixture) any {
			email, code := f.sentCode()
			return hub.VerifyCodeParams{App: f.app.ID, Email: email, Code: code}
		}, everyone},
		{"dev.lastCode", auth.Service, func(f *fixture) any {
			email, _ := f.sentCode()
			return hub.DevCodeParams{App: f.app.ID, Email: email}
		}, []string{svc}},
		{"dev.lastToken", auth.Service, func(f *fixture) any {
			f.sentToken()
			return hub.DevTokenParams{Kind: hub.TokenSignUp, Email: f.email()}
		}, []string{svc}},
		{"room.save", auth.Admin, func(f *fixture) any {
			return hub.RoomParams{AppRef: rpc.AppRef{App: f.app.ID}, Event: f.event.ID, Name: "Annex"}
		}, editors},
		{"room.delete", auth.Admin, func(f *fixture) any {
			r, err := f.w.env.Hub.Domain.SaveRoom(serviceCtx(context.Background()), service.Room{AppID: f.app.ID, EventID: f.event.ID, Name: "Spare"})
			if err != nil {
				panic(err)
			}
			return hub.ItemParams{AppRef: rpc.AppRef{App: f.app.ID}, ID: r.ID}
		}, editors},
		{"track.save", auth.Admin, func(f *fixture) any {
			return hub.TrackParams{AppRef: rpc.AppRef{App: f.app.ID}, Event: f.event.ID, Name: "Rust"}
		}, editors},
		{"track.delete", auth.Admin, func(f *fixture) any {
			x, err := f.w.env.Hub.Domain.SaveTrack(serviceCtx(context.Background()), service.Track{AppID: f.app.ID, EventID: f.event.ID, Name: "Spare"})
			if err != nil {
				panic(err)
			}
			return hub.ItemParams{AppRef: rpc.AppRef{App: f.app.ID}, ID: x.ID}
		}, editors},
		{"speaker.save", auth.Admin, func(f *fixture) any {
			return hub.SpeakerParams{AppRef: rpc.AppRef{App: f.app.ID}, SpeakerInput: hub.SpeakerInput{Name: "Linus"}}
		}, editors},
		{"speaker.delete", auth.Admin, func(f *fixture) any { return hub.ItemParams{AppRef: rpc.AppRef{App: f.app.ID}, ID: f.speaker.ID} }, editors},
		{"speaker.list", auth.Member, func(f *fixture) any { return ids(f) }, readers},
		{"session.save", auth.Admin, func(f *fixture) any {
			return hub.SessionParams{AppRef: rpc.AppRef{App: f.app.ID}, Event: f.event.ID, SessionInput: hub.SessionInput{Title: "Lunch",
				Start: "2026-06-11T12:00", End: "2026-06-11T13:00", Room: f.room.ID}}
		}, editors},
		{"session.delete", auth.Admin, func(f *fixture) any { return hub.ItemParams{AppRef: rpc.AppRef{App: f.app.ID}, ID: f.session.ID} }, editors},
		{"session.get", auth.Member, func(f *fixture) any { return hub.ItemParams{AppRef: rpc.AppRef{App: f.app.ID}, ID: f.session.ID} }, readers},
		{"agenda.get", auth.Member, func(f *fixture) any { return hub.AgendaParams{AppRef: rpc.AppRef{App: f.app.ID}, Event: f.event.ID} }, readers},
		{"bulk.members", auth.Service, func(f *fixture) any {
			return hub.BulkMembersParams{AppRef: rpc.AppRef{App: f.app.ID}, Members: []hub.MemberInput{{Email: f.email(), Name: "Bulk"}}}
		}, []string{svc}},
		{"bulk.speakers", auth.Service, func(f *fixture) any {
			return hub.BulkSpeakersParams{AppRef: rpc.AppRef{App: f.app.ID}, Speakers: []hub.SpeakerInput{{ExternalID: "sp-1", Name: "Bulk"}}}
		}, []string{svc}},
		{"bulk.sessions", auth.Service, func(f *fixture) any {
			return hub.BulkSessionsParams{AppRef: rpc.AppRef{App: f.app.ID}, Event: f.event.ID, Sessions: []hub.BulkSessionInput{{ExternalID: "s-1",
				Title: "Bulk", Start: "2026-06-11T14:00", End: "2026-06-11T15:00", Room: "Hall"}}}
		}, []string{svc}},
		{"app.ids", auth.Service, func(f *fixture) any { return hub.AppIDsParams{After: f.app.ID} }, []string{svc}},
	}
}

// denial is the error a caller that is not allowed gets.
func denial(level auth.Level, caller string) errs.Code {
	switch {
	case caller == anon:
		return errs.CodeUnauthenticated
	case (caller == other || caller == account) && (level == auth.Member || level == auth.Admin):
		return errs.CodeTokenWrongApp
	}
	return errs.CodeForbidden
}

// TestAuthMatrix calls every method as every kind of caller and checks the
// answer: success for the allowed, the right error for the others.
func TestAuthMatrix(t *testing.T) {
	env := startWorld(t)
	w := newWorld(t, env)
	cases := matrixCases()

	// Every method the server has is in the table.
	var doc struct {
		Methods []struct {
			Name  string `json:"name"`
			XAuth string `json:"x-auth"`
		} `json:"methods"`
	}
	if err := json.Unmarshal(env.Hub.RPC.Discover(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, m := range doc.Methods {
		i := slices.IndexFunc(cases, func(c matrixCase) bool { return c.method == m.Name })
		if i < 0 {
			t.Errorf("method %s is not in the auth matrix test", m.Name)
			continue
		}
		if got := cases[i].level.String(); got != m.XAuth {
			t.Errorf("%s: the test says level %s, the server %s", m.Name, got, m.XAuth)
		}
	}
	if len(cases) != len(doc.Methods) {
		t.Errorf("%d cases for %d methods", len(cases), len(doc.Methods))
	}

	for _, mc := range cases {
		t.Run(mc.method, func(t *testing.T) {
			if !revoking[mc.method] {
				t.Parallel() // after the loop: after the revoking cases
			}
			for _, caller := range callers {
				f := w.fixture(t)
				ctx := hubtest.As(testkit.Context(t), f.token(t, caller))
				client := env.Client
				if caller == svc {
					client = env.Service
				}
				var out json.RawMessage
				err := client.Call(ctx, mc.method, false, mc.params(f), &out)
				if slices.Contains(mc.allowed, caller) {
					if err != nil {
						t.Errorf("%s as %s: %v, want success", mc.method, caller, err)
					}
					continue
				}
				want := denial(mc.level, caller)
				if got := errs.CodeOf(err); got != want {
					t.Errorf("%s as %s: got %v (%s), want %s", mc.method, caller, err, got.Name(), want.Name())
				}
			}
		})
	}
}

// TestMatrixTable checks the permission matrix as the README shows it: each
// action allowed exactly to its roles, through a method that needs it.
func TestMatrixTable(t *testing.T) {
	// One method per action: the matrix rows are enforced where they are used.
	byAction := map[hub.Action]string{
		hub.ActView:                "collaborator.list",
		hub.ActEditApp:             "app.update",
		hub.ActPublishApp:          "app.publish",
		hub.ActDeleteApp:           "app.delete",
		hub.ActTransferOwnership:   "app.transferOwnership",
		hub.ActManageCollaborators: "collaborator.invite",
		hub.ActEditEvents:          "event.create",
		hub.ActDeleteEvents:        "event.delete",
		hub.ActEditAgenda:          "session.save",
		hub.ActEditMembers:         "member.update",
		hub.ActModerateMembers:     "member.block",
		hub.ActDeleteMembers:       "member.delete",
	}
	roleCaller := map[string]string{hub.RoleOwner: owner, hub.RoleAdmin: admin, hub.RoleModerator: mod, hub.RoleMember: collab, hub.RoleService: svc}
	cases := matrixCases()
	for action, method := range byAction {
		i := slices.IndexFunc(cases, func(c matrixCase) bool { return c.method == method })
		for _, role := range hub.MatrixRoles {
			if hub.Allowed(role, action) != slices.Contains(cases[i].allowed, roleCaller[role]) {
				t.Errorf("%s: matrix says %s allowed=%v, the auth matrix test of %s disagrees",
					hub.ActionNames[action], role, hub.Allowed(role, action), method)
			}
		}
	}
	if len(byAction) != len(hub.ActionNames) {
		t.Errorf("%d actions checked, %d in the matrix", len(byAction), len(hub.ActionNames))
	}
}
