package runner

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
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
// another origin, the browser blocks it. A "simple" POST (text/plain, no
// preflight) runs from the allowed page and not from the other; a page the
// service serves itself calls it too.
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
	var mails atomic.Int32
	svc := startRouted(t, func(s *Service) {
		rpc.Handle(s.RPC, corsEcho, func(_ context.Context, p sleepParams) (sleepParams, error) { return p, nil })
		rpc.Handle(s.RPC, rpc.Method[sleepParams, sleepParams]{Name: "mail", Auth: auth.Public},
			func(_ context.Context, p sleepParams) (sleepParams, error) { mails.Add(1); return p, nil })
		s.Routes.Get("/page", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, `<!doctype html><title>own</title><p>own</p>`)
		})
	}, "CORS_ALLOWED_ORIGINS="+allowed.URL)
	ctx := browser.Chromium(t, 800, 600)
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	call := fmt.Sprintf(`fetch(%q, {method: "POST", headers: {"Content-Type": "application/json", "Authorization": "Bearer none"},
		body: JSON.stringify({jsonrpc: "2.0", id: 1, method: "echo", params: {ms: 7}})})
		.then(r => r.json()).then(j => "ok " + JSON.stringify(j.result ?? j.error)).catch(e => "blocked: " + e)`, svc.URL()+"/rpc")
	simple := fmt.Sprintf(`fetch(%q, {method: "POST", mode: "no-cors", headers: {"Content-Type": "text/plain"},
		body: JSON.stringify({jsonrpc: "2.0", id: 1, method: "mail", params: {ms: 1}})})
		.then(() => "sent").catch(e => "failed: " + e)`, svc.URL()+"/rpc")
	for _, tc := range []struct {
		page string
		want string
		runs bool // whether the simple POST runs the method
	}{{allowed.URL, `ok {"ms":7}`, true}, {other.URL, "blocked: TypeError", false}, {svc.URL() + "/page", `ok {"ms":7}`, true}} {
		if err := chromedp.Do(ctx, chromedp.Navigate(tc.page)); err != nil {
			t.Fatal(err)
		}
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](call, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(got, tc.want) {
			t.Errorf("call from a page on %s: %q, want %q", tc.page, got, tc.want)
		}
		before := mails.Load()
		got, err = chromedp.Run(ctx, chromedp.Evaluate[string](simple, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatal(err)
		}
		if ran := mails.Load() != before; got != "sent" || ran != tc.runs {
			t.Errorf("a simple POST from a page on %s: %q, ran %v; want sent, ran %v", tc.page, got, ran, tc.runs)
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

// varyOf is every name a response's Vary headers list.
func varyOf(h http.Header) []string {
	var names []string
	for _, v := range h.Values("Vary") {
		for name := range strings.SplitSeq(v, ",") {
			names = append(names, http.CanonicalHeaderKey(strings.TrimSpace(name)))
		}
	}
	return names
}

// TestCORSOrigins: only the configured origin, spelled as a browser
// spells it, is echoed, with credentials; look-alikes are not (another
// port, scheme, a suffix, a prefix, null, a trailing slash or dot, user
// info); every answer to a request with Origin varies by Origin; a
// preflight asking for a method or header not allowed (the service-call
// headers and the X-Forwarded-* ones among them) is not granted.
func TestCORSOrigins(t *testing.T) {
	svc := corsService(t, "https://web.example.com", func(_ context.Context, origin string) bool {
		return origin == "https://conf.example.org"
	})
	allowed := []string{"https://web.example.com", "https://conf.example.org"}
	refused := []string{
		"https://web.example.com.evil.com", "https://evil-web.example.com", "https://evilweb.example.com",
		"http://web.example.com", "https://web.example.com:8443", "null", "https://web.example.com/",
		"https://web.example.com.", "https://user@web.example.com", "https://conf.example.org.evil.com",
		"HTTPS://CONF.EXAMPLE.ORG", "https://web.example.com, https://evil.example.net",
	}
	for _, o := range append(slices.Clone(allowed), refused...) {
		want := ""
		if slices.Contains(allowed, o) {
			want = o
		}
		for _, path := range []string{"/healthz", "/openrpc.json"} {
			resp, _ := do(t, http.MethodGet, svc.URL()+path, "Origin", o)
			if got := resp.Header.Get("Access-Control-Allow-Origin"); got != want {
				t.Errorf("GET %s from %q: Access-Control-Allow-Origin %q, want %q", path, o, got, want)
			}
			if want == "" && resp.Header.Get("Access-Control-Allow-Credentials") != "" {
				t.Errorf("GET %s from %q: credentials allowed", path, o)
			}
			if !slices.Contains(varyOf(resp.Header), "Origin") {
				t.Errorf("GET %s from %q: no Vary: Origin (%q)", path, o, resp.Header.Values("Vary"))
			}
		}
		h := testkit.Preflight(t, svc.URL()+"/rpc", o).Header
		if got := h.Get("Access-Control-Allow-Origin"); got != want {
			t.Errorf("preflight from %q: Access-Control-Allow-Origin %q, want %q", o, got, want)
		}
	}
	for _, tc := range []struct{ method, headers string }{
		{"PUT", "content-type"},
		{"DELETE", ""},
		{"POST", "x-service-signature"},
		{"POST", "content-type, x-service-session"},
		{"POST", "cookie"},
		// What ownOrigin reads: a page cannot send them without a preflight.
		{"POST", "x-forwarded-host"},
		{"POST", "content-type, x-forwarded-proto"},
	} {
		req, err := http.NewRequest(http.MethodOptions, svc.URL()+"/rpc", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Origin", "https://web.example.com")
		req.Header.Set("Access-Control-Request-Method", tc.method)
		if tc.headers != "" {
			req.Header.Set("Access-Control-Request-Headers", tc.headers)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("preflight for %s with %q: granted (%v)", tc.method, tc.headers, resp.Header)
		}
	}
}

// TestCrossSiteSimplePostIsRefused: a page on any site can make its
// visitors' browsers POST to the service without a preflight (Content-Type
// text/plain, no Authorization: a CORS "simple request"); CORS hides the
// answer from the page, but the call would have run (as with hub's
// auth.requestCode or auth.signUp, which mail someone) from each visitor's
// own address, past per-address limits. A POST to /rpc whose Origin is
// neither allowed (the configured list, the service's OriginCheck) nor
// the service's own is refused (403, a JSON-RPC error) without running;
// the others run as before, calls without Origin among them. Behind a
// proxy, the service's own origin is the one the proxy was sent to
// (X-Forwarded-Proto, X-Forwarded-Host).
func TestCrossSiteSimplePostIsRefused(t *testing.T) {
	var runs atomic.Int32
	mail := func(s *Service) {
		rpc.Handle(s.RPC, rpc.Method[sleepParams, sleepParams]{Name: "mail", Auth: auth.Public},
			func(_ context.Context, p sleepParams) (sleepParams, error) { runs.Add(1); return p, nil })
		s.AllowOrigins(func(_ context.Context, origin string) bool { return origin == "https://conf.example.org" })
	}
	svc := startRouted(t, mail, "CORS_ALLOWED_ORIGINS=https://web.example.com")
	own := svc.URL() // http://127.0.0.1:<port>
	host := strings.TrimPrefix(own, "http://")
	send := func(url string, header ...string) (*http.Response, string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, url+"/rpc",
			strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"mail","params":{"ms":1}}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "text/plain;charset=UTF-8") // what a page's simple POST sends
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	for _, tc := range []struct {
		name   string
		header []string
		runs   bool
	}{
		{"from another site", []string{"Origin", "https://evil.example.net"}, false},
		{"from a sandboxed page (null)", []string{"Origin", "null"}, false},
		{"from a look-alike of an allowed origin", []string{"Origin", "https://web.example.com.evil.net"}, false},
		{"from the service's host on another port", []string{"Origin", "http://127.0.0.1:1"}, false},
		{"from the service's origin over another scheme", []string{"Origin", "https://" + host}, false},
		{"from the service's host by another name", []string{"Origin", "http://localhost:" + host[strings.LastIndex(host, ":")+1:]}, false},
		{"from a configured origin", []string{"Origin", "https://web.example.com"}, true},
		{"from an app's origin (OriginCheck)", []string{"Origin", "https://conf.example.org"}, true},
		{"from the service's own origin", []string{"Origin", own}, true},
		{"from the service's own origin behind a TLS proxy", []string{"Origin", "https://" + host, "X-Forwarded-Proto", "https"}, true},
		{"from the service's public origin behind a proxy that rewrites Host",
			[]string{"Origin", "https://events.example.org", "X-Forwarded-Host", "events.example.org", "X-Forwarded-Proto", "https"}, true},
		{"from the public origin, the first of a chain of proxies' hosts",
			[]string{"Origin", "https://events.example.org", "X-Forwarded-Host", " events.example.org , lb.internal:8080", "X-Forwarded-Proto", "https, http"}, true},
		{"from the public origin on its own port",
			[]string{"Origin", "https://events.example.org:8443", "X-Forwarded-Host", "events.example.org:8443", "X-Forwarded-Proto", "https"}, true},
		{"from the public origin, its default port named",
			[]string{"Origin", "https://events.example.org", "X-Forwarded-Host", "events.example.org:443", "X-Forwarded-Proto", "https"}, true},
		{"from another site behind a proxy that rewrites Host",
			[]string{"Origin", "https://evil.example.net", "X-Forwarded-Host", "events.example.org", "X-Forwarded-Proto", "https"}, false},
		{"from the public origin on another port",
			[]string{"Origin", "https://events.example.org:8443", "X-Forwarded-Host", "events.example.org", "X-Forwarded-Proto", "https"}, false},
		{"from the upstream's name, which the proxy was not sent to",
			[]string{"Origin", own, "X-Forwarded-Host", "events.example.org"}, false},
		{"without Origin (a server, an app, curl)", nil, true},
	} {
		before := runs.Load()
		resp, body := send(own, tc.header...)
		ran := runs.Load() != before
		if ran != tc.runs {
			t.Errorf("a simple POST %s: ran %v, want %v (%d %s)", tc.name, ran, tc.runs, resp.StatusCode, body)
		}
		if !tc.runs {
			if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, `"code":1410`) ||
				!strings.Contains(body, `"reason":"forbidden"`) || !strings.Contains(body, `"id":null`) ||
				resp.Header.Get(rpc.HeaderRequestID) == "" || resp.Header.Get("Access-Control-Allow-Origin") != "" {
				t.Errorf("a simple POST %s: %d %v %s; want 403 with a JSON-RPC forbidden error", tc.name, resp.StatusCode, resp.Header, body)
			}
		}
	}

	// Every origin allowed ("*"): nothing to refuse.
	runs.Store(0)
	wild := startRouted(t, mail, "CORS_ALLOWED_ORIGINS=*")
	if resp, body := send(wild.URL(), "Origin", "https://evil.example.net"); resp.StatusCode != http.StatusOK || runs.Load() != 1 {
		t.Errorf("with every origin allowed, a simple POST from another site: %d %s", resp.StatusCode, body)
	}
}
