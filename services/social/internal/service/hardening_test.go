package service_test

import (
	"testing"

	"github.com/attendify/platform/errs"
	"github.com/attendify/social/internal/service"
)

// TestHiddenStaysHidden: a post a moderator hid, and the comments of a
// post that is hidden or deleted, are out of their authors' hands as they
// are out of every feed: an edit would change what the moderator judged
// and tell the members it mentions about a post they cannot open. Not
// found, as the post is to its author (TestNotFound); nothing changes and
// nobody is notified.
func TestHiddenStaysHidden(t *testing.T) {
	check(t, []call{
		{name: "the author edits a hidden post", do: func(f fixture) error {
			_, err := f.w.svc.UpdatePost(as(ada), app, f.hidden, "now it is fine @[Cy](cy)")
			return err
		}, then: func(t *testing.T, f fixture) {
			if it := f.w.get(f.hidden); it.Doc.Text != "to hide" || it.Doc.EditedAt != nil {
				t.Errorf("the hidden post changed: %+v", it.Doc)
			}
			if n := f.w.unread(cy); n != 0 {
				t.Errorf("cy has %d unread notifications about a hidden post", n)
			}
		}},
		{name: "a comment's author edits it on a hidden post", do: func(f fixture) error {
			c := f.w.comment(bob, f.adaPost, "first")
			if _, _, err := f.w.svc.Hide(as(mona), app, []string{f.adaPost}, "spam"); err != nil {
				return err
			}
			_, err := f.w.svc.UpdateComment(as(bob), service.CommentRef{App: app, Post: f.adaPost, ID: c}, "hey @[Cy](cy)")
			return err
		}, then: func(t *testing.T, f fixture) {
			if n := f.w.unread(cy); n != 0 {
				t.Errorf("cy has %d unread notifications about a hidden post", n)
			}
		}},
		{name: "a comment's author edits it on a deleted post", do: func(f fixture) error {
			c := f.w.comment(bob, f.adaPost, "first")
			if err := f.w.svc.DeletePost(as(ada), app, f.adaPost); err != nil {
				return err
			}
			_, err := f.w.svc.UpdateComment(as(bob), service.CommentRef{App: app, Post: f.adaPost, ID: c}, "still here")
			return err
		}},
	}, errs.NotFound)
}

// TestBlockedMemberReports: a member a moderator blocked writes nothing,
// reports included (the queue is the moderators' time).
func TestBlockedMemberReports(t *testing.T) {
	check(t, []call{
		{name: "a blocked member reports a post", do: func(f fixture) error {
			blockAda(f)
			return f.w.svc.Report(as(ada), service.ReportInput{App: app, Post: f.bobPost, Reason: "spam", Note: ""})
		}, then: func(t *testing.T, f fixture) {
			if q, _, _ := f.w.svc.Queue(as(mona), app, "", 10); len(q) != 0 {
				t.Errorf("queue = %+v, want empty", q)
			}
		}},
	}, errs.Forbidden)
}
