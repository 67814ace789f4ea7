package hub_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/attendify/hub"
	"github.com/attendify/hub/internal/hubtest"
	"github.com/attendify/hub/internal/service"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/testkit"
)

// answer is what a caller learns from an error: its code and message.
func answer(err error) string {
	if err == nil {
		return "ok"
	}
	e, ok := errs.As(err)
	if !ok {
		return err.Error()
	}
	return fmt.Sprintf("%s: %s", e.Code.Name(), e.Msg)
}

// ghostID is an id shaped like id that no event has.
func ghostID(id string) string {
	if strings.HasSuffix(id, "0") {
		return id[:len(id)-1] + "1"
	}
	return id[:len(id)-1] + "0"
}

// TestHiddenEventIsNotFound checks that every method taking an event id
// answers a member who is not registered to a hidden event exactly as it
// answers an event that does not exist, that registering does not open
// one, and that the organizers' list or the event code lets a member in.
func TestHiddenEventIsNotFound(t *testing.T) {
	env := hubtest.Start(t)
	ctx := testkit.Context(t)
	app, owner := newApp(t, env, "hidden")
	octx := hubtest.As(ctx, owner)
	newEvent := func(name, access, code string) string {
		t.Helper()
		return must(hub.CreateEvent.Call(octx, env.Client, hub.CreateEventParams{AppRef: rpc.AppRef{App: app.ID}, Name: name, TimeZone: "UTC",
			Start: "2030-06-01T09:00", End: "2030-06-02T18:00", Access: access, Code: code, Visibility: hub.VisibilityHidden}))(t).ID
	}
	hiddenOpen := newEvent("Hidden open", hub.EventAccessOpen, "")
	hiddenListed := newEvent("Hidden listed", hub.EventAccessListed, "")
	hiddenCode := newEvent("Hidden code", hub.EventAccessCode, "SECRET")
	session := must(hub.SaveSession.Call(octx, env.Client, hub.SessionParams{AppRef: rpc.AppRef{App: app.ID}, Event: hiddenOpen,
		SessionInput: hub.SessionInput{Title: "Secret talk", Start: "2030-06-01T10:00", End: "2030-06-01T11:00"}}))(t)
	n := 0
	newMember := func() (string, context.Context) {
		t.Helper()
		n++
		m := must(hub.CreateMember.Call(octx, env.Client, hub.CreateMemberParams{AppRef: rpc.AppRef{App: app.ID},
			MemberInput: hub.MemberInput{Email: fmt.Sprintf("m%d@x.io", n), Name: fmt.Sprint("M", n)}}))(t)
		return m.ID, hubtest.As(ctx, env.Token(t, auth.Claims{User: m.ID, App: app.ID, Role: auth.RoleAttendee}))
	}
	_, mctx := newMember()

	// What each method answers about an event id, as the member.
	probes := map[string]func(ctx context.Context, event string) error{
		"event.get": func(ctx context.Context, ev string) error {
			_, err := hub.GetEvent.Call(ctx, env.Client, hub.EventParams{AppRef: rpc.AppRef{App: app.ID}, Event: ev})
			return err
		},
		"agenda.get": func(ctx context.Context, ev string) error {
			_, err := hub.GetAgenda.Call(ctx, env.Client, hub.AgendaParams{AppRef: rpc.AppRef{App: app.ID}, Event: ev})
			return err
		},
		"member.search": func(ctx context.Context, ev string) error {
			_, err := hub.SearchMembers.Call(ctx, env.Client, hub.SearchMembersParams{AppRef: rpc.AppRef{App: app.ID}, Event: ev})
			return err
		},
	}
	for _, ev := range []string{hiddenOpen, hiddenListed, hiddenCode} {
		for name, probe := range probes {
			if got, want := answer(probe(mctx, ev)), answer(probe(mctx, ghostID(ev))); got != want {
				t.Errorf("%s of a hidden event: %q, of no event: %q", name, got, want)
			}
		}
	}
	// Registering, each time as a fresh member: with no code, a wrong code,
	// or to a listed event, a hidden event is not there.
	register := func(ev, code string) error {
		_, ctx := newMember()
		_, err := hub.Register.Call(ctx, env.Client, hub.RegisterParams{AppRef: rpc.AppRef{App: app.ID}, Event: ev, Code: code})
		return err
	}
	for _, c := range []struct{ name, event, code string }{
		{"open", hiddenOpen, ""},
		{"listed", hiddenListed, ""},
		{"code, none given", hiddenCode, ""},
		{"code, wrong one", hiddenCode, "GUESS"},
	} {
		if got, want := answer(register(c.event, c.code)), answer(register(ghostID(c.event), c.code)); got != want {
			t.Errorf("event.register to a hidden %s event: %q; to no event: %q", c.name, got, want)
		}
	}
	// A session of a hidden event is not there either.
	_, gerr := hub.GetSession.Call(mctx, env.Client, hub.ItemParams{AppRef: rpc.AppRef{App: app.ID}, ID: session.ID})
	_, nerr := hub.GetSession.Call(mctx, env.Client, hub.ItemParams{AppRef: rpc.AppRef{App: app.ID}, ID: ghostID(session.ID)})
	if answer(gerr) != answer(nerr) {
		t.Errorf("session.get of a hidden event's session: %q; of no session: %q", answer(gerr), answer(nerr))
	}
	// None of the attempts listed a hidden event for anyone.
	listedFor := func(ctx context.Context) []string {
		var names []string
		for _, e := range must(hub.ListEvents.Call(ctx, env.Client, hub.AppParams{AppRef: rpc.AppRef{App: app.ID}}))(t).Events {
			names = append(names, e.Name)
		}
		return names
	}
	for i := 1; i <= n; i++ {
		var id string
		if err := env.Pool.QueryRow(ctx, `SELECT id FROM members WHERE email = $1`, fmt.Sprintf("m%d@x.io", i)).Scan(&id); err != nil {
			t.Fatal(err)
		}
		if got := listedFor(hubtest.As(ctx, env.Token(t, auth.Claims{User: id, App: app.ID, Role: auth.RoleAttendee}))); len(got) != 0 {
			t.Errorf("member %d sees %v", i, got)
		}
	}

	// The legitimate ways in: the event code of a hidden code event, and
	// the organizers' list.
	codeID, codeCtx := newMember()
	must(hub.Register.Call(codeCtx, env.Client, hub.RegisterParams{AppRef: rpc.AppRef{App: app.ID}, Event: hiddenCode, Code: "SECRET"}))(t)
	listedID, listedCtx := newMember()
	must(hub.AddAttendees.Call(octx, env.Client, hub.AttendeesParams{AppRef: rpc.AppRef{App: app.ID}, Event: hiddenListed, Members: []string{listedID}}))(t)
	if got := listedFor(codeCtx); !slices.Equal(got, []string{"Hidden code"}) {
		t.Errorf("member who gave the code sees %v", got)
	}
	if got := listedFor(listedCtx); !slices.Equal(got, []string{"Hidden listed"}) {
		t.Errorf("member the organizers listed sees %v", got)
	}
	must(hub.GetAgenda.Call(codeCtx, env.Client, hub.AgendaParams{AppRef: rpc.AppRef{App: app.ID}, Event: hiddenCode}))(t)
	_ = codeID
}

// TestEventIDsAreRandom checks that event ids carry no time or sequence a
// member could count from: ids made one after the other share no prefix.
func TestEventIDsAreRandom(t *testing.T) {
	env := hubtest.Start(t)
	ctx := testkit.Context(t)
	app, owner := newApp(t, env, "ids")
	octx := hubtest.As(ctx, owner)
	var ids []string
	for i := range 12 {
		ids = append(ids, must(hub.CreateEvent.Call(octx, env.Client, hub.CreateEventParams{AppRef: rpc.AppRef{App: app.ID}, Name: fmt.Sprint("E", i),
			TimeZone: "UTC", Start: "2030-06-01T09:00", End: "2030-06-02T18:00", Visibility: hub.VisibilityHidden}))(t).ID)
	}
	for i, a := range ids {
		if len(a) != 26 {
			t.Errorf("event id %q: want 26 characters", a)
		}
		for _, b := range ids[i+1:] {
			// 128 random bits in base32: two ids share 6 leading characters
			// (30 bits) once in a billion pairs.
			if a[:6] == b[:6] {
				t.Fatalf("event ids %s and %s share a prefix: they are not random", a, b)
			}
		}
	}
}

// probeServer is another service as hub's contract asks it to be: user
// tokens verified locally by the platform, then hub's read model consulted
// (ReadModel.Authorize) on every call.
func probeServer(t *testing.T, env *hubtest.Env) *rpc.Client {
	t.Helper()
	srv := rpc.NewServer(rpc.Options{Name: "probe", Auth: &auth.Authenticator{Tokens: env.Config.Service.Auth.Verifier()}})
	rm := hub.NewReadModel(env.Redis, env.Namespace)
	read := rpc.Method[hub.AppParams, hub.Empty]{Name: "probe.read", Auth: auth.Member}
	rpc.Handle(srv, read, func(ctx context.Context, p hub.AppParams) (hub.Empty, error) {
		_, err := rm.Authorize(ctx, auth.CallerFrom(ctx), p.App)
		return hub.Empty{}, err
	})
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	c, err := rpc.NewClient(rpc.ClientOptions{Endpoints: []string{ts.URL}, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// probeRead calls probe.read about app with token.
func probeRead(ctx context.Context, c *rpc.Client, token, app string) error {
	var out hub.Empty
	return c.Call(hubtest.As(ctx, token), "probe.read", false, hub.AppParams{AppRef: rpc.AppRef{App: app}}, &out)
}

// TestPasswordChangeRevokesTokens checks that changing a password refuses
// the tokens issued before, at once, in hub and in a service that verifies
// tokens itself and reads hub's read model.
func TestPasswordChangeRevokesTokens(t *testing.T) {
	env := hubtest.Start(t)
	ctx := testkit.Context(t)
	probe := probeServer(t, env)
	app, _ := newApp(t, env, "revoke")
	acct := must(hub.LogIn.Call(ctx, env.Client, hub.LogInParams{Email: "revoke@example.com", Password: password}))(t)
	appTok := must(hub.AppTokenFor.Call(hubtest.As(ctx, acct.Token), env.Client, hub.AppParams{AppRef: rpc.AppRef{App: app.ID}}))(t).Token
	if err := probeRead(ctx, probe, appTok, app.ID); err != nil {
		t.Fatalf("app token before the change, at the other service: %v", err)
	}
	must(hub.ChangePassword.Call(hubtest.As(ctx, acct.Token), env.Client, hub.ChangePasswordParams{OldPassword: password, NewPassword: "a brand new password"}))(t)

	if _, err := hub.Me.Call(hubtest.As(ctx, acct.Token), env.Client, hub.NoParams{}); errs.CodeOf(err) != errs.CodeTokenInvalid {
		t.Errorf("account token after the change, at hub: %v, want token_invalid", err)
	}
	if _, err := hub.GetApp.Call(hubtest.As(ctx, appTok), env.Client, hub.AppParams{AppRef: rpc.AppRef{App: app.ID}}); errs.CodeOf(err) != errs.CodeTokenInvalid {
		t.Errorf("app token after the change, at hub: %v, want token_invalid", err)
	}
	if err := probeRead(ctx, probe, appTok, app.ID); errs.CodeOf(err) != errs.CodeTokenInvalid {
		t.Errorf("app token after the change, at the other service: %v, want token_invalid", err)
	}
	// The new password signs in; its tokens work everywhere.
	fresh := must(hub.LogIn.Call(ctx, env.Client, hub.LogInParams{Email: "revoke@example.com", Password: "a brand new password"}))(t)
	must(hub.Me.Call(hubtest.As(ctx, fresh.Token), env.Client, hub.NoParams{}))(t)
	freshApp := must(hub.AppTokenFor.Call(hubtest.As(ctx, fresh.Token), env.Client, hub.AppParams{AppRef: rpc.AppRef{App: app.ID}}))(t).Token
	if err := probeRead(ctx, probe, freshApp, app.ID); err != nil {
		t.Errorf("app token after the change, at the other service: %v", err)
	}
}

// TestChangePasswordGuessesThrottled: organizer.changePassword checks the
// old password, so it is a password guess like auth.logIn's: a stolen
// account token (12 hours) must not guess the password it would need to
// stay in, unthrottled. Wrong old passwords count on the account's and the
// address's counters, are audited, and make even the right one wait.
func TestChangePasswordGuessesThrottled(t *testing.T) {
	env := hubtest.Start(t)
	ctx := testkit.Context(t)
	newApp(t, env, "pwguess")
	acct := must(hub.LogIn.Call(ctx, env.Client, hub.LogInParams{Email: "pwguess@example.com", Password: password}))(t)
	actx := hubtest.As(ctx, acct.Token)
	change := func(old string) error {
		_, err := hub.ChangePassword.Call(actx, env.Client, hub.ChangePasswordParams{OldPassword: old, NewPassword: "a brand new password"})
		return err
	}
	wrong := guessUntilLimited(t, "wrong old passwords", 12, func(i int) error { return change(fmt.Sprint("guess number ", i)) })
	if err := change(password); errs.CodeOf(err) != errs.CodeRateLimited {
		t.Errorf("the right old password during the wait: %v, want rate_limited", err)
	}
	if _, err := hub.LogIn.Call(ctx, env.Client, hub.LogInParams{Email: "pwguess@example.com", Password: password}); errs.CodeOf(err) != errs.CodeRateLimited {
		t.Errorf("log-in during the wait: %v, want rate_limited (the account's counter)", err)
	}
	wantAudited(t, env, wrong, `kind = 'password' AND target = 'pwguess@example.com' AND addr = '127.0.0.1'`)
}

// TestRemovedCollaboratorTokensStayRevoked checks that removing a
// collaborator refuses their app tokens for good: invited back, they need
// a new one.
func TestRemovedCollaboratorTokensStayRevoked(t *testing.T) {
	env := hubtest.Start(t)
	ctx := testkit.Context(t)
	probe := probeServer(t, env)
	app, owner := newApp(t, env, "removal")
	octx := hubtest.As(ctx, owner)
	mod := must(hub.DevSignUp(ctx, env.Client, env.Service, "mod@x.io", password, "Mod"))(t)
	join := hub.InviteParams{AppRef: rpc.AppRef{App: app.ID}, Email: "mod@x.io", Role: hub.RoleModerator}
	must(hub.DevJoin(ctx, env.Client, env.Service, owner, mod.Token, join))(t)
	old := must(hub.AppTokenFor.Call(hubtest.As(ctx, mod.Token), env.Client, hub.AppParams{AppRef: rpc.AppRef{App: app.ID}}))(t).Token
	waitFor(t, func() error { return probeRead(ctx, probe, old, app.ID) })

	must(hub.RemoveCollaborator.Call(octx, env.Client, hub.RemoveCollaboratorParams{AppRef: rpc.AppRef{App: app.ID}, OrganizerID: mod.Organizer.ID}))(t)
	must(hub.DevJoin(ctx, env.Client, env.Service, owner, mod.Token, join))(t)

	if _, err := hub.GetApp.Call(hubtest.As(ctx, old), env.Client, hub.AppParams{AppRef: rpc.AppRef{App: app.ID}}); errs.CodeOf(err) != errs.CodeTokenInvalid {
		t.Errorf("token from before the removal, at hub: %v, want token_invalid", err)
	}
	if err := probeRead(ctx, probe, old, app.ID); errs.CodeOf(err) != errs.CodeTokenInvalid {
		t.Errorf("token from before the removal, at the other service: %v, want token_invalid", err)
	}
	fresh := must(hub.AppTokenFor.Call(hubtest.As(ctx, mod.Token), env.Client, hub.AppParams{AppRef: rpc.AppRef{App: app.ID}}))(t).Token
	if err := probeRead(ctx, probe, fresh, app.ID); err != nil {
		t.Errorf("new token after the invitation: %v", err)
	}
	// The account token was not revoked: only the app's tokens were.
	must(hub.Me.Call(hubtest.As(ctx, mod.Token), env.Client, hub.NoParams{}))(t)
}

// TestRequestCodeAnswersAlike checks that auth.requestCode answers the same
// whether the email belongs to a member, a blocked member or nobody, in
// every access mode, asked once or twice, and mails only those who may
// sign in.
func TestRequestCodeAnswersAlike(t *testing.T) {
	env := hubtest.Start(t)
	ctx := testkit.Context(t)
	emails := []string{"in@x.io", "blocked@x.io", "nobody@x.io"}
	type mode struct {
		name string
		set  func(octx context.Context, app string)
		mail []string // who gets a code
	}
	modes := []mode{
		{"open", func(context.Context, string) {}, []string{"in@x.io", "nobody@x.io"}},
		{"invite", func(octx context.Context, app string) {
			must(hub.SetAccess.Call(octx, env.Client, hub.SetAccessParams{AppRef: rpc.AppRef{App: app}, Access: hub.AccessInvite}))(t)
		}, []string{"in@x.io"}},
		{"expired", func(octx context.Context, app string) {
			must(hub.ExpireApp.Call(octx, env.Client, hub.AppParams{AppRef: rpc.AppRef{App: app}}))(t)
		}, []string{"in@x.io"}},
	}
	wantMail := map[string]bool{}
	for _, m := range modes {
		app, owner := newApp(t, env, "alike-"+m.name)
		octx := hubtest.As(ctx, owner)
		must(hub.CreateMember.Call(octx, env.Client, hub.CreateMemberParams{AppRef: rpc.AppRef{App: app.ID}, MemberInput: hub.MemberInput{Email: "in@x.io", Name: "In"}}))(t)
		b := must(hub.CreateMember.Call(octx, env.Client, hub.CreateMemberParams{AppRef: rpc.AppRef{App: app.ID}, MemberInput: hub.MemberInput{Email: "blocked@x.io", Name: "B"}}))(t)
		must(hub.BlockMember.Call(octx, env.Client, hub.MemberParams{AppRef: rpc.AppRef{App: app.ID}, Member: b.ID}))(t)
		m.set(octx, app.ID)
		for _, to := range m.mail {
			wantMail[app.ID+" "+to] = true
		}
		for _, round := range []string{"first", "again"} {
			got := map[string]string{}
			for _, email := range emails {
				_, err := hub.RequestCode.Call(ctx, env.Client, hub.RequestCodeParams{App: app.ID, Email: email})
				got[email] = answer(err)
			}
			for _, email := range emails[1:] {
				if got[email] != got[emails[0]] {
					t.Errorf("%s app, %s request: %s gets %q, a member %q", m.name, round, email, got[email], got[emails[0]])
				}
			}
		}
	}
	gotMail := map[string]bool{}
	for _, e := range streamEvents(t, env, "mail") {
		if e.Type != hub.EventMailRequested {
			continue
		}
		var p hub.MailPayload
		if err := json.Unmarshal(e.Data, &p); err != nil {
			t.Fatal(err)
		}
		if p.Template == "sign_in_code" {
			gotMail[p.AppID+" "+p.To] = true
		}
	}
	if diff := cmp.Diff(wantMail, gotMail); diff != "" {
		t.Errorf("sign-in codes mailed (-want +got):\n%s", diff)
	}
}

// TestRequestCodePerClientLimit checks that one client cannot have codes
// mailed to hundreds of addresses.
func TestRequestCodePerClientLimit(t *testing.T) {
	env := hubtest.Start(t)
	ctx := testkit.Context(t)
	app, _ := newApp(t, env, "flood")
	// A client whose circuit breaker does not take the refusals for a
	// failing hub.
	client, err := rpc.NewClient(rpc.ClientOptions{Endpoints: []string{env.URL}, MaxAttempts: 1, ConsecutiveFailures: 1000})
	if err != nil {
		t.Fatal(err)
	}
	sent, refused := 0, 0
	for i := range 100 {
		_, err := hub.RequestCode.Call(ctx, client, hub.RequestCodeParams{App: app.ID, Email: fmt.Sprintf("victim%d@x.io", i)})
		switch e, _ := errs.As(err); {
		case err == nil:
			sent++
		case e != nil && e.Code == errs.CodeRateLimited && e.RetryAfter > 0:
			refused++
		default:
			t.Fatalf("request %d: %v", i, err)
		}
	}
	if limit := service.DefaultLimits.CodesPerAddrMinute; sent > limit || refused == 0 {
		t.Errorf("one client had %d codes mailed (%d refused), want at most %d", sent, refused, limit)
	}
}

// guessUntilLimited makes wrong guesses until one is refused with
// rate_limited and a retry_after, and returns how many were answered as
// wrong (invalid) before; more than most fails the test.
func guessUntilLimited(t *testing.T, what string, most int, guess func(i int) error) int {
	t.Helper()
	return guessUntilLimitedAs(t, what, errs.Invalid, most, guess)
}

// guessUntilLimitedAs is guessUntilLimited for guesses whose wrong answer
// is of kind wrong.
func guessUntilLimitedAs(t *testing.T, what string, wrong errs.Kind, most int, guess func(i int) error) int {
	t.Helper()
	for i := 0; ; i++ {
		err := guess(i)
		if e, ok := errs.As(err); ok && e.Code == errs.CodeRateLimited {
			if e.RetryAfter <= 0 {
				t.Errorf("%s: rate_limited without retry_after: %v", what, err)
			}
			return i
		}
		if !errors.Is(err, wrong) {
			t.Fatalf("%s: guess %d: %v, want %s", what, i, err, wrong)
		}
		if i >= most {
			t.Fatalf("%s: %d wrong guesses without a wait", what, i+1)
		}
	}
}

// TestEventCodeGuessesThrottled checks that wrong event codes slow the
// guesser down, per member, per client address and per event, and that
// each wrong guess is in the audit log.
func TestEventCodeGuessesThrottled(t *testing.T) {
	env := hubtest.Start(t)
	ctx := testkit.Context(t)
	app, owner := newApp(t, env, "guess")
	octx := hubtest.As(ctx, owner)
	ev := must(hub.CreateEvent.Call(octx, env.Client, hub.CreateEventParams{AppRef: rpc.AppRef{App: app.ID}, Name: "Coded", TimeZone: "UTC",
		Start: "2030-06-01T09:00", End: "2030-06-02T18:00", Access: hub.EventAccessCode, Code: "SECRET"}))(t).ID
	n := 0
	newMember := func() context.Context {
		t.Helper()
		n++
		m := must(hub.CreateMember.Call(octx, env.Client, hub.CreateMemberParams{AppRef: rpc.AppRef{App: app.ID},
			MemberInput: hub.MemberInput{Email: fmt.Sprintf("g%d@x.io", n), Name: fmt.Sprint("G", n)}}))(t)
		return hubtest.As(ctx, env.Token(t, auth.Claims{User: m.ID, App: app.ID, Role: auth.RoleAttendee}))
	}
	guess := func(mctx context.Context, code string) error {
		_, err := hub.Register.Call(mctx, env.Client, hub.RegisterParams{AppRef: rpc.AppRef{App: app.ID}, Event: ev, Code: code})
		return err
	}
	// One member: a few wrong codes, then refusals until the delay passes.
	mctx := newMember()
	wrong := guessUntilLimited(t, "wrong codes of one member", 5, func(i int) error { return guess(mctx, fmt.Sprint("GUESS", i)) })
	// Even the right code waits.
	if err := guess(mctx, "SECRET"); errs.CodeOf(err) != errs.CodeRateLimited {
		t.Errorf("right code during the delay: %v", err)
	}
	// Fresh members from the same address: the event's and the address's
	// counters run out too.
	wrong += guessUntilLimited(t, "wrong codes of fresh members", 30, func(i int) error { return guess(newMember(), fmt.Sprint("OTHER", i)) })
	wantAudited(t, env, wrong, `kind = 'event_code' AND target = $1 AND addr = '127.0.0.1'`, ev)
}

// wantAudited checks that the audit log holds want wrong guesses that
// match where (an SQL condition on table guesses, with args).
func wantAudited(t *testing.T, env *hubtest.Env, want int, where string, args ...any) {
	t.Helper()
	var n int
	if err := env.Pool.QueryRow(testkit.Context(t), `SELECT count(*) FROM guesses WHERE `+where, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != want {
		t.Errorf("%d wrong guesses in the audit log where %s, want %d", n, where, want)
	}
}

// TestPasscodeGuessesThrottled checks that wrong app passcodes slow the
// guesser down even when every guess names another email.
func TestPasscodeGuessesThrottled(t *testing.T) {
	env := hubtest.Start(t)
	ctx := testkit.Context(t)
	app, owner := newApp(t, env, "passcode")
	must(hub.SetAccess.Call(hubtest.As(ctx, owner), env.Client, hub.SetAccessParams{AppRef: rpc.AppRef{App: app.ID}, Access: hub.AccessPasscode, Passcode: "letmein"}))(t)
	wrong := guessUntilLimited(t, "wrong passcodes", 30, func(i int) error {
		_, err := hub.RequestCode.Call(ctx, env.Client, hub.RequestCodeParams{App: app.ID, Email: fmt.Sprintf("p%d@x.io", i), Passcode: fmt.Sprint("guess", i)})
		return err
	})
	// The right passcode waits as well while the app's counter does.
	_, err := hub.RequestCode.Call(ctx, env.Client, hub.RequestCodeParams{App: app.ID, Email: "legit@x.io", Passcode: "letmein"})
	if errs.CodeOf(err) != errs.CodeRateLimited {
		t.Errorf("right passcode during the wait: %v", err)
	}
	wantAudited(t, env, wrong, `kind = 'passcode' AND app_id = $1 AND addr = '127.0.0.1'`, app.ID)
}

// TestURLFieldsAreWebOnly checks that every URL hub stores is http or
// https: anything else is refused with the field named.
func TestURLFieldsAreWebOnly(t *testing.T) {
	env := hubtest.Start(t)
	ctx := testkit.Context(t)
	app, owner := newApp(t, env, "urls")
	octx := hubtest.As(ctx, owner)
	bad := []string{"javascript:alert(1)", "JavaScript:alert(1)", " javascript:alert(1)", "data:text/html,<script>alert(1)</script>",
		"vbscript:msgbox(1)", "//evil.example/x.png", "file:///etc/passwd", "http://", "https://exa mple.com/x",
		"https://trusted.example@evil.example/x.png", "https://user:secret@example.com/", "https://@example.com/"}
	s := func(v string) *string { return &v }
	m := must(hub.CreateMember.Call(octx, env.Client, hub.CreateMemberParams{AppRef: rpc.AppRef{App: app.ID}, MemberInput: hub.MemberInput{Email: "ok@x.io", Name: "Ok",
		PhotoURL: "https://cdn.example.com/a.png", Links: []hub.Link{{Label: "site", URL: "http://example.com"}}}}))(t)
	mctx := hubtest.As(ctx, env.Token(t, auth.Claims{User: m.ID, App: app.ID, Role: auth.RoleAttendee}))
	refused := func(what string, err error, field string) {
		t.Helper()
		e, ok := errs.As(err)
		if !ok || e.Code.Kind() != errs.Invalid {
			t.Errorf("%s: %v, want invalid", what, err)
			return
		}
		if !slices.ContainsFunc(e.Fields, func(f errs.FieldError) bool { return f.Field == field }) {
			t.Errorf("%s: fields %+v, want %s", what, e.Fields, field)
		}
	}
	for _, u := range bad {
		_, err := hub.CreateMember.Call(octx, env.Client, hub.CreateMemberParams{AppRef: rpc.AppRef{App: app.ID}, MemberInput: hub.MemberInput{Email: "x@x.io", Name: "X", PhotoURL: u}})
		refused("member.create photo_url "+u, err, "/photo_url")
		_, err = hub.CreateMember.Call(octx, env.Client, hub.CreateMemberParams{AppRef: rpc.AppRef{App: app.ID}, MemberInput: hub.MemberInput{Email: "x@x.io", Name: "X",
			Links: []hub.Link{{Label: "ok", URL: "https://example.com"}, {Label: "bad", URL: u}}}})
		refused("member.create links "+u, err, "/links/1/url")
		_, err = hub.UpdateMe.Call(mctx, env.Client, hub.UpdateMeParams{AppRef: rpc.AppRef{App: app.ID}, ProfileChanges: hub.ProfileChanges{PhotoURL: s(u)}})
		refused("member.updateMe photo_url "+u, err, "/photo_url")
		_, err = hub.UpdateMember.Call(octx, env.Client, hub.UpdateMemberParams{AppRef: rpc.AppRef{App: app.ID}, Member: m.ID, ProfileChanges: hub.ProfileChanges{
			Links: []hub.Link{{Label: "bad", URL: u}}}})
		refused("member.update links "+u, err, "/links/0/url")
		_, err = hub.UpdateApp.Call(octx, env.Client, hub.UpdateAppParams{AppRef: rpc.AppRef{App: app.ID}, IconURL: s(u)})
		refused("app.update icon_url "+u, err, "/icon_url")
		_, err = hub.SaveSpeaker.Call(octx, env.Client, hub.SpeakerParams{AppRef: rpc.AppRef{App: app.ID}, SpeakerInput: hub.SpeakerInput{Name: "S", PhotoURL: u}})
		refused("speaker.save photo_url "+u, err, "/photo_url")
		r := must(hub.BulkMembers.Call(ctx, env.Service, hub.BulkMembersParams{AppRef: rpc.AppRef{App: app.ID}, Members: []hub.MemberInput{
			{Email: "b1@x.io", Name: "B1"}, {Email: "b2@x.io", Name: "B2", PhotoURL: u}}}))(t)
		wantRefused(t, r, []hub.RowError{{Row: 1, Field: "photo_url", Message: "want an http or https URL"}})
		r = must(hub.BulkSpeakers.Call(ctx, env.Service, hub.BulkSpeakersParams{AppRef: rpc.AppRef{App: app.ID}, Speakers: []hub.SpeakerInput{
			{Name: "S1", ExternalID: "s1"}, {Name: "S2", ExternalID: "s2", PhotoURL: u}}}))(t)
		wantRefused(t, r, []hub.RowError{{Row: 1, Field: "photo_url", Message: "want an http or https URL"}})
	}
	// Nothing bad was stored; the good URLs were, and an empty one clears.
	got := must(hub.GetMember.Call(octx, env.Client, hub.MemberParams{AppRef: rpc.AppRef{App: app.ID}, Member: m.ID}))(t)
	if got.PhotoURL != "https://cdn.example.com/a.png" || len(got.Links) != 1 {
		t.Errorf("member after the refusals: %+v", got)
	}
	must(hub.UpdateMe.Call(mctx, env.Client, hub.UpdateMeParams{AppRef: rpc.AppRef{App: app.ID}, ProfileChanges: hub.ProfileChanges{PhotoURL: s("")}}))(t)
	var stored int
	if err := env.Pool.QueryRow(ctx, `SELECT count(*) FROM members WHERE photo_url ~* '^(javascript|data|vbscript|file):'`).Scan(&stored); err != nil || stored != 0 {
		t.Errorf("%d bad URLs stored (%v)", stored, err)
	}
}

// TestSignOutRevokesTokens checks auth.signOut for a member and for an
// organizer, in hub and in another service, and that the revocations
// survive the loss of Redis (the read model's rebuild brings them back).
func TestSignOutRevokesTokens(t *testing.T) {
	env := hubtest.Start(t)
	ctx := testkit.Context(t)
	probe := probeServer(t, env)
	app, _ := newApp(t, env, "signout")
	signIn := func() string {
		t.Helper()
		must(hub.RequestCode.Call(ctx, env.Client, hub.RequestCodeParams{App: app.ID, Email: "m@x.io"}))(t)
		code := must(hub.DevLastCode.Call(ctx, env.Service, hub.DevCodeParams{App: app.ID, Email: "m@x.io"}))(t).Code
		return must(hub.VerifyCode.Call(ctx, env.Client, hub.VerifyCodeParams{App: app.ID, Email: "m@x.io", Code: code}))(t).Token
	}
	m := must(hub.CreateMember.Call(ctx, env.Service, hub.CreateMemberParams{AppRef: rpc.AppRef{App: app.ID}, MemberInput: hub.MemberInput{Email: "m@x.io", Name: "M"}}))(t)
	memberToken := func() string { return env.Token(t, auth.Claims{User: m.ID, App: app.ID, Role: auth.RoleAttendee}) }
	// Signed out on the tablet, the member signs in on the phone: the new
	// token works, the tablet's does not.
	tablet := memberToken()
	waitFor(t, func() error { return probeRead(ctx, probe, tablet, app.ID) })
	must(hub.SignOut.Call(hubtest.As(ctx, tablet), env.Client, hub.NoParams{}))(t)
	phone := signIn()
	if err := probeRead(ctx, probe, phone, app.ID); err != nil {
		t.Errorf("token of a sign-in after a sign-out: %v", err)
	}
	must(hub.SignOut.Call(hubtest.As(ctx, phone), env.Client, hub.NoParams{}))(t)

	acct := must(hub.LogIn.Call(ctx, env.Client, hub.LogInParams{Email: "signout@example.com", Password: password}))(t)
	appTok := must(hub.AppTokenFor.Call(hubtest.As(ctx, acct.Token), env.Client, hub.AppParams{AppRef: rpc.AppRef{App: app.ID}}))(t).Token
	must(hub.SignOut.Call(hubtest.As(ctx, appTok), env.Client, hub.NoParams{}))(t)

	refused := func(step string) {
		t.Helper()
		for name, tok := range map[string]string{"member's phone": phone, "member's tablet": tablet, "organizer's app token": appTok} {
			if _, err := hub.GetApp.Call(hubtest.As(ctx, tok), env.Client, hub.AppParams{AppRef: rpc.AppRef{App: app.ID}}); errs.CodeOf(err) != errs.CodeTokenInvalid {
				t.Errorf("%s: %s at hub: %v, want token_invalid", step, name, err)
			}
			if err := probeRead(ctx, probe, tok, app.ID); errs.CodeOf(err) != errs.CodeTokenInvalid {
				t.Errorf("%s: %s at the other service: %v, want token_invalid", step, name, err)
			}
		}
		if _, err := hub.Me.Call(hubtest.As(ctx, acct.Token), env.Client, hub.NoParams{}); errs.CodeOf(err) != errs.CodeTokenInvalid {
			t.Errorf("%s: organizer's account token: %v, want token_invalid", step, err)
		}
	}
	refused("signed out")
	if _, err := hub.SignOut.Call(hubtest.As(ctx, phone), env.Client, hub.NoParams{}); errs.CodeOf(err) != errs.CodeTokenInvalid {
		t.Errorf("signing out again with a revoked token: %v", err)
	}
	// Signed in again, the member's new token works.
	again := memberToken()
	if err := probeRead(ctx, probe, again, app.ID); err != nil {
		t.Errorf("new token after the sign-out: %v", err)
	}

	// Redis loses everything; once the read model is rebuilt the revoked
	// tokens are still refused and the new one works.
	if err := testkit.DeleteKeys(ctx, env.Redis, env.Namespace+":"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() error { return probeRead(ctx, probe, again, app.ID) })
	refused("after the rebuild")
}

// TestLogInLockOutAnswersAlike checks that the lock-out of auth.logIn does
// not tell which emails have accounts: wrong passwords to an organizer's
// email and to an email without an account get the same raw answers
// (HTTP status, Retry-After, JSON-RPC error, retry_after_ms within a
// second) at every step: the wrong ones before the lock, the one that
// locks, a wrong one and (for the account) the right one during the lock.
func TestLogInLockOutAnswersAlike(t *testing.T) {
	env := hubtest.Start(t)
	ctx := testkit.Context(t)
	must(hub.DevSignUp(ctx, env.Client, env.Service, "lockme@x.io", password, "Lock"))(t)

	type raw struct {
		status     int
		retryAfter string // the header
		body       string // without retry_after_ms
		retryMS    int64
	}
	call := func(email, pw string) raw {
		t.Helper()
		body := fmt.Sprintf(`{"jsonrpc":"2.0","id":7,"method":"auth.logIn","params":{"email":%q,"password":%q}}`, email, pw)
		resp, err := http.Post(env.URL+"/rpc", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		var ms struct {
			Error struct {
				Data struct {
					RetryAfterMS int64 `json:"retry_after_ms"`
				} `json:"data"`
			} `json:"error"`
		}
		if err := json.Unmarshal(b, &ms); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		return raw{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After"),
			body: requestIDField.ReplaceAllString(retryAfterField.ReplaceAllString(string(b), `"retry_after_ms":N`), `"request_id":"R"`), retryMS: ms.Error.Data.RetryAfterMS}
	}
	same := func(step string, known, unknown raw) {
		t.Helper()
		if known.status != unknown.status || known.body != unknown.body {
			t.Errorf("%s: the account's email gets %d %s, an unknown one %d %s", step, known.status, known.body, unknown.status, unknown.body)
		}
		if d := known.retryMS - unknown.retryMS; d < -1000 || d > 1000 {
			t.Errorf("%s: retry_after_ms %d for the account's email, %d for an unknown one", step, known.retryMS, unknown.retryMS)
		}
		ka, _ := strconv.Atoi(known.retryAfter)
		ua, _ := strconv.Atoi(unknown.retryAfter)
		if (known.retryAfter == "") != (unknown.retryAfter == "") || ka-ua < -1 || ka-ua > 1 {
			t.Errorf("%s: Retry-After %q for the account's email, %q for an unknown one", step, known.retryAfter, unknown.retryAfter)
		}
	}
	const locked = `"too many wrong passwords: the account is locked for a while"`
	for i := 1; i <= service.MaxFailedLogins; i++ {
		step := fmt.Sprintf("wrong password %d", i)
		k, u := call("lockme@x.io", "wrong password"), call("nobody-here@x.io", "wrong password")
		same(step, k, u)
		switch {
		case i < service.MaxFailedLogins && !strings.Contains(k.body, `"wrong email or password"`):
			t.Errorf("%s: %d %s, want wrong email or password", step, k.status, k.body)
		case i == service.MaxFailedLogins && (k.status != http.StatusTooManyRequests || !strings.Contains(k.body, locked) || k.retryMS != service.LockOutFor.Milliseconds()):
			t.Errorf("%s: %d %s (retry_after_ms %d), want the lock for 15 minutes", step, k.status, k.body, k.retryMS)
		}
	}
	k, u := call("lockme@x.io", "wrong password"), call("nobody-here@x.io", "wrong password")
	same("wrong password during the lock", k, u)
	if !strings.Contains(k.body, locked) || k.retryMS <= 0 || k.retryMS > service.LockOutFor.Milliseconds() {
		t.Errorf("wrong password during the lock: %d %s (retry_after_ms %d), want the lock", k.status, k.body, k.retryMS)
	}
	// The right password does not open a locked account; an unknown email
	// has none, any password answers the lock.
	k, u = call("lockme@x.io", password), call("nobody-here@x.io", password)
	same("right password during the lock", k, u)
	if !strings.Contains(k.body, locked) {
		t.Errorf("right password during the lock: %d %s, want the lock", k.status, k.body)
	}
	// Letter case and spaces do not make another email.
	same("the unknown email written otherwise", k, call("Nobody-Here@X.io", "wrong password"))
	// The same wrong guesses in the audit log: the refusals of the lock are
	// not guesses.
	for _, email := range []string{"lockme@x.io", "nobody-here@x.io"} {
		wantAudited(t, env, service.MaxFailedLogins, `kind = 'password' AND target = $1`, email)
	}
	// The counter of the unknown email does not hold the email.
	keys, err := env.Redis.Keys(ctx, env.Namespace+"*lockout*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || strings.Contains(keys[0], "nobody") {
		t.Errorf("lock-out keys in Redis: %v, want one, without the email", keys)
	}
}

// retryAfterField and requestIDField match the retry_after_ms and the request_id of an
// answer.
var (
	retryAfterField = regexp.MustCompile(`"retry_after_ms":\d+`)
	requestIDField  = regexp.MustCompile(`"request_id":"[^"]*"`)
)

// TestMemberEmailChangeRevokesTokens checks that an organizer changing a
// member's email refuses the member's tokens issued before, in hub and in
// a service that reads hub's read model (the revocation mark is there),
// and that an update that keeps the email (written otherwise) does not.
func TestMemberEmailChangeRevokesTokens(t *testing.T) {
	env := hubtest.Start(t)
	ctx := testkit.Context(t)
	probe := probeServer(t, env)
	app, owner := newApp(t, env, "emailchange")
	octx := hubtest.As(ctx, owner)
	m := must(hub.CreateMember.Call(octx, env.Client, hub.CreateMemberParams{AppRef: rpc.AppRef{App: app.ID}, MemberInput: hub.MemberInput{Email: "old@x.io", Name: "M", ExternalID: "ext-1"}}))(t)
	signIn := func(email string) string {
		t.Helper()
		must(hub.RequestCode.Call(ctx, env.Client, hub.RequestCodeParams{App: app.ID, Email: email}))(t)
		code := must(hub.DevLastCode.Call(ctx, env.Service, hub.DevCodeParams{App: app.ID, Email: email}))(t).Code
		s := must(hub.VerifyCode.Call(ctx, env.Client, hub.VerifyCodeParams{App: app.ID, Email: email, Code: code}))(t)
		if s.Member.ID != m.ID {
			t.Fatalf("signed in as %s, want %s", s.Member.ID, m.ID)
		}
		return s.Token
	}
	update := func(email string) {
		t.Helper()
		title := "Title " + email
		must(hub.UpdateMember.Call(octx, env.Client, hub.UpdateMemberParams{AppRef: rpc.AppRef{App: app.ID}, Member: m.ID,
			Email: &email, ProfileChanges: hub.ProfileChanges{Title: &title}}))(t)
	}
	mark := func() string {
		t.Helper()
		v, err := env.Redis.Get(ctx, hub.NewReadModelKeys(env.Namespace).Revoked(app.ID, m.ID)).Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			t.Fatal(err)
		}
		return v
	}
	works := func(step, token string) {
		t.Helper()
		if _, err := hub.MemberMe.Call(hubtest.As(ctx, token), env.Client, hub.AppParams{AppRef: rpc.AppRef{App: app.ID}}); err != nil {
			t.Errorf("%s, at hub: %v", step, err)
		}
		if err := probeRead(ctx, probe, token, app.ID); err != nil {
			t.Errorf("%s, at the other service: %v", step, err)
		}
	}
	old := signIn("old@x.io")
	waitFor(t, func() error { return probeRead(ctx, probe, old, app.ID) })

	// The same email, written otherwise, with a profile change: nothing
	// revoked.
	update("OLD@X.io")
	works("token after an update that keeps the email", old)
	if v := mark(); v != "" {
		t.Errorf("revocation mark after an update that keeps the email: %q", v)
	}

	refused := func(step, token string) {
		t.Helper()
		if _, err := hub.MemberMe.Call(hubtest.As(ctx, token), env.Client, hub.AppParams{AppRef: rpc.AppRef{App: app.ID}}); errs.CodeOf(err) != errs.CodeTokenInvalid {
			t.Errorf("%s, at hub: %v, want token_invalid", step, err)
		}
		if err := probeRead(ctx, probe, token, app.ID); errs.CodeOf(err) != errs.CodeTokenInvalid {
			t.Errorf("%s, at the other service: %v, want token_invalid", step, err)
		}
	}
	update("new@x.io")
	refused("token from before the email change", old)
	seq, err := strconv.ParseInt(mark(), 10, 64)
	if err != nil || seq <= 0 {
		t.Errorf("revocation mark in the read model: %q (%v)", mark(), err)
	}
	// A sign-in through the new address works.
	current := signIn("new@x.io")
	works("token of a sign-in with the new email", current)

	// The same through bulk.members (the importer's way), which matches
	// the member by external id: a row that keeps the email (written
	// otherwise) leaves the tokens alone, a row with a new one refuses them.
	bulk := func(email string) {
		t.Helper()
		r := must(hub.BulkMembers.Call(ctx, env.Service, hub.BulkMembersParams{AppRef: rpc.AppRef{App: app.ID}, Merge: true,
			Members: []hub.MemberInput{{ExternalID: "ext-1", Email: email, Name: "M " + email}}}))(t)
		if !r.Applied || len(r.IDs) != 1 || r.IDs[0] != m.ID {
			t.Fatalf("bulk.members with %s: applied %v, ids %v, errors %v; want member %s updated", email, r.Applied, r.IDs, r.Errors, m.ID)
		}
	}
	bulk("NEW@x.io")
	works("token after a bulk row that keeps the email", current)
	bulk("bulk@x.io")
	refused("token from before a bulk email change", current)
	works("token of a sign-in with the email a bulk row set", signIn("bulk@x.io"))
}
