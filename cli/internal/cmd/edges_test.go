package cmd_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/attendify/cli/internal/cmd"
)

// fakeHub is a JSON-RPC server that answers each method with answer(method,
// params) (a result, or an error object under "error") and records the
// Authorization header of every request.
type fakeHub struct {
	*httptest.Server
	mu    sync.Mutex
	auths []string
}

func newFakeHub(t *testing.T, answer func(method string, params json.RawMessage) (result any, rpcErr map[string]any)) *fakeHub {
	t.Helper()
	h := &fakeHub{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		h.auths = append(h.auths, r.Header.Get("Authorization"))
		h.mu.Unlock()
		b, _ := io.ReadAll(r.Body)
		var req struct {
			Method string          `json:"method"`
			Params json.RawMessage `json:"params"`
			ID     json.RawMessage `json:"id"`
		}
		_ = json.Unmarshal(b, &req)
		res, e := answer(req.Method, req.Params)
		out := map[string]any{"jsonrpc": "2.0", "id": req.ID}
		if e != nil {
			out["error"] = e
		} else {
			out["result"] = res
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(out)
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *fakeHub) authorizations() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.auths...)
}

// organizerHub signs anyone in with the token tok and lists no apps.
func organizerHub(t *testing.T, tok string) *fakeHub {
	return newFakeHub(t, func(method string, _ json.RawMessage) (any, map[string]any) {
		switch method {
		case "auth.logIn":
			return map[string]any{"token": tok, "expires_at": time.Now().Add(time.Hour).Format(time.RFC3339)}, nil
		case "app.list":
			return map[string]any{"apps": []any{}}, nil
		}
		return nil, map[string]any{"code": -32601, "message": "method not found"}
	})
}

// A profile's tokens were given by the addresses it had: pointing the
// profile (or one service of it) somewhere else must not send them there.
func TestNewAddressDoesNotGetTheTokens(t *testing.T) {
	isolate(t)
	a := organizerHub(t, "token-given-by-a")
	must(t, 0, "", "profile", "set", "test", "--url", "hub="+a.URL)
	must(t, 0, "", "use", "test")
	must(t, 0, "pw\n", "login", "--email", "o@example.com")
	// The same address again changes nothing: still signed in.
	must(t, 0, "", "profile", "set", "test", "--url", "hub="+a.URL)
	must(t, 0, "", "apps", "list")

	b := organizerHub(t, "token-given-by-b")
	r := must(t, 0, "", "profile", "set", "test", "--url", "hub="+b.URL)
	if !strings.Contains(r.stdout+r.stderr, "login") {
		t.Errorf("profile set does not say the profile was signed out:\n%s%s", r.stdout, r.stderr)
	}
	must(t, 3, "", "apps", "list")
	for _, h := range b.authorizations() {
		if strings.Contains(h, "token-given-by-a") {
			t.Fatalf("the token hub %s gave was sent to %s", a.URL, b.URL)
		}
	}
}

// A failure to reach a service says why (refused, DNS, TLS...), not only
// that it was unavailable.
func TestNetworkErrorSaysWhy(t *testing.T) {
	isolate(t)
	closed := httptest.NewServer(http.NotFoundHandler())
	addr := closed.URL
	closed.Close()
	must(t, 0, "", "profile", "set", "test", "--url", "hub="+addr)
	r := must(t, 5, "pw\n", "--profile", "test", "login", "--email", "o@example.com")
	if !strings.Contains(r.stderr, "refused") {
		t.Errorf("the error does not say the connection was refused:\n%s", r.stderr)
	}
}

// A wall's stream whose connection goes silent (no event, not even the
// keep-alive comment every 15 s: a network that dropped it without a
// word) is replaced, resuming from its cursor, instead of waiting forever.
func TestWallTailReplacesASilentStream(t *testing.T) {
	isolate(t)
	defer cmd.SetStreamIdle(300 * time.Millisecond)()
	hub := newFakeHub(t, func(method string, _ json.RawMessage) (any, map[string]any) {
		exp := time.Now().Add(time.Hour).Format(time.RFC3339)
		switch method {
		case "auth.logIn":
			return map[string]any{"token": "account", "expires_at": exp}, nil
		case "auth.appToken":
			return map[string]any{"token": "app", "expires_at": exp, "app_id": "app1", "role": "owner"}, nil
		}
		return nil, map[string]any{"code": -32601, "message": "method not found"}
	})
	item := func(id, text string) string {
		return `{"id":"` + id + `","author":"Ada","text":"` + text + `","hashtags":[],"photos":[],"created_at":"2026-06-12T09:00:00Z"}`
	}
	var mu sync.Mutex
	var resumed []string
	wall := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			var req struct {
				ID json.RawMessage `json:"id"`
			}
			_ = json.NewDecoder(r.Body).Decode(&req)
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"jsonrpc":"2.0","id":`+string(req.ID)+`,"result":{"id":"w1","title":"Main hall","path":"/walls/screen-token"}}`)
			return
		}
		mu.Lock()
		resumed = append(resumed, r.Header.Get("Last-Event-ID"))
		n := len(resumed)
		mu.Unlock()
		w.Header().Set("Content-Type", "text/event-stream")
		if n == 1 {
			_, _ = io.WriteString(w, "event: changes\nid: c1\ndata: {\"cursor\":\"c1\",\"reset\":true,\"items\":["+item("p1", "first")+"],\"removed\":[]}\n\n")
			w.(http.Flusher).Flush()
			<-r.Context().Done() // then silence, the connection open
			return
		}
		_, _ = io.WriteString(w, "event: changes\nid: c2\ndata: {\"cursor\":\"c2\",\"reset\":false,\"items\":["+item("p2", "second")+"],\"removed\":[]}\n\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	defer wall.Close()
	defer wall.CloseClientConnections()

	must(t, 0, "", "profile", "set", "test", "--url", "hub="+hub.URL, "--url", "eventwall="+wall.URL)
	must(t, 0, "", "use", "test")
	must(t, 0, "pw\n", "login", "--email", "o@example.com")
	done := make(chan result, 1)
	go func() { done <- attendify(t, "", "wall", "tail", "--app", "app1", "--wall", "w1", "--count", "2") }()
	select {
	case r := <-done:
		if r.code != 0 || !strings.Contains(r.stdout, "second") {
			t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("wall tail still waits on a silent connection after 10 s")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(resumed) < 2 || resumed[1] != "c1" {
		t.Errorf("the stream was not resumed from its cursor: Last-Event-ID %q", resumed)
	}
}
