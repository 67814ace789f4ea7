package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/events"
	"github.com/attendify/platform/obs"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/testkit"
)

var (
	readMethod  = rpc.Method[sleepParams, string]{Name: "thing.get", Auth: auth.Public, ReadOnly: true}
	writeMethod = rpc.Method[sleepParams, string]{Name: "thing.create", Auth: auth.Public}
)

// A service run as another environment in read-only mode names the
// environment in /healthz and in every log line, runs no worker, refuses
// the methods that write and the plain routes that may write before their
// handlers run, and names its consumers apart from the environment's.
func TestRunAsReadOnly(t *testing.T) {
	testkit.Redis(t)
	cfg, err := LoadConfig[Config]()
	if err != nil {
		t.Fatal(err)
	}
	cfg.ShutdownDelay = 0
	cfg.RunAs = RunAsConfig{Env: "qa", ReadOnly: true, ID: "laptop-1"}
	ctx, cancel := context.WithCancel(context.Background())
	svc, err := New(ctx, "probe", cfg)
	if err != nil {
		t.Fatal(err)
	}
	var handled, uploaded, worked atomic.Int32
	rpc.Handle(svc.RPC, readMethod, func(context.Context, sleepParams) (string, error) { return "read", nil })
	rpc.Handle(svc.RPC, writeMethod, func(context.Context, sleepParams) (string, error) { handled.Add(1); return "wrote", nil })
	svc.Routes.Post("/upload", func(w http.ResponseWriter, _ *http.Request) { uploaded.Add(1) })
	svc.Routes.Get("/report", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("report")) })
	svc.Go("relay", func(context.Context) error { worked.Add(1); return nil })

	errc := make(chan error, 1)
	go func() { errc <- svc.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-errc; err != nil {
			t.Error(err)
		}
	}()

	do := func(method, path, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, svc.URL()+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := do("GET", "/healthz", "")
	var health struct {
		RunAs    string `json:"run_as"`
		ReadOnly bool   `json:"read_only"`
		Workers  bool   `json:"workers"`
	}
	if err := json.Unmarshal([]byte(body), &health); code != 200 || err != nil || health.RunAs != "qa" || !health.ReadOnly || health.Workers {
		t.Errorf("healthz = %d %s", code, body)
	}
	if _, body := do("POST", "/rpc", `{"jsonrpc":"2.0","method":"thing.get","params":{"ms":0},"id":1}`); !strings.Contains(body, `"result":"read"`) {
		t.Errorf("read method: %s", body)
	}
	_, body = do("POST", "/rpc", `{"jsonrpc":"2.0","method":"thing.create","params":{"ms":0},"id":1}`)
	var resp struct{ Error struct{ Code int } }
	_ = json.Unmarshal([]byte(body), &resp)
	if resp.Error.Code != 1410 || !strings.Contains(body, "read-only run-as against qa") {
		t.Errorf("write method: %s", body)
	}
	if code, body := do("POST", "/upload", "x"); code != http.StatusForbidden || !strings.Contains(body, "read-only run-as against qa") {
		t.Errorf("POST /upload = %d %s", code, body)
	}
	if code, body := do("GET", "/report", ""); code != 200 || body != "report" {
		t.Errorf("GET /report = %d %s", code, body)
	}
	if n := handled.Load() + uploaded.Load(); n != 0 {
		t.Errorf("%d writing handlers ran", n)
	}
	if n := worked.Load(); n != 0 {
		t.Error("a worker started without --workers")
	}

	cc := svc.Consumer(events.ConsumerConfig{Group: "social", Name: "", FromStart: true, Topics: []string{"member"}})
	if cc.Group != "social.run-as.qa.laptop-1" || cc.Name != "run-as-laptop-1" || cc.FromStart {
		t.Errorf("consumer config = %+v", cc)
	}
}

// Every log line of a run-as process carries the banner.
func TestRunAsBannerInLogs(t *testing.T) {
	var out bytes.Buffer
	s := &Service{cfg: Config{RunAs: RunAsConfig{Env: "qa", ReadOnly: true}}}
	s.logger = obs.NewLogger(&out, "probe", obs.LogConfig{})
	s.Log = s.logger.Logger
	s.applyRunAs()
	s.Log.Info("hello")
	_ = s.logger.Flush()
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var l struct {
			RunAs string `json:"run_as"`
		}
		if err := json.Unmarshal([]byte(line), &l); err != nil || l.RunAs != "qa (read-only)" {
			t.Errorf("log line without the banner: %s", line)
		}
	}
}
