package runner

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/testkit"
	"github.com/attendify/platform/testkit/browser"
)

var corsEcho = rpc.Method[sleepParams, sleepParams]{Name: "echo", Auth: auth.Public}

func corsService(t *testing.T, origins string, check OriginCheck) *Service {
	return startRouted(t, func(s *Service) {
		rpc.Handle(s.RPC, corsEcho, func(_ context.Context, p sleepParams) (sleepParams, error) { return p, nil })
		if check != nil {
			s.AllowOrigins(check)
		}
	}, "CORS_ALLOWED_ORIGINS="+origins, "CORS_MAX_AGE=15m")
}

func TestCORSPreflightAndCredentials(t *testing.T) {
	svc := corsService(t, "https://web.example.com", func(_ context.Context, origin string) bool {
		return origin == "https://conf.example.org" // an app's own origin, as hub's settings would say
	})
	for _, origin := range []string{"https://web.example.com", "https://conf.example.org"} {
		h := testkit.Preflight(t, svc.URL()+"/rpc", origin).Header
		if h.Get("Access-Control-Allow-Origin") != origin || h.Get("Access-Control-Allow-Credentials") != "true" ||
			h.Get("Access-Control-Max-Age") != "900" || !strings.Contains(strings.ToLower(h.Get("Access-Control-Allow-Headers")), "authorization") {
			t.Errorf("preflight from %s: %v", origin, h)
		}
	}
	if h := testkit.Preflight(t, svc.URL()+"/rpc", "https://evil.example.net").Header; h.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("a disallowed origin was allowed: %v", h)
	}
	resp, _ := do(t, http.MethodGet, svc.URL()+"/healthz", "Origin", "https://web.example.com")
	if resp.Header.Get("Access-Control-Allow-Origin") != "https://web.example.com" || !strings.Contains(resp.Header.Get("Vary"), "Origin") {
		t.Errorf("simple request: %v", resp.Header)
	}

	wild := corsService(t, "*", nil)
	h := testkit.Preflight(t, wild.URL()+"/rpc", "https://any.example.com").Header
	if h.Get("Access-Control-Allow-Origin") != "*" || h.Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("wildcard origins: %v (credentials must never go with a wildcard)", h)
	}
}

// TestCORSFromBrowser loads a page from one origin in headless Chromium and
// calls the service from it: allowed, the call answers; from a page on
// another origin, the browser blocks it.
func TestCORSFromBrowser(t *testing.T) {
	page := func() *httptest.Server {
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, `<!doctype html><title>app</title><p>app</p>`)
		}))
		t.Cleanup(ts.Close)
		return ts
	}
	allowed, other := page(), page()
	svc := corsService(t, allowed.URL, nil)
	ctx := browser.Chromium(t, 800, 600)
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	call := fmt.Sprintf(`fetch(%q, {method: "POST", headers: {"Content-Type": "application/json", "Authorization": "Bearer none"},
		body: JSON.stringify({jsonrpc: "2.0", id: 1, method: "echo", params: {ms: 7}})})
		.then(r => r.json()).then(j => "ok " + JSON.stringify(j.result ?? j.error)).catch(e => "blocked: " + e)`, svc.URL()+"/rpc")
	for _, tc := range []struct {
		page *httptest.Server
		want string
	}{{allowed, `ok {"ms":7}`}, {other, "blocked: TypeError"}} {
		if err := chromedp.Do(ctx, chromedp.Navigate(tc.page.URL)); err != nil {
			t.Fatal(err)
		}
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](call, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(got, tc.want) {
			t.Errorf("call from a page on %s: %q, want %q", tc.page.URL, got, tc.want)
		}
	}
}

// TestCORSSkippedWithoutOrigin: a request without an Origin header (calls
// between services, mobile apps) does not go through the CORS handler: a
// POST answer gets no CORS header and no Vary, a GET answer only Vary:
// Origin (for shared caches), and the middleware allocates nothing for
// either.
func TestCORSSkippedWithoutOrigin(t *testing.T) {
	svc := corsService(t, "https://web.example.com", func(context.Context, string) bool { return true })
	req, err := http.NewRequest(http.MethodPost, svc.URL()+"/rpc",
		strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"echo","params":{"ms":1}}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for k := range resp.Header {
		if k == "Vary" || strings.HasPrefix(k, "Access-Control-") {
			t.Errorf("a call without Origin was answered with %s: %q", k, resp.Header.Values(k))
		}
	}
	resp, _ = do(t, http.MethodGet, svc.URL()+"/healthz")
	if got := resp.Header.Values("Vary"); len(got) != 1 || got[0] != "Origin" || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("GET without Origin: Vary %q, Access-Control-Allow-Origin %q", got, resp.Header.Get("Access-Control-Allow-Origin"))
	}

	mw := svc.cors(CORS{Origins: []string{"https://web.example.com"}})
	h := mw(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Header().Add("Vary", "Accept-Encoding") }))
	for range 2 {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/page", nil))
		if got := w.Header().Values("Vary"); len(got) != 2 || got[0] != "Origin" || got[1] != "Accept-Encoding" {
			t.Errorf("GET without Origin, a handler adding to Vary: %q", got)
		}
	}
	pass := mw(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	for _, method := range []string{http.MethodPost, http.MethodGet} {
		r := httptest.NewRequest(method, "/rpc", nil)
		hdr := http.Header{}
		rw := &headerOnly{h: hdr}
		if n := testing.AllocsPerRun(100, func() { clear(hdr); pass.ServeHTTP(rw, r) }); n != 0 {
			t.Errorf("%s without Origin: %.0f allocations in the CORS middleware, want 0", method, n)
		}
	}
}

// headerOnly is a ResponseWriter that keeps headers and drops the rest.
type headerOnly struct{ h http.Header }

func (w *headerOnly) Header() http.Header         { return w.h }
func (w *headerOnly) Write(b []byte) (int, error) { return len(b), nil }
func (w *headerOnly) WriteHeader(int)             {}
