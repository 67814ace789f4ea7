package service_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/attendify/platform/errs"
	"github.com/attendify/social"
	"github.com/attendify/social/internal/service"
)

// TestUpdateConflicts: a change of a post or comment that meets another
// one (written between the store's read and its write) runs its rule
// again on what the other wrote. Each change written announces one event;
// a run that conflicted, or whose rule changed nothing on the second run,
// leaves nothing pending.
func TestUpdateConflicts(t *testing.T) {
	tests := []struct {
		name      string
		meanwhile func(f fixture) error
		do        func(f fixture) error
		want      error // nil for success, else an errs.Kind
		events    []string
		then      func(t *testing.T, f fixture)
	}{{
		name: "an edit meets a hide: both apply",
		meanwhile: func(f fixture) error {
			_, _, err := f.w.svc.Hide(as(mona), app, []string{f.adaPost}, "spam")
			return err
		},
		do: func(f fixture) error {
			_, err := f.w.svc.UpdatePost(as(ada), app, f.adaPost, "edited")
			return err
		},
		events: []string{social.EventPostHidden, social.EventPostUpdated},
		then: func(t *testing.T, f fixture) {
			if d := f.w.get(f.adaPost).Doc; !d.Hidden || d.Text != "edited" {
				t.Errorf("post hidden %v, text %q; want hidden and edited", d.Hidden, d.Text)
			}
		},
	}, {
		name: "a hide meets a delete: nothing left to hide",
		meanwhile: func(f fixture) error {
			return f.w.svc.DeletePost(as(ada), app, f.adaPost)
		},
		do: func(f fixture) error {
			done, _, err := f.w.svc.Hide(as(mona), app, []string{f.adaPost}, "spam")
			if err == nil && len(done) != 1 {
				t.Errorf("hidden %v, want the post done", done)
			}
			return err
		},
		events: []string{social.EventPostDeleted},
		then: func(t *testing.T, f fixture) {
			d, err := f.w.docs.Post(context.Background(), app, f.adaPost)
			if err != nil || !d.Deleted || d.Hidden {
				t.Errorf("post %+v, %v; want deleted only", d, err)
			}
		},
	}, {
		name: "a delete meets an edit: both apply, counted once",
		meanwhile: func(f fixture) error {
			_, err := f.w.svc.UpdateComment(as(bob), service.CommentRef{App: app, Post: f.adaPost, ID: f.bobOnAda}, "edited")
			return err
		},
		do: func(f fixture) error {
			return f.w.svc.DeleteComment(as(ada), service.CommentRef{App: app, Post: f.adaPost, ID: f.bobOnAda})
		},
		events: []string{social.EventCommentUpdated, social.EventCommentDeleted},
		then: func(t *testing.T, f fixture) {
			if n := f.w.get(f.adaPost).Counts.Comments; n != 0 {
				t.Errorf("%d comments on the post, want 0", n)
			}
		},
	}, {
		name: "an edit meets a delete: refused, never announced",
		meanwhile: func(f fixture) error {
			return f.w.svc.DeleteComment(as(mona), service.CommentRef{App: app, Post: f.adaPost, ID: f.bobOnAda})
		},
		do: func(f fixture) error {
			_, err := f.w.svc.UpdateComment(as(bob), service.CommentRef{App: app, Post: f.adaPost, ID: f.bobOnAda}, "edited")
			return err
		},
		want:   errs.NotFound,
		events: []string{social.EventCommentDeleted},
	}, {
		name: "a block meets a hide",
		meanwhile: func(f fixture) error {
			_, _, err := f.w.svc.Hide(as(mona), app, []string{f.adaPost}, "spam")
			return err
		},
		do: func(f fixture) error {
			_, err := f.w.svc.Block(as(mona), app, ada, "")
			return err
		},
		// The hide comes in while the block changes ada's first post,
		// which it then no longer hides; then her hidden and deleted
		// posts, and her comment.
		events: []string{social.EventPostHidden, social.EventPostUpdated, social.EventPostUpdated, social.EventPostUpdated, social.EventCommentUpdated},
		then: func(t *testing.T, f fixture) {
			if d := f.w.get(f.adaPost).Doc; !d.Hidden || !d.AuthorBlocked {
				t.Errorf("post hidden %v, author blocked %v; want both", d.Hidden, d.AuthorBlocked)
			}
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			before := len(f.w.events())
			var meanwhile error
			f.w.docs.meanwhile = func() { meanwhile = tc.meanwhile(f) }
			err := tc.do(f)
			if meanwhile != nil || f.w.docs.meanwhile != nil {
				t.Fatalf("the concurrent change: %v (ran: %v)", meanwhile, f.w.docs.meanwhile == nil)
			}
			switch {
			case tc.want == nil && err != nil:
				t.Fatalf("error %v, want success", err)
			case tc.want != nil && !errors.Is(err, tc.want):
				t.Fatalf("error %v (kind %v), want %v", err, errs.KindOf(err), tc.want)
			}
			if diff := cmp.Diff(tc.events, f.w.events()[before:]); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			pending, err := f.w.ledger.Pending(context.Background(), -time.Hour, 100)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range pending {
				t.Errorf("pending change of %s: %s", p.DocID, p.Event.Type)
			}
			if tc.then != nil {
				tc.then(t, f)
			}
		})
	}
}
