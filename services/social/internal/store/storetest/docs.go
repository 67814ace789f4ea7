// Package storetest is the contract suite of social's store ports: one
// function per group of ports, taking a constructor, run against every
// adapter (CouchDB, Postgres and Redis in their packages' tests, the
// in-memory adapters of memstore in its tests), so that a fake the domain's
// unit tests run on behaves as the store it stands for.
package storetest

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/flake"
	"github.com/attendify/platform/testkit"
	"github.com/attendify/social/internal/service"
)

// App is the app every suite writes in; a constructor may clean it up.
const App = "app1"

// Docs is what the CouchDB adapter implements.
type Docs interface {
	service.PostStore
	service.CommentStore
	service.UploadStore
	service.AppDocs
}

func newPost(id, author string) *service.Post {
	return &service.Post{
		ID: id, App: App, Author: author, Text: "hello " + id,
		Hashtags: []string{}, Mentions: []service.Mention{}, Photos: []service.PhotoRef{},
		CreatedAt: time.Now().UTC().Truncate(time.Millisecond),
	}
}

func newComment(post, id, author string) *service.Comment {
	return &service.Comment{
		ID: id, App: App, Post: post, Author: author,
		Text: "re " + id, Hashtags: []string{}, Mentions: []service.Mention{},
		CreatedAt: time.Now().UTC().Truncate(time.Millisecond),
	}
}

// RunDocs runs the contract of PostStore, CommentStore, UploadStore and
// AppDocs; newDocs returns an empty store.
func RunDocs(t *testing.T, newDocs func(t *testing.T) Docs) {
	t.Run("post revisions", func(t *testing.T) {
		s := newDocs(t)
		ctx := testkit.Context(t)
		id := flake.New(0).Next().String()
		if _, err := s.Post(ctx, App, id); !errors.Is(err, errs.NotFound) {
			t.Fatalf("Post of none: %v, want not found", err)
		}
		doc := newPost(id, "m1")
		doc.LastEvent = "e1"
		if err := s.CreatePost(ctx, doc, nil); err != nil {
			t.Fatal(err)
		}
		if err := s.CreatePost(ctx, newPost(id, "m2"), nil); errs.KindOf(err) != errs.Conflict {
			t.Errorf("second CreatePost of one id: %v, want conflict", err)
		}
		got, err := s.Post(ctx, App, id)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(doc, got); diff != "" {
			t.Errorf("Post (-want +got):\n%s", diff)
		}
		ref := service.PostRef{App: App, ID: id}
		updated, err := s.UpdatePost(ctx, ref, func(p *service.Post) error {
			if diff := cmp.Diff(got, p); diff != "" {
				t.Errorf("the post UpdatePost reads (-want +got):\n%s", diff)
			}
			p.Text, p.LastEvent = "edited", "e2"
			p.ID, p.App, p.Rev = "other", "app2", "1-other" // kept as they are
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if updated.Rev == got.Rev {
			t.Error("UpdatePost kept the revision")
		}
		again, err := s.Post(ctx, App, id)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(&updated, again); diff != "" || again.Text != "edited" {
			t.Errorf("Post after UpdatePost (-returned +read):\n%s", diff)
		}
		refused := errors.New("refused")
		if _, err := s.UpdatePost(ctx, ref, func(p *service.Post) error {
			p.Text = "lost"
			return refused
		}); !errors.Is(err, refused) {
			t.Errorf("UpdatePost of a refused change: %v, want its error", err)
		}
		if _, err := s.UpdatePost(ctx, service.PostRef{App: App, ID: "none"}, func(*service.Post) error {
			t.Error("UpdatePost ran update on no post")
			return nil
		}); !errors.Is(err, errs.NotFound) {
			t.Errorf("UpdatePost of none: %v, want not found", err)
		}
		if again, err := s.Post(ctx, App, id); err != nil || again.Rev != updated.Rev {
			t.Errorf("Post after refused updates = %+v, %v; want revision %s", again, err, updated.Rev)
		}
		if ev, ok, err := s.LastEvent(ctx, App, service.PostDocID(id)); ev != "e2" || !ok || err != nil {
			t.Errorf("LastEvent = %q, %v, %v; want e2, true", ev, ok, err)
		}
		if ev, ok, err := s.LastEvent(ctx, App, service.PostDocID("none")); ev != "" || ok || err != nil {
			t.Errorf("LastEvent of none = %q, %v, %v", ev, ok, err)
		}
		ps, err := s.Posts(ctx, App, []string{id, "none"})
		if err != nil || len(ps) != 1 || ps[id] == nil || ps[id].Text != "edited" {
			t.Errorf("Posts = %v, %v; want only %s", ps, err, id)
		}
	})

	t.Run("photos", func(t *testing.T) {
		s := newDocs(t)
		ctx := testkit.Context(t)
		id := flake.New(0).Next().String()
		doc := newPost(id, "m1")
		doc.Photos = []service.PhotoRef{{Name: "photo-0", Thumb: "photo-0-thumb", ContentType: "image/png", Width: 2, Height: 1, Bytes: 3}}
		photo := service.Photo{ContentType: "image/png", Data: []byte("big"), ThumbType: "image/png", Thumb: []byte("small")}
		if err := s.CreatePost(ctx, doc, []service.Photo{photo}); err != nil {
			t.Fatal(err)
		}
		read := func(name string) string {
			t.Helper()
			ct, body, err := s.Attachment(ctx, App, id, name)
			if err != nil {
				return err.Error()
			}
			defer body.Close()
			b, _ := io.ReadAll(body)
			return ct + " " + string(b)
		}
		if got := read("photo-0"); got != "image/png big" {
			t.Errorf("photo = %q", got)
		}
		if got := read("photo-0-thumb"); got != "image/png small" {
			t.Errorf("thumb = %q", got)
		}
		ref := service.PostRef{App: App, ID: id}
		if _, err := s.UpdatePost(ctx, ref, func(p *service.Post) error { p.Text = "kept"; return nil }); err != nil {
			t.Fatal(err)
		}
		if got := read("photo-0"); got != "image/png big" {
			t.Errorf("photo after an edit = %q", got)
		}
		if got := read("photo-0-thumb"); got != "image/png small" {
			t.Errorf("thumb after an edit = %q", got)
		}
		if _, err := s.UpdatePost(ctx, ref, func(p *service.Post) error { p.Photos = []service.PhotoRef{}; return nil }); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"photo-0", "photo-0-thumb"} {
			if _, _, err := s.Attachment(ctx, App, id, name); !errors.Is(err, errs.NotFound) {
				t.Errorf("%s of a post without photos: %v, want not found", name, err)
			}
		}
	})

	t.Run("comments", func(t *testing.T) {
		s := newDocs(t)
		ctx := testkit.Context(t)
		ids := flake.New(0)
		post, other := ids.Next().String(), ids.Next().String()
		var want []string
		for range 5 {
			c := newComment(post, ids.Next().String(), "m1")
			if err := s.CreateComment(ctx, c); err != nil {
				t.Fatal(err)
			}
			want = append(want, c.ID)
		}
		if err := s.CreateComment(ctx, newComment(other, ids.Next().String(), "m1")); err != nil {
			t.Fatal(err)
		}
		var got []string
		after := ""
		for {
			page, err := s.Comments(ctx, App, post, after, 2)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range page {
				got = append(got, c.ID)
			}
			if len(page) < 2 {
				break
			}
			after = page[len(page)-1].ID
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("comment pages (-want +got):\n%s", diff)
		}
		c, err := s.Comment(ctx, service.CommentRef{App: App, Post: post, ID: want[0]})
		if err != nil {
			t.Fatal(err)
		}
		ref := service.CommentRef{App: App, Post: post, ID: want[0]}
		updated, err := s.UpdateComment(ctx, ref, func(got *service.Comment) error {
			if diff := cmp.Diff(c, got); diff != "" {
				t.Errorf("the comment UpdateComment reads (-want +got):\n%s", diff)
			}
			got.Deleted = true
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if again, err := s.Comment(ctx, ref); err != nil || !again.Deleted || again.Rev != updated.Rev || updated.Rev == c.Rev {
			t.Errorf("Comment after UpdateComment = %+v, %v; want deleted at revision %s, not %s", again, err, updated.Rev, c.Rev)
		}
		refused := errors.New("refused")
		if _, err := s.UpdateComment(ctx, ref, func(*service.Comment) error { return refused }); !errors.Is(err, refused) {
			t.Errorf("UpdateComment of a refused change: %v, want its error", err)
		}
		none := service.CommentRef{App: App, Post: post, ID: "none"}
		if _, err := s.Comment(ctx, none); !errors.Is(err, errs.NotFound) {
			t.Errorf("Comment of none: %v, want not found", err)
		}
		if _, err := s.UpdateComment(ctx, none, func(*service.Comment) error {
			t.Error("UpdateComment ran update on no comment")
			return nil
		}); !errors.Is(err, errs.NotFound) {
			t.Errorf("UpdateComment of none: %v, want not found", err)
		}
	})

	t.Run("concurrent post updates", func(t *testing.T) {
		s := newDocs(t)
		ctx := testkit.Context(t)
		p := newPost(flake.New(0).Next().String(), "m1")
		if err := s.CreatePost(ctx, p, nil); err != nil {
			t.Fatal(err)
		}
		ref := service.PostRef{App: App, ID: p.ID}
		testConcurrentUpdates(t, func(fn func(tags *[]string) error) error {
			_, err := s.UpdatePost(ctx, ref, func(p *service.Post) error { return fn(&p.Hashtags) })
			return err
		})
	})

	t.Run("concurrent comment updates", func(t *testing.T) {
		s := newDocs(t)
		ctx := testkit.Context(t)
		ids := flake.New(0)
		c := newComment(ids.Next().String(), ids.Next().String(), "m1")
		if err := s.CreateComment(ctx, c); err != nil {
			t.Fatal(err)
		}
		ref := service.CommentRef{App: App, Post: c.Post, ID: c.ID}
		testConcurrentUpdates(t, func(fn func(tags *[]string) error) error {
			_, err := s.UpdateComment(ctx, ref, func(c *service.Comment) error { return fn(&c.Hashtags) })
			return err
		})
	})

	t.Run("each doc", func(t *testing.T) {
		s := newDocs(t)
		ctx := testkit.Context(t)
		ids := flake.New(0)
		var posts, comments []string
		for i := range 3 {
			id := ids.Next().String()
			if err := s.CreatePost(ctx, newPost(id, "m1"), nil); err != nil {
				t.Fatal(err)
			}
			posts = append(posts, id)
			c := newComment(id, ids.Next().String(), "m2")
			if i != 1 {
				if err := s.CreateComment(ctx, c); err != nil {
					t.Fatal(err)
				}
				comments = append(comments, id+"/"+c.ID)
			}
		}
		var gotPosts, gotComments []string
		err := s.EachDoc(ctx, App, func(d *service.Post) error {
			gotPosts = append(gotPosts, d.ID)
			return nil
		}, func(d *service.Comment) error {
			gotComments = append(gotComments, d.Post+"/"+d.ID)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(posts, gotPosts); diff != "" {
			t.Errorf("posts (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(comments, gotComments); diff != "" {
			t.Errorf("comments (-want +got):\n%s", diff)
		}
		stop := errors.New("stop")
		n := 0
		if err := s.EachDoc(ctx, App, func(*service.Post) error { n++; return stop }, nil); !errors.Is(err, stop) || n != 1 {
			t.Errorf("EachDoc stopped by its callback: %v after %d", err, n)
		}
	})

	t.Run("uploads", func(t *testing.T) {
		s := newDocs(t)
		ctx := testkit.Context(t)
		up := service.Upload{ID: flake.New(0).Next().String(), App: App, Author: "m1", CreatedAt: time.Now().UTC().Truncate(time.Millisecond)}
		p := service.Photo{ContentType: "image/jpeg", Data: []byte("jpeg"), Width: 4, Height: 3, ThumbType: "image/jpeg", Thumb: []byte("t"), ThumbWidth: 2, ThumbHeight: 1}
		if err := s.PutUpload(ctx, App, up, p); err != nil {
			t.Fatal(err)
		}
		gotUp, gotP, err := s.Upload(ctx, App, up.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(up, gotUp); diff != "" {
			t.Errorf("upload (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(p, gotP); diff != "" {
			t.Errorf("photo (-want +got):\n%s", diff)
		}
		for range 2 { // deleting twice is no error
			if err := s.DeleteUpload(ctx, App, up.ID); err != nil {
				t.Fatal(err)
			}
		}
		if _, _, err := s.Upload(ctx, App, up.ID); !errors.Is(err, errs.NotFound) {
			t.Errorf("Upload after delete: %v, want not found", err)
		}
	})
}

// testConcurrentUpdates checks an update function of one document through
// update, which runs fn on the document's hashtags: updates that meet
// run again on what the other wrote, so none is lost, until
// service.UpdateAttempts runs conflicted.
func testConcurrentUpdates(t *testing.T, update func(fn func(tags *[]string) error) error) {
	t.Helper()
	add := func(tag string) func(*[]string) error {
		return func(tags *[]string) error {
			*tags = append(*tags, tag)
			return nil
		}
	}
	read := func() []string {
		t.Helper()
		var got []string
		if err := update(func(tags *[]string) error {
			got = slices.Clone(*tags)
			return errors.New("read only")
		}); err == nil {
			t.Fatal("a read through update wrote")
		}
		slices.Sort(got)
		return got
	}

	// a reads the document, b changes it, then a writes: a's write
	// conflicts, and a runs again on b's change.
	var runs [][]string
	bWrote := make(chan error)
	err := update(func(tags *[]string) error {
		runs = append(runs, slices.Clone(*tags))
		if len(runs) == 1 {
			go func() { bWrote <- update(add("b")) }()
			if err := <-bWrote; err != nil {
				return err
			}
		}
		*tags = append(*tags, "a")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([][]string{{}, {"b"}}, runs, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("what a's runs read (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"a", "b"}, read()); diff != "" {
		t.Fatalf("after a and b (-want +got):\n%s", diff)
	}

	// As many updates at once as runs allowed: each conflict is another's
	// success, so every one succeeds.
	var wg sync.WaitGroup
	want := []string{"a", "b"}
	for i := range service.UpdateAttempts {
		tag := fmt.Sprint("c", i)
		want = append(want, tag)
		wg.Go(func() {
			if err := update(add(tag)); err != nil {
				t.Errorf("update %s: %v", tag, err)
			}
		})
	}
	wg.Wait()
	slices.Sort(want)
	if diff := cmp.Diff(want, read()); diff != "" {
		t.Errorf("after %d updates at once (-want +got):\n%s", service.UpdateAttempts, diff)
	}

	// An update that conflicts every time gives up.
	n := 0
	err = update(func(tags *[]string) error {
		n++
		if err := update(add(fmt.Sprint("d", n))); err != nil {
			return err
		}
		*tags = append(*tags, "lost")
		return nil
	})
	if errs.KindOf(err) != errs.Conflict || n != service.UpdateAttempts {
		t.Errorf("an update conflicting every time: %v after %d runs, want conflict after %d", err, n, service.UpdateAttempts)
	}
	if got := read(); slices.Contains(got, "lost") || !slices.Contains(got, fmt.Sprint("d", service.UpdateAttempts)) {
		t.Errorf("after an update that gave up: %v", got)
	}
}
