package couchstore

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

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
