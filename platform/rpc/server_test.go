package rpc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/obs"
)

type indexParams struct {
	I int `json:"i"`
}

func TestBatchRunsConcurrentlyWithBoundAndKeepsOrder(t *testing.T) {
	const bound = 3
	s := NewServer(Options{BatchConcurrency: bound})
	var now, peak atomic.Int32
	Handle(s, Method[indexParams, int]{Name: "work", Auth: auth.Public}, func(_ context.Context, p indexParams) (int, error) {
		n := now.Add(1)
		defer now.Add(-1)
		for {
			old := peak.Load()
			if n <= old || peak.CompareAndSwap(old, n) {
				break
			}
		}
		time.Sleep(time.Duration(rand.IntN(5)+1) * time.Millisecond)
		return p.I, nil
	})
	var reqs, want []string
	for i := range 20 {
		reqs = append(reqs, fmt.Sprintf(`{"jsonrpc":"2.0","method":"work","params":[%d],"id":%d}`, i, i))
		want = append(want, fmt.Sprintf(`{"jsonrpc":"2.0","result":%d,"id":%d}`, i, i))
	}
	got := post(t, s, "["+strings.Join(reqs, ",")+"]")
	if got.body != "["+strings.Join(want, ",")+"]" {
		t.Errorf("answers out of order:\n%s", got.body)
	}
	if p := peak.Load(); p < 2 || p > bound {
		t.Errorf("peak concurrency = %d, want between 2 and %d", p, bound)
	}
}

type waitParams struct {
	MS int `json:"ms,omitempty"`
}

// handleRemaining declares "remaining" on s (a minute's timeout): the
// milliseconds left before the call's deadline, -1 without one.
func handleRemaining(s *Server) {
	Handle(s, Method[waitParams, int64]{Name: "remaining", Auth: auth.Public, Timeout: time.Minute},
		func(ctx context.Context, _ waitParams) (int64, error) {
			dl, ok := ctx.Deadline()
			if !ok {
				return -1, nil
			}
			return time.Until(dl).Milliseconds(), nil
		})
}

func TestDeadlines(t *testing.T) {
	s := NewServer(Options{})
	handleRemaining(s)
	Handle(s, Method[waitParams, none]{Name: "slow", Auth: auth.Public, Timeout: 30 * time.Millisecond},
		func(ctx context.Context, _ waitParams) (none, error) {
			<-ctx.Done()
			return none{}, ctx.Err()
		})
	called := false
	Handle(s, Method[waitParams, none]{Name: "needy", Auth: auth.Public, MinBudget: 500 * time.Millisecond},
		func(context.Context, waitParams) (none, error) { called = true; return none{}, nil })

	t.Run("own timeout when no budget", func(t *testing.T) {
		got := post(t, s, `{"jsonrpc":"2.0","method":"remaining","id":1}`)
		var r struct{ Result int64 }
		_ = json.Unmarshal([]byte(got.body), &r)
		if r.Result < 50_000 || r.Result > 60_000 {
			t.Errorf("remaining = %dms, want about a minute", r.Result)
		}
	})
	t.Run("caller budget shortens it", func(t *testing.T) {
		got := post(t, s, `{"jsonrpc":"2.0","method":"remaining","id":1}`, HeaderBudget, "2000")
		var r struct{ Result int64 }
		_ = json.Unmarshal([]byte(got.body), &r)
		if r.Result <= 0 || r.Result > 2000 {
			t.Errorf("remaining = %dms, want at most the 2000ms budget", r.Result)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		got := post(t, s, `{"jsonrpc":"2.0","method":"slow","id":1}`)
		if !strings.Contains(got.body, fmt.Sprintf(`"code":%d`, errs.CodeDeadlineExceeded)) {
			t.Errorf("got %s", got.body)
		}
	})
	t.Run("insufficient budget fails at once, retryable", func(t *testing.T) {
		got := post(t, s, `{"jsonrpc":"2.0","method":"needy","id":1}`, HeaderBudget, "100")
		if called {
			t.Error("handler ran without enough budget")
		}
		if !strings.Contains(got.body, fmt.Sprintf(`"code":%d`, errs.CodeInsufficientBudget)) || !strings.Contains(got.body, `"retryable":true`) {
			t.Errorf("got %s", got.body)
		}
	})
}

func TestClientDisconnectCancelsHandler(t *testing.T) {
	s := NewServer(Options{})
	started := make(chan struct{})
	canceled := make(chan error, 1)
	Handle(s, Method[none, none]{Name: "hang", Auth: auth.Public, Timeout: time.Minute},
		func(ctx context.Context, _ none) (none, error) {
			close(started)
			<-ctx.Done()
			canceled <- ctx.Err()
			return none{}, ctx.Err()
		})
	ts := httptest.NewServer(s)
	defer ts.Close()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, ts.URL, strings.NewReader(`{"jsonrpc":"2.0","method":"hang","id":1}`))
	go func() {
		<-started
		cancel()
	}()
	_, err := http.DefaultClient.Do(req)
	if err == nil {
		t.Fatal("request succeeded")
	}
	select {
	case err := <-canceled:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("handler context ended with %v, want canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("handler context not canceled after the client went away")
	}
}

func TestRequestIDsAndLogs(t *testing.T) {
	var buf syncBuffer
	logger := slog.New(obs.ContextHandler{Handler: slog.NewJSONHandler(&buf, nil)})
	s := specServer(t, Options{Logger: logger})

	got := post(t, s, `{"jsonrpc":"2.0","method":"subtract","params":[3,1],"id":1}`, HeaderRequestID, "req-from-client-42")
	if id := got.header.Get(HeaderRequestID); id != "req-from-client-42" {
		t.Errorf("incoming id not kept: %q", id)
	}
	got = post(t, s, `{"jsonrpc":"2.0","method":"subtract","params":[3,1],"id":1}`)
	gen := got.header.Get(HeaderRequestID)
	if len(gen) != 26 {
		t.Errorf("generated id %q is not a flake id", gen)
	}
	bad := post(t, s, `{"jsonrpc":"2.0","method":"subtract","params":[3,1],"id":1}`, HeaderRequestID, "has space\n")
	if id := bad.header.Get(HeaderRequestID); id == "has space\n" || len(id) != 26 {
		t.Errorf("unsafe incoming id kept: %q", id)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("want one log line per call, got %d:\n%s", len(lines), buf.String())
	}
	for i, want := range []string{"req-from-client-42", gen} {
		var rec map[string]any
		if err := json.Unmarshal([]byte(lines[i]), &rec); err != nil {
			t.Fatal(err)
		}
		if rec["request_id"] != want || rec["method"] != "subtract" || rec["outcome"] != "ok" {
			t.Errorf("log line %d = %s", i, lines[i])
		}
		for _, k := range []string{"duration_us", "caller", "code"} {
			if _, ok := rec[k]; !ok {
				t.Errorf("log line %d lacks %s: %s", i, k, lines[i])
			}
		}
	}
}

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

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	s := specServer(t, Options{Registerer: reg})
	post(t, s, `{"jsonrpc":"2.0","method":"subtract","params":[3,1],"id":1}`)
	post(t, s, `{"jsonrpc":"2.0","method":"subtract","params":[3,1],"id":1}`)
	post(t, s, `{"jsonrpc":"2.0","method":"subtract","params":[3],"id":1}`)
	post(t, s, `{"jsonrpc":"2.0","method":"nope","id":1}`)
	tests := []struct {
		method, code string
		want         float64
	}{
		{"subtract", "0", 2},
		{"subtract", "-32602", 1},
		{"unknown", "-32601", 1},
	}
	for _, tt := range tests {
		c, err := s.metrics.requests.GetMetricWithLabelValues(tt.method, tt.code)
		if err != nil {
			t.Fatal(err)
		}
		if got := testutil.ToFloat64(c); got != tt.want {
			t.Errorf("rpc_requests_total{method=%s,code=%s} = %v, want %v", tt.method, tt.code, got, tt.want)
		}
	}
	if n := testutil.CollectAndCount(reg, "rpc_request_duration_seconds"); n < 2 {
		t.Errorf("latency histograms = %d", n)
	}
}

type refuseAll struct{}

func (refuseAll) Allow() (func(bool), error) {
	return nil, &errs.Error{Code: errs.CodeOverloaded, Msg: "overloaded", RetryAfter: 2 * time.Second}
}

func TestShedderRefusalIs503WithRetryAfter(t *testing.T) {
	s := specServer(t, Options{Shedder: refuseAll{}})
	got := post(t, s, `{"jsonrpc":"2.0","method":"subtract","params":[3,1],"id":1}`)
	if got.status != http.StatusServiceUnavailable || got.header.Get("Retry-After") != "2" {
		t.Errorf("got %d Retry-After=%q", got.status, got.header.Get("Retry-After"))
	}
	if !strings.Contains(got.body, fmt.Sprintf(`"code":%d`, errs.CodeOverloaded)) || !strings.Contains(got.body, `"retryable":true`) {
		t.Errorf("body %s", got.body)
	}
}

func TestDiscoveryValidatesAgainstOpenRPCMetaSchema(t *testing.T) {
	s := specServer(t, Options{Name: "spec", Version: "1.0.0"})
	Handle(s, Method[validated, string]{Name: "validated", Auth: auth.Public, Summary: "A method with constraints."},
		func(context.Context, validated) (string, error) { return "", nil })
	Handle(s, Method[appParams, string]{Name: "app.member", Auth: auth.Member, Idempotent: true, Errors: []errs.Code{errs.CodeNotFound}},
		func(context.Context, appParams) (string, error) { return "", nil })

	meta := compileMetaSchema(t)
	viaRPC := post(t, s, `{"jsonrpc":"2.0","method":"rpc.discover","id":1}`)
	var resp struct{ Result json.RawMessage }
	if err := json.Unmarshal([]byte(viaRPC.body), &resp); err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodGet, "/openrpc.json", nil)
	w := httptest.NewRecorder()
	mux := http.NewServeMux()
	s.Routes(mux)
	mux.ServeHTTP(w, r)
	if !bytes.Equal(w.Body.Bytes(), resp.Result) {
		t.Error("GET /openrpc.json differs from rpc.discover")
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(resp.Result))
	if err != nil {
		t.Fatal(err)
	}
	if err := meta.Validate(doc); err != nil {
		t.Fatalf("discovery document does not validate against the OpenRPC meta-schema: %v\n%s", err, resp.Result)
	}
	var parsed openrpcDoc
	_ = json.Unmarshal(resp.Result, &parsed)
	byName := map[string]openrpcMethod{}
	for _, m := range parsed.Methods {
		byName[m.Name] = m
	}
	m := byName["app.member"]
	if m.Auth != "member" || !m.Idempotent || len(m.Params) != 1 || m.Params[0].Name != "app" || !m.Params[0].Required {
		t.Errorf("app.member described as %+v", m)
	}
	// Each application error names its reason and whether it may be
	// retried, so that generated clients can type and retry them.
	var errData = map[int]*openrpcErrorData{}
	for _, e := range m.Errors {
		errData[e.Code] = e.Data
	}
	if d := errData[int(errs.CodeNotFound)]; d == nil || d.Reason != "not_found" || d.Retryable {
		t.Errorf("app.member's not_found error described as %+v", d)
	}
	if d := errData[int(errs.CodeOverloaded)]; d == nil || d.Reason != "overloaded" || !d.Retryable {
		t.Errorf("app.member's overloaded error described as %+v", d)
	}
	// Invalid params carry the reason of errs.CodeInvalid; the other
	// protocol errors none.
	if d, ok := errData[CodeInvalidParams]; !ok || d == nil || d.Reason != errs.CodeInvalid.Name() || d.Retryable {
		t.Errorf("invalid params described with data %+v (present: %v); want the reason %q", d, ok, errs.CodeInvalid.Name())
	}
	if d, ok := errData[CodeInternalError]; !ok || d != nil {
		t.Errorf("internal error described with data %+v (present: %v); a protocol error has no reason", d, ok)
	}
	if v := byName["validated"]; len(v.Params) != 8 || !strings.Contains(string(v.Params[0].Schema), `"format":"email"`) {
		t.Errorf("validated described as %+v", v)
	}
}

func compileMetaSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft7)
	for url, file := range map[string]string{
		"https://meta.open-rpc.org/":      "testdata/openrpc-meta-schema.json",
		"https://meta.json-schema.tools/": "testdata/json-schema-tools-meta-schema.json",
		"https://meta.json-schema.tools":  "testdata/json-schema-tools-meta-schema.json",
	} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		delete(doc, "$schema") // both name a meta-schema URL that is themselves; draft 7 is what they are
		if err := c.AddResource(url, doc); err != nil {
			t.Fatal(err)
		}
	}
	sch, err := c.Compile("https://meta.open-rpc.org/")
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

type appParams struct {
	App string `json:"app" jsonschema:"minLength=1"`
}

func (p appParams) AppID() string { return p.App }

// A body over net/http's 2 KB chunking buffer goes out with its length,
// not chunked: one write fewer for a feed page.
func TestLargeAnswerCarriesItsLength(t *testing.T) {
	s := NewServer(Options{})
	big := strings.Repeat("x", 10_000)
	Handle(s, Method[none, string]{Name: "big", Auth: auth.Public}, func(context.Context, none) (string, error) { return big, nil })
	ts := httptest.NewServer(s)
	defer ts.Close()
	resp, err := http.Post(ts.URL, "application/json", strings.NewReader(`{"jsonrpc":"2.0","method":"big","id":1}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"jsonrpc":"2.0","result":"` + big + `","id":1}`; string(body) != want {
		t.Fatalf("body of %d bytes, want %d", len(body), len(want))
	}
	if resp.ContentLength != int64(len(body)) || len(resp.TransferEncoding) != 0 {
		t.Errorf("Content-Length %d, Transfer-Encoding %v: want %d and none", resp.ContentLength, resp.TransferEncoding, len(body))
	}
}

// scopedParams are an app-scoped method's params.
type scopedParams struct {
	AppRef
	Text string `json:"text,omitempty"`
}

// TestAppScopeReadsWhatTheHandlerReads: the app an app-scoped call is
// authorized for is the app its handler gets, whatever the spelling of the
// params: a second app_id (the last one wins, for both), a case-folded
// member name (refused), an escaped member name, positional params.
func TestAppScopeReadsWhatTheHandlerReads(t *testing.T) {
	token, tokens := issueToken(t, auth.Claims{User: "u1", App: "A", Role: auth.RoleAttendee})
	s := NewServer(Options{Auth: &auth.Authenticator{Tokens: tokens}})
	var handled []string
	Handle(s, Method[scopedParams, string]{Name: "read", Auth: auth.Member},
		func(_ context.Context, p scopedParams) (string, error) {
			handled = append(handled, p.App)
			return p.App, nil
		})
	bearer := []string{"Authorization", "Bearer " + token}
	for _, tc := range []struct{ params, want string }{
		{`{"app_id":"A"}`, `"result":"A"`},
		{`{"app_id":"B"}`, `"reason":"token_wrong_app"`},
		{`{"app_id":"A","app_id":"B"}`, `"reason":"token_wrong_app"`},
		{`{"app_id":"B","app_id":"A"}`, `"result":"A"`},
		{`{"app_id":"A","APP_ID":"B"}`, `"code":-32602`},
		{`{"APP_ID":"B","app_id":"A"}`, `"code":-32602`},
		{`{"app_id":"A","App_id":"B","text":"x"}`, `"code":-32602`},
		{`{"app\u005fid":"B"}`, `"reason":"token_wrong_app"`},
		{`["B"]`, `"reason":"token_wrong_app"`},
		{`["A"]`, `"result":"A"`},
		{`{"app_id":"A\u0000"}`, `"reason":"token_wrong_app"`},
	} {
		handled = handled[:0]
		got := post(t, s, `{"jsonrpc":"2.0","method":"read","params":`+tc.params+`,"id":1}`, bearer...)
		if !strings.Contains(got.body, tc.want) {
			t.Errorf("params %s: %s; want %s", tc.params, got.body, tc.want)
		}
		for _, app := range handled {
			if app != "A" {
				t.Errorf("params %s: the handler ran for app %q with a token of app A", tc.params, app)
			}
		}
	}
}
