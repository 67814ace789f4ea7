package storetest

import (
	"errors"
	"slices"
	"testing"

	"github.com/attendify/multievent/internal/service"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/testkit"
)

// Content is the contract of service.Content. newContent's store must
// name its databases so that a test's never meet another's.
func Content(t *testing.T, newContent func(t *testing.T) service.Content) {
	c := newContent(t)
	ctx := testkit.Context(t)
	app := newID("APP")
	write := func(group string, docs ...service.ContentDoc) []service.WriteResult {
		t.Helper()
		res, err := c.Write(ctx, service.GroupDB{App: app, Group: group}, docs)
		if err != nil {
			t.Fatal(err)
		}
		if len(res) != len(docs) {
			t.Fatalf("%d results for %d documents", len(res), len(docs))
		}
		return res
	}
	res := write(service.GroupAll,
		service.ContentDoc{ID: "event:E1", Body: []byte(`{"type":"event","name":"Conf","h":"h1"}`)},
		service.ContentDoc{ID: "session:S1", Body: []byte(`{"type":"session","title":"Keynote","h":"h2"}`)})
	for _, r := range res {
		if r.Err != nil || r.Rev == "" {
			t.Fatalf("new documents: %+v", res)
		}
	}
	rev, err := c.Rev(ctx, service.DocRef{GroupDB: service.GroupDB{App: app, Group: service.GroupAll}, ID: "event:E1"})
	if err != nil || rev != res[0].Rev {
		t.Errorf("Rev = %q, %v; want %q", rev, err, res[0].Rev)
	}
	// A write that does not name the current revision conflicts.
	stale := write(service.GroupAll, service.ContentDoc{ID: "event:E1", Body: []byte(`{"name":"Again","h":"h3"}`)})
	if !errors.Is(stale[0].Err, errs.Conflict) {
		t.Errorf("write without the revision: %+v, want a conflict", stale[0])
	}
	upd := write(service.GroupAll, service.ContentDoc{ID: "event:E1", Rev: res[0].Rev, Body: []byte(`{"name":"Conf 2","h":"h4"}`)})
	if upd[0].Err != nil || upd[0].Rev == res[0].Rev {
		t.Errorf("update: %+v", upd[0])
	}
	del := write(service.GroupAll, service.ContentDoc{ID: "session:S1", Rev: res[1].Rev, Deleted: true})
	if del[0].Err != nil {
		t.Errorf("delete: %+v", del[0])
	}
	if rev, err := c.Rev(ctx, service.DocRef{GroupDB: service.GroupDB{App: app, Group: service.GroupAll}, ID: "session:S1"}); err != nil || rev != "" {
		t.Errorf("Rev of a deleted document = %q, %v", rev, err)
	}
	// A deleted document is written again as a new one.
	if again := write(service.GroupAll, service.ContentDoc{ID: "session:S1", Body: []byte(`{"h":"h5"}`)}); again[0].Err != nil {
		t.Errorf("write after a deletion: %+v", again[0])
	}
	restricted := service.EventGroup("E1X")
	write(restricted, service.ContentDoc{ID: "session:S9", Body: []byte(`{"h":"h9"}`)})

	placed, err := c.Placed(ctx, app)
	if err != nil {
		t.Fatal(err)
	}
	hashes := map[string]string{}
	for _, p := range placed {
		hashes[p.Group+"/"+p.DocID] = p.Hash
		if p.Rev == "" {
			t.Errorf("placement without a revision: %+v", p)
		}
	}
	want := map[string]string{"all/event:E1": "h4", "all/session:S1": "h5", restricted + "/session:S9": "h9"}
	for k, h := range want {
		if hashes[k] != h {
			t.Errorf("placed %s: hash %q, want %q (all: %v)", k, hashes[k], h, hashes)
		}
	}
	if len(hashes) != len(want) {
		t.Errorf("placed: %v", hashes)
	}
	a, _ := c.DBName(service.GroupDB{App: app, Group: service.GroupAll})
	b, _ := c.DBName(service.GroupDB{App: app, Group: restricted})
	if a == b || a == "" {
		t.Errorf("database names %q and %q", a, b)
	}
	if err := c.Drop(ctx, app); err != nil {
		t.Fatal(err)
	}
	if placed, err := c.Placed(ctx, app); err != nil || len(placed) != 0 {
		t.Errorf("placed after Drop: %v, %v", placed, err)
	}
	if slices.Contains([]string{a, b}, "") {
		t.Error("empty database name")
	}
}
