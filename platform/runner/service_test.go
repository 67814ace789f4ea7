package runner

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/testkit"
)

type sleepParams struct {
	MS int `json:"ms" jsonschema:"minimum=0,maximum=10000"`
}

var sleepMethod = rpc.Method[sleepParams, string]{Name: "sleep", Auth: auth.Public, Timeout: 20 * time.Second}

// runChild is the service the shutdown test runs in a child process: it
// prints its address, then serves until a signal.
func runChild(ctx context.Context) error {
	cfg, err := LoadConfig[Config]()
	if err != nil {
		return err
	}
	cfg.Addr = "127.0.0.1:0"
	svc, err := New(ctx, "child", cfg)
	if err != nil {
		return err
	}
	rpc.Handle(svc.RPC, sleepMethod, func(ctx context.Context, p sleepParams) (string, error) {
		fmt.Println("handler started")
		select {
		case <-time.After(time.Duration(p.MS) * time.Millisecond):
			return "slept", nil
		case <-ctx.Done():
			return "", ctx.Err()
		}
	})
	stopped := false
	svc.OnStop("marker", func(context.Context) error { stopped = true; return nil })
	fmt.Println("addr", svc.Addr())
	err = svc.Run(ctx)
	fmt.Println("stop hooks ran:", stopped)
	return err
}

func TestMain(m *testing.M) {
	if os.Getenv("SERVICE_CHILD") == "1" {
		Main(runChild)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// startChild starts runChild in a child process with env added to the
// environment; it returns the child, its address and its output lines
// after the address.
func startChild(t *testing.T, env ...string) (*exec.Cmd, string, <-chan string) {
	t.Helper()
	testkit.Redis(t) // the service needs Redis; fail clearly when it is missing
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), "SERVICE_CHILD=1", "LOG_LEVEL=ERROR"), env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var addr string
	for l := range lines {
		if a, ok := strings.CutPrefix(l, "addr "); ok {
			addr = a
			break
		}
	}
	if addr == "" {
		t.Fatal("child did not start")
	}
	return cmd, addr, lines
}

// TestSIGTERMDrainsInFlightCall starts a real service process, sends it
// SIGTERM while a slow call is in flight, and checks the call completes,
// new connections are refused, and the process exits cleanly.
func TestSIGTERMDrainsInFlightCall(t *testing.T) {
	cmd, addr, lines := startChild(t, "SHUTDOWN_DELAY=0")

	type result struct {
		body string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := http.Post("http://"+addr+"/rpc", "application/json",
			strings.NewReader(`{"jsonrpc":"2.0","method":"sleep","params":{"ms":1500},"id":1}`))
		if err != nil {
			done <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		done <- result{string(b), err}
	}()
	if l := <-lines; l != "handler started" {
		t.Fatalf("unexpected child output %q", l)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// Once draining, the listener is closed: new connections are refused.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c := http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
		_, err := c.Get("http://" + addr + "/healthz")
		if err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("still accepting new connections after SIGTERM")
		}
		time.Sleep(20 * time.Millisecond)
	}
	r := <-done
	if r.err != nil {
		t.Fatalf("in-flight call failed during shutdown: %v", r.err)
	}
	if r.body != `{"jsonrpc":"2.0","result":"slept","id":1}` {
		t.Fatalf("in-flight call answered %s", r.body)
	}
	var rest []string
	for l := range lines {
		rest = append(rest, l)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child exited with %v", err)
	}
	if !strings.Contains(strings.Join(rest, "\n"), "stop hooks ran: true") {
		t.Errorf("stop hooks did not run: %q", rest)
	}
}

// TestShutdownDelayKeepsServing: after SIGTERM a service answers 503 to
// /readyz but goes on serving new connections (closing each after its
// response) for SHUTDOWN_DELAY, so that a load balancer can take it out
// before its listener closes; a second signal ends it at once.
func TestShutdownDelayKeepsServing(t *testing.T) {
	cmd, addr, _ := startChild(t, "SHUTDOWN_DELAY=1h")
	fresh := http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	get := func(path string) (*http.Response, error) {
		resp, err := fresh.Get("http://" + addr + path)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		return resp, err
	}
	if resp, err := get("/readyz"); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("readyz before SIGTERM: %v %v", resp, err)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "readyz to answer 503", func() bool {
		resp, err := get("/readyz")
		if err != nil {
			t.Fatalf("readyz after SIGTERM: %v (the listener closed before the balancers could notice)", err)
		}
		return resp.StatusCode == http.StatusServiceUnavailable
	})
	for range 3 { // new connections, each served
		resp, err := fresh.Post("http://"+addr+"/rpc", "application/json",
			strings.NewReader(`{"jsonrpc":"2.0","method":"sleep","params":{"ms":0},"id":1}`))
		if err != nil {
			t.Fatalf("a call while not ready: %v", err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != `{"jsonrpc":"2.0","result":"slept","id":1}` {
			t.Fatalf("a call while not ready answered %d %s", resp.StatusCode, b)
		}
	}
	// A caller that keeps its connection alive is told to reconnect
	// (through the balancer) after the response.
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !resp.Close {
		t.Errorf("healthz while not ready: %d, Connection: close %v", resp.StatusCode, resp.Close)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGTERM {
		t.Errorf("after a second SIGTERM the child ended with %v, want killed by the signal", err)
	}
}

// TestDrainingEndsLongResponses: a response that waits for news ends when
// the server starts draining, so that the drain does not wait for it (here
// 10 minutes, far longer than the test may take).
func TestDrainingEndsLongResponses(t *testing.T) {
	testkit.Redis(t)
	cfg, err := LoadConfig[Config]("LOG_LEVEL=ERROR")
	if err != nil {
		t.Fatal(err)
	}
	cfg.ShutdownDelay, cfg.ShutdownTimeout = 0, 10*time.Minute
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	svc, err := New(ctx, "waits", cfg)
	if err != nil {
		t.Fatal(err)
	}
	waiting := make(chan struct{})
	svc.Streams.Get("/wait", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		http.NewResponseController(w).Flush()
		close(waiting)
		select {
		case <-svc.Draining():
			_, _ = io.WriteString(w, "reconnect")
		case <-r.Context().Done():
		}
	})
	errc := make(chan error, 1)
	go func() { errc <- svc.Run(ctx) }()
	resp, err := http.Get(svc.URL() + "/wait")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	<-waiting
	cancel()
	if b, err := io.ReadAll(resp.Body); err != nil || string(b) != "reconnect" {
		t.Errorf("the long response ended with %q %v", b, err)
	}
	if err := <-errc; err != nil {
		t.Error(err)
	}
}

func TestHealthReadyMetrics(t *testing.T) {
	testkit.Redis(t)
	cfg := quietConfig(t)
	cfg.AdminAddr = "127.0.0.1:0"
	cfg.Pprof = true
	ctx, cancel := context.WithCancel(context.Background())
	svc, err := New(ctx, "probe", cfg)
	if err != nil {
		t.Fatal(err)
	}
	failing := errors.New("store down")
	var checkErr atomic.Pointer[error]
	svc.AddCheck("store", func(context.Context) error {
		if e := checkErr.Load(); e != nil {
			return *e
		}
		return nil
	})
	rpc.Handle(svc.RPC, sleepMethod, func(context.Context, sleepParams) (string, error) { return "ok", nil })
	errc := make(chan error, 1)
	go func() { errc <- svc.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-errc; err != nil {
			t.Error(err)
		}
	}()

	get := func(path string) (int, string) {
		t.Helper()
		base := svc.URL()
		if admin, ok := strings.CutPrefix(path, "admin:"); ok {
			base, path = "http://"+svc.AdminAddr(), admin
		}
		for range 100 {
			resp, err := http.Get(base + path)
			if err != nil {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			return resp.StatusCode, string(b)
		}
		t.Fatalf("GET %s never answered", path)
		return 0, ""
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Errorf("healthz = %d", code)
	}
	if code, body := get("/readyz"); code != 200 || !strings.Contains(body, `"redis":"ok"`) {
		t.Errorf("readyz = %d %s", code, body)
	}
	checkErr.Store(&failing)
	code, body := get("/readyz")
	var rz struct {
		Status string
		Checks map[string]string
	}
	_ = json.Unmarshal([]byte(body), &rz)
	if code != 503 || rz.Checks["store"] != "store down" {
		t.Errorf("readyz with a failing check = %d %s", code, body)
	}
	checkErr.Store(nil)

	resp, err := http.Post(svc.URL()+"/rpc", "application/json", strings.NewReader(`{"jsonrpc":"2.0","method":"sleep","params":{"ms":0},"id":1}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// Metrics and profiles are on the admin listener only.
	for _, path := range []string{"/metrics", "/debug/pprof/"} {
		if code, _ := get(path); code != http.StatusNotFound {
			t.Errorf("%s on the service's port: HTTP %d, want 404", path, code)
		}
	}
	if code, _ := get("admin:/debug/pprof/"); code != http.StatusOK {
		t.Errorf("pprof on the admin listener: HTTP %d", code)
	}
	if _, body := get("admin:/metrics"); !strings.Contains(body, `rpc_requests_total{code="0",method="sleep"} 1`) || !strings.Contains(body, "go_goroutines") {
		t.Errorf("metrics lack the call or runtime metrics:\n%.2000s", body)
	}
	if code, body := get("/openrpc.json"); code != 200 || !strings.Contains(body, `"name":"sleep"`) {
		t.Errorf("openrpc.json = %d %.200s", code, body)
	}

	// GET / is the service's index: JSON for programs, a page for
	// browsers, both naming the service, its version and health and
	// linking its method reference; each link it gives answers.
	code, body = get("/")
	var ix Index
	if err := json.Unmarshal([]byte(body), &ix); err != nil || code != 200 {
		t.Fatalf("GET / = %d %s (%v)", code, body, err)
	}
	if ix.Service != "probe" || ix.Version != "dev" || ix.Status != "ok" || ix.Checks["store"] != "ok" ||
		ix.Methods != "services/probe/docs/methods.md" || ix.Links["openrpc"] != "/openrpc.json" {
		t.Errorf("GET / = %+v", ix)
	}
	for name, link := range ix.Links {
		if name == "rpc" {
			continue // POST only
		}
		if code, _ := get(link); code != 200 {
			t.Errorf("index link %s (%s) answers %d", name, link, code)
		}
	}
	req, _ := http.NewRequest(http.MethodGet, svc.URL()+"/", nil)
	req.Header.Set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"<h1>probe</h1>", `href="/openrpc.json"`, "services/probe/docs/methods.md", ">ok<", "store ok"} {
		if !strings.Contains(string(page), want) || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			t.Errorf("the index page (%s) lacks %q:\n%s", resp.Header.Get("Content-Type"), want, page)
		}
	}
	checkErr.Store(&failing)
	if code, body := get("/"); code != 503 || !strings.Contains(body, `"store": "store down"`) {
		t.Errorf("GET / with a failing check = %d %s", code, body)
	}
	checkErr.Store(nil)
	if code, _ := get("/nothing-here"); code != 404 {
		t.Errorf("GET /nothing-here = %d, want 404", code)
	}
}

// TestSpansReachTheCollector runs a service with an OTLP endpoint (a fake
// collector that keeps what it is sent): a call's server span, with the
// caller's trace id, is exported by the time the service has stopped.
func TestSpansReachTheCollector(t *testing.T) {
	testkit.Redis(t)
	var mu sync.Mutex
	var exported []byte
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.URL.Path == "/v1/traces" {
			mu.Lock()
			exported = append(exported, b...)
			mu.Unlock()
		}
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	t.Cleanup(collector.Close)

	cfg, err := LoadConfig[Config]("ADDR=127.0.0.1:0", "LOG_LEVEL=ERROR", "SHUTDOWN_DELAY=0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Trace.Endpoint = collector.URL
	cfg.Trace.SampleRatio = 1
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	svc, err := New(ctx, "traced", cfg)
	if err != nil {
		t.Fatal(err)
	}
	rpc.Handle(svc.RPC, sleepMethod, func(context.Context, sleepParams) (string, error) { return "ok", nil })
	errc := make(chan error, 1)
	go func() { errc <- svc.Run(ctx) }()

	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	req, _ := http.NewRequest(http.MethodPost, svc.URL()+"/rpc", strings.NewReader(`{"jsonrpc":"2.0","method":"sleep","params":{"ms":0},"id":1}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("traceparent", "00-"+traceID+"-00f067aa0ba902b7-01")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cancel() // the stop hooks flush the exporter
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	id, _ := hex.DecodeString(traceID)
	if !bytes.Contains(exported, []byte("sleep")) || !bytes.Contains(exported, id) {
		t.Errorf("the collector did not receive the call's span (trace %s); got %d bytes", traceID, len(exported))
	}
}

// TestIndexVariesByOriginAndAccept: the index page (GET /) answers
// HTML or JSON by Accept, and carries CORS headers for an allowed origin:
// a shared cache must key it on both, or it serves one origin's answer
// (Access-Control-Allow-Origin included) to another, and a page to a
// script. Vary: Origin must survive the index's own Vary: Accept.
func TestIndexVariesByOriginAndAccept(t *testing.T) {
	svc := corsService(t, "https://web.example.com", nil)
	for _, tc := range []struct {
		name   string
		header []string
	}{
		{"without Origin", []string{"Accept", "text/html"}},
		{"from an allowed origin", []string{"Origin", "https://web.example.com", "Accept", "application/json"}},
		{"from another origin", []string{"Origin", "https://evil.example.net"}},
	} {
		resp, _ := do(t, http.MethodGet, svc.URL()+"/", tc.header...)
		if vary := varyOf(resp.Header); !slices.Contains(vary, "Origin") || !slices.Contains(vary, "Accept") {
			t.Errorf("GET / %s: Vary %q, want Origin and Accept", tc.name, resp.Header.Values("Vary"))
		}
	}
}
