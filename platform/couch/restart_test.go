package couch_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sync/atomic"
	"testing"

	"github.com/attendify/platform/testkit"
	kivik "github.com/go-kivik/kivik/v4"
	"github.com/google/go-cmp/cmp"
)

// devServer is a private instance of the project's CouchDB dev server
// (dev/couchdb/server.js) on its own port and data directory, so that a
// test may stop and start it.
type devServer struct {
	t    *testing.T
	node string
	dir  string
	addr string
	cmd  *exec.Cmd
	log  bytes.Buffer
}

func newDevServer(t *testing.T) *devServer {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("the CouchDB dev server needs node (run make services): %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	s := &devServer{t: t, node: node, dir: t.TempDir(), addr: addr}
	t.Cleanup(s.stop)
	return s
}

func (s *devServer) url() string { return "http://" + s.addr }

// start runs the server and waits until it answers /_up.
func (s *devServer) start() {
	s.t.Helper()
	_, port, _ := net.SplitHostPort(s.addr)
	s.cmd = exec.Command(s.node, "../../dev/couchdb/server.js", "--dir", s.dir, "--port", port)
	s.cmd.Env = append(os.Environ(), "COUCHDB_DEV_ADMIN=") // no admin: the test's client has no credentials
	s.cmd.Stdout, s.cmd.Stderr = &s.log, &s.log
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	testkit.Eventually(s.t, "the dev server on "+s.addr, func() bool {
		resp, err := http.Get(s.url() + "/_up")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// stop kills the server, as a crash or a host going away would.
func (s *devServer) stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait() // after Wait the log is no longer written
	if s.t.Failed() {
		s.t.Logf("dev server log:\n%s", s.log.String())
	}
	s.cmd = nil
}

// warnings counts the records at level Warn or above: the follower's
// "changes feed failed; reconnecting".
type warnings struct{ n atomic.Int64 }

func (w *warnings) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }
func (w *warnings) Handle(context.Context, slog.Record) error    { w.n.Add(1); return nil }
func (w *warnings) WithAttrs([]slog.Attr) slog.Handler           { return w }
func (w *warnings) WithGroup(string) slog.Handler                { return w }

// TestFollowerSurvivesServerRestart stops the CouchDB server itself while a
// follower reads it. The follower keeps retrying (it does not give up and
// return) and, once the server is back, goes on from where it was.
func TestFollowerSurvivesServerRestart(t *testing.T) {
	ctx := testkit.Context(t)
	srv := newDevServer(t)
	srv.start()
	client, err := kivik.New("couch", srv.url())
	if err != nil {
		t.Fatal(err)
	}
	if err := client.CreateDB(ctx, "restart"); err != nil {
		t.Fatal(err)
	}
	db := client.DB("restart")
	putDocs(t, db, "d1", "d2")

	r := &recorder{}
	var warned warnings
	f := follower(db, "restart", r)
	f.Logger = slog.New(&warned)
	stop := start(t, f)
	testkit.Eventually(t, "d1 and d2", func() bool { return len(r.got()) >= 2 })

	srv.stop()
	before := warned.n.Load()
	testkit.Eventually(t, "the follower retrying while the server is down", func() bool { return warned.n.Load() >= before+3 })

	srv.start()
	putDocs(t, db, "d3")
	testkit.Eventually(t, "d3 after the restart", func() bool { return len(dedupe(r.got())) >= 3 })
	if diff := cmp.Diff([]string{"d1", "d2", "d3"}, dedupe(r.got())); diff != "" {
		t.Errorf("deliveries across the restart (-want +got):\n%s", diff)
	}
	if err := stop(); err != nil {
		t.Errorf("follower Run: %v", err)
	}
}
