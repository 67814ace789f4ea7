package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/attendify/platform/testkit"
)

// TestDemoSummary takes the package's stack, run as `make run` runs it (on
// free ports, in a temporary run directory), and checks its summary the
// way a person would use it: every curl line printed works as printed through sh -c,
// every page listed for a browser opens without signing in, no token is
// printed, and the tokens file and the JSON summary are private.
func TestDemoSummary(t *testing.T) {
	sum, printed, jsonPath := sharedStack(t)
	summary := printed[strings.Index(printed, "The stack is up"):]
	t.Logf("the summary:\n%s", summary)
	if n := strings.Count(summary, "\n"); n > 45 {
		t.Errorf("the summary is %d lines long, want it short", n)
	}
	for _, tok := range sum.Tokens {
		if tok.Token == "" || strings.Contains(printed, tok.Token) {
			t.Errorf("%s is printed or empty", tok.Var)
		}
	}

	// The curl lines, as printed.
	var curls []string
	for _, line := range strings.Split(summary, "\n") {
		if line = strings.TrimSpace(line); strings.Contains(line, "curl ") && !strings.HasPrefix(line, "#") {
			curls = append(curls, line)
		}
	}
	if len(curls) != len(sum.Try) || len(curls) < 2 {
		t.Fatalf("printed curl lines %q, want the %d of the summary", curls, len(sum.Try))
	}
	dir := t.TempDir()
	for _, line := range curls {
		cmd := exec.Command("sh", "-c", line)
		cmd.Dir = dir
		res, err := cmd.Output()
		if err != nil {
			t.Errorf("%s: %v\n%s", line, err, res)
			continue
		}
		if strings.Contains(line, "feed.get") {
			var feed struct {
				Result struct {
					Items []map[string]any `json:"items"`
				} `json:"result"`
				Error any `json:"error"`
			}
			if err := json.Unmarshal(res, &feed); err != nil || feed.Error != nil || len(feed.Result.Items) == 0 {
				t.Errorf("%s answered %s (%v)", line, res, err)
			} else if _, ok := feed.Result.Items[0]["reaction_count"]; !ok {
				t.Errorf("a post in the feed has no reaction_count: %v", feed.Result.Items[0])
			}
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "import-report.xlsx")); err != nil || !bytes.HasPrefix(b, []byte("PK")) {
		t.Errorf("the report curl wrote no .xlsx file (%v)", err)
	}

	// The pages for a browser open without signing in.
	links := append(append([]Link{}, sum.Browser...), sum.Services...)
	if len(sum.Browser) < 4 || len(sum.Services) != len(services) {
		t.Errorf("browser pages %v, service pages %v", sum.Browser, sum.Services)
	}
	for _, l := range links {
		if !strings.Contains(printed, l.URL) {
			t.Errorf("%s (%s) is not printed", l.Name, l.URL)
		}
		req, _ := http.NewRequest(http.MethodGet, l.URL, nil)
		req.Header.Set("Accept", "text/html,*/*;q=0.8")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Errorf("%s: %v", l.Name, err)
			continue
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s (%s) answers %s in a browser", l.Name, l.URL, resp.Status)
		}
	}

	// The tokens file and the JSON summary: private, and the JSON is the
	// summary, snake_case.
	for _, p := range []string{sum.TokensFile, jsonPath} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, want mode 0600 (%v)", p, fi.Mode().Perm(), err)
		}
	}
	b, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var fromFile Summary
	if err := json.Unmarshal(b, &fromFile); err != nil || fromFile.App.ID != sum.App.ID || len(fromFile.Tokens) != len(sum.Tokens) ||
		!bytes.Contains(b, []byte(`"tokens_file"`)) {
		t.Errorf("the JSON summary %s: %v", b, err)
	}
}

// freePorts returns the first of n consecutive free loopback ports, below
// Linux's ephemeral range (32768 and up), where outgoing connections would
// take them meanwhile.
func freePorts(t *testing.T, n int) int {
	t.Helper()
next:
	for range 100 {
		base := 20000 + rand.IntN(12000)
		for i := range n {
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", base+i))
			if err != nil {
				continue next
			}
			l.Close()
		}
		return base
	}
	t.Fatal("no free ports")
	return 0
}

// shared is the stack this package's tests share: starting one (building
// the services, seeding the demo) takes most of a minute. The first test
// that asks starts it; TestMain stops it when every test has run.
var shared struct {
	once     sync.Once
	sum      Summary
	printed  string
	jsonPath string
	err      error
	stop     func() error
}

// sharedStack returns the shared stack's summary, what it printed up to
// its summary, and the path of its JSON summary, as `make run` makes them
// (free ports, a run directory of its own).
func sharedStack(t *testing.T) (Summary, string, string) {
	t.Helper()
	testkit.Redis(t) // the services need the stores: fail clearly when they are missing
	shared.once.Do(func() {
		root, err := filepath.Abs("../../..")
		if err != nil {
			shared.err = err
			return
		}
		dir, err := os.MkdirTemp("", "attendify-stack-test-")
		if err != nil {
			shared.err = err
			return
		}
		var out bytes.Buffer
		ready := make(chan Summary, 1)
		shared.jsonPath = filepath.Join(dir, "summary.json")
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() {
			errc <- run(ctx, options{root: root, runDir: filepath.Join(dir, "run"), port: freePorts(t, len(services)), jsonPath: shared.jsonPath, out: &out, ready: ready})
		}()
		select {
		case shared.sum = <-ready:
			shared.printed = out.String()
			shared.stop = func() error {
				cancel()
				err := <-errc
				_ = os.RemoveAll(dir)
				return err
			}
		case err := <-errc:
			cancel()
			_ = os.RemoveAll(dir)
			shared.err = fmt.Errorf("the stack stopped: %v\n%s", err, out.String())
		}
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.sum, shared.printed, shared.jsonPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.stop != nil {
		if err := shared.stop(); err != nil {
			fmt.Fprintf(os.Stderr, "stopping the stack: %v\n", err)
			code = max(code, 1)
		}
	}
	os.Exit(code)
}
