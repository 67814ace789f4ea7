package rpcdoc_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/flake"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/rpc/rpcdoc"
)

type echoParams struct {
	Text string `json:"text" jsonschema:"minLength=1"`
}

type echoResult struct {
	ID    string    `json:"id"`
	Text  string    `json:"text"`
	Token string    `json:"token"`
	At    time.Time `json:"at"`
	Fixed string    `json:"fixed"`
	Link  string    `json:"link"`
	Unix  int64     `json:"unix"`
	Took  int       `json:"took_ms"`
	Code  string    `json:"code"`
	// Screen is a URL with a random token in its path: one whose run of
	// characters happens to read as an id must stay a secret whole.
	Screen string `json:"screen"`
}

var (
	echo    = rpc.Method[echoParams, echoResult]{Name: "echo", Summary: "Echoes.", Auth: auth.Public, Errors: []errs.Code{errs.CodeNotFound}}
	silent  = rpc.Method[echoParams, echoResult]{Name: "silent", Summary: "Never called.", Auth: auth.Public}
	counter int
)

func server(t *testing.T) string {
	srv := rpc.NewServer(rpc.Options{Name: "echoer"})
	ids := flake.New(0)
	h := func(_ context.Context, p echoParams) (echoResult, error) {
		if p.Text == "missing" {
			return echoResult{}, errs.NotFound
		}
		counter++
		id := ids.Next().String()
		return echoResult{ID: id, Text: p.Text, Token: "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiIwMUpENFE4WjZYM1Y5SzJNNU43UDBSMVMyVCJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ",
			At: time.Now(), Fixed: "2031-01-02T03:04:05Z", Link: "http://127.0.0.1:41234/walls/" + id + "?key=abcdefghij0123456789",
			Unix: time.Now().Unix(), Took: counter, Code: "123456",
			Screen: "http://127.0.0.1:41234/screens/Tt3jmV" + ids.Next().String() + ".ics"}, nil
	}
	rpc.Handle(srv, echo, h)
	rpc.Handle(srv, silent, h)
	mux := http.NewServeMux()
	srv.Routes(mux)
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return ts.URL
}

// TestRender: the examples are recorded as called, the first success wins
// over an earlier error, and what changes from run to run becomes the same
// placeholders in every run.
func TestRender(t *testing.T) {
	render := func() string {
		url := server(t)
		rec := rpcdoc.NewRecorder()
		c := rec.Client(t, url, nil)
		ctx := context.Background()
		if _, err := echo.Call(ctx, c, echoParams{Text: "missing"}); !errors.Is(err, errs.NotFound) {
			t.Fatalf("echo missing: %v", err)
		}
		if _, err := echo.Call(ctx, c, echoParams{Text: "hello"}); err != nil {
			t.Fatal(err)
		}
		if _, err := echo.Call(ctx, c, echoParams{Text: "again"}); err != nil {
			t.Fatal(err)
		}
		rec.Mask("123456", "<code>") // a one-time code the rules cannot tell from a number
		out, err := rpcdoc.Render(rpcdoc.Doc{Service: "echoer", Discovery: rpcdoc.Discover(t, url), Recorder: rec,
			NoExample: map[string]string{"silent": "it is never called"}, Vary: []string{"took_ms"}, Regenerate: "regenerate"})
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	first, second := render(), render()
	if first != second {
		t.Errorf("two runs differ:\n%s\n---\n%s", first, second)
	}
	_, answer, _ := strings.Cut(first, "Answer:\n\n```json\n")
	answer, _, _ = strings.Cut(answer, "```")
	var got struct{ Result map[string]any }
	if err := json.Unmarshal([]byte(answer), &got); err != nil {
		t.Fatalf("answer %q: %v", answer, err)
	}
	want := map[string]any{"id": "<id-1>", "text": "hello", "token": "<token-1>", "at": "<time>", "fixed": "2031-01-02T03:04:05Z",
		"link": "http://127.0.0.1:<port>/walls/<id-1>?key=<secret-1>", "unix": "<unix-time>", "took_ms": "<varies>", "code": "<code>"}
	for k, v := range want {
		if got.Result[k] != v {
			t.Errorf("%s = %v, want %v", k, got.Result[k], v)
		}
	}
	if sc, _ := got.Result["screen"].(string); !strings.HasPrefix(sc, "http://127.0.0.1:<port>/screens/<secret-") || !strings.HasSuffix(sc, ">.ics") || strings.Contains(sc, "<id-") {
		t.Errorf("screen = %q, want the whole token as one secret", sc)
	}
	for _, s := range []string{`"text": "hello"`, "No example: it is never called", "- 1004 not_found", "| `text` | string | yes | minLength 1 |"} {
		if !strings.Contains(first, s) {
			t.Errorf("the reference lacks %q:\n%s", s, first)
		}
	}
}

// TestRenderWantsEveryMethod: a method with neither an example nor a
// reason fails the render, as does a reason for a method that does not exist.
func TestRenderWantsEveryMethod(t *testing.T) {
	url := server(t)
	rec := rpcdoc.NewRecorder()
	_, err := rpcdoc.Render(rpcdoc.Doc{Service: "echoer", Discovery: rpcdoc.Discover(t, url), Recorder: rec,
		NoExample: map[string]string{"gone": "was removed"}})
	if err == nil || !strings.Contains(err.Error(), "echo has no example") || !strings.Contains(err.Error(), "silent has no example") ||
		!strings.Contains(err.Error(), "NoExample names gone") {
		t.Errorf("render without examples: %v", err)
	}
}

// TestGenerateWritesOpenRPC: Generate keeps openrpc.json beside the
// reference, indented and without the service's version, and fails when the
// committed one differs from what the service discovers.
func TestGenerateWritesOpenRPC(t *testing.T) {
	url := server(t)
	rec := rpcdoc.NewRecorder()
	if _, err := echo.Call(context.Background(), rec.Client(t, url, nil), echoParams{Text: "hello"}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	// A build's version (SERVICE_VERSION) must not reach the committed file.
	disc := bytes.Replace(rpcdoc.Discover(t, url), []byte(`"version":"dev"`), []byte(`"version":"v1.2.3"`), 1)
	if !bytes.Contains(disc, []byte("v1.2.3")) {
		t.Fatalf("no version in the discovery document %s", disc)
	}
	doc := rpcdoc.Doc{Service: "echoer", Discovery: disc, Recorder: rec,
		NoExample: map[string]string{"silent": "it is never called"}, Regenerate: "regenerate"}
	rpcdoc.Generate(t, doc, filepath.Join(dir, "methods.md"), true)
	b, err := os.ReadFile(filepath.Join(dir, "openrpc.json"))
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Info    struct{ Title, Version string }
		Methods []struct{ Name string }
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.Info.Title != "echoer" || got.Info.Version != "dev" || len(got.Methods) != 2 || got.Methods[0].Name != "echo" {
		t.Errorf("openrpc.json holds %+v", got)
	}
	if !strings.HasPrefix(string(b), "{\n  \"info\": {") || !strings.HasSuffix(string(b), "}\n") {
		t.Errorf("openrpc.json is not indented as committed:\n%s", b)
	}

	// A contract that changed: the check fails.
	if err := os.WriteFile(filepath.Join(dir, "openrpc.json"), []byte(strings.Replace(string(b), `"echo"`, `"echo2"`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	ft := &fakeT{TB: t}
	rpcdoc.Generate(ft, doc, filepath.Join(dir, "methods.md"), false)
	if !ft.failed || !strings.Contains(ft.msg, "openrpc.json is stale") {
		t.Errorf("a stale openrpc.json passed the check (%q)", ft.msg)
	}
}

// fakeT records a failure instead of failing the test.
type fakeT struct {
	testing.TB
	failed bool
	msg    string
}

func (f *fakeT) Helper() {}

func (f *fakeT) Errorf(format string, args ...any) {
	f.failed = true
	f.msg += fmt.Sprintf(format, args...)
}
