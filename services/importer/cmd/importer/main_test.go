package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/attendify/hub"
	"github.com/attendify/importer"
	"github.com/attendify/importer/internal/app"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/auth/authtest"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/testkit"
)

// childEnv makes the test binary run as the importer service (the kill
// test starts and kills it as a real process).
const childEnv = "IMPORTER_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		cfg, err := app.LoadConfig()
		if err == nil {
			ctx, stop := signalContext()
			err = app.Serve(ctx, cfg)
			stop()
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "importer child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func signalContext() (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	c := make(chan os.Signal, 1)
	signalNotify(c)
	go func() { <-c; cancel() }()
	return ctx, cancel
}

// freeAddr returns a loopback address with a free port.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

var hubBuild struct {
	once sync.Once
	path string
	err  error
	out  []byte
}

// hubBinary builds the real hub service once per test binary.
func hubBinary(t *testing.T) string {
	t.Helper()
	hubBuild.once.Do(func() {
		dir, err := os.MkdirTemp("", "importer-test-hub-")
		if err != nil {
			hubBuild.err = err
			return
		}
		hubBuild.path = filepath.Join(dir, "hub")
		cmd := exec.Command("go", "build", "-o", hubBuild.path, "github.com/attendify/hub/cmd/hub")
		hubBuild.out, hubBuild.err = cmd.CombinedOutput()
	})
	if hubBuild.err != nil {
		t.Fatalf("build hub: %v\n%s", hubBuild.err, hubBuild.out)
	}
	return hubBuild.path
}

// stack is a running hub and importer with their stores.
type stack struct {
	hubURL, importerURL string
	redisNS             string
	importerDB          string
	token               string // an organizer's app token
	app, event          string
	hubClient           *rpc.Client
	hubService          *rpc.Client // signed as a service: reads hub's mailed tokens (dev mode)
	client              *rpc.Client // the organizer's client of the importer
}

// process runs a command until the test ends, logging its output on failure.
func process(t *testing.T, name string, env []string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(append(os.Environ(), "SHUTDOWN_DELAY=0"), env...) // no balancer to wait for
	logf, err := os.Create(filepath.Join(t.TempDir(), filepath.Base(name)+".log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
		}
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("%s log:\n%s", name, tail(string(b), 40))
		}
	})
	return cmd
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func waitReady(t *testing.T, url string, cmd *exec.Cmd) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if cmd.ProcessState != nil {
			t.Fatalf("%s exited during start", url)
		}
		resp, err := http.Get(url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s not ready after a minute", url)
}

// startStack starts hub (the real binary) and an organizer's app with one
// event, and returns the environment an importer needs; the importer is
// started by startImporter.
func startStack(t *testing.T) *stack {
	t.Helper()
	_, ns := testkit.Redis(t)
	st := &stack{redisNS: ns}
	hubAddr := freeAddr(t)
	st.hubURL = "http://" + hubAddr
	hubDB := testkit.PostgresURL(t, "")
	hubCmd := process(t, hubBinary(t), []string{"DATABASE_URL=" + hubDB, "ADDR=" + hubAddr, "REDIS_NAMESPACE=" + ns,
		"DATABASE_CREATE=false", "HUB_PASSWORD_MEMORY_KIB=1024", "SERVICE_NAME=hub", "RPC_ACCESS_LOG=false", "LOG_LEVEL=warn",
		"HUB_DEV_MODE=true"}, "serve")
	waitReady(t, st.hubURL, hubCmd)
	st.importerDB = testkit.PostgresURL(t, "")

	ctx := testkit.Context(t)
	c, err := rpc.NewClient(rpc.ClientOptions{Endpoints: []string{st.hubURL}})
	if err != nil {
		t.Fatal(err)
	}
	st.hubClient = c
	signer := authtest.Signer(t, "importer-test")
	if st.hubService, err = rpc.NewClient(rpc.ClientOptions{Endpoints: []string{st.hubURL}, Signer: &signer}); err != nil {
		t.Fatal(err)
	}
	acct, err := hub.DevSignUp(ctx, c, st.hubService, "org@example.com", "correct horse battery", "Org")
	if err != nil {
		t.Fatal(err)
	}
	actx := auth.WithCaller(ctx, auth.Caller{Kind: auth.CallerUser, Token: acct.Token})
	a, err := hub.CreateApp.Call(actx, c, hub.CreateAppParams{Name: "Test Conf", Slug: "test-conf"})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := hub.AppTokenFor.Call(actx, c, hub.AppParams{AppRef: rpc.AppRef{App: a.ID}})
	if err != nil {
		t.Fatal(err)
	}
	st.app, st.token = a.ID, tok.Token
	ev, err := hub.CreateEvent.Call(st.as(ctx), c, hub.CreateEventParams{AppRef: rpc.AppRef{App: a.ID}, Name: "Main", TimeZone: "Europe/Paris",
		Start: "2025-06-12T08:00", End: "2025-06-13T19:00"})
	if err != nil {
		t.Fatal(err)
	}
	st.event = ev.ID
	return st
}

// as is ctx carrying the organizer's token.
func (st *stack) as(ctx context.Context) context.Context {
	return asUser(ctx, st.token)
}

// asUser is ctx carrying a user's token.
func asUser(ctx context.Context, token string) context.Context {
	return auth.WithCaller(ctx, auth.Caller{Kind: auth.CallerUser, Token: token})
}

// importerEnv is the environment of an importer of this stack.
func (st *stack) importerEnv(addr string, extra ...string) []string {
	return append([]string{"DATABASE_URL=" + st.importerDB, "ADDR=" + addr, "REDIS_NAMESPACE=" + st.redisNS, "HUB_URL=" + st.hubURL,
		"SERVICE_NAME=importer", "RPC_ACCESS_LOG=false", "LOG_LEVEL=warn", "IMPORTER_MAX_UNZIP_MB=256"}, extra...)
}

// startImporter runs the importer as a child process (this test binary).
func (st *stack) startImporter(t *testing.T, extra ...string) *exec.Cmd {
	t.Helper()
	addr := freeAddr(t)
	st.importerURL = "http://" + addr
	cmd := process(t, os.Args[0], append(st.importerEnv(addr, extra...), childEnv+"=1"), "-test.run=^$")
	waitReady(t, st.importerURL, cmd)
	c, err := rpc.NewClient(rpc.ClientOptions{Endpoints: []string{st.importerURL}, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	st.client = c
	return cmd
}

// uploadAs uploads a file to the stack's app with a user's token.
func (st *stack) uploadAs(t *testing.T, token, path string, p importer.UploadParams) (importer.Import, error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p.App = st.app
	if p.FileName == "" {
		p.FileName = filepath.Base(path)
	}
	return importer.Upload(testkit.Context(t), nil, st.importerURL, token, p, f)
}

func (st *stack) wait(t *testing.T, id string, while ...string) importer.Import {
	t.Helper()
	imp, err := app.Wait(st.as(testkit.Context(t)), st.client, importer.ImportParams{AppRef: rpc.AppRef{App: st.app}, Import: id}, while...)
	if err != nil {
		t.Fatal(err)
	}
	return imp
}

func (st *stack) analyze(t *testing.T, path string, p importer.UploadParams) importer.Import {
	t.Helper()
	return st.analyzeAs(t, st.token, path, p)
}

// analyzeAs uploads a file with a user's token and waits for its analysis.
func (st *stack) analyzeAs(t *testing.T, token, path string, p importer.UploadParams) importer.Import {
	t.Helper()
	imp, err := st.uploadAs(t, token, path, p)
	if err != nil {
		t.Fatalf("upload %s: %v", path, err)
	}
	return st.wait(t, imp.ID, importer.StatusAnalyzing)
}

// organizer signs an organizer up, makes them a collaborator of the
// stack's app with role, and returns their id and app token.
func (st *stack) organizer(t *testing.T, email, role string) (string, string) {
	t.Helper()
	ctx := testkit.Context(t)
	acct, err := hub.DevSignUp(ctx, st.hubClient, st.hubService, email, "correct horse battery", role)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hub.DevJoin(ctx, st.hubClient, st.hubService, st.token, acct.Token, hub.InviteParams{AppRef: rpc.AppRef{App: st.app}, Email: email, Role: role}); err != nil {
		t.Fatal(err)
	}
	tok, err := hub.AppTokenFor.Call(asUser(ctx, acct.Token), st.hubClient, hub.AppParams{AppRef: rpc.AppRef{App: st.app}})
	if err != nil {
		t.Fatal(err)
	}
	return acct.Organizer.ID, tok.Token
}

func (st *stack) commit(t *testing.T, id string) importer.Import {
	t.Helper()
	ctx := st.as(testkit.Context(t))
	if _, err := importer.CommitImport.Call(ctx, st.client, importer.ImportParams{AppRef: rpc.AppRef{App: st.app}, Import: id}); err != nil {
		t.Fatal(err)
	}
	return st.wait(t, id, importer.StatusCommitting)
}
