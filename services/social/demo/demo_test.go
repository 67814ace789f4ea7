package demo_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/attendify/hub"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/testkit"
	"github.com/attendify/social"
	"github.com/attendify/social/demo"
	"github.com/attendify/social/internal/socialtest"
)

// TestDemo runs the `make run` demo against a running social (with its
// rate limits on, as `make run` has them) and a stand-in for hub's sign-in
// methods, with hub's demo output (hub.json) in DEMO_DIR: the app feed is
// lively (posts by several members, with photos, hashtags, comments and
// reactions), and a second run finds it filled and adds nothing.
func TestDemo(t *testing.T) {
	env := socialtest.Start(t, socialtest.Options{RateLimits: true})
	ctx := testkit.Context(t)
	ev := env.NewEvent("Demo conf")
	app := env.CreateApp(ev)
	owner := env.AddMember(app, "Demo Organizer", auth.RoleOwner)
	h := &fakeHub{byEmail: map[string]socialtest.Member{}, byID: map[string]socialtest.Member{}}
	for _, name := range []string{"Ada", "Bob", "Cy", "Dee", "Eve"} {
		h.add(env.AddMember(app, name, auth.RoleAttendee))
	}
	member := env.AddMember(app, "Demo Member", auth.RoleAttendee)
	h.add(member)
	hubURL := h.serve(t, env)

	dir := t.TempDir()
	hubJSON, _ := json.Marshal(map[string]any{
		"app_id": app, "event_ids": []string{ev.ID}, "app_token": owner.Token,
		"member_token": member.Token, "member_email": email(member),
	})
	if err := os.WriteFile(filepath.Join(dir, "hub.json"), hubJSON, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DEMO_DIR", dir)
	t.Setenv("HUB_URL", hubURL)
	t.Setenv("SOCIAL_URL", env.URL)

	run := func() demo.Summary {
		t.Helper()
		var out bytes.Buffer
		if err := demo.Run(ctx, &out); err != nil {
			t.Fatalf("demo: %v", err)
		}
		var s demo.Summary
		if err := json.Unmarshal(out.Bytes(), &s); err != nil {
			t.Fatalf("demo printed %q: %v", out.String(), err)
		}
		return s
	}
	first := run()
	if first.AppID != app || first.Members != 6 || first.Posts < 10 || first.FeedItems != first.Posts || first.Note != "" {
		t.Errorf("first run: %+v", first)
	}

	// The feed as a member reads it.
	feed, err := social.GetFeed.Call(member.Ctx(ctx), env.Client, social.FeedParams{AppRef: rpc.AppRef{App: app}, Kind: social.FeedApp, Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	authors := map[string]bool{}
	var photos, commented, liked, tagged, inEvent int
	for _, it := range feed.Items {
		authors[it.Author.ID] = true
		if len(it.Photos) > 0 {
			photos++
		}
		if it.CommentCount > 0 {
			commented++
		}
		if it.ReactionCount > 0 {
			liked++
		}
		if len(it.Hashtags) > 0 {
			tagged++
		}
		if it.EventID == ev.ID {
			inEvent++
		}
	}
	if len(feed.Items) < 10 || len(authors) < 5 || photos < 3 || commented < 3 || liked < len(feed.Items)/2 || tagged < 5 || inEvent == 0 {
		t.Errorf("the feed is not lively: %d posts by %d members, %d with photos, %d commented, %d liked, %d with hashtags, %d in the event",
			len(feed.Items), len(authors), photos, commented, liked, tagged, inEvent)
	}
	// A photo is served.
	for _, it := range feed.Items {
		if len(it.Photos) > 0 {
			resp, err := env.HTTP(member, http.MethodGet, it.Photos[0].ThumbURL, "", nil)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "image/") {
				t.Errorf("thumbnail: HTTP %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			break
		}
	}

	if again := run(); again.Note == "" || again.FeedItems != len(feed.Items) || again.Posts != 0 {
		t.Errorf("second run: %+v, want the feed found filled", again)
	}
}

// fakeHub answers the hub methods the demo calls (the member directory,
// sign-in by emailed code, member.me) for members written into hub's read
// model by socialtest, with their tokens. Hub's own demo test covers hub's
// side.
type fakeHub struct {
	mu      sync.Mutex
	byEmail map[string]socialtest.Member
	byID    map[string]socialtest.Member
}

const devCode = "123456"

func email(m socialtest.Member) string {
	return strings.ToLower(strings.ReplaceAll(m.Name, " ", ".")) + "@demo.test"
}

func (h *fakeHub) add(m socialtest.Member) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.byEmail[email(m)] = m
	h.byID[m.ID] = m
}

func (h *fakeHub) member(m socialtest.Member) hub.Member {
	return hub.Member{ID: m.ID, AppID: m.App, Email: email(m), Name: m.Name, Role: m.Role}
}

func (h *fakeHub) serve(t *testing.T, env *socialtest.Env) string {
	a := env.Config.Service.Auth
	srv := rpc.NewServer(rpc.Options{Name: "hub", Auth: &auth.Authenticator{
		Tokens: a.Verifier(), Services: a.ServiceVerifier(auth.NewMemoryNonces()),
	}})
	rpc.Handle(srv, hub.SearchMembers, func(_ context.Context, p hub.SearchMembersParams) (hub.MemberPage, error) {
		h.mu.Lock()
		defer h.mu.Unlock()
		page := hub.MemberPage{Members: []hub.Member{}}
		for _, m := range h.byID {
			if m.App == p.App {
				page.Members = append(page.Members, h.member(m))
			}
		}
		return page, nil
	})
	rpc.Handle(srv, hub.RequestCode, func(_ context.Context, p hub.RequestCodeParams) (hub.CodeSent, error) {
		return hub.CodeSent{}, nil
	})
	rpc.Handle(srv, hub.DevLastCode, func(_ context.Context, p hub.DevCodeParams) (hub.DevCode, error) {
		return hub.DevCode{Code: devCode}, nil
	})
	rpc.Handle(srv, hub.VerifyCode, func(_ context.Context, p hub.VerifyCodeParams) (hub.MemberSession, error) {
		h.mu.Lock()
		defer h.mu.Unlock()
		m, ok := h.byEmail[p.Email]
		if !ok || m.App != p.App || p.Code != devCode {
			return hub.MemberSession{}, errs.WithCode(errs.CodeUnauthenticated, "wrong code")
		}
		return hub.MemberSession{Token: m.Token, Member: h.member(m)}, nil
	})
	rpc.Handle(srv, hub.MemberMe, func(ctx context.Context, p hub.AppParams) (hub.Member, error) {
		h.mu.Lock()
		defer h.mu.Unlock()
		m, ok := h.byID[auth.CallerFrom(ctx).User]
		if !ok {
			return hub.Member{}, errs.New(errs.NotFound, "member not found")
		}
		return h.member(m), nil
	})
	mux := http.NewServeMux()
	srv.Routes(mux)
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return ts.URL
}
