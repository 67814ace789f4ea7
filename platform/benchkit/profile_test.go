package benchkit_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/attendify/platform/benchkit"
	"github.com/attendify/platform/testkit"
)

func TestStartCPUProfile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cpu.pprof")
	stop, err := benchkit.StartCPUProfile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := benchkit.StartCPUProfile(filepath.Join(t.TempDir(), "second.pprof")); err == nil {
		t.Error("a second profile started while one runs")
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(path); err != nil || st.Size() == 0 {
		t.Errorf("the profile: %v, %v", st, err)
	}
	if _, err := benchkit.StartCPUProfile(filepath.Join(t.TempDir(), "missing", "cpu.pprof")); err == nil {
		t.Error("a profile started into a directory that does not exist")
	}
}

func TestFetchProfile(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/debug/pprof/profile" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte("profile bytes"))
	}))
	defer ts.Close()
	ctx := testkit.Context(t)
	path := filepath.Join(t.TempDir(), "server.pprof")
	if err := benchkit.FetchProfile(ctx, ts.URL+"/debug/pprof/profile?seconds=1", path); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "profile bytes" {
		t.Errorf("saved %q, %v", b, err)
	}
	other := filepath.Join(t.TempDir(), "none.pprof")
	if err := benchkit.FetchProfile(ctx, ts.URL+"/debug/pprof/nothing", other); err == nil {
		t.Error("a 404 saved as a profile")
	}
	if _, err := os.Stat(other); err == nil {
		t.Error("a file written for a 404")
	}
}
