package hub_test

import (
	"bytes"
	"flag"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/attendify/hub"
	"github.com/attendify/hub/internal/hubtest"
	"github.com/attendify/platform/flake"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/rpc/rpcdoc"
	"github.com/attendify/platform/testkit"
)

var update = flag.Bool("update", false, "rewrite docs/methods.md and the README's generated parts")

// TestMethodsDoc keeps docs/methods.md equal to what rpc.discover says and
// to what a running hub answers: it calls every method once, as a client
// would, and renders the calls as the examples. Run
// `go test -run TestMethodsDoc -update` after changing a method.
func TestMethodsDoc(t *testing.T) {
	env := hubtest.Start(t)
	ctx := testkit.Context(t)
	rec := rpcdoc.NewRecorder()
	c := rec.Client(t, env.URL, nil)
	authCfg := env.Config.Service.Auth
	authCfg.ServiceName = "importer"
	signer, err := authCfg.Signer()
	if err != nil {
		t.Fatal(err)
	}
	svc := rec.Client(t, env.URL, &signer)
	as := hubtest.As

	// An organizer signs up (auth.signUp, dev.lastToken, auth.confirmSignUp),
	// signs out and in again, changes the password.
	acct := must(hub.DevSignUp(ctx, c, svc, "ada@example.com", "correct horse battery", "Ada Lovelace"))(t)
	must(hub.SignOut.Call(as(ctx, acct.Token), c, hub.NoParams{}))(t)
	sess := must(hub.LogIn.Call(ctx, c, hub.LogInParams{Email: "ada@example.com", Password: "correct horse battery"}))(t)
	sess = must(hub.ChangePassword.Call(as(ctx, sess.Token), c, hub.ChangePasswordParams{OldPassword: "correct horse battery", NewPassword: "battery staple horse"}))(t)
	octx := as(ctx, sess.Token)
	must(hub.Me.Call(octx, c, hub.NoParams{}))(t)

	// The app.
	app := must(hub.CreateApp.Call(octx, c, hub.CreateAppParams{Name: "Attendify Demo Conf", Slug: "demo-conf"}))(t)
	must(hub.ListApps.Call(octx, c, hub.NoParams{}))(t)
	at := must(hub.AppTokenFor.Call(octx, c, hub.AppParams{AppRef: rpc.AppRef{App: app.ID}}))(t)
	actx := as(ctx, at.Token)
	must(hub.GetApp.Call(actx, c, hub.AppParams{AppRef: rpc.AppRef{App: app.ID}}))(t)
	primary, accent := "#112233", "#FFCC00"
	must(hub.UpdateApp.Call(actx, c, hub.UpdateAppParams{AppRef: rpc.AppRef{App: app.ID}, PrimaryColor: &primary, AccentColor: &accent}))(t)
	must(hub.SetAccess.Call(actx, c, hub.SetAccessParams{AppRef: rpc.AppRef{App: app.ID}, Access: hub.AccessPasscode, Passcode: "letmein"}))(t)
	must(hub.SetAccess.Call(actx, c, hub.SetAccessParams{AppRef: rpc.AppRef{App: app.ID}, Access: hub.AccessOpen}))(t)
	must(hub.PublishApp.Call(actx, c, hub.AppParams{AppRef: rpc.AppRef{App: app.ID}}))(t)
	must(hub.PublicAppInfo.Call(ctx, c, hub.PublicAppParams{Slug: "demo-conf"}))(t)
	must(hub.ListAppIDs.Call(ctx, svc, hub.AppIDsParams{}))(t)

	// Collaborators: Grace is invited as an admin and accepts.
	grace := must(hub.DevSignUp(ctx, c, svc, "grace@example.com", "correct horse battery", "Grace Hopper"))(t)
	must(hub.DevJoin(ctx, c, svc, at.Token, grace.Token, hub.InviteParams{AppRef: rpc.AppRef{App: app.ID}, Email: "grace@example.com", Role: hub.RoleAdmin}))(t)
	must(hub.ListCollaborators.Call(actx, c, hub.AppParams{AppRef: rpc.AppRef{App: app.ID}}))(t)
	must(hub.SetRole.Call(actx, c, hub.SetRoleParams{AppRef: rpc.AppRef{App: app.ID}, OrganizerID: grace.Organizer.ID, Role: hub.RoleModerator}))(t)
	inv := must(hub.Invite.Call(actx, c, hub.InviteParams{AppRef: rpc.AppRef{App: app.ID}, Email: "linus@example.com", Role: hub.RoleModerator}))(t)
	must(hub.ListInvitations.Call(actx, c, hub.AppParams{AppRef: rpc.AppRef{App: app.ID}}))(t)
	must(hub.RevokeInvitation.Call(actx, c, hub.InvitationParams{AppRef: rpc.AppRef{App: app.ID}, Invitation: inv.ID}))(t)

	// Events.
	day1 := must(hub.CreateEvent.Call(actx, c, hub.CreateEventParams{AppRef: rpc.AppRef{App: app.ID}, Name: "Day One", TimeZone: "Europe/Paris",
		Start: "2030-06-11T09:00", End: "2030-06-12T18:00", Venue: "Paris"}))(t)
	workshop := must(hub.CreateEvent.Call(actx, c, hub.CreateEventParams{AppRef: rpc.AppRef{App: app.ID}, Name: "Workshop", TimeZone: "Europe/Paris",
		Start: "2030-06-13T10:00", End: "2030-06-13T16:00", Access: hub.EventAccessCode, Code: "SECRET"}))(t)
	venue := "Palais des Congrès"
	must(hub.UpdateEvent.Call(actx, c, hub.UpdateEventParams{AppRef: rpc.AppRef{App: app.ID}, Event: day1.ID, Venue: &venue}))(t)
	must(hub.ListEvents.Call(actx, c, hub.AppParams{AppRef: rpc.AppRef{App: app.ID}}))(t)

	// The agenda.
	room := must(hub.SaveRoom.Call(actx, c, hub.RoomParams{AppRef: rpc.AppRef{App: app.ID}, Event: day1.ID, Name: "Main hall", Capacity: 500}))(t)
	track := must(hub.SaveTrack.Call(actx, c, hub.TrackParams{AppRef: rpc.AppRef{App: app.ID}, Event: day1.ID, Name: "Go", Color: "#00ADD8"}))(t)
	speaker := must(hub.SaveSpeaker.Call(actx, c, hub.SpeakerParams{AppRef: rpc.AppRef{App: app.ID}, SpeakerInput: hub.SpeakerInput{
		Name: "Grace Hopper", Email: "grace@example.com", Company: "Navy"}}))(t)
	must(hub.ListSpeakers.Call(actx, c, hub.AppParams{AppRef: rpc.AppRef{App: app.ID}}))(t)
	keynote := must(hub.SaveSession.Call(actx, c, hub.SessionParams{AppRef: rpc.AppRef{App: app.ID}, Event: day1.ID, SessionInput: hub.SessionInput{
		Title: "Keynote", Start: "2030-06-11T09:30", End: "2030-06-11T10:30", Room: room.ID, Track: track.ID, Speakers: []string{speaker.ID}}}))(t)

	// Members.
	member := must(hub.CreateMember.Call(actx, c, hub.CreateMemberParams{AppRef: rpc.AppRef{App: app.ID}, MemberInput: hub.MemberInput{
		Email: "eloise@example.com", Name: "Éloïse Dupont", Company: "Société Générale", TicketType: "VIP"}}))(t)
	title := "CTO"
	must(hub.UpdateMember.Call(actx, c, hub.UpdateMemberParams{AppRef: rpc.AppRef{App: app.ID}, Member: member.ID, ProfileChanges: hub.ProfileChanges{Title: &title}}))(t)
	must(hub.GetMember.Call(actx, c, hub.MemberParams{AppRef: rpc.AppRef{App: app.ID}, Member: member.ID}))(t)
	must(hub.SearchMembers.Call(actx, c, hub.SearchMembersParams{AppRef: rpc.AppRef{App: app.ID}, Query: "elo", Limit: 10}))(t)
	must(hub.BlockMember.Call(actx, c, hub.MemberParams{AppRef: rpc.AppRef{App: app.ID}, Member: member.ID}))(t)
	must(hub.UnblockMember.Call(actx, c, hub.MemberParams{AppRef: rpc.AppRef{App: app.ID}, Member: member.ID}))(t)
	must(hub.AddAttendees.Call(actx, c, hub.AttendeesParams{AppRef: rpc.AppRef{App: app.ID}, Event: workshop.ID, Members: []string{member.ID}}))(t)
	must(hub.RemoveAttendees.Call(actx, c, hub.AttendeesParams{AppRef: rpc.AppRef{App: app.ID}, Event: workshop.ID, Members: []string{member.ID}}))(t)

	// What migration 13 recorded of a mailbox registered twice, once with
	// a trailing dot.
	twin := flake.New(1).Next().String()
	if _, err := env.Pool.Exec(ctx, `INSERT INTO members (id, app_id, email, name) VALUES ($1, $2, 'eloise@example.com.', 'E. Dupont')`, twin, app.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Pool.Exec(ctx, `INSERT INTO email_collisions (tab, app_id, email, kept_id, other_id, other_email)
		VALUES ('members', $1, 'eloise@example.com', $2, $3, 'eloise@example.com.')`, app.ID, member.ID, twin); err != nil {
		t.Fatal(err)
	}
	must(hub.ListEmailCollisions.Call(actx, c, hub.EmailCollisionsParams{AppRef: rpc.AppRef{App: app.ID}, Limit: 20}))(t)

	// A member signs in with an emailed code and reads.
	must(hub.RequestCode.Call(ctx, c, hub.RequestCodeParams{App: app.ID, Email: "eloise@example.com"}))(t)
	code := must(hub.DevLastCode.Call(ctx, svc, hub.DevCodeParams{App: app.ID, Email: "eloise@example.com"}))(t)
	rec.Mask(code.Code, "<code>")
	ms := must(hub.VerifyCode.Call(ctx, c, hub.VerifyCodeParams{App: app.ID, Email: "eloise@example.com", Code: code.Code}))(t)
	mctx := as(ctx, ms.Token)
	must(hub.MemberMe.Call(mctx, c, hub.AppParams{AppRef: rpc.AppRef{App: app.ID}}))(t)
	bio := "Builds payment systems."
	must(hub.UpdateMe.Call(mctx, c, hub.UpdateMeParams{AppRef: rpc.AppRef{App: app.ID}, ProfileChanges: hub.ProfileChanges{Bio: &bio}}))(t)
	must(hub.GetEvent.Call(mctx, c, hub.EventParams{AppRef: rpc.AppRef{App: app.ID}, Event: day1.ID}))(t)
	must(hub.Register.Call(mctx, c, hub.RegisterParams{AppRef: rpc.AppRef{App: app.ID}, Event: workshop.ID, Code: "SECRET"}))(t)
	must(hub.GetAgenda.Call(mctx, c, hub.AgendaParams{AppRef: rpc.AppRef{App: app.ID}, Event: day1.ID, Day: "2030-06-11"}))(t)
	must(hub.GetSession.Call(mctx, c, hub.ItemParams{AppRef: rpc.AppRef{App: app.ID}, ID: keynote.ID}))(t)
	must(hub.DeleteMe.Call(mctx, c, hub.AppParams{AppRef: rpc.AppRef{App: app.ID}}))(t)

	// What the importer sends.
	must(hub.BulkSpeakers.Call(ctx, svc, hub.BulkSpeakersParams{AppRef: rpc.AppRef{App: app.ID}, Speakers: []hub.SpeakerInput{
		{ExternalID: "SPK-01", Email: "barbara@example.com", Name: "Barbara Liskov"}}}))(t)
	must(hub.BulkSessions.Call(ctx, svc, hub.BulkSessionsParams{AppRef: rpc.AppRef{App: app.ID}, Event: day1.ID, Sessions: []hub.BulkSessionInput{
		{ExternalID: "S-01", Title: "Abstraction", Start: "2030-06-11T11:00", End: "2030-06-11T12:00", Room: "Grand Hall", Track: "Engineering", Speakers: []string{"SPK-01"}}}}))(t)
	must(hub.BulkMembers.Call(ctx, svc, hub.BulkMembersParams{AppRef: rpc.AppRef{App: app.ID}, Members: []hub.MemberInput{
		{Email: "alan@example.com", ExternalID: "REG-0001", Name: "Alan Turing", Company: "Bletchley"}}}))(t)

	// Deletions and the app's end of life.
	must(hub.DeleteSession.Call(actx, c, hub.ItemParams{AppRef: rpc.AppRef{App: app.ID}, ID: keynote.ID}))(t)
	must(hub.DeleteSpeaker.Call(actx, c, hub.ItemParams{AppRef: rpc.AppRef{App: app.ID}, ID: speaker.ID}))(t)
	must(hub.DeleteRoom.Call(actx, c, hub.ItemParams{AppRef: rpc.AppRef{App: app.ID}, ID: room.ID}))(t)
	must(hub.DeleteTrack.Call(actx, c, hub.ItemParams{AppRef: rpc.AppRef{App: app.ID}, ID: track.ID}))(t)
	must(hub.DeleteEvent.Call(actx, c, hub.EventParams{AppRef: rpc.AppRef{App: app.ID}, Event: workshop.ID}))(t)
	alan := must(hub.SearchMembers.Call(actx, c, hub.SearchMembersParams{AppRef: rpc.AppRef{App: app.ID}, Query: "alan"}))(t)
	if len(alan.Members) != 1 {
		t.Fatalf("member.search alan: %+v", alan)
	}
	must(hub.DeleteMember.Call(actx, c, hub.MemberParams{AppRef: rpc.AppRef{App: app.ID}, Member: alan.Members[0].ID}))(t)
	must(hub.RemoveCollaborator.Call(actx, c, hub.RemoveCollaboratorParams{AppRef: rpc.AppRef{App: app.ID}, OrganizerID: grace.Organizer.ID}))(t)
	must(hub.DevJoin(ctx, c, svc, at.Token, grace.Token, hub.InviteParams{AppRef: rpc.AppRef{App: app.ID}, Email: "grace@example.com", Role: hub.RoleAdmin}))(t)
	must(hub.TransferOwnership.Call(actx, c, hub.TransferOwnershipParams{AppRef: rpc.AppRef{App: app.ID}, OrganizerID: grace.Organizer.ID}))(t)
	must(hub.UnpublishApp.Call(actx, c, hub.AppParams{AppRef: rpc.AppRef{App: app.ID}}))(t)
	must(hub.ExpireApp.Call(actx, c, hub.AppParams{AppRef: rpc.AppRef{App: app.ID}}))(t)
	gt := must(hub.AppTokenFor.Call(as(ctx, grace.Token), c, hub.AppParams{AppRef: rpc.AppRef{App: app.ID}}))(t)
	must(hub.DeleteApp.Call(as(ctx, gt.Token), c, hub.AppParams{AppRef: rpc.AppRef{App: app.ID}}))(t)

	rpcdoc.Generate(t, rpcdoc.Doc{
		Service:    "hub",
		Discovery:  rpcdoc.Discover(t, env.URL),
		Recorder:   rec,
		Regenerate: "go test -run TestMethodsDoc -update (in services/hub)",
	}, "docs/methods.md", *update)
}

// TestReadmeMatrix keeps the permission matrix in README.md equal to the
// one hub enforces (hub.Matrix).
func TestReadmeMatrix(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("| action | " + strings.Join(hub.MatrixRoles, " | ") + " | attendee |\n")
	b.WriteString("|---|" + strings.Repeat("---|", len(hub.MatrixRoles)+1) + "\n")
	actions := make([]hub.Action, 0, len(hub.ActionNames))
	for a := range hub.ActionNames {
		actions = append(actions, a)
	}
	slices.Sort(actions)
	for _, a := range actions {
		b.WriteString("| " + hub.ActionNames[a] + " |")
		for _, r := range hub.MatrixRoles {
			b.WriteString(" " + map[bool]string{true: "✓", false: "–"}[hub.Allowed(r, a)] + " |")
		}
		b.WriteString(" – |\n")
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- matrix:begin -->\n", "<!-- matrix:end -->"
	i, j := bytes.Index(readme, []byte(begin)), bytes.Index(readme, []byte(end))
	if i < 0 || j < i {
		t.Fatalf("README.md lacks the %q ... %q markers", begin, end)
	}
	want := append(append(append([]byte{}, readme[:i+len(begin)]...), b.Bytes()...), readme[j:]...)
	rpcdoc.Check(t, "README.md", want, *update, "go test -run TestReadmeMatrix -update (in services/hub)")
}
