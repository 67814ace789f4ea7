package runner

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/attendify/platform/testkit"
)

// hook records the deploy webhook's posts.
type hook struct {
	mu    sync.Mutex
	posts []slackMessage
}

func (h *hook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var m slackMessage
	if r.Header.Get("Content-Type") != "application/json" || json.NewDecoder(r.Body).Decode(&m) != nil || m.Text == "" {
		http.Error(w, "invalid_payload", http.StatusBadRequest) // as Slack answers
		return
	}
	h.mu.Lock()
	h.posts = append(h.posts, m)
	h.mu.Unlock()
	_, _ = w.Write([]byte("ok"))
}

func (h *hook) texts() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, p := range h.posts {
		out = append(out, p.Text)
	}
	return out
}

// TestDeployWebhook: an instance posts start, ready and stop, each naming
// the service, its version and its host, in Slack's webhook shape.
func TestDeployWebhook(t *testing.T) {
	testkit.Redis(t)
	saved := buildVersion
	buildVersion = "v4.5.6"
	t.Cleanup(func() { buildVersion = saved })
	h := &hook{}
	srv := httptest.NewServer(h)
	defer srv.Close()

	_, stop := startProbe(t, Config{Deploy: DeployConfig{WebhookURL: srv.URL, WebhookTimeout: 2 * time.Second}})
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	prefix := "probe v4.5.6 on " + host + ": "
	want := []string{prefix + "start", prefix + "ready", prefix + "stop"}
	if got := h.texts(); !slices.Equal(got, want) {
		t.Fatalf("posts %q; want %q, in that order", got, want)
	}
	for _, p := range h.posts {
		if len(p.Blocks) == 0 || p.Blocks[0].Type != "section" {
			t.Errorf("post without a section block: %+v", p)
		}
	}
}

// TestDeployWebhookCrash: a service that stops on an error posts crash,
// with the error.
func TestDeployWebhookCrash(t *testing.T) {
	testkit.Redis(t)
	h := &hook{}
	srv := httptest.NewServer(h)
	defer srv.Close()
	cfg := quietConfig(t)
	cfg.Deploy = DeployConfig{WebhookURL: srv.URL, WebhookTimeout: 2 * time.Second}
	svc, err := New(t.Context(), "probe", cfg)
	if err != nil {
		t.Fatal(err)
	}
	svc.Go("relay", func(ctx context.Context) error { return errors.New("relay lost its stream") })
	if err := svc.Run(t.Context()); err == nil {
		t.Fatal("Run returned nil after its worker failed")
	}
	got := h.texts()
	if len(got) == 0 || !strings.Contains(got[len(got)-1], ": crash: worker relay: relay lost its stream") {
		t.Errorf("posts %q; want the last to be the crash with its cause", got)
	}
}

// TestDeployWebhookStartFails: a service whose start-up fails (here New,
// on a Redis that does not answer) posts its crash, with the cause, after
// its start; a service that posted its end posts nothing more.
func TestDeployWebhookStartFails(t *testing.T) {
	h := &hook{}
	srv := httptest.NewServer(h)
	defer srv.Close()
	cfg := quietConfig(t)
	cfg.Redis.URL = "redis://127.0.0.1:1/0" // nothing listens on port 1
	cfg.Deploy = DeployConfig{WebhookURL: srv.URL, WebhookTimeout: 2 * time.Second}
	_, err := New(t.Context(), "probe", cfg)
	if err == nil {
		t.Fatal("New succeeded without Redis")
	}
	postCrash(err)
	postCrash(errors.New("reported twice")) // Main reports once; a second report is dropped
	got := h.texts()
	if len(got) != 2 || !strings.HasSuffix(got[0], ": start") || !strings.Contains(got[1], ": crash: ") || !strings.Contains(got[1], "127.0.0.1:1") {
		t.Errorf("posts %q; want start, then the crash naming the Redis that failed", got)
	}
}

// TestDeployWebhookHangs: a webhook that never answers neither delays
// start-up nor holds shutdown longer than its timeout.
func TestDeployWebhookHangs(t *testing.T) {
	testkit.Redis(t)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)

	const timeout = 500 * time.Millisecond
	began := time.Now()
	svc, stop := startProbe(t, Config{Deploy: DeployConfig{WebhookURL: srv.URL, WebhookTimeout: timeout}})
	resp, err := http.Get(svc.URL() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if up := time.Since(began); up >= timeout {
		t.Errorf("serving after %v: start-up waited for the webhook (timeout %v)", up, timeout)
	}
	stopped := time.Now()
	if err := stop(); err != nil {
		t.Errorf("Run: %v; a webhook must not fail the service", err)
	}
	if d := time.Since(stopped); d > timeout+2*time.Second {
		t.Errorf("shutdown took %v with a hung webhook; want about its timeout %v", d, timeout)
	}
}
