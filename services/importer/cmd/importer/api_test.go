package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/attendify/hub"
	"github.com/attendify/importer"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/testkit"
)

// writeFile writes lines to a file of the test's directory.
func writeFile(t *testing.T, name string, lines ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// sessions returns the sessions of the stack's event by external id.
func (st *stack) sessions(t *testing.T) map[string]hub.Session {
	t.Helper()
	ag, err := hub.GetAgenda.Call(st.as(testkit.Context(t)), st.hubClient, hub.AgendaParams{App: st.app, Event: st.event})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]hub.Session{}
	for _, d := range ag.Days {
		for _, s := range d.Sessions {
			out[s.ExternalID] = s
		}
	}
	return out
}

// wantForbidden checks that err is a forbidden error saying what.
func wantForbidden(t *testing.T, err error, what string) {
	t.Helper()
	if !errors.Is(err, errs.Forbidden) || !strings.Contains(err.Error(), what) {
		t.Errorf("got %v, want a forbidden error about %q", err, what)
	}
}

// TestImportPermissions checks that the importer applies hub's permission
// matrix to the rows it writes for an organizer, with the role the
// organizer holds now: a moderator may import attendees but not register
// them to an event nor touch the agenda; a "member" collaborator may do
// both.
func TestImportPermissions(t *testing.T) {
	st := startStack(t)
	st.startImporter(t)
	ctx := testkit.Context(t)
	_, mod := st.organizer(t, "mod@example.com", hub.RoleModerator)
	memberID, member := st.organizer(t, "member@example.com", hub.RoleMember)
	agenda := writeFile(t, "agenda.csv", "Session ID;Title;Date;Start;End;Room",
		"p1;Who may import;12/06/2025;10:00;11:00;Room P")
	people := writeFile(t, "people.csv", "Email;Name", "m1@example.com;Moderated One")

	t.Run("a moderator may not import the agenda", func(t *testing.T) {
		_, err := st.uploadAs(t, mod, agenda, importer.UploadParams{Kind: "sessions", Event: st.event})
		wantForbidden(t, err, "edit the agenda")
		// Without a kind, the upload may hold attendees: the analysis
		// finds sessions, and the commit refuses them.
		imp := st.analyzeAs(t, mod, agenda, importer.UploadParams{})
		if got := counts(imp); got != "sessions:1/0/0/0" {
			t.Fatalf("counts %s %+v", got, imp.Problems)
		}
		ip := importer.ImportParams{App: st.app, Import: imp.ID}
		_, err = importer.CommitImport.Call(asUser(ctx, mod), st.client, ip)
		wantForbidden(t, err, "edit the agenda")
		if got := st.wait(t, imp.ID); got.Status != importer.StatusReady {
			t.Errorf("a refused commit left the import %s", got.Status)
		}
		if _, ok := st.sessions(t)["p1"]; ok {
			t.Error("a moderator's sessions reached hub")
		}
	})

	t.Run("a moderator may import attendees, not register them", func(t *testing.T) {
		_, err := st.uploadAs(t, mod, people, importer.UploadParams{Kind: "attendees", Event: st.event})
		wantForbidden(t, err, "register attendees")
		imp := st.analyzeAs(t, mod, people, importer.UploadParams{})
		if _, err := importer.CommitImport.Call(asUser(ctx, mod), st.client, importer.ImportParams{App: st.app, Import: imp.ID}); err != nil {
			t.Fatal(err)
		}
		if imp = st.wait(t, imp.ID, importer.StatusCommitting); imp.Status != importer.StatusDone || imp.Result["attendees"].Created != 1 {
			t.Errorf("commit: %s %+v", imp.Status, imp.Result)
		}
	})

	t.Run("a member collaborator may import the agenda", func(t *testing.T) {
		imp := st.analyzeAs(t, member, agenda, importer.UploadParams{Kind: "sessions", Event: st.event})
		if _, err := importer.CommitImport.Call(asUser(ctx, member), st.client, importer.ImportParams{App: st.app, Import: imp.ID}); err != nil {
			t.Fatal(err)
		}
		if imp = st.wait(t, imp.ID, importer.StatusCommitting); imp.Status != importer.StatusDone {
			t.Fatalf("commit: %s %+v", imp.Status, imp.Error)
		}
		if _, ok := st.sessions(t)["p1"]; !ok {
			t.Error("the member's session is not in hub")
		}
	})

	t.Run("the role at the commit counts", func(t *testing.T) {
		later := writeFile(t, "later.csv", "Session ID;Title;Date;Start;End;Room",
			"p2;Demoted before the commit;12/06/2025;14:00;15:00;Room P")
		imp := st.analyzeAs(t, member, later, importer.UploadParams{Kind: "sessions", Event: st.event})
		if imp.Status != importer.StatusReady {
			t.Fatalf("status %s %+v", imp.Status, imp.Error)
		}
		if _, err := hub.SetRole.Call(st.as(ctx), st.hubClient, hub.SetRoleParams{App: st.app, OrganizerID: memberID, Role: hub.RoleModerator}); err != nil {
			t.Fatal(err)
		}
		_, err := importer.CommitImport.Call(asUser(ctx, member), st.client, importer.ImportParams{App: st.app, Import: imp.ID})
		wantForbidden(t, err, "edit the agenda")
		if _, ok := st.sessions(t)["p2"]; ok {
			t.Error("a demoted organizer's session reached hub")
		}
	})
}
