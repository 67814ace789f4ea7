package hub_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/attendify/hub"
	"github.com/attendify/hub/internal/hubtest"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/testkit"
)

// must fails the test when a call failed: must(call(...))(t).
func must[T any](v T, err error) func(t testing.TB) T {
	return func(t testing.TB) T {
		t.Helper()
		if err != nil {
			if e, ok := errs.As(err); ok && len(e.Fields) > 0 {
				t.Fatalf("%v %+v", err, e.Fields)
			}
			t.Fatal(err)
		}
		return v
	}
}

// TestOrganizerToMember drives hub like its users would: an organizer signs
// up, builds a published app with two events, an agenda and members; a
// member signs in with an emailed code and reads the agenda.
func TestOrganizerToMember(t *testing.T) {
	env := hubtest.Start(t)
	ctx := testkit.Context(t)
	c := env.Client

	// The organizer signs up and creates an app.
	acct := must(hub.DevSignUp(ctx, c, env.Service, "Ada@Example.com", "correct horse battery", "Ada"))(t)
	if acct.Organizer.Email != "ada@example.com" {
		t.Errorf("email stored as %q", acct.Organizer.Email)
	}
	octx := hubtest.As(ctx, acct.Token)
	app := must(hub.CreateApp.Call(octx, c, hub.CreateAppParams{Name: "Attendify Demo Conf", Slug: "demo-conf"}))(t)
	if app.Status != hub.StatusUnpublished || app.Role != hub.RoleOwner {
		t.Errorf("new app: %+v", app)
	}
	apps := must(hub.ListApps.Call(octx, c, hub.NoParams{}))(t)
	if len(apps.Apps) != 1 || apps.Apps[0].ID != app.ID {
		t.Fatalf("app.list: %+v", apps)
	}

	// The account token is exchanged for a token of the app.
	at := must(hub.AppTokenFor.Call(octx, c, hub.AppParams{AppRef: rpc.AppRef{App: app.ID}}))(t)
	if at.Role != hub.RoleOwner {
		t.Errorf("app token role %q", at.Role)
	}
	actx := hubtest.As(ctx, at.Token)
	primary := "#112233"
	must(hub.UpdateApp.Call(actx, c, hub.UpdateAppParams{AppRef: rpc.AppRef{App: app.ID}, PrimaryColor: &primary}))(t)

	// Two events.
	day1 := must(hub.CreateEvent.Call(actx, c, hub.CreateEventParams{AppRef: rpc.AppRef{App: app.ID}, Name: "Day One", TimeZone: "Europe/Paris",
		Start: "2026-06-11T09:00", End: "2026-06-12T18:00", Venue: "Paris"}))(t)
	must(hub.CreateEvent.Call(actx, c, hub.CreateEventParams{AppRef: rpc.AppRef{App: app.ID}, Name: "Workshop", TimeZone: "America/New_York",
		Start: "2026-07-01T10:00", End: "2026-07-01T16:00", Access: hub.EventAccessCode, Code: "SECRET"}))(t)
	if want := time.Date(2026, 6, 11, 7, 0, 0, 0, time.UTC); !day1.StartUTC.Equal(want) {
		t.Errorf("start %v, want %v (09:00 in Paris)", day1.StartUTC, want)
	}

	// The agenda: rooms, tracks, speakers, sessions.
	room := must(hub.SaveRoom.Call(actx, c, hub.RoomParams{AppRef: rpc.AppRef{App: app.ID}, Event: day1.ID, Name: "Main hall", Capacity: 500}))(t)
	track := must(hub.SaveTrack.Call(actx, c, hub.TrackParams{AppRef: rpc.AppRef{App: app.ID}, Event: day1.ID, Name: "Go", Color: "#00ADD8"}))(t)
	grace := must(hub.SaveSpeaker.Call(actx, c, hub.SpeakerParams{AppRef: rpc.AppRef{App: app.ID}, SpeakerInput: hub.SpeakerInput{
		Name: "Grace Hopper", Email: "grace@example.com", Company: "Navy"}}))(t)
	sessions := []hub.SessionInput{
		{Title: "Keynote", Start: "2026-06-11T09:30", End: "2026-06-11T10:30", Room: room.ID, Track: track.ID, Speakers: []string{grace.ID}},
		{Title: "Lunch", Start: "2026-06-11T12:00", End: "2026-06-11T13:00", Room: room.ID},
		{Title: "Closing", Start: "2026-06-12T17:00", End: "2026-06-12T17:30", Room: room.ID, Track: track.ID},
	}
	for _, s := range sessions {
		must(hub.SaveSession.Call(actx, c, hub.SessionParams{AppRef: rpc.AppRef{App: app.ID}, Event: day1.ID, SessionInput: s}))(t)
	}
	// A session overlapping the keynote in the same room is refused.
	_, err := hub.SaveSession.Call(actx, c, hub.SessionParams{AppRef: rpc.AppRef{App: app.ID}, Event: day1.ID, SessionInput: hub.SessionInput{
		Title: "Clash", Start: "2026-06-11T10:00", End: "2026-06-11T11:00", Room: room.ID}})
	if !errors.Is(err, errs.Conflict) {
		t.Errorf("overlapping session: got %v, want a conflict", err)
	}

	// Members: Grace (a listed speaker) and a couple more.
	graceMember := must(hub.CreateMember.Call(actx, c, hub.CreateMemberParams{AppRef: rpc.AppRef{App: app.ID}, MemberInput: hub.MemberInput{
		Email: "grace@example.com", Name: "Grace Hopper", Company: "Navy", Role: hub.MemberSpeaker}}))(t)
	must(hub.CreateMember.Call(actx, c, hub.CreateMemberParams{AppRef: rpc.AppRef{App: app.ID}, MemberInput: hub.MemberInput{
		Email: "eloise@example.com", Name: "Éloïse Dupont", Company: "Société Générale"}}))(t)

	// Members cannot sign in before the app is published.
	if _, err := hub.RequestCode.Call(ctx, c, hub.RequestCodeParams{App: app.ID, Email: "new@example.com"}); !errors.Is(err, errs.NotFound) {
		t.Errorf("sign-in to an unpublished app: %v", err)
	}
	must(hub.PublishApp.Call(actx, c, hub.AppParams{AppRef: rpc.AppRef{App: app.ID}}))(t)
	info := must(hub.PublicAppInfo.Call(ctx, c, hub.PublicAppParams{Slug: "demo-conf"}))(t)
	if info.Branding.PrimaryColor != primary || info.Status != hub.StatusPublished {
		t.Errorf("app.info: %+v", info)
	}

	// A member signs in with an emailed code.
	must(hub.RequestCode.Call(ctx, c, hub.RequestCodeParams{App: app.ID, Email: "new@example.com"}))(t)
	code := must(hub.DevLastCode.Call(ctx, env.Service, hub.DevCodeParams{App: app.ID, Email: "new@example.com"}))(t)
	if _, err := hub.VerifyCode.Call(ctx, c, hub.VerifyCodeParams{App: app.ID, Email: "new@example.com", Code: wrong(code.Code)}); !errors.Is(err, errs.Unauthenticated) {
		t.Errorf("wrong code: %v", err)
	}
	sess := must(hub.VerifyCode.Call(ctx, c, hub.VerifyCodeParams{App: app.ID, Email: "new@example.com", Code: code.Code}))(t)
	if _, err := hub.VerifyCode.Call(ctx, c, hub.VerifyCodeParams{App: app.ID, Email: "new@example.com", Code: code.Code}); !errors.Is(err, errs.Unauthenticated) {
		t.Errorf("a code works once: %v", err)
	}
	mctx := hubtest.As(ctx, sess.Token)

	// The member reads the agenda.
	evs := must(hub.ListEvents.Call(mctx, c, hub.AppParams{AppRef: rpc.AppRef{App: app.ID}}))(t)
	if len(evs.Events) != 2 || evs.Events[0].Code != "" {
		t.Fatalf("events as a member: %+v", evs)
	}
	ag := must(hub.GetAgenda.Call(mctx, c, hub.AgendaParams{AppRef: rpc.AppRef{App: app.ID}, Event: day1.ID}))(t)
	var got []string
	for _, d := range ag.Days {
		for _, s := range d.Sessions {
			got = append(got, d.Date+" "+s.Start+" "+s.Title)
		}
	}
	want := []string{"2026-06-11 2026-06-11T09:30 Keynote", "2026-06-11 2026-06-11T12:00 Lunch", "2026-06-12 2026-06-12T17:00 Closing"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("agenda (-want +got):\n%s", diff)
	}
	keynote := ag.Days[0].Sessions[0]
	if len(keynote.Speakers) != 1 || keynote.Speakers[0].MemberID != graceMember.ID || keynote.Speakers[0].Email != "" {
		t.Errorf("keynote speakers as a member: %+v", keynote.Speakers)
	}
	goDay := must(hub.GetAgenda.Call(mctx, c, hub.AgendaParams{AppRef: rpc.AppRef{App: app.ID}, Event: day1.ID, Day: "2026-06-12", Track: track.ID}))(t)
	if len(goDay.Days) != 1 || len(goDay.Days[0].Sessions) != 1 || goDay.Days[0].Sessions[0].Title != "Closing" {
		t.Errorf("agenda of day 2, Go track: %+v", goDay.Days)
	}

	// The code-protected event needs registering with its code.
	ws := evs.Events[1]
	if _, err := hub.GetAgenda.Call(mctx, c, hub.AgendaParams{AppRef: rpc.AppRef{App: app.ID}, Event: ws.ID}); !errors.Is(err, errs.Forbidden) {
		t.Errorf("agenda of a code event before registering: %v", err)
	}
	must(hub.Register.Call(mctx, c, hub.RegisterParams{AppRef: rpc.AppRef{App: app.ID}, Event: ws.ID, Code: "SECRET"}))(t)
	must(hub.GetAgenda.Call(mctx, c, hub.AgendaParams{AppRef: rpc.AppRef{App: app.ID}, Event: ws.ID}))(t)

	// The directory finds Éloïse without accents or case; members see no emails.
	page := must(hub.SearchMembers.Call(mctx, c, hub.SearchMembersParams{AppRef: rpc.AppRef{App: app.ID}, Query: "eloi societe"}))(t)
	if len(page.Members) != 1 || page.Members[0].Name != "Éloïse Dupont" || page.Members[0].Email != "" {
		t.Errorf("search as a member: %+v", page.Members)
	}

	// The read model says what other services need.
	rm := hub.NewReadModel(env.Redis, env.Namespace)
	waitFor(t, func() error {
		m, err := rm.Membership(ctx, app.ID, sess.Member.ID)
		if err == nil && (m.Role != auth.RoleAttendee || m.Blocked) {
			err = errors.New("wrong membership")
		}
		return err
	})
	cfg := must(rm.App(ctx, app.ID))(t)
	if cfg.Status != hub.StatusPublished || cfg.Name != "Attendify Demo Conf" {
		t.Errorf("read model app: %+v", cfg)
	}
	if evs := must(rm.Events(ctx, app.ID))(t); len(evs) != 2 {
		t.Errorf("read model events: %+v", evs)
	}
	if m, err := rm.Membership(ctx, app.ID, acct.Organizer.ID); err != nil || m.Role != auth.RoleOwner {
		t.Errorf("organizer membership: %+v, %v", m, err)
	}
}

func wrong(code string) string {
	if code == "000000" {
		return "000001"
	}
	return "000000"
}

// waitFor retries f until it succeeds or the test's context ends.
func waitFor(t *testing.T, f func() error) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("still failing after 20s: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
