package cmd_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/attendify/cli/internal/cmd"
	"github.com/attendify/hub"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/auth/authtest"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/events"
	"github.com/attendify/platform/flake"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/testkit"
	"github.com/attendify/social"
)

// syncBuffer is a bytes.Buffer safe for a writer and a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func userCtx(ctx context.Context, token string) context.Context {
	return auth.WithCaller(ctx, auth.Caller{Kind: auth.CallerUser, Token: token})
}

// qa is a second stack standing in for the "qa" environment: hub and
// social on databases, a Redis namespace and CouchDB names of their own,
// an organizer's published app with an event, and a member who posted.
type qa struct {
	hubURL, socialURL string
	socialBin         string
	socialEnv, common []string
	rdb               redis.UniversalClient
	ns, prefix        string
	hc                *rpc.Client
	organizer         string // the organizer's app token
	email, password   string
	app, event        string
	member            string // the member's token
	post              social.Post
}

func startQA(t *testing.T) *qa {
	t.Helper()
	ctx := testkit.Context(t)
	q := &qa{email: "olive@example.com", password: "correct horse battery staple"}
	q.rdb, q.ns = testkit.Redis(t)
	testkit.CouchDB(t)
	q.prefix = "t" + strings.ToLower(flake.New(0).Next().String()[14:])
	q.common = []string{"REDIS_NAMESPACE=" + q.ns, "DATABASE_CREATE=false", "RPC_ACCESS_LOG=false", "SHED_DISABLED=true"}
	q.hubURL = testkit.StartService(t, testkit.Build(t, "github.com/attendify/hub/cmd/hub"),
		append(q.common, "DATABASE_URL="+testkit.PostgresURL(t, ""), "SERVICE_NAME=hub", "HUB_DEV_MODE=true", "HUB_PASSWORD_MEMORY_KIB=1024")...).URL
	q.socialBin = testkit.Build(t, "github.com/attendify/social/cmd/social")
	q.socialEnv = append(slices.Clone(q.common), "DATABASE_URL="+testkit.PostgresURL(t, ""), "SOCIAL_COUCH_PREFIX="+q.prefix, "SOCIAL_RATE_LIMITS=false")
	q.socialURL = testkit.StartService(t, q.socialBin, append(slices.Clone(q.socialEnv), "SERVICE_NAME=social", "HUB_URL="+q.hubURL)...).URL

	hc, _ := rpc.NewClient(rpc.ClientOptions{Endpoints: []string{q.hubURL}})
	q.hc = hc
	signer := authtest.Signer(t, "cli-test")
	svc, _ := rpc.NewClient(rpc.ClientOptions{Endpoints: []string{q.hubURL}, Signer: &signer})
	acct, err := hub.DevSignUp(ctx, hc, svc, q.email, q.password, "Olive")
	if err != nil {
		t.Fatal(err)
	}
	a, err := hub.CreateApp.Call(userCtx(ctx, acct.Token), hc, hub.CreateAppParams{Name: "QA Conf", Slug: "qa-conf"})
	if err != nil {
		t.Fatal(err)
	}
	at, err := hub.AppTokenFor.Call(userCtx(ctx, acct.Token), hc, hub.AppParams{AppRef: rpc.AppRef{App: a.ID}})
	if err != nil {
		t.Fatal(err)
	}
	q.app, q.organizer = a.ID, at.Token
	octx := userCtx(ctx, at.Token)
	ev, err := hub.CreateEvent.Call(octx, hc, hub.CreateEventParams{AppRef: rpc.AppRef{App: a.ID}, Name: "Main", TimeZone: "Europe/Paris", Start: "2026-06-12T09:00", End: "2026-06-12T18:00"})
	if err != nil {
		t.Fatal(err)
	}
	q.event = ev.ID
	m, err := hub.CreateMember.Call(octx, hc, hub.CreateMemberParams{AppRef: rpc.AppRef{App: a.ID}, MemberInput: hub.MemberInput{Email: "ada@example.com", Name: "Ada"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hub.AddAttendees.Call(octx, hc, hub.AttendeesParams{AppRef: rpc.AppRef{App: a.ID}, Event: ev.ID, Members: []string{m.ID}}); err != nil {
		t.Fatal(err)
	}
	if _, err := hub.PublishApp.Call(octx, hc, hub.AppParams{AppRef: rpc.AppRef{App: a.ID}}); err != nil {
		t.Fatal(err)
	}
	if _, err := hub.RequestCode.Call(ctx, hc, hub.RequestCodeParams{App: a.ID, Email: "ada@example.com"}); err != nil {
		t.Fatal(err)
	}
	code, err := hub.DevLastCode.Call(ctx, svc, hub.DevCodeParams{App: a.ID, Email: "ada@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	ms, err := hub.VerifyCode.Call(ctx, hc, hub.VerifyCodeParams{App: a.ID, Email: "ada@example.com", Code: code.Code})
	if err != nil {
		t.Fatal(err)
	}
	q.member = ms.Token
	q.post = q.postAs(t, "hello from qa")
	return q
}

// postAs posts text as the member through qa's social, once social knows
// the member from hub's events.
func (q *qa) postAs(t *testing.T, text string) social.Post {
	t.Helper()
	qc, _ := rpc.NewClient(rpc.ClientOptions{Endpoints: []string{q.socialURL}})
	var post social.Post
	var err error
	testkit.Eventually(t, "qa's social taking a post", func() bool {
		post, err = social.CreatePost.Call(userCtx(testkit.Context(t), q.member), qc, social.CreatePostParams{AppRef: social.AppRef{App: q.app}, EventID: q.event, Text: text})
		return err == nil
	})
	return post
}

// TestRunAsAgainstQA runs `attendify run-as qa social` on the local build
// against the qa stack, for a profile marked production (so read-only),
// with --workers. The local service reads qa's data (the post), refuses
// every write (a method and the photo upload) with a clear error before its
// handler runs, names qa in /healthz and in every log line, and consumes
// qa's streams in a consumer group of its own: qa's social keeps every
// member event, and its group never has the local consumer.
func TestRunAsAgainstQA(t *testing.T) {
	home := isolate(t)
	ctx := testkit.Context(t)
	q := startQA(t)
	rdb, ns, a, ev, post, hc, socialBin, socialEnv := q.rdb, q.ns, struct{ ID string }{q.app}, struct{ ID string }{q.event}, q.post, q.hc, q.socialBin, q.socialEnv
	mctx, octx := userCtx(ctx, q.member), userCtx(ctx, q.organizer)
	qc, _ := rpc.NewClient(rpc.ClientOptions{Endpoints: []string{q.socialURL}})
	hubURL := q.hubURL

	// The profile: qa, production, its social's stores in the env file.
	envFile := filepath.Join(home, "qa.env")
	if err := os.WriteFile(envFile, []byte(strings.Join(socialEnv, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	must(t, 0, "", "profile", "set", "qa", "--url", "hub="+hubURL, "--url", "social="+q.socialURL, "--env-file", envFile, "--production")

	addr := freeAddr(t)
	var out, errOut syncBuffer
	runCtx, stop := context.WithCancel(context.Background())
	exited := make(chan int, 1)
	go func() {
		exited <- cmd.Run(runCtx, []string{"run-as", "qa", "social", "--bin", socialBin, "--addr", addr, "--workers"}, strings.NewReader(""), &out, &errOut)
	}()
	t.Cleanup(func() {
		stop()
		select {
		case <-exited:
		case <-time.After(testkit.WaitLimit):
			t.Error("run-as did not stop")
		}
		if t.Failed() {
			t.Logf("run-as stdout:\n%s\nstderr:\n%s", out.String(), errOut.String())
		}
	})
	local := "http://" + addr
	var health string
	testkit.Eventually(t, "the local social answering /healthz", func() bool {
		resp, err := http.Get(local + "/healthz")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		health = string(b)
		return resp.StatusCode == 200
	})
	var hs struct {
		RunAs    string `json:"run_as"`
		ReadOnly bool   `json:"read_only"`
		Workers  bool   `json:"workers"`
	}
	if err := json.Unmarshal([]byte(health), &hs); err != nil || hs.RunAs != "qa" || !hs.ReadOnly || !hs.Workers {
		t.Errorf("/healthz = %s", health)
	}

	lc, _ := rpc.NewClient(rpc.ClientOptions{Endpoints: []string{local}, MaxAttempts: 1})
	got, err := social.GetPost.Call(mctx, lc, social.PostParams{AppRef: social.AppRef{App: a.ID}, PostID: post.ID})
	if err != nil || got.Text != "hello from qa" {
		t.Errorf("reading qa's post through the local service: %+v, %v", got, err)
	}
	_, err = social.CreatePost.Call(mctx, lc, social.CreatePostParams{AppRef: social.AppRef{App: a.ID}, EventID: ev.ID, Text: "written from a laptop"})
	if e, ok := errs.As(err); !ok || e.Code != errs.CodeForbidden || !strings.Contains(e.Msg, "read-only run-as against qa: post.create writes") {
		t.Errorf("post.create through a read-only run-as: %v", err)
	}
	req, _ := http.NewRequest(http.MethodPost, local+"/apps/"+a.ID+"/photos", strings.NewReader("not a photo"))
	auth.SetBearerToken(req, q.member)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "read-only run-as against qa") {
		t.Errorf("photo upload through a read-only run-as: %d %s", resp.StatusCode, body)
	}
	if _, err := social.GetPost.Call(mctx, qc, social.PostParams{AppRef: social.AppRef{App: a.ID}, PostID: post.ID}); err != nil {
		t.Fatal(err)
	}

	// A member event published in qa now: qa's own group takes it, the
	// local consumer reads it in a group of its own, and qa's group never
	// has a consumer of the local process.
	stream := events.NewStreams(ns).Stream("member")
	testkit.Eventually(t, "the local consumer's own group on qa's member stream", func() bool {
		return localGroup(ctx, rdb, stream) != ""
	})
	before, _ := rdb.XRevRangeN(ctx, stream, "+", "-", 1).Result()
	if _, err := hub.CreateMember.Call(octx, hc, hub.CreateMemberParams{AppRef: rpc.AppRef{App: a.ID}, MemberInput: hub.MemberInput{Email: "grace@example.com", Name: "Grace"}}); err != nil {
		t.Fatal(err)
	}
	var last string
	testkit.Eventually(t, "the member event in qa's stream", func() bool {
		xs, err := rdb.XRevRangeN(ctx, stream, "+", "-", 1).Result()
		if err != nil || len(xs) == 0 || (len(before) > 0 && xs[0].ID == before[0].ID) {
			return false
		}
		last = xs[0].ID
		return true
	})
	delivered := func(group string) bool {
		gs, err := rdb.XInfoGroups(ctx, stream).Result()
		if err != nil {
			return false
		}
		for _, g := range gs {
			if g.Name == group {
				return !streamIDBefore(g.LastDeliveredID, last)
			}
		}
		return false
	}
	testkit.Eventually(t, "qa's social group receiving the event", func() bool { return delivered("social") })
	testkit.Eventually(t, "the local group receiving it too", func() bool { return delivered(localGroup(ctx, rdb, stream)) })
	consumers, err := rdb.XInfoConsumers(ctx, stream, "social").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range consumers {
		if strings.HasPrefix(c.Name, "run-as-") {
			t.Errorf("qa's group has the local consumer %s", c.Name)
		}
	}

	// Every log line of the local service names qa.
	stop()
	<-exited
	exited <- 0 // for the cleanup
	lines := 0
	sc := bufio.NewScanner(strings.NewReader(out.String()))
	for sc.Scan() {
		var l map[string]any
		if json.Unmarshal(sc.Bytes(), &l) != nil {
			continue
		}
		lines++
		if l["run_as"] != "qa (read-only)" {
			t.Errorf("log line without the run-as banner: %s", sc.Text())
		}
	}
	if lines == 0 {
		t.Error("the local service logged nothing")
	}
}

// localGroup is the name of the run-as consumer group on stream ("" when
// there is none).
func localGroup(ctx context.Context, rdb redis.UniversalClient, stream string) string {
	gs, err := rdb.XInfoGroups(ctx, stream).Result()
	if err != nil {
		return ""
	}
	for _, g := range gs {
		if strings.HasPrefix(g.Name, "social.run-as.qa.") {
			return g.Name
		}
	}
	return ""
}

// streamIDBefore reports whether stream entry id a comes before b.
func streamIDBefore(a, b string) bool {
	parse := func(id string) (ms, seq uint64) {
		l, r, _ := strings.Cut(id, "-")
		ms, _ = strconv.ParseUint(l, 10, 64)
		seq, _ = strconv.ParseUint(r, 10, 64)
		return ms, seq
	}
	am, as := parse(a)
	bm, bs := parse(b)
	return am < bm || am == bm && as < bs
}

// `attendify wall tail` prints the posts already on a wall, then a post
// made while it follows the wall's stream, against the qa stack and
// eventwall.
func TestWallTail(t *testing.T) {
	isolate(t)
	q := startQA(t)
	wallURL := testkit.StartService(t, testkit.Build(t, "github.com/attendify/eventwall/cmd/eventwall"),
		append(slices.Clone(q.common), "DATABASE_URL="+testkit.PostgresURL(t, ""), "SOCIAL_COUCH_PREFIX="+q.prefix,
			"SERVICE_NAME=eventwall", "HUB_URL="+q.hubURL, "EVENTWALL_INGEST_INTERVAL=200ms")...).URL
	must(t, 0, "", "profile", "set", "qa", "--url", "hub="+q.hubURL, "--url", "social="+q.socialURL, "--url", "eventwall="+wallURL)
	must(t, 0, "", "use", "qa")
	must(t, 0, q.password+"\n", "login", "--email", q.email)
	wall := jsonField(t, must(t, 0, "", "call", "wall.create", "app_id="+q.app, "event_id="+q.event, "title=Main stage").stdout, "id")

	var out, errOut syncBuffer
	exited := make(chan int, 1)
	go func() {
		exited <- cmd.Run(testkit.Context(t), []string{"--json", "wall", "tail", "--app", q.app, "--wall", wall, "--count", "2"},
			strings.NewReader(""), &out, &errOut)
	}()
	testkit.Eventually(t, "the post already on the wall", func() bool { return strings.Contains(out.String(), "hello from qa") })
	q.postAs(t, "a post while tailing")
	select {
	case code := <-exited:
		if code != 0 {
			t.Fatalf("wall tail exited %d: %s", code, errOut.String())
		}
	case <-time.After(testkit.WaitLimit):
		t.Fatalf("wall tail did not print the new post: %s", out.String())
	}
	var texts []string
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var it struct{ Text, Author string }
		if err := json.Unmarshal([]byte(line), &it); err != nil {
			t.Fatalf("not a JSON line: %q", line)
		}
		texts = append(texts, it.Author+": "+it.Text)
	}
	if want := []string{"Ada: hello from qa", "Ada: a post while tailing"}; !slices.Equal(texts, want) {
		t.Errorf("wall tail printed %q, want %q", texts, want)
	}
}
