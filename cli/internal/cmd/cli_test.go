package cmd_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/attendify/cli/internal/cmd"
	"github.com/attendify/cli/internal/config"
	"github.com/attendify/hub"
	"github.com/attendify/platform/auth/authtest"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/testkit"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// result is one run of the command line.
type result struct {
	stdout, stderr string
	code           int
}

// attendify runs the command line in this process with stdin and args.
func attendify(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := cmd.Run(testkit.Context(t), args, strings.NewReader(stdin), &out, &errOut)
	return result{out.String(), errOut.String(), code}
}

// must runs the command line and fails the test unless it exits with want.
func must(t *testing.T, want int, stdin string, args ...string) result {
	t.Helper()
	r := attendify(t, stdin, args...)
	if r.code != want {
		t.Fatalf("attendify %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, want, r.stdout, r.stderr)
	}
	return r
}

// flakeID is an id the services make (platform/flake): 26 characters of
// Crockford's base32.
var flakeID = regexp.MustCompile(`\b[0-9A-HJKMNP-TV-Z]{26}\b`)

// golden compares got, with the run's ids replaced by names (any other id
// by <id>), with testdata/name.golden (rewritten with -update).
func golden(t *testing.T, name, got string, ids map[string]string) {
	t.Helper()
	for id, placeholder := range ids {
		got = strings.ReplaceAll(got, id, placeholder)
	}
	got = flakeID.ReplaceAllString(got, "<id>")
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}

// isolate gives the test its own configuration and cache directories.
func isolate(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	// The go command keeps its build cache under the user's cache directory:
	// pinned first, or every build the test makes (the services it starts,
	// run-as's build) starts from an empty cache and compiles for minutes.
	if os.Getenv("GOCACHE") == "" {
		if dir, err := os.UserCacheDir(); err == nil {
			t.Setenv("GOCACHE", filepath.Join(dir, "go-build"))
		}
	}
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "config"))
	t.Setenv("XDG_CACHE_HOME", filepath.Join(home, "cache"))
	t.Setenv("ATTENDIFY_APP", "")
	t.Setenv("ATTENDIFY_EVENT", "")
	return home
}

// stack is hub and the importer, the real binaries, on databases and a
// Redis namespace of the test's own.
type stack struct {
	hub, importer string
	service       *rpc.Client // signed as a service, for hub's dev methods
	ns            string
	hubDB         string
}

func startStack(t *testing.T) *stack {
	t.Helper()
	_, ns := testkit.Redis(t)
	st := &stack{ns: ns, hubDB: testkit.PostgresURL(t, "")}
	common := []string{"REDIS_NAMESPACE=" + ns, "DATABASE_CREATE=false", "RPC_ACCESS_LOG=false", "SHED_DISABLED=true"}
	hubBin := testkit.Build(t, "github.com/attendify/hub/cmd/hub")
	st.hub = testkit.StartService(t, hubBin, append(common, "DATABASE_URL="+st.hubDB, "SERVICE_NAME=hub",
		"HUB_DEV_MODE=true", "HUB_PASSWORD_MEMORY_KIB=1024")...).URL
	impBin := testkit.Build(t, "github.com/attendify/importer/cmd/importer")
	st.importer = testkit.StartService(t, impBin, append(common, "DATABASE_URL="+testkit.PostgresURL(t, ""), "SERVICE_NAME=importer",
		"HUB_URL="+st.hub)...).URL
	signer := authtest.Signer(t, "cli-test")
	var err error
	if st.service, err = rpc.NewClient(rpc.ClientOptions{Endpoints: []string{st.hub}, Signer: &signer}); err != nil {
		t.Fatal(err)
	}
	return st
}

// signUp creates an organizer account (hub's dev mode reads the mailed
// token back).
func (st *stack) signUp(t *testing.T, email, password string) {
	t.Helper()
	c, err := rpc.NewClient(rpc.ClientOptions{Endpoints: []string{st.hub}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hub.DevSignUp(testkit.Context(t), c, st.service, email, password, "Olive Organizer"); err != nil {
		t.Fatal(err)
	}
}

// jsonField extracts "field": "value" from the CLI's JSON output.
func jsonField(t *testing.T, out, field string) string {
	t.Helper()
	key := `"` + field + `": "`
	i := strings.Index(out, key)
	if i < 0 {
		t.Fatalf("no %s in %s", field, out)
	}
	rest := out[i+len(key):]
	return rest[:strings.IndexByte(rest, '"')]
}

// An organizer's story with the CLI against hub and the importer: a
// profile for the stack, sign-in with the password on stdin (the token
// file is 0600), an app and an event made with `call` (params checked
// first: a bad call exits 2 and sends nothing), the tables of apps and
// events, an import with rejected rows (preview, commit, error workbook
// next to the file, exit 6), the members it made, and sign-out (exit 3).
func TestOrganizerStory(t *testing.T) {
	isolate(t)
	st := startStack(t)
	const email, password = "olive@example.com", "correct horse battery staple"
	st.signUp(t, email, password)

	must(t, 0, "", "profile", "set", "test", "--url", "hub="+st.hub, "--url", "importer="+st.importer)
	must(t, 0, "", "use", "test")
	must(t, 3, "", "apps", "list") // not signed in yet
	if r := must(t, 3, "wrong password\n", "login", "--email", email); !strings.Contains(r.stderr, "unauthenticated") {
		t.Errorf("a wrong password says: %s", r.stderr)
	}
	must(t, 0, password+"\n", "login", "--email", email)
	path, _ := config.Path()
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("config file %s: %v %v, want mode 0600", path, fi.Mode(), err)
	}

	app := jsonField(t, must(t, 0, "", "call", "app.create", "name=CLI Conf", "slug=cli-conf").stdout, "id")
	// Checked against event.create's schema before sending: a missing
	// time zone, a start that is not a date-time, an unknown param.
	bad := must(t, 2, "", "call", "event.create", "app_id="+app, "name=Main", "start=soon", "end=2026-06-12T18:00", "color=red")
	golden(t, "call-invalid", bad.stderr, map[string]string{app: "<app>"})
	ids := map[string]string{app: "<app>"}
	if r := must(t, 0, "", "call", "event.list", "app_id="+app); strings.Contains(r.stdout, "Main") {
		t.Fatalf("the refused event.create reached hub: %s", r.stdout)
	}
	event := jsonField(t, must(t, 0, "", "call", "hub.event.create", "app_id="+app, "name=Main", "time_zone=Europe/Paris",
		"start=2026-06-12T09:00", "end=2026-06-12T18:00").stdout, "id")
	ids[event] = "<event>"

	golden(t, "apps-list", must(t, 0, "", "apps", "list").stdout, ids)
	golden(t, "events-list", must(t, 0, "", "events", "list", "--app", app).stdout, ids)

	dir := t.TempDir()
	file := filepath.Join(dir, "attendees.csv")
	csv := "Name,Email,Company\n" +
		"Ada Lovelace,ada@example.com,Analytical Engines\n" +
		"Grace Hopper,grace@example.com,Navy\n" +
		"Nobody,not-an-email,Nowhere\n" +
		"Alan Turing,alan@example.com,Bletchley\n"
	if err := os.WriteFile(file, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	// Declined at the confirmation: nothing is committed (exit 7).
	declined := must(t, 7, "n\n", "import", file, "--app", app, "--event", event)
	golden(t, "import-declined", declined.stdout, ids)
	if r := must(t, 0, "", "members", "list", "--app", app); strings.Contains(r.stdout, "Ada") {
		t.Fatalf("a declined import was committed:\n%s", r.stdout)
	}
	done := must(t, 6, "", "import", file, "--app", app, "--event", event, "--yes")
	golden(t, "import-committed", done.stdout, map[string]string{app: "<app>", event: "<event>", dir: "<dir>"})
	if fi, err := os.Stat(filepath.Join(dir, "attendees.errors.xlsx")); err != nil || fi.Size() == 0 {
		t.Errorf("no error workbook next to the file: %v", err)
	}
	golden(t, "members-list", must(t, 0, "", "members", "list", "--app", app).stdout, ids)
	if r := must(t, 0, "", "--json", "members", "list", "--app", app, "--query", "ada"); !strings.Contains(r.stdout, `"email": "ada@example.com"`) {
		t.Errorf("members --json: %s", r.stdout)
	}

	must(t, 0, "", "logout")
	must(t, 3, "", "members", "list", "--app", app)
}

// Shell completion offers the methods of rpc.discover and then the
// chosen method's params.
func TestCompletionFromDiscovery(t *testing.T) {
	isolate(t)
	st := startStack(t)
	must(t, 0, "", "profile", "set", "test", "--url", "hub="+st.hub, "--url", "importer="+st.importer)
	must(t, 0, "", "use", "test")
	methods := must(t, 0, "", "__complete", "call", "import.").stdout
	for _, m := range []string{"import.get\t", "import.commit\t", "import.preview\t"} {
		if !strings.Contains(methods, m) {
			t.Errorf("completion of import. lacks %q:\n%s", m, methods)
		}
	}
	params := must(t, 0, "", "__complete", "call", "member.search", "app_id=x", "").stdout
	if !strings.Contains(params, "query=") || strings.Contains(params, "app_id=") {
		t.Errorf("completion of member.search's params:\n%s", params)
	}
	if r := must(t, 0, "", "completion", "bash"); !strings.Contains(r.stdout, "__attendify") {
		t.Errorf("bash completion script: %.200s", r.stdout)
	}
}
