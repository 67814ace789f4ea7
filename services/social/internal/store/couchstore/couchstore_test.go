package couchstore

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	kivik "github.com/go-kivik/kivik/v4"
	"github.com/google/go-cmp/cmp"

	"github.com/attendify/platform/flake"
	"github.com/attendify/platform/testkit"
	"github.com/attendify/social/internal/service"
)

func newStore(t *testing.T) (*Store, string) {
	t.Helper()
	cc := testkit.CouchDB(t)
	s := New(cc, "t"+strings.ToLower(flake.New(0).Next().String()[14:]))
	app := "app1"
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = s.DropDB(ctx, app)
	})
	return s, app
}

// TestScanAndComments: scans page through every post (several _all_docs
// pages), and comment pages follow the cursor, within their post.
func TestScanAndComments(t *testing.T) {
	defer func(n int) { scanPage = n }(scanPage)
	scanPage = 3
	s, app := newStore(t)
	ctx := testkit.Context(t)
	ids := flake.New(0)
	var want []string
	for i := range 8 {
		id := ids.Next().String()
		want = append(want, id)
		doc := &service.Post{ID: id, App: app, Author: "m1", Text: fmt.Sprint("p", i), CreatedAt: time.Now()}
		if err := s.CreatePost(ctx, doc, nil); err != nil {
			t.Fatal(err)
		}
	}
	var comments []string
	for i := range 5 {
		id := ids.Next().String()
		comments = append(comments, id)
		c := &service.Comment{ID: id, App: app, Post: want[0], Author: "m2", Text: fmt.Sprint("c", i), CreatedAt: time.Now()}
		if err := s.CreateComment(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	var got, gotComments []string
	err := s.EachDoc(ctx, app, func(d *service.Post) error {
		got = append(got, d.ID)
		return nil
	}, func(d *service.Comment) error {
		gotComments = append(gotComments, d.ID)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("posts (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(comments, gotComments); diff != "" {
		t.Errorf("comments (-want +got):\n%s", diff)
	}
	page1, err := s.Comments(ctx, app, want[0], "", 2)
	if err != nil || len(page1) != 2 {
		t.Fatalf("page 1: %v %v", page1, err)
	}
	page2, _ := s.Comments(ctx, app, want[0], page1[1].ID, 10)
	if len(page2) != 3 || page2[0].ID != comments[2] {
		t.Errorf("page 2 = %d comments", len(page2))
	}
	if cs, _ := s.Comments(ctx, app, want[1], "", 10); len(cs) != 0 {
		t.Errorf("another post's comments: %d", len(cs))
	}
	docs, err := s.Posts(ctx, app, []string{want[3], "missing"})
	if err != nil || len(docs) != 1 || docs[want[3]].Text != "p3" {
		t.Errorf("Posts = %v, %v", docs, err)
	}
}

// TestDeletionsDropConflicts: a post, a comment or an upload with
// conflicting revisions (a CouchDB cluster makes them of concurrent or
// partitioned writes; here new_edits=false makes them, as a replication
// would) keeps none beside its deletion: a post or comment deleted (a
// soft deletion, `deleted` in the document) leaves no revision that is
// not, which would become the document again were the winner deleted, and
// a deleted upload does not come back as its loser.
func TestDeletionsDropConflicts(t *testing.T) {
	s, app := newStore(t)
	ctx := testkit.Context(t)
	db, err := s.db(ctx, app)
	if err != nil {
		t.Fatal(err)
	}
	// loser gives the document id a losing leaf, written as another node
	// would: the document as it was, not deleted.
	loser := func(id string, doc map[string]any) {
		t.Helper()
		doc["_id"], doc["_rev"] = id, "1-00000000000000000000000000000000"
		if _, err := db.BulkDocs(ctx, []any{doc}, kivik.Param("new_edits", false)); err != nil {
			t.Fatal(err)
		}
		var got struct {
			Conflicts []string `json:"_conflicts"`
		}
		if err := db.Get(ctx, id, kivik.Param("conflicts", true)).ScanDoc(&got); err != nil || len(got.Conflicts) == 0 {
			t.Fatalf("no conflict made on %s: %v", id, err)
		}
	}
	// deleteWinner deletes the document's winning revision, as a hard
	// deletion would, and returns what then reads as the document.
	deleteWinner := func(id string) (map[string]any, error) {
		t.Helper()
		rev, err := db.GetRev(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Delete(ctx, id, rev); err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		err = db.Get(ctx, id).ScanDoc(&doc)
		return doc, err
	}
	ids := flake.New(0)
	now := time.Now()

	post := &service.Post{ID: ids.Next().String(), App: app, Author: "m1", Text: "to delete", CreatedAt: now}
	if err := s.CreatePost(ctx, post, nil); err != nil {
		t.Fatal(err)
	}
	loser(service.PostDocID(post.ID), map[string]any{"type": "post", "app": app, "author": "m1", "text": "to delete", "deleted": false})
	if _, err := s.UpdatePost(ctx, service.PostRef{App: app, ID: post.ID}, func(p *service.Post) error {
		p.Deleted, p.DeletedBy = true, "m1"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if doc, err := deleteWinner(service.PostDocID(post.ID)); kivik.HTTPStatus(err) != 404 {
		t.Errorf("deleted post: a revision came back: %v, %v", doc, err)
	}

	c := &service.Comment{ID: ids.Next().String(), App: app, Post: post.ID, Author: "m2", Text: "to delete", CreatedAt: now}
	if err := s.CreateComment(ctx, c); err != nil {
		t.Fatal(err)
	}
	cid := service.CommentDocID(post.ID, c.ID)
	loser(cid, map[string]any{"type": "comment", "app": app, "post": post.ID, "author": "m2", "text": "to delete", "deleted": false})
	if _, err := s.UpdateComment(ctx, service.CommentRef{App: app, Post: post.ID, ID: c.ID}, func(c *service.Comment) error {
		c.Deleted, c.DeletedBy = true, "m2"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if doc, err := deleteWinner(cid); kivik.HTTPStatus(err) != 404 {
		t.Errorf("deleted comment: a revision came back: %v, %v", doc, err)
	}

	up := service.Upload{ID: ids.Next().String(), Author: "m1", CreatedAt: now}
	p := service.Photo{ContentType: "image/jpeg", Data: []byte("jpeg"), ThumbType: "image/jpeg", Thumb: []byte("t")}
	if err := s.PutUpload(ctx, app, up, p); err != nil {
		t.Fatal(err)
	}
	loser(uploadID(up.ID), map[string]any{"type": "upload", "app": app, "author": "m1"})
	if err := s.DeleteUpload(ctx, app, up.ID); err != nil {
		t.Fatal(err)
	}
	if rev, err := db.GetRev(ctx, uploadID(up.ID)); kivik.HTTPStatus(err) != 404 {
		t.Errorf("deleted upload: revision %q came back (%v)", rev, err)
	}

	// Anonymised (hub deleted its author): no revision keeps the author.
	anon := &service.Post{ID: ids.Next().String(), App: app, Author: "m3", Text: "mine", CreatedAt: now}
	if err := s.CreatePost(ctx, anon, nil); err != nil {
		t.Fatal(err)
	}
	loser(service.PostDocID(anon.ID), map[string]any{"type": "post", "app": app, "author": "m3", "text": "mine"})
	if _, err := s.UpdatePost(ctx, service.PostRef{App: app, ID: anon.ID}, func(p *service.Post) error {
		p.Author, p.AuthorDeleted = "", true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if doc, err := deleteWinner(service.PostDocID(anon.ID)); kivik.HTTPStatus(err) != 404 {
		t.Errorf("anonymised post: a revision came back: %v, %v", doc, err)
	}

	// A post updated, not deleted, keeps its conflicts (no cost).
	kept := &service.Post{ID: ids.Next().String(), App: app, Author: "m1", Text: "v1", CreatedAt: now}
	if err := s.CreatePost(ctx, kept, nil); err != nil {
		t.Fatal(err)
	}
	loser(service.PostDocID(kept.ID), map[string]any{"type": "post", "app": app, "author": "m1", "text": "v0"})
	if _, err := s.UpdatePost(ctx, service.PostRef{App: app, ID: kept.ID}, func(p *service.Post) error {
		p.Text = "v2"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if doc, err := deleteWinner(service.PostDocID(kept.ID)); err != nil || doc["text"] != "v0" {
		t.Errorf("an edited post's loser: %v, %v; want it to be the document once the winner is deleted", doc, err)
	}
}
