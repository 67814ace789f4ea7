package multievent_test

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/attendify/hub"
	"github.com/attendify/multievent"
	"github.com/attendify/multievent/internal/metest"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/testkit"
)

// clientsDir holds the real clients the tests drive (PouchDB, ical.js),
// pinned by its package-lock.json.
const clientsDir = "testdata/clients"

var installClients sync.Once

// installNodeClients runs `npm ci --ignore-scripts` in clientsDir unless
// node_modules was installed from the same package-lock.json already. A
// missing node or npm fails the test (make services installs them).
func installNodeClients(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed (make services installs Node.js): %v", tool, err)
		}
	}
	var err error
	installClients.Do(func() {
		lock, rerr := os.ReadFile(filepath.Join(clientsDir, "package-lock.json"))
		if rerr != nil {
			err = rerr
			return
		}
		sum := sha256.Sum256(lock)
		want := hex.EncodeToString(sum[:])
		marker := filepath.Join(clientsDir, "node_modules", ".attendify-lock")
		if got, _ := os.ReadFile(marker); string(got) == want {
			return
		}
		cmd := exec.Command("npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error")
		cmd.Dir = clientsDir
		if out, cerr := cmd.CombinedOutput(); cerr != nil {
			err = &exec.ExitError{}
			t.Errorf("npm ci in %s: %v\n%s", clientsDir, cerr, out)
			return
		}
		err = os.WriteFile(marker, []byte(want), 0o644)
	})
	if err != nil {
		t.Fatalf("install the node clients: %v", err)
	}
}

// nodeClient is client.js running: one JSON command per line, one answer.
type nodeClient struct {
	t   *testing.T
	in  io.WriteCloser
	out *bufio.Scanner
}

func startNodeClient(t *testing.T) *nodeClient {
	t.Helper()
	installNodeClients(t)
	cmd := exec.Command("node", "client.js")
	cmd.Dir = clientsDir
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = in.Close()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
		}
	})
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	return &nodeClient{t: t, in: in, out: sc}
}

// call sends a command and decodes the answer into v.
func (c *nodeClient) call(cmd map[string]any, v any) {
	c.t.Helper()
	b, _ := json.Marshal(cmd)
	if _, err := c.in.Write(append(b, '\n')); err != nil {
		c.t.Fatal(err)
	}
	if !c.out.Scan() {
		c.t.Fatalf("the node client ended: %v", c.out.Err())
	}
	if err := json.Unmarshal(c.out.Bytes(), v); err != nil {
		c.t.Fatalf("answer %q: %v", c.out.Text(), err)
	}
}

type pullResult struct {
	OK       bool   `json:"ok"`
	DocsRead int    `json:"docs_read"`
	Status   int    `json:"status"`
	Error    string `json:"error"`
}

type localDocs struct {
	Docs map[string]map[string]any `json:"docs"`
}

// TestPouchDBReplication: PouchDB from npm, in Node, replicates the content
// databases from the CouchDB the stack runs, through multievent's front
// (with a member token), reads its copy while offline, and catches up
// after the organizer edits a session. What the member may not read never
// reaches it.
func TestPouchDBReplication(t *testing.T) {
	s := newStory(t)
	phone := startNodeClient(t)
	// The phone reaches multievent through a link the test cuts: offline.
	link := testkit.NewProxy(t, strings.TrimPrefix(s.env.URL, "http://"))
	viaLink := func(u string) string { return strings.Replace(u, s.env.URL, "http://"+link.Addr(), 1) }

	dbs, err := multievent.ListContentDatabases.Call(metest.Ctx(s.plain), s.env.Client, multievent.AppParams{AppRef: rpc.AppRef{App: s.app}})
	if err != nil {
		t.Fatal(err)
	}
	all := viaLink(dbs.Databases[0].URL)
	pull := func(m metest.Member, url string) pullResult {
		t.Helper()
		var r pullResult
		phone.call(map[string]any{"cmd": "pull", "local": "phone-" + m.ID, "url": url, "token": m.Token}, &r)
		return r
	}
	docs := func(m metest.Member) map[string]map[string]any {
		t.Helper()
		var d localDocs
		phone.call(map[string]any{"cmd": "docs", "local": "phone-" + m.ID}, &d)
		return d.Docs
	}
	// The content follows hub's events: wait for the keynote's document.
	testkit.Eventually(t, "the keynote in the phone's copy", func() bool {
		r := pull(s.plain, all)
		return r.OK && docs(s.plain)["session:"+s.keynote] != nil
	})
	got := docs(s.plain)
	for _, id := range []string{"event:" + s.conf.ID, "event:" + s.workshop.ID, "event:" + s.past.ID, "session:" + s.lunch, "speaker:" + s.ada} {
		if got[id] == nil {
			t.Errorf("the phone lacks %s (has %d documents)", id, len(got))
		}
	}
	for _, id := range []string{"session:" + s.lab, "session:" + s.secret, "event:" + s.hidden.ID} {
		if got[id] != nil {
			t.Errorf("the phone of a member got %s, which they may not read", id)
		}
	}
	if title := got["session:"+s.keynote]["title"]; title != "Keynote: open source at scale" {
		t.Errorf("keynote title %v", title)
	}
	// The workshop's database is not the member's to replicate.
	workshop := strings.Replace(all, "-all", "-e"+strings.ToLower(s.workshop.ID), 1)
	if r := pull(s.plain, workshop); r.OK || r.Status != http.StatusNotFound {
		t.Errorf("pull of the workshop's database by a member: %+v, want a 404", r)
	}

	// Offline: the pull fails, the local copy reads on.
	link.Cut()
	if r := pull(s.plain, all); r.OK {
		t.Errorf("a pull while offline succeeded: %+v", r)
	}
	if got := docs(s.plain); got["session:"+s.keynote]["title"] != "Keynote: open source at scale" {
		t.Errorf("the offline copy: %v", got["session:"+s.keynote])
	}
	// The organizer edits the keynote in hub meanwhile.
	s.env.Session(s.app, hub.SessionPayload{ID: s.keynote, EventID: s.conf.ID, Title: "Keynote: open source at any scale",
		StartUTC: s.conf.StartUTC.Add(time.Hour), EndUTC: s.conf.StartUTC.Add(2 * time.Hour), SpeakerIDs: []string{s.ada}}, true)
	testkit.Eventually(t, "the edit in CouchDB", func() bool {
		var d struct {
			Title string `json:"title"`
		}
		err := s.env.Couch.DB(dbs.Databases[0].Name).Get(t.Context(), "session:"+s.keynote).ScanDoc(&d)
		return err == nil && d.Title == "Keynote: open source at any scale"
	})
	// Back online: the phone catches up with what changed only.
	link.Restore()
	r := pull(s.plain, all)
	if !r.OK || r.DocsRead < 1 || r.DocsRead > 2 {
		t.Errorf("catching up: %+v, want the edited session only (a speaker may come along)", r)
	}
	if title := docs(s.plain)["session:"+s.keynote]["title"]; title != "Keynote: open source at any scale" {
		t.Errorf("keynote after catching up: %v", title)
	}

	// A registered member replicates the workshop's database too.
	regDBs, err := multievent.ListContentDatabases.Call(metest.Ctx(s.registered), s.env.Client, multievent.AppParams{AppRef: rpc.AppRef{App: s.app}})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range regDBs.Databases {
		if r := pull(s.registered, viaLink(d.URL)); !r.OK {
			t.Errorf("pull of %s by a registered member: %+v", d.Group, r)
		}
	}
	mine := docs(s.registered)
	if mine["session:"+s.lab] == nil || mine["session:"+s.secret] == nil || mine["event:"+s.hidden.ID] == nil {
		t.Errorf("a registered member's copy lacks the workshop's or the dinner's content (%d documents)", len(mine))
	}
}

// TestCalendarFeedInICALJS: ical.js (npm) parses the feed and, with the
// feed's own VTIMEZONEs, finds the instants of the sessions, in two time
// zones.
func TestCalendarFeedInICALJS(t *testing.T) {
	s := newStory(t)
	ctx := metest.Ctx(s.registered)
	pastSession := s.env.NewID()
	s.env.Session(s.app, hub.SessionPayload{ID: pastSession, EventID: s.past.ID, Title: "Last year's keynote",
		StartUTC: s.past.StartUTC.Add(time.Hour), EndUTC: s.past.StartUTC.Add(2 * time.Hour)}, false)
	ops := []multievent.AgendaOp{{Op: multievent.OpBookmark, Session: s.keynote}, {Op: multievent.OpBookmark, Session: s.lab},
		{Op: multievent.OpBookmark, Session: pastSession}}
	testkit.Eventually(t, "three bookmarks", func() bool {
		a, err := multievent.SyncAgenda.Call(ctx, s.env.Client, multievent.SyncParams{AppRef: rpc.AppRef{App: s.app}, Ops: multievent.EncodeOps(ops...)})
		return err == nil && len(a.Sessions) == 3
	})
	link, err := multievent.IssueCalendarLink.Call(ctx, s.env.Client, multievent.AgendaParams{AppRef: rpc.AppRef{App: s.app}})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(link.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var parsed struct {
		Events []struct {
			UID, Summary, Tzid, Start, End string
		} `json:"events"`
		Error string `json:"error"`
	}
	startNodeClient(t).call(map[string]any{"cmd": "ical", "text": string(body)}, &parsed)
	if parsed.Error != "" || len(parsed.Events) != 3 {
		t.Fatalf("ical.js: %+v\n%s", parsed, body)
	}
	want := map[string]time.Time{
		s.keynote + "@" + s.app + ".multievent.attendify":   s.conf.StartUTC.Add(time.Hour),
		s.lab + "@" + s.app + ".multievent.attendify":       s.workshop.StartUTC,
		pastSession + "@" + s.app + ".multievent.attendify": s.past.StartUTC.Add(time.Hour),
	}
	zones := map[string]bool{}
	for _, e := range parsed.Events {
		start, err := time.Parse(time.RFC3339, e.Start)
		if err != nil || !start.Equal(want[e.UID]) {
			t.Errorf("%s (%s) starts %s by ical.js, want %s", e.UID, e.Tzid, e.Start, want[e.UID])
		}
		zones[e.Tzid] = true
	}
	if !zones["Europe/Paris"] || !zones["America/New_York"] {
		t.Errorf("zones: %v", zones)
	}
}
