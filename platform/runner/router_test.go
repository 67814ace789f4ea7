package runner

import (
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/testkit"
)

// startRouted runs a service whose routes routes registers, with an admin
// listener; it returns the service, stopped at the end of the test.
func startRouted(t *testing.T, routes func(*Service), defaults ...string) *Service {
	t.Helper()
	testkit.Redis(t)
	cfg, err := LoadConfig[Config](append([]string{"LOG_LEVEL=ERROR"}, defaults...)...)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ShutdownDelay = 0
	cfg.AdminAddr = "127.0.0.1:0"
	ctx, cancel := context.WithCancel(context.Background())
	svc, err := New(ctx, "routed", cfg)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	routes(svc)
	errc := make(chan error, 1)
	go func() { errc <- svc.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-errc; err != nil {
			t.Error(err)
		}
	})
	return svc
}

// do sends a request with the given headers and returns the response with
// its body read.
func do(t *testing.T, method, url string, header ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	tr := &http.Transport{DisableCompression: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func TestRoutesPatternsAndLabels(t *testing.T) {
	svc := startRouted(t, func(s *Service) {
		s.Routes.Get("/items/{id}", func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, "item "+r.PathValue("id"))
		})
		s.Streams.Get("/feeds/{name}/*", func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, "feed "+r.PathValue("name")+" "+r.PathValue("*"))
		})
	})
	resp, body := do(t, "GET", svc.URL()+"/items/42", rpc.HeaderRequestID, "req-1")
	if resp.StatusCode != 200 || body != "item 42" {
		t.Fatalf("GET /items/42 = %d %q", resp.StatusCode, body)
	}
	if got := resp.Header.Get(rpc.HeaderRequestID); got != "req-1" {
		t.Errorf("request id = %q, want the caller's req-1", got)
	}
	resp, _ = do(t, "GET", svc.URL()+"/items/43", rpc.HeaderRequestID, "bad id\twith tab")
	if got := resp.Header.Get(rpc.HeaderRequestID); got == "" || strings.ContainsAny(got, " \t") {
		t.Errorf("an invalid request id was answered with %q, want a fresh one", got)
	}
	if resp, body := do(t, "GET", svc.URL()+"/feeds/x/a/b"); resp.StatusCode != 200 || body != "feed x a/b" {
		t.Errorf("GET /feeds/x/a/b (on Streams) = %d %q", resp.StatusCode, body)
	}
	for _, path := range []string{"/nowhere", "/items/42/more"} {
		resp, _ := do(t, "GET", svc.URL()+path)
		if resp.StatusCode != 404 {
			t.Errorf("GET %s = %d, want 404", path, resp.StatusCode)
		}
		if resp.Header.Get(rpc.HeaderRequestID) == "" {
			t.Errorf("GET %s: a 404 without a request id", path)
		}
	}
	if resp, _ := do(t, "POST", svc.URL()+"/items/1"); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /items/1 = %d, want 405", resp.StatusCode)
	}
	if resp, _ := do(t, "HEAD", svc.URL()+"/healthz"); resp.StatusCode != 200 {
		t.Errorf("HEAD /healthz = %d, want 200", resp.StatusCode)
	}
	_, metrics := do(t, "GET", "http://"+svc.AdminAddr()+"/metrics")
	for _, want := range []string{
		`http_route_duration_seconds_count{code="200",method="GET",route="/items/{id}"} 2`,
		`http_route_duration_seconds_count{code="200",method="GET",route="/feeds/{name}/*"} 1`,
		`http_route_duration_seconds_count{code="404",method="GET",route="unmatched"} 2`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(metrics, `route="/items/42"`) || strings.Contains(metrics, `/nowhere`) {
		t.Error("a raw path is a metrics label")
	}
}

func TestRoutesCompressionTimeoutRecovery(t *testing.T) {
	svc := startRouted(t, func(s *Service) {
		page := strings.Repeat("<p>hello</p>", 200)
		s.Routes.Get("/page", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = io.WriteString(w, page)
		})
		s.Routes.Get("/photo", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "image/jpeg")
			_, _ = io.WriteString(w, page)
		})
		s.Routes.Get("/slow", func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		})
		s.Streams.Get("/stream", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-time.After(600 * time.Millisecond):
				_, _ = io.WriteString(w, "still here")
			case <-r.Context().Done():
			}
		})
		s.Routes.Get("/panics", func(http.ResponseWriter, *http.Request) { panic("boom") })
	}, "HTTP_ROUTE_TIMEOUT=300ms")

	resp, body := do(t, "GET", svc.URL()+"/page", "Accept-Encoding", "gzip")
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Errorf("page not compressed: Content-Encoding %q", resp.Header.Get("Content-Encoding"))
	} else if zr, err := gzip.NewReader(strings.NewReader(body)); err != nil {
		t.Error(err)
	} else if b, _ := io.ReadAll(zr); !strings.HasPrefix(string(b), "<p>hello</p>") {
		t.Errorf("page decompresses to %.40q", b)
	}
	if resp, _ := do(t, "GET", svc.URL()+"/photo", "Accept-Encoding", "gzip"); resp.Header.Get("Content-Encoding") != "" {
		t.Errorf("an image was compressed (%q)", resp.Header.Get("Content-Encoding"))
	}
	if resp, _ := do(t, "GET", svc.URL()+"/slow"); resp.StatusCode != http.StatusGatewayTimeout {
		t.Errorf("GET /slow = %d, want 504 after HTTP_ROUTE_TIMEOUT", resp.StatusCode)
	}
	if resp, body := do(t, "GET", svc.URL()+"/stream"); resp.StatusCode != 200 || body != "still here" {
		t.Errorf("a stream outlasting the route timeout got %d %q", resp.StatusCode, body)
	}
	if resp, _ := do(t, "GET", svc.URL()+"/panics"); resp.StatusCode != 500 {
		t.Errorf("a panicking route answered %d, want 500", resp.StatusCode)
	}
	if resp, _ := do(t, "GET", svc.URL()+"/healthz"); resp.StatusCode != 200 {
		t.Errorf("after a panic, healthz = %d", resp.StatusCode)
	}
}

func TestServesH2CBesideHTTP1(t *testing.T) {
	svc := startRouted(t, func(s *Service) {
		s.Routes.Get("/proto", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, r.Proto) })
	})
	h2c := &http.Transport{Protocols: new(http.Protocols)}
	h2c.Protocols.SetUnencryptedHTTP2(true)
	defer h2c.CloseIdleConnections()
	for _, tc := range []struct {
		client *http.Client
		want   string
	}{{&http.Client{Transport: h2c}, "HTTP/2.0"}, {&http.Client{}, "HTTP/1.1"}} {
		resp, err := tc.client.Get(svc.URL() + "/proto")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != tc.want {
			t.Errorf("served over %q, want %s", b, tc.want)
		}
	}
}

// TestRPCStraightAndFromBrowsers: JSON-RPC calls without an Origin go
// straight to the rpc server (rpcFirst), those from browsers through the
// router and its CORS middleware; both are answered the same, but for a
// page on an origin that is not allowed, whose call is refused
// (refuseCrossSite) with a JSON-RPC error as the server's own refusals.
func TestRPCStraightAndFromBrowsers(t *testing.T) {
	svc := corsService(t, "https://web.example.com", nil)
	post := func(origin string) (*http.Response, string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, svc.URL()+"/rpc", strings.NewReader(`{"jsonrpc":"2.0","method":"echo","params":{"ms":0},"id":7}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	for _, origin := range []string{"", "https://web.example.com", "https://evil.example.net"} {
		resp, body := post(origin)
		status, want := http.StatusOK, `"result"`
		if origin == "https://evil.example.net" {
			status, want = http.StatusForbidden, `"reason":"forbidden"`
		}
		if resp.StatusCode != status || !strings.Contains(body, want) || resp.Header.Get(rpc.HeaderRequestID) == "" {
			t.Errorf("origin %q: %d %s %v", origin, resp.StatusCode, body, resp.Header)
		}
		allowed := resp.Header.Get("Access-Control-Allow-Origin")
		if want := map[string]string{"https://web.example.com": "https://web.example.com"}[origin]; allowed != want {
			t.Errorf("origin %q: Access-Control-Allow-Origin %q, want %q", origin, allowed, want)
		}
	}
}
