package multievent_test

import (
	"flag"
	"testing"

	"github.com/attendify/multievent"
	"github.com/attendify/multievent/internal/metest"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/rpc/rpcdoc"
	"github.com/attendify/platform/testkit"
)

var update = flag.Bool("update", false, "rewrite docs/methods.md")

// TestMethodsDoc keeps docs/methods.md equal to what rpc.discover says and
// to what a running multievent answers: it calls every method once, as a
// phone would, and renders the calls as the examples. Run
// `go test -run TestMethodsDoc -update` after changing a method.
func TestMethodsDoc(t *testing.T) {
	s := newStory(t)
	rec := rpcdoc.NewRecorder()
	c := rec.Client(t, s.env.URL, nil)
	rec.Mask(s.env.Config.CouchPrefix, "<prefix>")
	ctx := metest.Ctx(s.registered)
	call := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	testkit.Eventually(t, "every event in the directory", func() bool {
		d, err := multievent.ListDirectory.Call(ctx, s.env.Client, multievent.AppParams{AppRef: rpc.AppRef{App: s.app}})
		return err == nil && len(d.Now)+len(d.Upcoming)+len(d.Past) == 4
	})
	call(multievent.ListDirectory.Call(ctx, c, multievent.AppParams{AppRef: rpc.AppRef{App: s.app}}))
	call(multievent.GetDirectoryEvent.Call(ctx, c, multievent.EventParams{AppRef: rpc.AppRef{App: s.app}, Event: s.conf.ID}))
	call(multievent.Search.Call(ctx, c, multievent.SearchParams{AppRef: rpc.AppRef{App: s.app}, Query: "keynote"}))
	call(multievent.SyncAgenda.Call(ctx, c, multievent.SyncParams{AppRef: rpc.AppRef{App: s.app}, Ops: multievent.EncodeOps(
		multievent.AgendaOp{Op: multievent.OpBookmark, Session: s.keynote}, multievent.AgendaOp{Op: multievent.OpNote, Session: s.lunch, Text: "Vegetarian"})}))
	call(multievent.GetAgenda.Call(ctx, c, multievent.AgendaParams{AppRef: rpc.AppRef{App: s.app}}))
	call(multievent.IssueCalendarLink.Call(ctx, c, multievent.AgendaParams{AppRef: rpc.AppRef{App: s.app}}))
	call(multievent.RevokeCalendarLink.Call(ctx, c, multievent.AgendaParams{AppRef: rpc.AppRef{App: s.app}}))
	call(multievent.ListContentDatabases.Call(ctx, c, multievent.AppParams{AppRef: rpc.AppRef{App: s.app}}))

	rpcdoc.Generate(t, rpcdoc.Doc{
		Service:   "multievent",
		Discovery: rpcdoc.Discover(t, s.env.URL),
		Recorder:  rec,
		// The story's dates are relative to today: so are their zones' offsets.
		Vary:       []string{"bookmarks_context", "notes_context", "utc_offset"},
		Regenerate: "go test -run TestMethodsDoc -update (in services/multievent)",
	}, "docs/methods.md", *update)
}
