package couchstore_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/attendify/multievent/internal/service"
	"github.com/attendify/multievent/internal/store/couchstore"
	"github.com/attendify/multievent/internal/store/storetest"
	"github.com/attendify/platform/flake"
	"github.com/attendify/platform/testkit"
	kivik "github.com/go-kivik/kivik/v4"
)

func TestContentContract(t *testing.T) {
	storetest.Content(t, func(t *testing.T) service.Content {
		client := testkit.CouchDB(t)
		prefix := "tme" + strings.ToLower(flake.New(0).Next().String()[14:])
		s := couchstore.New(client, prefix)
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			names, _ := client.AllDBs(ctx)
			for _, n := range names {
				if strings.HasPrefix(n, prefix+"$") {
					_ = client.DestroyDB(ctx, n)
				}
			}
		})
		return s
	})
}

// TestWriteResolvesConflicts: a document with conflicting revisions (an
// Apache CouchDB cluster makes them of concurrent or partitioned writes;
// here new_edits=false makes one) keeps only the writer's: writing it
// deletes the losing leaves, so that deleting it does not bring a loser
// back as the document (CouchDB's next winner) for phones to replicate.
func TestWriteResolvesConflicts(t *testing.T) {
	ctx := testkit.Context(t)
	client := testkit.CouchDB(t)
	prefix := "tme" + strings.ToLower(flake.New(0).Next().String()[14:])
	s := couchstore.New(client, prefix)
	g := service.GroupDB{App: "APP1", Group: service.GroupAll}
	name, err := s.DBName(g)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = client.DestroyDB(ctx, name)
	})
	write := func(d service.ContentDoc) string {
		t.Helper()
		res, err := s.Write(ctx, g, []service.ContentDoc{d})
		if err != nil || res[0].Err != nil {
			t.Fatalf("Write(%s) = %+v, %v", d.ID, res, err)
		}
		return res[0].Rev
	}
	// conflict gives id a losing leaf, written as another node would.
	conflict := func(id string) {
		t.Helper()
		loser := map[string]any{"_id": id, "_rev": "1-00000000000000000000000000000000", "title": "stale"}
		if _, err := client.DB(name).BulkDocs(ctx, []any{loser}, kivik.Param("new_edits", false)); err != nil {
			t.Fatal(err)
		}
	}
	conflicts := func(id string) []string {
		t.Helper()
		var doc struct {
			Conflicts []string `json:"_conflicts"`
		}
		if err := client.DB(name).Get(ctx, id, kivik.Param("conflicts", true)).ScanDoc(&doc); err != nil {
			t.Fatal(err)
		}
		return doc.Conflicts
	}

	rev := write(service.ContentDoc{ID: "session:S1", Body: []byte(`{"title":"Keynote","h":"h1"}`)})
	conflict("session:S1")
	if len(conflicts("session:S1")) == 0 {
		t.Fatal("no conflict made")
	}
	rev = write(service.ContentDoc{ID: "session:S1", Rev: rev, Body: []byte(`{"title":"Keynote 2","h":"h2"}`)})
	if got := conflicts("session:S1"); len(got) != 0 {
		t.Errorf("after an update: conflicting revisions %v remain", got)
	}

	// A deletion of a document in conflict deletes it, losers and all.
	conflict("session:S1")
	write(service.ContentDoc{ID: "session:S1", Rev: rev, Deleted: true})
	if got, err := s.Rev(ctx, service.DocRef{GroupDB: g, ID: "session:S1"}); err != nil || got != "" {
		t.Errorf("Rev after the deletion = %q, %v; want none (a losing revision came back)", got, err)
	}
}
