package couch_test

import (
	"testing"

	"github.com/attendify/platform/couch"
	"github.com/attendify/platform/testkit"
	kivik "github.com/go-kivik/kivik/v4"
)

// TestDropConflicts: documents with conflicting revisions (a cluster makes
// them of concurrent or partitioned writes; here new_edits=false makes
// them, as a replication would) keep only their winner, and deleting it
// then deletes the document; without DropConflicts a loser comes back as
// the document. Missing, deleted and conflict-free documents are left as
// they are.
func TestDropConflicts(t *testing.T) {
	ctx := testkit.Context(t)
	client := testkit.CouchDB(t)
	name := testkit.CouchDBName(t)
	if err := client.CreateDB(ctx, name); err != nil {
		t.Fatalf("CreateDB(%s): %v", name, err)
	}
	db := client.DB(name)
	put := func(id string) string {
		t.Helper()
		rev, err := db.Put(ctx, id, map[string]any{"title": "winner"})
		if err != nil {
			t.Fatal(err)
		}
		// A second generation, so that the losers below lose.
		rev, err = db.Put(ctx, id, map[string]any{"_rev": rev, "title": "winner"})
		if err != nil {
			t.Fatal(err)
		}
		return rev
	}
	// loser gives id a losing leaf, written as another node would.
	loser := func(id, rev string) {
		t.Helper()
		doc := map[string]any{"_id": id, "_rev": rev, "title": "stale"}
		if _, err := db.BulkDocs(ctx, []any{doc}, kivik.Param("new_edits", false)); err != nil {
			t.Fatal(err)
		}
	}
	conflicts := func(id string) []string {
		t.Helper()
		var doc struct {
			Conflicts []string `json:"_conflicts"`
		}
		if err := db.Get(ctx, id, kivik.Param("conflicts", true)).ScanDoc(&doc); err != nil {
			t.Fatal(err)
		}
		return doc.Conflicts
	}
	revA, revB, revKeep, revPlain := put("a"), put("b"), put("keep"), put("plain")
	loser("a", "1-00000000000000000000000000000000")
	loser("b", "1-00000000000000000000000000000001")
	loser("b", "1-00000000000000000000000000000002")
	loser("keep", "1-00000000000000000000000000000003")
	if _, err := db.Delete(ctx, "plain", revPlain); err != nil {
		t.Fatal(err)
	}
	if len(conflicts("a")) != 1 || len(conflicts("b")) != 2 {
		t.Fatalf("conflicts made: a %v, b %v", conflicts("a"), conflicts("b"))
	}

	if err := couch.DropConflicts(ctx, db, []string{"a", "b", "plain", "missing"}); err != nil {
		t.Fatal(err)
	}
	for id, rev := range map[string]string{"a": revA, "b": revB} {
		if got := conflicts(id); len(got) != 0 {
			t.Errorf("%s: conflicting revisions %v remain", id, got)
		}
		if got, err := db.GetRev(ctx, id); err != nil || got != rev {
			t.Errorf("%s: winner %q, %v; want %q kept", id, got, err, rev)
		}
		if _, err := db.Delete(ctx, id, rev); err != nil {
			t.Fatal(err)
		}
		if got, err := db.GetRev(ctx, id); kivik.HTTPStatus(err) != 404 {
			t.Errorf("%s after its deletion: revision %q, %v; want not found (a loser came back)", id, got, err)
		}
	}
	if err := couch.DropConflicts(ctx, db, nil); err != nil {
		t.Errorf("no ids: %v", err)
	}

	// Left in conflict, the document comes back when its winner is deleted:
	// the reason for DropConflicts.
	if _, err := db.Delete(ctx, "keep", revKeep); err != nil {
		t.Fatal(err)
	}
	if got, err := db.GetRev(ctx, "keep"); err != nil || got != "1-00000000000000000000000000000003" {
		t.Errorf("keep after deleting its winner: %q, %v; want its loser back (the server does not keep conflicts as CouchDB does)", got, err)
	}
}
