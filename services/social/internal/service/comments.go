package service

import (
	"cmp"
	"context"
	"strings"

	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/events"
	"github.com/attendify/social"
)

// CommentItem is a comment with its author's profile.
type CommentItem struct {
	Doc    *Comment
	Author Profile
}

// CommentDocID is the CouchDB id of a comment.
func CommentDocID(post, id string) string { return "comment:" + post + ":" + id }

// CommentIDOf is the comment id of a comment document id.
func CommentIDOf(docID string) string { return docID[strings.LastIndexByte(docID, ':')+1:] }

// visiblePost returns a post the actor may comment on or react to.
func (s *Service) visiblePost(ctx context.Context, a Actor, id string) (*Post, error) {
	doc, err := s.st.Posts.Post(ctx, a.App, id)
	if err != nil {
		return nil, err
	}
	if !doc.Visible() {
		return nil, notFound("post")
	}
	if err := a.mayReadPost(doc); err != nil {
		return nil, err
	}
	return doc, nil
}

// CommentRef names a comment: its app, its post and its own id.
type CommentRef struct {
	App  string
	Post string
	ID   string
}

// CreateCommentInput is what a member comments.
type CreateCommentInput struct {
	App  string
	Post string // the post commented on
	Text string
}

// CreateComment comments on a post.
func (s *Service) CreateComment(ctx context.Context, in CreateCommentInput) (CommentItem, error) {
	app, post, raw := in.App, in.Post, in.Text
	a, err := s.writer(ctx, app, "comment", s.limits.Comment)
	if err != nil {
		return CommentItem{}, err
	}
	text, err := ParseText(raw, false)
	if err != nil {
		return CommentItem{}, err
	}
	p, err := s.visiblePost(ctx, a, post)
	if err != nil {
		return CommentItem{}, err
	}
	if text, err = s.mentions(ctx, app, a.Member, text, false); err != nil {
		return CommentItem{}, err
	}
	mentions := text.Mentions
	now := s.clock()
	id := s.newID()
	var notes []Notification
	if p.Author != "" && p.Author != a.Member {
		notes = append(notes, Notification{
			App: app, Member: p.Author, Kind: social.NotifyCommented, Actor: a.Member, Post: post, Comment: id, CreatedAt: now,
		})
	}
	notes, err = s.notifiable(ctx, app, p.Event, append(notes, newMentions(app, a.Member, post, id, nil, mentions, now)...))
	if err != nil {
		return CommentItem{}, err
	}
	doc := &Comment{
		ID: id, App: app, Post: post, Event: p.Event, Session: p.Session,
		Author: a.Member, Text: text.Body, Hashtags: text.Hashtags, Mentions: mentions, CreatedAt: now,
	}
	created := event(social.EventCommentCreated, app, id, commentPayload(doc, a.Member))
	doc.LastEvent = created.ID
	count := map[string]int64{post: 1}
	if err := s.create(ctx, app, CommentDocID(post, id), created, count, func() error { return s.st.Comments.CreateComment(ctx, doc) }); err != nil {
		return CommentItem{}, err
	}
	eff := Effects{App: app, Events: []events.Event{created}, Notifications: notes}
	if err := s.st.Changes.Record(ctx, eff); err != nil {
		return CommentItem{}, err
	}
	s.countComments(ctx, app, post, 1)
	// A block that came after writer's check hides the comment now (its
	// scan may have missed it), and takes it out of the count.
	ref := CommentRef{App: app, Post: post, ID: id}
	if blocked, err := s.blockedMeanwhile(ctx, app, a.Member, func(blocked bool) error {
		return s.setCommentAuthorBlocked(ctx, ref, blocked, "")
	}); err != nil || blocked {
		return CommentItem{}, cmp.Or(err, errBlocked())
	}
	ps, _ := s.profiles(ctx, app, []string{a.Member})
	return CommentItem{Doc: doc, Author: ps[a.Member]}, nil
}

// UpdateComment replaces a comment's text with raw; the author only.
func (s *Service) UpdateComment(ctx context.Context, ref CommentRef, raw string) (CommentItem, error) {
	app, post, id := ref.App, ref.Post, ref.ID
	a, err := s.writer(ctx, app, "comment", s.limits.Comment)
	if err != nil {
		return CommentItem{}, err
	}
	text, err := ParseText(raw, false)
	if err != nil {
		return CommentItem{}, err
	}
	// Comments of a hidden or deleted post are out of every listing, and
	// out of their authors' hands as in comment.create.
	if _, err := s.visiblePost(ctx, a, post); err != nil {
		return CommentItem{}, err
	}
	if text, err = s.mentions(ctx, app, a.Member, text, false); err != nil {
		return CommentItem{}, err
	}
	mentions := text.Mentions
	var notes []Notification
	doc, updated, err := s.updateComment(ctx, ref, func(doc *Comment) (events.Event, map[string]int64, error) {
		if !doc.Visible() {
			return events.Event{}, nil, notFound("comment")
		}
		if doc.Author != a.Member {
			return events.Event{}, nil, errs.WithCode(errs.CodeForbidden, "only the author edits a comment")
		}
		if err := a.mayRead(doc.Event); err != nil {
			return events.Event{}, nil, err
		}
		now := s.clock()
		var err error
		if notes, err = s.notifiable(ctx, app, doc.Event, newMentions(app, a.Member, post, id, doc.Mentions, mentions, now)); err != nil {
			return events.Event{}, nil, err
		}
		doc.Text, doc.Hashtags, doc.Mentions, doc.EditedAt = text.Body, text.Hashtags, mentions, &now
		return event(social.EventCommentUpdated, app, id, commentPayload(doc, a.Member)), nil, nil
	})
	if err != nil {
		return CommentItem{}, err
	}
	if err := s.st.Changes.Record(ctx, Effects{App: app, Events: []events.Event{updated}, Notifications: notes}); err != nil {
		return CommentItem{}, err
	}
	ps, _ := s.profiles(ctx, app, []string{a.Member})
	return CommentItem{Doc: &doc, Author: ps[a.Member]}, nil
}

// DeleteComment deletes a comment: its author, the post's author or a
// moderator.
func (s *Service) DeleteComment(ctx context.Context, ref CommentRef) error {
	app, post, id := ref.App, ref.Post, ref.ID
	a, err := s.actor(ctx, app)
	if err != nil {
		return err
	}
	found := false
	var delta int64
	_, deleted, err := s.updateComment(ctx, ref, func(doc *Comment) (events.Event, map[string]int64, error) {
		found = true
		if doc.Deleted {
			return events.Event{}, nil, nil
		}
		if doc.Author != a.Member && !a.Moderator {
			p, err := s.st.Posts.Post(ctx, app, post)
			if err != nil {
				return events.Event{}, nil, err
			}
			// As the post's comments would answer: not found in an event
			// hidden from the caller.
			if err := a.mayReadPost(p); err != nil {
				return events.Event{}, nil, err
			}
			if p.Author != a.Member {
				return events.Event{}, nil, errs.WithCode(errs.CodeForbidden, "only the author, the post's author or a moderator deletes a comment")
			}
		}
		// A comment hidden by a block of its author is no longer counted.
		delta = 0
		if doc.Visible() {
			delta = -1
		}
		now := s.clock()
		doc.Deleted, doc.DeletedBy, doc.DeletedAt = true, a.Member, &now
		doc.Text, doc.Hashtags, doc.Mentions = "", []string{}, []Mention{}
		return event(social.EventCommentDeleted, app, id, commentPayload(doc, a.Member)), map[string]int64{post: delta}, nil
	})
	if !found && isNotFound(err) {
		return nil
	}
	if err != nil || deleted.ID == "" {
		return err
	}
	if err := s.st.Changes.Record(ctx, Effects{App: app, Events: []events.Event{deleted}}); err != nil {
		return err
	}
	s.countComments(ctx, app, post, delta)
	return nil
}

// countComments gives the cache a post's counters after a change of its
// comment count committed (delta, the change's): read from the ledger,
// they replace only older ones (PostCache.SetCounts), whatever readers
// cached meanwhile. When they cannot be read, the cached ones are
// dropped.
func (s *Service) countComments(ctx context.Context, app, post string, delta int64) {
	if delta == 0 {
		return
	}
	counts, err := s.st.Reactions.Counts(ctx, app, post)
	if err != nil {
		s.log.Warn("count comments", "app", app, "post", post, "delta", delta, "error", err)
		s.dropCached(ctx, app, post)
		return
	}
	if err := s.st.Cache.SetCounts(ctx, app, post, counts); err != nil {
		s.log.Warn("count comments", "app", app, "post", post, "delta", delta, "error", err)
	}
}

// setCommentAuthorBlocked sets AuthorBlocked on a comment and moves its
// post's comment count when its visibility changes.
func (s *Service) setCommentAuthorBlocked(ctx context.Context, ref CommentRef, blocked bool, by string) error {
	var delta int64
	_, ev, err := s.updateComment(ctx, ref, func(doc *Comment) (events.Event, map[string]int64, error) {
		if doc.AuthorBlocked == blocked {
			return events.Event{}, nil, nil
		}
		was := doc.Visible()
		doc.AuthorBlocked = blocked
		delta = 0
		switch {
		case was && !doc.Visible():
			delta = -1
		case !was && doc.Visible():
			delta = 1
		}
		return event(social.EventCommentUpdated, ref.App, doc.ID, commentPayload(doc, by)), map[string]int64{doc.Post: delta}, nil
	})
	if err != nil || ev.ID == "" {
		return err
	}
	if err := s.st.Changes.Record(ctx, Effects{App: ref.App, Events: []events.Event{ev}}); err != nil {
		return err
	}
	s.countComments(ctx, ref.App, ref.Post, delta)
	return nil
}

// Comments returns a page of a post's visible comments, oldest first.
func (s *Service) Comments(ctx context.Context, app, post, cursor string, limit int) ([]CommentItem, string, error) {
	a, err := s.actor(ctx, app)
	if err != nil {
		return nil, "", err
	}
	if _, err := s.visiblePost(ctx, a, post); err != nil {
		return nil, "", err
	}
	after, err := decodeCursor(cursor)
	if err != nil {
		return nil, "", err
	}
	if limit <= 0 {
		limit = social.DefaultPageSize
	}
	var out []CommentItem
	var authors []string
	next := ""
	for round := 0; round < 5 && len(out) < limit; round++ {
		want := limit - len(out)
		docs, err := s.st.Comments.Comments(ctx, app, post, after, want)
		if err != nil {
			return nil, "", err
		}
		for _, d := range docs {
			if d.Visible() {
				out = append(out, CommentItem{Doc: d})
				authors = append(authors, d.Author)
			}
		}
		if len(docs) < want {
			next = ""
			break
		}
		after = docs[len(docs)-1].ID
		next = encodeCursor(after)
	}
	ps, err := s.profiles(ctx, app, dedupe(authors))
	if err != nil {
		return nil, "", err
	}
	for i := range out {
		out[i].Author = ps[out[i].Doc.Author]
	}
	return out, next, nil
}

func commentPayload(doc *Comment, by string) social.CommentPayload {
	p := social.CommentPayload{
		ID: doc.ID, AppID: doc.App, PostID: doc.Post, EventID: doc.Event, SessionID: doc.Session,
		AuthorID: doc.Author, CreatedAt: doc.CreatedAt, By: by,
	}
	if !doc.Deleted {
		p.Text = doc.Text
	}
	for _, m := range doc.Mentions {
		p.Mentions = append(p.Mentions, m.Member)
	}
	return p
}
