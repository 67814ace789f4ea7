package dev_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caarlos0/env/v11"
	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/attendify/analytics"
	"github.com/attendify/eventwall"
	"github.com/attendify/eventwall/screentest"
	"github.com/attendify/hub"
	"github.com/attendify/multievent"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/auth/authtest"
	"github.com/attendify/platform/couch"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/flake"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/testkit"
	"github.com/attendify/social"
	"github.com/attendify/sponsored"
	"github.com/attendify/sponsored/placement"
)

// services are the services TestStoreFaults runs, in start order. A new
// service joins with one entry: its settings for the test, what it does to
// the scenario (seed), and what its users see of it (view), which must be
// the same after Redis comes back empty as before.
var services = []struct {
	name string
	env  []string
	// seed adds the service's part of the scenario, after the earlier
	// services' parts (nil: none).
	seed func(t *testing.T, sc *scenario)
	// view is what the service's users see of the scenario: it must come
	// back to its value before a fault, and meanwhile check (nil: none)
	// must hold for every view it answers after it.
	view  func(ctx context.Context, sc *scenario) (any, error)
	check func(sc *scenario, view any) error
}{
	{name: "hub", env: []string{"HUB_DEV_MODE=true", "HUB_PASSWORD_MEMORY_KIB=1024"}, seed: seedHub, view: hubView},
	{name: "social", env: []string{"SOCIAL_RATE_LIMITS=false"}, seed: seedSocial, view: socialView},
	{name: "eventwall", seed: seedWall, view: wallView, check: rejectedStaysOff},
	{name: "sponsored", seed: seedSponsored, view: sponsoredView, check: capsHold},
	{name: "analytics", seed: seedAnalytics, view: analyticsView},
	{name: "multievent", seed: seedMultievent, view: multieventView},
}

// Sizes of the scenario.
const (
	members        = 4
	postsPerMember = 50 // on the main event, before the faults
)

// scenario is what the test made through the services' APIs.
type scenario struct {
	urls    map[string]string // service -> URL
	clients map[string]*rpc.Client
	procs   map[string]*testkit.Service
	envs    map[string][]string // service -> its environment (to start it again)
	bins    map[string]string
	service *rpc.Client // a signed service client of hub
	rdb     redis.UniversalClient
	proxies map[string]*testkit.Proxy // store -> the proxy between it and the services (startServices)
	// couchPrefix names social's CouchDB databases in this test.
	couchPrefix string

	app, event, loadEvent string
	owner                 string // the owner's app token
	members               []member
	posts                 []string // on the main event
	wall                  eventwall.Wall
	rejected, pinned      string
	campaign              string
	since                 time.Time // when the scenario began (analytics' range)
}

type member struct {
	id, name, token string
}

func as(ctx context.Context, token string) context.Context {
	return auth.WithCaller(ctx, auth.Caller{Kind: auth.CallerUser, Token: token})
}

// TestStoreFaults runs hub, social, eventwall, sponsored, analytics and
// multievent, the real binaries, on their own Postgres databases, the
// shared CouchDB dev server (databases of their own), each reached through
// a proxy the test can cut, and a private Redis. After a scenario (members
// registered to an event, a few hundred posts with reactions, a wall whose
// moderators rejected one post and pinned another, a campaign, analytics
// events, the events in multievent's directory), it takes each store away
// in turn while members keep posting and reacting on another event, and
// waits until what each service's users see is what they saw before: each
// service recovers by itself. No service may exit, a refused call must be
// retryable, the rejected post must never be on the wall, and every post
// the services acknowledged meanwhile must be there in the end.
func TestStoreFaults(t *testing.T) {
	srv := testkit.StartRedisServer(t)
	sc := startServices(t, srv, "postgres", "couchdb")
	before := sc.seed(t)

	// Redis killed, then restarted empty: each service rebuilds its Redis
	// state by itself.
	t.Run("RedisLoss", func(t *testing.T) {
		projector, load := sc.underLoad(t)
		srv.Kill()
		load.waitForAttempts(t, 40) // while Redis is down
		back := time.Now()          // an empty server starts now (its start counts)
		srv.Restart()
		sc.waitForViews(t, before, back, "Redis came back empty")
		sc.checkRunning(t, "after Redis came back")
		sc.checkNothingLost(t, load, projector, "while Redis was down or rebuilt")
	})
	// Postgres gone (every connection reset, every new one closed at once,
	// as when it restarts or its network fails): pools reconnect and
	// background work resumes by itself once it is back.
	t.Run("PostgresOutage", func(t *testing.T) { sc.outage(t, before, "postgres", "Postgres", nil) })
	// The same for CouchDB (social's posts, the followers of its databases,
	// multievent's content databases); an organizer adds a session in hub
	// meanwhile, which must reach the content database phones replicate.
	t.Run("CouchDBOutage", func(t *testing.T) { sc.outage(t, before, "couchdb", "CouchDB", sessionWhileGone) })
}

// outage cuts store's proxy under load for at least 5 s (longer than a
// pool's health check and the first backoffs of the background work), then
// restores it. during, when set, runs while the store is gone; what it
// returns runs once every view is back.
func (sc *scenario) outage(t *testing.T, before map[string]any, store, name string, during func(*testing.T, *scenario) func(*testing.T)) {
	projector, load := sc.underLoad(t)
	sc.proxies[store].Cut()
	load.waitForAttempts(t, 40) // while the store is gone
	afterward := func(*testing.T) {}
	if during != nil {
		afterward = during(t, sc)
	}
	time.Sleep(5 * time.Second)
	sc.checkRunning(t, "while "+name+" was gone")
	back := time.Now()
	sc.proxies[store].Restore()
	sc.waitForViews(t, before, back, name+" came back")
	sc.checkRunning(t, "after "+name+" came back")
	sc.checkNothingLost(t, load, projector, "while "+name+" was gone")
	afterward(t)
}

// checkRunning fails the test for each service that has exited.
func (sc *scenario) checkRunning(t *testing.T, when string) {
	t.Helper()
	for _, s := range services {
		if exited, err := sc.procs[s.name].Exited(); exited {
			t.Errorf("%s exited %s: %v", s.name, when, err)
		}
	}
}

// sessionWhileGone adds a session to the main event in hub (CouchDB gone)
// and returns a check that multievent has written it to a content database
// of a registered member.
func sessionWhileGone(t *testing.T, sc *scenario) func(*testing.T) {
	ctx := testkit.Context(t)
	title := "Written while CouchDB was gone"
	s, err := hub.SaveSession.Call(as(ctx, sc.owner), sc.clients["hub"], hub.SessionParams{AppRef: rpc.AppRef{App: sc.app}, Event: sc.event,
		SessionInput: hub.SessionInput{Title: title, Start: "2026-06-11T10:00", End: "2026-06-11T11:00"}})
	if err != nil {
		t.Fatalf("a session saved in hub while CouchDB was gone: %v", err)
	}
	return func(t *testing.T) {
		m := sc.members[0]
		testkit.Eventually(t, "the session saved while CouchDB was gone in a member's content database", func() bool {
			dbs, err := multievent.ListContentDatabases.Call(as(ctx, m.token), sc.clients["multievent"], multievent.AppParams{AppRef: rpc.AppRef{App: sc.app}})
			if err != nil {
				return false
			}
			for _, db := range dbs.Databases {
				// The database's path on this multievent (its public URL is
				// not configured here).
				u, err := url.Parse(db.URL)
				if err != nil {
					t.Fatal(err)
				}
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, sc.urls["multievent"]+u.EscapedPath()+"/session:"+s.ID, nil)
				auth.SetBearerToken(req, m.token)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					continue
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK && strings.Contains(string(body), title) {
					return true
				}
			}
			return false
		})
	}
}

// seed runs every service's seed and returns each one's view.
func (sc *scenario) seed(t *testing.T) map[string]any {
	t.Helper()
	for _, s := range services {
		if s.seed != nil {
			s.seed(t, sc)
		}
	}
	ctx := testkit.Context(t)
	before := map[string]any{}
	for _, s := range services {
		v, err := s.view(ctx, sc)
		if err != nil {
			t.Fatalf("%s's view before the fault: %v", s.name, err)
		}
		before[s.name] = v
	}
	return before
}

// underLoad starts a projector that watches the wall through it all and
// members who keep posting and reacting on the load event, and returns once
// 20 posts were acknowledged.
func (sc *scenario) underLoad(t *testing.T) (*screentest.Projector, *loadRun) {
	t.Helper()
	projector := screentest.Watch(sc.urls["eventwall"] + sc.wall.Path)
	t.Cleanup(projector.Stop)
	load := startLoad(t, sc)
	load.waitFor(t, 20)
	return projector, load
}

// waitForViews waits until every service's view is back to before, by
// itself, after a store came back at back (what names the event).
func (sc *scenario) waitForViews(t *testing.T, before map[string]any, back time.Time, what string) {
	t.Helper()
	ctx := testkit.Context(t)
	// Each service comes back to its view by itself. A view counts as back
	// once it stays as before for `steady`, longer than any service takes to
	// notice the fault (a service may answer from memory for a moment): the
	// time reported is when it came back for good.
	const steady = 5 * time.Second
	since := map[string]time.Time{} // service -> since when its view is as before
	last := map[string]any{}
	violated := map[string]bool{} // reported once each
	deadline := time.Now().Add(2 * testkit.WaitLimit)
	for time.Now().Before(deadline) {
		settled := true
		for _, s := range services {
			v, err := s.view(ctx, sc)
			if err == nil && s.check != nil && !violated[s.name] {
				if err := s.check(sc, v); err != nil {
					violated[s.name] = true
					t.Errorf("%s after the fault: %v", s.name, err)
				}
			}
			switch {
			case err != nil || !cmp.Equal(before[s.name], v):
				last[s.name] = v
				if err != nil {
					last[s.name] = err // unavailable while it rebuilds
				}
				delete(since, s.name)
				settled = false
			case since[s.name].IsZero():
				since[s.name] = time.Now()
				settled = false
			case time.Since(since[s.name]) < steady:
				settled = false
			}
		}
		if settled {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, s := range services {
		at, ok := since[s.name]
		if !ok || time.Since(at) < steady {
			t.Errorf("%s did not come back to its view before the fault (-before +last):\n%s", s.name, cmp.Diff(before[s.name], last[s.name]))
			continue
		}
		t.Logf("%s: its users' view was whole again %s after %s", s.name, at.Sub(back).Round(10*time.Millisecond), what)
	}
}

// checkNothingLost stops the load and checks that every post it had
// acknowledged is in the load event's feed, and that the projector never
// showed the rejected post; during says when calls were refused.
func (sc *scenario) checkNothingLost(t *testing.T, load *loadRun, projector *screentest.Projector, during string) {
	t.Helper()
	ctx := testkit.Context(t)
	// Nothing acknowledged is lost, and the rejected post never showed.
	acked := load.stop()
	byName := map[string]int{}
	for r, n := range acked.refusals {
		byName[r.method+" "+r.code.Name()] = n
		if !r.code.Retryable() && r.code != errs.CodeDeadlineExceeded {
			t.Errorf("%d %s calls refused with %s, which is neither retryable nor a timeout", n, r.method, r.code.Name())
		}
	}
	t.Logf("load: %d posts and %d reactions acknowledged, %d posts refused %s; %d side calls; refusals by method and code: %v",
		len(acked.posts), acked.reactions, acked.failed, during, acked.sideCalls, byName)
	testkit.Eventually(t, "every post acknowledged under load in the load event's feed", func() bool {
		got, err := feedIDs(ctx, sc, sc.members[0], sc.loadEvent)
		if err != nil {
			return false
		}
		for _, p := range acked.posts {
			if !slices.Contains(got, p) {
				return false
			}
		}
		return true
	})
	projector.Stop()
	if projector.Shown(sc.rejected) {
		t.Errorf("the rejected post %s was on the projector after the fault", sc.rejected)
	} else if projector.Answers() == 0 {
		t.Error("the projector got no answer")
	}
}

// startServices builds and starts every service of the table against its
// own database, the private Redis and CouchDB databases of its own.
// Each store named in proxied ("postgres", "couchdb") is reached through a
// proxy of its own, sc.proxies[store], that a test can cut.
func startServices(t *testing.T, srv *testkit.RedisServer, proxied ...string) *scenario {
	t.Helper()
	sc := &scenario{urls: map[string]string{}, clients: map[string]*rpc.Client{}, rdb: srv.Client(), since: time.Now(),
		procs: map[string]*testkit.Service{}, envs: map[string][]string{}, bins: map[string]string{}, proxies: map[string]*testkit.Proxy{},
		couchPrefix: "t" + strings.ToLower(flake.New(0).Next().String()[14:])}
	common := []string{
		"REDIS_URL=" + srv.URL, "REDIS_NAMESPACE=", "SOCIAL_COUCH_PREFIX=" + sc.couchPrefix, "MULTIEVENT_COUCH_PREFIX=" + sc.couchPrefix + "me",
		"DATABASE_CREATE=false", "RPC_ACCESS_LOG=false", "SHED_DISABLED=true",
	}
	couchdb := testkit.CouchDB(t)
	if slices.Contains(proxied, "couchdb") {
		cfg, err := env.ParseAs[couch.Config]()
		if err != nil {
			t.Fatal(err)
		}
		common = append(common, "COUCHDB_URL="+sc.throughProxy(t, "couchdb", cfg.URL))
	}
	t.Cleanup(func() { // social's database of the app, multievent's of its groups
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		names, _ := couchdb.AllDBs(ctx)
		for _, name := range names {
			if strings.HasPrefix(name, sc.couchPrefix) {
				_ = couchdb.DestroyDB(ctx, name)
			}
		}
	})
	for _, s := range services {
		env := append(slices.Clone(common), s.env...)
		dsn := testkit.PostgresURL(t, "")
		if slices.Contains(proxied, "postgres") {
			dsn = sc.throughProxy(t, "postgres", dsn)
		}
		env = append(env, "DATABASE_URL="+dsn, "SERVICE_NAME="+s.name)
		for name, url := range sc.urls {
			env = append(env, strings.ToUpper(name)+"_URL="+url)
		}
		sc.envs[s.name] = env
		sc.bins[s.name] = testkit.Build(t, "github.com/attendify/"+s.name+"/cmd/"+s.name)
		sc.start(t, s.name)
	}
	signer := authtest.Signer(t, "dev-test")
	var err error
	if sc.service, err = rpc.NewClient(rpc.ClientOptions{Endpoints: []string{sc.urls["hub"]}, Signer: &signer}); err != nil {
		t.Fatal(err)
	}
	return sc
}

// throughProxy returns rawURL (a store's URL) through sc.proxies[store],
// which it starts to rawURL's server the first time.
func (sc *scenario) throughProxy(t *testing.T, store, rawURL string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	if sc.proxies[store] == nil {
		sc.proxies[store] = testkit.NewProxy(t, u.Host)
	}
	u.Host = sc.proxies[store].Addr()
	return u.String()
}

// start starts (or starts again) service name with its environment.
func (sc *scenario) start(t *testing.T, name string) {
	t.Helper()
	p := testkit.StartService(t, sc.bins[name], sc.envs[name]...)
	// Errors as they are, and no circuit breaker: the test sees when each
	// service answers again, not when a breaker lets it try.
	c, err := rpc.NewClient(rpc.ClientOptions{Endpoints: []string{p.URL}, MaxAttempts: 1, ConsecutiveFailures: math.MaxUint32})
	if err != nil {
		t.Fatal(err)
	}
	sc.urls[name], sc.clients[name], sc.procs[name] = p.URL, c, p
}

// ---------------------------------------------------------------------------
// hub: an organizer, a published app with two events, members signed in
// with emailed codes, registered to the main event.

func seedHub(t *testing.T, sc *scenario) {
	t.Helper()
	ctx := testkit.Context(t)
	c := sc.clients["hub"]
	acct, err := hub.DevSignUp(ctx, c, sc.service, "organizer@example.com", "correct horse battery staple", "Olive Organizer")
	if err != nil {
		t.Fatalf("sign up: %v", err)
	}
	a, err := hub.CreateApp.Call(as(ctx, acct.Token), c, hub.CreateAppParams{Name: "Redis Loss Conf", Slug: "redis-loss-conf"})
	if err != nil {
		t.Fatalf("create app: %v", err)
	}
	tok, err := hub.AppTokenFor.Call(as(ctx, acct.Token), c, hub.AppParams{AppRef: rpc.AppRef{App: a.ID}})
	if err != nil {
		t.Fatal(err)
	}
	sc.app, sc.owner = a.ID, tok.Token
	octx := as(ctx, sc.owner)
	for i, name := range []string{"Main stage", "Hallway"} {
		ev, err := hub.CreateEvent.Call(octx, c, hub.CreateEventParams{AppRef: rpc.AppRef{App: a.ID}, Name: name, TimeZone: "Europe/Paris",
			Start: fmt.Sprintf("2026-06-1%dT09:00", i+1), End: fmt.Sprintf("2026-06-1%dT18:00", i+1)})
		if err != nil {
			t.Fatalf("create event: %v", err)
		}
		if i == 0 {
			sc.event = ev.ID
		} else {
			sc.loadEvent = ev.ID
		}
	}
	var ids []string
	for i := range members {
		email := fmt.Sprintf("member%d@example.com", i)
		m, err := hub.CreateMember.Call(octx, c, hub.CreateMemberParams{AppRef: rpc.AppRef{App: a.ID}, MemberInput: hub.MemberInput{Email: email, Name: fmt.Sprintf("Member %c. Example", 'A'+i)}})
		if err != nil {
			t.Fatalf("create member: %v", err)
		}
		sc.members = append(sc.members, member{id: m.ID, name: m.Name})
		ids = append(ids, m.ID)
	}
	if _, err := hub.AddAttendees.Call(octx, c, hub.AttendeesParams{AppRef: rpc.AppRef{App: a.ID}, Event: sc.event, Members: ids}); err != nil {
		t.Fatalf("register members: %v", err)
	}
	if _, err := hub.PublishApp.Call(octx, c, hub.AppParams{AppRef: rpc.AppRef{App: a.ID}}); err != nil {
		t.Fatalf("publish: %v", err)
	}
	for i := range sc.members {
		m := &sc.members[i]
		email := fmt.Sprintf("member%d@example.com", i)
		if _, err := hub.RequestCode.Call(ctx, c, hub.RequestCodeParams{App: a.ID, Email: email}); err != nil {
			t.Fatalf("request a code: %v", err)
		}
		code, err := hub.DevLastCode.Call(ctx, sc.service, hub.DevCodeParams{App: a.ID, Email: email})
		if err != nil {
			t.Fatalf("dev.lastCode: %v", err)
		}
		s, err := hub.VerifyCode.Call(ctx, c, hub.VerifyCodeParams{App: a.ID, Email: email, Code: code.Code})
		if err != nil {
			t.Fatalf("sign in: %v", err)
		}
		m.token = s.Token
	}
}

// hubView is hub's read model of the app, which every service checks on
// every request: the app, its events, each member's membership.
func hubView(ctx context.Context, sc *scenario) (any, error) {
	rm := hub.NewReadModel(sc.rdb, "")
	app, err := rm.App(ctx, sc.app)
	if err != nil {
		return nil, err
	}
	evs, err := rm.Events(ctx, sc.app)
	if err != nil {
		return nil, err
	}
	ms := map[string]hub.Membership{}
	for _, m := range sc.members {
		if ms[m.id], err = rm.Membership(ctx, sc.app, m.id); err != nil {
			return nil, err
		}
	}
	return struct {
		App         hub.AppConfig
		Events      []hub.EventInfo
		Memberships map[string]hub.Membership
	}{app, evs, ms}, nil
}

// ---------------------------------------------------------------------------
// social: posts on the main event, reactions.

func seedSocial(t *testing.T, sc *scenario) {
	t.Helper()
	ctx := testkit.Context(t)
	c := sc.clients["social"]
	// Social learns the members' names from hub's events.
	testkit.Eventually(t, "social knowing the members", func() bool {
		_, err := social.GetFeed.Call(as(ctx, sc.members[0].token), c, social.FeedParams{AppRef: rpc.AppRef{App: sc.app}, Kind: social.FeedEvent, ID: sc.event})
		return err == nil
	})
	for i := range postsPerMember {
		for _, m := range sc.members {
			p, err := social.CreatePost.Call(as(ctx, m.token), c, social.CreatePostParams{
				AppRef: rpc.AppRef{App: sc.app}, EventID: sc.event, Text: fmt.Sprintf("%s says hello #%d", m.name, i),
			})
			if err != nil {
				t.Fatalf("post.create: %v", err)
			}
			sc.posts = append(sc.posts, p.ID)
		}
	}
	kinds := []string{social.ReactionLike, social.ReactionLove, social.ReactionClap}
	for i, p := range sc.posts {
		for j, m := range sc.members {
			if (i+j)%3 != 0 {
				continue
			}
			if _, err := social.React.Call(as(ctx, m.token), c, social.ReactParams{AppRef: rpc.AppRef{App: sc.app}, PostID: p, Reaction: kinds[(i+j)%len(kinds)]}); err != nil {
				t.Fatalf("react: %v", err)
			}
		}
	}
	testkit.Eventually(t, "every post in the feed with its author's name", func() bool {
		v, err := socialView(ctx, sc)
		if err != nil {
			return false
		}
		for _, items := range v.(map[string][]feedItem) {
			if len(items) != len(sc.posts) || slices.ContainsFunc(items, func(it feedItem) bool { return it.Author == "" }) {
				return false
			}
		}
		return true
	})
}

type feedItem struct {
	ID, Author, Text, Mine string
	Reactions              map[string]int64
}

// socialView is the main event's feed as each member sees it: authors'
// names, reactions, each member's own reaction.
func socialView(ctx context.Context, sc *scenario) (any, error) {
	out := map[string][]feedItem{}
	for _, m := range sc.members {
		items, err := feed(ctx, sc, m, sc.event)
		if err != nil {
			return nil, err
		}
		for _, p := range items {
			out[m.id] = append(out[m.id], feedItem{ID: p.ID, Author: p.Author.Name, Text: p.Text, Mine: p.MyReaction, Reactions: p.Reactions})
		}
	}
	return out, nil
}

func feed(ctx context.Context, sc *scenario, m member, event string) ([]social.Post, error) {
	var out []social.Post
	cursor := ""
	for {
		page, err := social.GetFeed.Call(as(ctx, m.token), sc.clients["social"], social.FeedParams{
			AppRef: rpc.AppRef{App: sc.app}, Kind: social.FeedEvent, ID: event, Cursor: cursor, Limit: 100,
		})
		if err != nil {
			return nil, err
		}
		out = append(out, page.Items...)
		if page.NextCursor == "" {
			return out, nil
		}
		cursor = page.NextCursor
	}
}

func feedIDs(ctx context.Context, sc *scenario, m member, event string) ([]string, error) {
	items, err := feed(ctx, sc, m, event)
	ids := make([]string, len(items))
	for i, p := range items {
		ids[i] = p.ID
	}
	return ids, err
}

// ---------------------------------------------------------------------------
// eventwall: a public wall of the main event; a moderator rejects a post
// and pins another.

func seedWall(t *testing.T, sc *scenario) {
	t.Helper()
	ctx := testkit.Context(t)
	c := sc.clients["eventwall"]
	octx := as(ctx, sc.owner)
	w, err := eventwall.CreateWall.Call(octx, c, eventwall.CreateWallParams{
		AppRef: rpc.AppRef{App: sc.app}, EventID: sc.event, Title: "Main stage live",
	})
	if err != nil {
		t.Fatalf("wall.create: %v", err)
	}
	sc.wall = w
	ref := eventwall.WallRef{AppRef: rpc.AppRef{App: sc.app}, WallID: w.ID}
	sc.rejected, sc.pinned = sc.posts[7], sc.posts[11]
	testkit.Eventually(t, "every post on the wall with its author's name", func() bool {
		v, err := wallView(ctx, sc)
		if err != nil {
			return false
		}
		items := v.(map[string]wallItem)
		return len(items) == len(sc.posts) && !slices.ContainsFunc(slicesOf(items), func(it wallItem) bool { return it.Author == "" })
	})
	if _, err := eventwall.Reject.Call(octx, c, eventwall.PostsParams{WallRef: ref, PostIDs: []string{sc.rejected}}); err != nil {
		t.Fatalf("wall.reject: %v", err)
	}
	if _, err := eventwall.MarkPost.Call(octx, c, eventwall.MarkParams{WallRef: ref, PostID: sc.pinned, Mark: eventwall.MarkPin}); err != nil {
		t.Fatalf("wall.mark: %v", err)
	}
	testkit.Eventually(t, "the rejection and the pin on the wall", func() bool {
		v, err := wallView(ctx, sc)
		if err != nil {
			return false
		}
		items := v.(map[string]wallItem)
		_, rejected := items[sc.rejected]
		return !rejected && items[sc.pinned].Mark == eventwall.MarkPin
	})
}

type wallItem struct {
	Author, Text, Mark string
}

func slicesOf(m map[string]wallItem) []wallItem {
	out := make([]wallItem, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// wallView is what the wall's screens show: each post's author, text and
// mark (the full state of a poll).
func wallView(ctx context.Context, sc *scenario) (any, error) {
	ch, err := screentest.Full(ctx, sc.urls["eventwall"]+sc.wall.Path)
	if err != nil {
		return nil, err
	}
	out := make(map[string]wallItem, len(ch.Items))
	for _, it := range ch.Items {
		out[it.ID] = wallItem{Author: it.Author, Text: it.Text, Mark: it.Mark}
	}
	return out, nil
}

func rejectedStaysOff(sc *scenario, view any) error {
	if _, ok := view.(map[string]wallItem)[sc.rejected]; ok {
		return errors.New("the rejected post is on the wall")
	}
	return nil
}

// ---------------------------------------------------------------------------
// sponsored: a live campaign capped at one impression per member for its
// flight; every member has seen it once. Redis keeps the caps and the
// served counts: after the loss no member may see it again.

func seedSponsored(t *testing.T, sc *scenario) {
	t.Helper()
	ctx := testkit.Context(t)
	octx := as(ctx, sc.owner)
	c := sc.clients["sponsored"]
	now := time.Now().UTC()
	ref := rpc.AppRef{App: sc.app}
	camp, err := sponsored.CreateCampaign.Call(octx, c, sponsored.CreateCampaignParams{AppRef: ref, CampaignInput: sponsored.CampaignInput{
		Name: "Booth 12", Sponsor: sponsored.Sponsor{Name: "Acme Cloud"},
		Creative: sponsored.Creative{Text: "Come and see us at booth 12",
			CTA: sponsored.CTA{Kind: sponsored.CTALink, Label: "Book a demo", URL: "https://acme.example/demo"}},
		Flight: sponsored.Flight{Start: now.Add(-time.Hour).Format("2006-01-02T15:04"), End: now.Add(72 * time.Hour).Format("2006-01-02T15:04"), TimeZone: "UTC"},
		Weight: 1, Budget: 1000, Pacing: sponsored.PacingASAP, Caps: sponsored.Caps{PerFlight: 1},
	}})
	if err != nil {
		t.Fatalf("campaign.create: %v", err)
	}
	if _, err := sponsored.ScheduleCampaign.Call(octx, c, sponsored.CampaignRef{AppRef: ref, CampaignID: camp.ID}); err != nil {
		t.Fatalf("campaign.schedule: %v", err)
	}
	sc.campaign = camp.ID
	for _, m := range sc.members {
		testkit.Eventually(t, m.name+" shown the campaign once", func() bool {
			n, err := sponsoredShown(ctx, sc, m)
			return err == nil && n == 1
		})
	}
	// Counted (Postgres) before the loss: what a rebuild restores from.
	testkit.Eventually(t, "every impression counted", func() bool {
		r, err := sponsored.GetReport.Call(octx, c, sponsored.CampaignRef{AppRef: ref, CampaignID: sc.campaign})
		return err == nil && r.Total.Impressions == int64(len(sc.members))
	})
}

// sponsoredShown is how many items of the campaign the first page of m's
// app feed carries.
func sponsoredShown(ctx context.Context, sc *scenario, m member) (int, error) {
	page, err := social.GetFeed.Call(as(ctx, m.token), sc.clients["social"], social.FeedParams{
		AppRef: rpc.AppRef{App: sc.app}, Kind: social.FeedApp, Limit: 20,
	})
	n := 0
	for _, p := range page.Items {
		if p.Sponsored != nil && p.Sponsored.CampaignID == sc.campaign {
			n++
		}
	}
	return n, err
}

// sponsoredView is what members see of the campaign (nothing more: each
// has reached the cap) and what its report says.
func sponsoredView(ctx context.Context, sc *scenario) (any, error) {
	shown := map[string]int{}
	for _, m := range sc.members {
		n, err := sponsoredShown(ctx, sc, m)
		if err != nil {
			return nil, err
		}
		shown[m.id] = n
	}
	r, err := sponsored.GetReport.Call(as(ctx, sc.owner), sc.clients["sponsored"], sponsored.CampaignRef{AppRef: rpc.AppRef{App: sc.app}, CampaignID: sc.campaign})
	if err != nil {
		return nil, err
	}
	// The eligibility sponsored publishes for social's placer: the
	// campaign may serve (to members under the cap).
	elig, err := sc.rdb.Get(ctx, placement.NewKeys("").Eligibility(sc.app)).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, err
	}
	return sponsoredSeen{shown, strings.Contains(elig, sc.campaign), r.Total.Impressions, r.Total.Reach}, nil
}

type sponsoredSeen struct {
	Shown              map[string]int // member -> items of the campaign on a feed page
	Eligible           bool
	Impressions, Reach int64
}

// capsHold: a member capped at one impression never sees the campaign
// again, whatever Redis forgot.
func capsHold(sc *scenario, view any) error {
	for member, n := range view.(sponsoredSeen).Shown {
		if n > 0 {
			return fmt.Errorf("member %s shown the capped campaign again", member)
		}
	}
	return nil
}

// ---------------------------------------------------------------------------
// analytics: the main event's posts and reactions, counted from social's
// events. Redis holds the live counters; the load is on the other event.

func seedAnalytics(t *testing.T, sc *scenario) {
	t.Helper()
	ctx := testkit.Context(t)
	testkit.Eventually(t, "analytics counting every post of the main event", func() bool {
		v, err := analyticsView(ctx, sc)
		return err == nil && v.(map[string]int64)[analytics.CountPosts] == int64(len(sc.posts))
	})
}

// analyticsView is the main event's totals since the scenario began, as
// the organizers' dashboard reads them.
func analyticsView(ctx context.Context, sc *scenario) (any, error) {
	s, err := analytics.GetSeries.Call(as(ctx, sc.owner), sc.clients["analytics"], analytics.RangeParams{
		AppRef: rpc.AppRef{App: sc.app}, Event: sc.event, From: sc.since.Add(-time.Hour), To: sc.since.Add(3 * time.Hour), Step: "hour",
	})
	return s.Totals, err
}

// ---------------------------------------------------------------------------
// multievent: the app's directory as each member sees it, from hub's
// events (multievent keeps nothing of its own in Redis, but reads hub's
// read model and consumes hub's streams).

func seedMultievent(t *testing.T, sc *scenario) {
	t.Helper()
	ctx := testkit.Context(t)
	testkit.Eventually(t, "both events in multievent's directory", func() bool {
		d, err := multievent.ListDirectory.Call(as(ctx, sc.members[0].token), sc.clients["multievent"], multievent.AppParams{AppRef: rpc.AppRef{App: sc.app}})
		return err == nil && len(d.Now)+len(d.Upcoming)+len(d.Past) == 2
	})
}

func multieventView(ctx context.Context, sc *scenario) (any, error) {
	out := map[string]multievent.Directory{}
	for _, m := range sc.members {
		d, err := multievent.ListDirectory.Call(as(ctx, m.token), sc.clients["multievent"], multievent.AppParams{AppRef: rpc.AppRef{App: sc.app}})
		if err != nil {
			return nil, err
		}
		out[m.id] = d
	}
	return out, nil
}

// ---------------------------------------------------------------------------
// The load: members post on the other event and react to those posts, as
// fast as the services answer, before, during and after a fault.

type loadResult struct {
	posts     []string
	reactions int
	failed    int
	// refusals counts the failed calls (the posts and the side calls) by
	// method and code, not those the load's end cut.
	refusals  map[refusal]int
	sideCalls int
}

type refusal struct {
	method string
	code   errs.Code
}

type loadRun struct {
	mu       sync.Mutex
	res      loadResult
	attempts int
	cancel   context.CancelFunc
	wg       sync.WaitGroup
}

func startLoad(t *testing.T, sc *scenario) *loadRun {
	ctx, cancel := context.WithCancel(context.Background())
	l := &loadRun{cancel: cancel, res: loadResult{refusals: map[refusal]int{}}}
	c := sc.clients["social"]
	for i, m := range sc.members {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for n := 0; ctx.Err() == nil; n++ {
				cctx, done := context.WithTimeout(as(ctx, m.token), 5*time.Second)
				p, err := social.CreatePost.Call(cctx, c, social.CreatePostParams{
					AppRef: rpc.AppRef{App: sc.app}, EventID: sc.loadEvent, Text: fmt.Sprintf("load %d.%d", i, n),
				})
				reacted := false
				if err == nil {
					_, rerr := social.React.Call(cctx, c, social.ReactParams{AppRef: rpc.AppRef{App: sc.app}, PostID: p.ID, Reaction: social.ReactionWow})
					reacted = rerr == nil
				}
				done()
				l.mu.Lock()
				l.attempts++
				switch {
				case err != nil:
					l.res.failed++
					if ctx.Err() == nil {
						l.res.refusals[refusal{social.CreatePost.Name, errs.CodeOf(err)}]++
					}
				default:
					l.res.posts = append(l.res.posts, p.ID)
					if reacted {
						l.res.reactions++
					}
				}
				l.mu.Unlock()
				if err != nil && ctx.Err() == nil {
					time.Sleep(50 * time.Millisecond)
				}
			}
		}()
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			sideCalls(ctx, sc, i, m, l)
		}()
	}
	t.Cleanup(func() { l.stop() })
	return l
}

// sideCalls is what a member's phone does beside posting, in turn: it
// sends analytics, edits its profile in hub, reads multievent's directory
// and its feed. Each refusal is recorded by method and code (checkNothingLost
// wants them retryable).
func sideCalls(ctx context.Context, sc *scenario, i int, m member, l *loadRun) {
	ref := rpc.AppRef{App: sc.app}
	calls := []struct {
		method string
		call   func(ctx context.Context, n int) error
	}{
		{analytics.Track.Name, func(ctx context.Context, n int) error {
			_, err := analytics.Track.Call(ctx, sc.clients["analytics"], analytics.TrackParams{AppRef: ref, Install: fmt.Sprintf("install-%d", i), SentAt: time.Now().UTC(),
				Events: []analytics.TrackEvent{{ID: fmt.Sprintf("side-%d", n), Type: analytics.TypeCustom, At: time.Now().UTC(), Name: "side"}}})
			return err
		}},
		{hub.UpdateMe.Name, func(ctx context.Context, n int) error {
			title := fmt.Sprintf("Attendee %d", n)
			_, err := hub.UpdateMe.Call(ctx, sc.clients["hub"], hub.UpdateMeParams{AppRef: ref, ProfileChanges: hub.ProfileChanges{Title: &title}})
			return err
		}},
		{multievent.ListDirectory.Name, func(ctx context.Context, _ int) error {
			_, err := multievent.ListDirectory.Call(ctx, sc.clients["multievent"], multievent.AppParams{AppRef: ref})
			return err
		}},
		{social.GetFeed.Name, func(ctx context.Context, _ int) error {
			_, err := social.GetFeed.Call(ctx, sc.clients["social"], social.FeedParams{AppRef: ref, Kind: social.FeedEvent, ID: sc.loadEvent, Limit: 20})
			return err
		}},
	}
	for n := 0; ctx.Err() == nil; n++ {
		c := calls[n%len(calls)]
		cctx, done := context.WithTimeout(as(ctx, m.token), 5*time.Second)
		err := c.call(cctx, n)
		done()
		l.mu.Lock()
		l.res.sideCalls++
		if err != nil && ctx.Err() == nil {
			l.res.refusals[refusal{c.method, errs.CodeOf(err)}]++
		}
		l.mu.Unlock()
		if err != nil && ctx.Err() == nil {
			time.Sleep(50 * time.Millisecond)
		}
	}
}

func (l *loadRun) waitFor(t *testing.T, posts int) {
	t.Helper()
	testkit.Eventually(t, fmt.Sprintf("%d posts under load", posts), func() bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		return len(l.res.posts) >= posts
	})
}

func (l *loadRun) waitForAttempts(t *testing.T, n int) {
	t.Helper()
	l.mu.Lock()
	want := l.attempts + n
	l.mu.Unlock()
	testkit.Eventually(t, fmt.Sprintf("%d more calls under load", n), func() bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.attempts >= want
	})
}

func (l *loadRun) stop() loadResult {
	l.cancel()
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.res
}
