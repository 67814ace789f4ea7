// TestReplicaKill runs with `make test-replicas` (the build tag keeps it
// out of make test: it starts twelve service processes and takes minutes).

//go:build replicas

package dev_test

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/attendify/platform/auth/authtest"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/flake"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/testkit"
	"github.com/attendify/social"
)

// TestReplicaKill runs two instances of every service of TestStoreFaults's
// table (the real binaries, on fixed loopback ports that every caller
// knows), builds the same scenario through clients that balance over both,
// then, under a steady load of members posting (not idempotent) and reading
// their feed (idempotent), kills one instance of each service with SIGKILL
// and starts it again on its port. What must hold: the feed reads never
// fail; a post fails only with a retryable error; every acknowledged post
// is in the feed at the end; a post made while the instances were dead
// reaches the wall (eventwall's ingest, whatever instance held its lease)
// and analytics' counts (its consumer); and hub's, sponsored's and
// multievent's users see what they saw before.
func TestReplicaKill(t *testing.T) {
	srv := testkit.StartRedisServer(t)
	sc, instances, balanced, start := startReplicated(t, srv)
	before := sc.seed(t)
	ctx := testkit.Context(t)

	load := startReplicaLoad(t, sc, balanced["social"])
	load.waitFor(t, 20)
	killedAt := time.Now()
	for _, s := range services {
		instances[s.name][1].Kill()
	}
	// While one instance of each is dead: a post on the main event, which
	// the wall must show.
	m := sc.members[0]
	p, err := social.CreatePost.Call(as(ctx, m.token), balanced["social"], social.CreatePostParams{
		AppRef: social.AppRef{App: sc.app}, EventID: sc.event, Text: "while a replica of each is down",
	})
	if err != nil {
		t.Fatalf("a post while one instance of each service is dead: %v", err)
	}
	load.waitForReads(t, 200)
	for _, s := range services {
		instances[s.name][1] = start(s.name, 1)
	}
	restartedAt := time.Now()
	load.waitForReads(t, 200)
	res := load.stop()

	t.Logf("load over %v (instances dead for %v): %d posts acknowledged, %d refused (retryable), %d feed reads, %d failed",
		time.Since(killedAt).Round(time.Millisecond), restartedAt.Sub(killedAt).Round(time.Millisecond),
		len(res.posts), res.failed, res.reads, res.readFailures)
	for _, err := range res.errors {
		t.Error(err)
	}
	if res.readFailures > 0 {
		t.Errorf("%d feed reads (idempotent) failed; want none: the client retries them on the other instance", res.readFailures)
	}

	testkit.Eventually(t, "the post made while instances were dead on the wall", func() bool {
		v, err := wallView(ctx, sc)
		if err != nil {
			return false
		}
		_, ok := v.(map[string]wallItem)[p.ID]
		return ok
	})
	testkit.Eventually(t, "every post acknowledged under load in the load event's feed", func() bool {
		got, err := feedIDs(ctx, sc, sc.members[0], sc.loadEvent)
		if err != nil {
			return false
		}
		for _, id := range res.posts {
			if !slices.Contains(got, id) {
				return false
			}
		}
		return true
	})
	// analytics counted the post made while instances were dead: its
	// consumer's work went on.
	want := map[string]any{}
	for k, v := range before {
		want[k] = v
	}
	if totals, ok := before["analytics"].(map[string]int64); ok {
		totals = maps.Clone(totals)
		totals["posts"]++
		want["analytics"] = totals
	} else {
		t.Fatalf("analytics' view is a %T, want map[string]int64", before["analytics"])
	}
	for _, s := range services {
		if s.name == "social" || s.name == "eventwall" {
			continue // the post above changed them; checked above
		}
		var last any
		ok := false
		deadline := time.Now().Add(testkit.WaitLimit)
		for time.Now().Before(deadline) {
			v, err := s.view(ctx, sc)
			if err == nil && cmp.Equal(want[s.name], v) {
				ok = true
				break
			}
			last = v
			time.Sleep(100 * time.Millisecond)
		}
		if !ok {
			t.Errorf("%s's view after the kills differs (-want +after):\n%s", s.name, cmp.Diff(want[s.name], last))
		}
	}
}

// startReplicated starts two instances of each service of the table on
// ports chosen first, so that every service's callers (and the test's
// clients) know both. It returns the scenario, whose clients (for the seeds
// and the views) call the first instance only, as hub's development mailbox
// is in its process; the instances; clients that balance over both; and a
// function that starts instance i of a service again on its port.
func startReplicated(t *testing.T, srv *testkit.RedisServer) (*scenario, map[string][]*testkit.Service, map[string]*rpc.Client, func(name string, i int) *testkit.Service) {
	t.Helper()
	sc := &scenario{urls: map[string]string{}, clients: map[string]*rpc.Client{}, rdb: srv.Client(), since: time.Now(),
		procs: map[string]*testkit.Service{}, envs: map[string][]string{}, bins: map[string]string{},
		couchPrefix: "t" + strings.ToLower(flake.New(0).Next().String()[14:])}
	testkit.CouchDB(t) // fails the test when CouchDB is missing
	addrs := map[string][]string{}
	for _, s := range services {
		addrs[s.name] = []string{testkit.FreeAddr(t), testkit.FreeAddr(t)}
	}
	common := []string{
		"REDIS_URL=" + srv.URL, "REDIS_NAMESPACE=", "SOCIAL_COUCH_PREFIX=" + sc.couchPrefix, "MULTIEVENT_COUCH_PREFIX=" + sc.couchPrefix + "me",
		"DATABASE_CREATE=false", "RPC_ACCESS_LOG=false", "SHED_DISABLED=true",
		// Leases and claims short enough to be taken over within the test.
		"EVENTWALL_LEASE_TTL=3s", "SPONSORED_CLAIM_IDLE=3s",
	}
	for _, s := range services {
		var urls []string
		for _, a := range addrs[s.name] {
			urls = append(urls, "http://"+a)
		}
		common = append(common, strings.ToUpper(s.name)+"_URL="+strings.Join(urls, ","))
	}
	instances := map[string][]*testkit.Service{}
	balanced := map[string]*rpc.Client{}
	start := func(name string, i int) *testkit.Service {
		t.Helper()
		return testkit.StartService(t, sc.bins[name], append(slices.Clone(sc.envs[name]), "ADDR="+addrs[name][i])...)
	}
	for _, s := range services {
		env := append(slices.Clone(common), s.env...)
		env = append(env, "DATABASE_URL="+testkit.PostgresURL(t, ""), "SERVICE_NAME="+s.name)
		sc.envs[s.name] = env
		sc.bins[s.name] = testkit.Build(t, "github.com/attendify/"+s.name+"/cmd/"+s.name)
		instances[s.name] = []*testkit.Service{start(s.name, 0), start(s.name, 1)}
		// The load's clients balance over both; the breaker opens on a
		// dead one.
		b, err := rpc.NewClient(rpc.ClientOptions{Endpoints: []string{instances[s.name][0].URL, instances[s.name][1].URL}, ConsecutiveFailures: 2})
		if err != nil {
			t.Fatal(err)
		}
		balanced[s.name] = b
		// Seeds, pages and views go to the first instance, never killed.
		c, err := rpc.NewClient(rpc.ClientOptions{Endpoints: []string{instances[s.name][0].URL}, MaxAttempts: 1, ConsecutiveFailures: math.MaxUint32})
		if err != nil {
			t.Fatal(err)
		}
		sc.urls[s.name], sc.clients[s.name], sc.procs[s.name] = instances[s.name][0].URL, c, instances[s.name][0]
	}
	signer := authtest.Signer(t, "dev-test")
	var err error
	if sc.service, err = rpc.NewClient(rpc.ClientOptions{Endpoints: []string{instances["hub"][0].URL}, Signer: &signer}); err != nil {
		t.Fatal(err)
	}
	return sc, instances, balanced, start
}

type replicaLoad struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	res    replicaResult
}

type replicaResult struct {
	posts        []string
	failed       int // posts refused with a retryable error
	reads        int
	readFailures int
	errors       []error // posts refused with an error that is not retryable
}

// startReplicaLoad has each member post on the load event and read its
// feed, in turn, until stopped.
func startReplicaLoad(t *testing.T, sc *scenario, c *rpc.Client) *replicaLoad {
	ctx, cancel := context.WithCancel(context.Background())
	l := &replicaLoad{cancel: cancel}
	for i, m := range sc.members {
		l.wg.Go(func() {
			for n := 0; ctx.Err() == nil; n++ {
				cctx, done := context.WithTimeout(as(ctx, m.token), 10*time.Second)
				p, err := social.CreatePost.Call(cctx, c, social.CreatePostParams{
					AppRef: social.AppRef{App: sc.app}, EventID: sc.loadEvent, Text: fmt.Sprintf("load %d.%d", i, n),
				})
				_, rerr := social.GetFeed.Call(cctx, c, social.FeedParams{AppRef: social.AppRef{App: sc.app}, Kind: social.FeedEvent, ID: sc.loadEvent, Limit: 20})
				done()
				if ctx.Err() != nil {
					return
				}
				l.mu.Lock()
				switch {
				case err == nil:
					l.res.posts = append(l.res.posts, p.ID)
				case errs.CodeOf(err).Retryable():
					l.res.failed++
				default:
					l.res.errors = append(l.res.errors, fmt.Errorf("post.create failed with %v (code %d, not retryable): %w", errs.KindOf(err), errs.CodeOf(err), err))
				}
				l.res.reads++
				if rerr != nil {
					l.res.readFailures++
					l.res.errors = append(l.res.errors, fmt.Errorf("feed.get: %w", rerr))
				}
				l.mu.Unlock()
			}
		})
	}
	t.Cleanup(func() { l.stop() })
	return l
}

func (l *replicaLoad) waitFor(t *testing.T, posts int) {
	t.Helper()
	testkit.Eventually(t, fmt.Sprintf("%d posts under load", posts), func() bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		return len(l.res.posts) >= posts
	})
}

func (l *replicaLoad) waitForReads(t *testing.T, n int) {
	t.Helper()
	l.mu.Lock()
	want := l.res.reads + n
	l.mu.Unlock()
	testkit.Eventually(t, fmt.Sprintf("%d more feed reads under load", n), func() bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.res.reads >= want
	})
}

func (l *replicaLoad) stop() replicaResult {
	l.cancel()
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.res
}
