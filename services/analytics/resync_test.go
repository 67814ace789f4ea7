package analytics_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/attendify/analytics"
	"github.com/attendify/analytics/internal/analyticstest"
	"github.com/attendify/hub"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/events"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/testkit"
	"github.com/attendify/social"
)

// fakeHub answers the two methods a resync reads (app.ids, member.search)
// from a list the test sets, to signed service calls only.
type fakeHub struct {
	mu      sync.Mutex
	app     string
	members []hub.Member
}

func (f *fakeHub) set(app string, ms ...hub.Member) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.app, f.members = app, ms
}

func (f *fakeHub) start(t *testing.T) string {
	t.Helper()
	ac, err := auth.LoadConfig()
	if err != nil {
		t.Fatal(err)
	}
	rdb, ns := testkit.Redis(t)
	srv := rpc.NewServer(rpc.Options{Name: "hub", Auth: &auth.Authenticator{Services: ac.ServiceVerifier(auth.NewRedisNonces(rdb, ns))}})
	service := func(ctx context.Context) error {
		if auth.CallerFrom(ctx).Kind != auth.CallerService {
			return errs.WithCode(errs.CodeForbidden, "services only")
		}
		return nil
	}
	rpc.Handle(srv, hub.ListAppIDs, func(ctx context.Context, p hub.AppIDsParams) (hub.AppIDPage, error) {
		if err := service(ctx); err != nil {
			return hub.AppIDPage{}, err
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.app == "" || p.After >= f.app {
			return hub.AppIDPage{IDs: []string{}}, nil
		}
		return hub.AppIDPage{IDs: []string{f.app}}, nil
	})
	rpc.Handle(srv, hub.SearchMembers, func(ctx context.Context, p hub.SearchMembersParams) (hub.MemberPage, error) {
		if err := service(ctx); err != nil {
			return hub.MemberPage{}, err
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		if p.App != f.app {
			return hub.MemberPage{Members: []hub.Member{}}, nil
		}
		return hub.MemberPage{Members: slices.Clone(f.members)}, nil
	})
	mux := http.NewServeMux()
	srv.Routes(mux)
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return ts.URL
}

// TestResyncFromHub: when analytics' place in hub's member stream is lost
// (the stream deleted, as a Redis restarted empty leaves it), the member
// events it missed are rebuilt from hub by itself: a rename lost with the
// stream shows in the leaderboard, and a member hub no longer has is
// erased from it.
func TestResyncFromHub(t *testing.T) {
	var h fakeHub
	e := analyticstest.Start(t, analyticstest.Options{HubURL: h.start(t)})
	app := e.CreateApp()
	org := e.AddMember(app, "Olga", auth.RoleOwner)
	ada := e.AddMember(app, "Ada", auth.RoleAttendee)
	gone := e.AddMember(app, "Gus", auth.RoleAttendee)
	for _, m := range []string{ada.ID, gone.ID} {
		ev := events.Event{ID: events.NewID(), Type: social.EventPostCreated, App: app, Subject: "p-" + m,
			Data: mustJSON(t, social.PostPayload{ID: "p-" + m, AppID: app, AuthorID: m, Visible: true})}
		if err := e.Publisher.Publish(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
	labels := func() []string {
		lb, err := analytics.GetLeaderboard.Call(org.Ctx(context.Background()), e.Client, analytics.LeaderboardParams{AppRef: rpc.AppRef{App: app}})
		if err != nil {
			return nil
		}
		var out []string
		for _, it := range lb.Items {
			out = append(out, it.Label)
		}
		slices.Sort(out)
		return out
	}
	testkit.Eventually(t, "Ada and Gus on the leaderboard", func() bool { return slices.Equal(labels(), []string{"Ada", "Gus"}) })

	// Hub renames Ada and deletes Gus; the events of both are lost with
	// the stream.
	created := time.Now().Add(-time.Hour).UTC()
	h.set(app,
		hub.Member{ID: org.ID, AppID: app, Name: "Olga", CreatedAt: created},
		hub.Member{ID: ada.ID, AppID: app, Name: "Ada Lovelace", CreatedAt: created})
	if err := e.Redis.Del(context.Background(), events.NewStreams(e.Namespace).Stream("member")).Err(); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "the rename shown and Gus erased, from hub", func() bool {
		return slices.Equal(labels(), []string{"Ada Lovelace"})
	})
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
