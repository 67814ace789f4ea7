package service

import (
	"context"
	"strings"

	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/events"
	"github.com/attendify/social"
)

// CommentItem is a comment with its author's profile.
type CommentItem struct {
	Doc    *social.CommentDoc
	Author Profile
}

// CommentDocID is the CouchDB id of a comment.
func CommentDocID(post, id string) string { return "comment:" + post + ":" + id }

// CommentIDOf is the comment id of a comment document id.
func CommentIDOf(docID string) string { return docID[strings.LastIndexByte(docID, ':')+1:] }

// visiblePost returns a post the actor may comment on or react to.
func (s *Service) visiblePost(ctx context.Context, a Actor, id string) (*social.PostDoc, error) {
	doc, err := s.docs.Post(ctx, a.App, id)
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

// CreateComment comments on a post.
func (s *Service) CreateComment(ctx context.Context, app, post, raw string) (CommentItem, error) {
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
	mentions, err := s.validMentions(ctx, app, text.Mentions)
	if err != nil {
		return CommentItem{}, err
	}
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
	doc := &social.CommentDoc{
		ID: CommentDocID(post, id), Type: social.DocComment, App: app, Post: post, Event: p.Event, Session: p.Session,
		Author: a.Member, Text: text.Body, Hashtags: text.Hashtags, Mentions: mentions, CreatedAt: now,
	}
	created := event(social.EventCommentCreated, app, id, commentPayload(doc, a.Member))
	doc.LastEvent = created.ID
	count := map[string]int64{post: 1}
	if err := s.write(ctx, app, doc.ID, "", created, count, func() error { return s.docs.CreateComment(ctx, doc) }); err != nil {
		return CommentItem{}, err
	}
	eff := Effects{App: app, Events: []events.Event{created}, Notifications: notes}
	if err := s.ledger.Record(ctx, eff); err != nil {
		return CommentItem{}, err
	}
	s.countComments(ctx, app, post, 1)
	ps, _ := s.profiles(ctx, app, []string{a.Member})
	return CommentItem{Doc: doc, Author: ps[a.Member]}, nil
}

// UpdateComment replaces a comment's text; the author only.
func (s *Service) UpdateComment(ctx context.Context, app, post, id, raw string) (CommentItem, error) {
	a, err := s.writer(ctx, app, "comment", s.limits.Comment)
	if err != nil {
		return CommentItem{}, err
	}
	text, err := ParseText(raw, false)
	if err != nil {
		return CommentItem{}, err
	}
	mentions, err := s.validMentions(ctx, app, text.Mentions)
	if err != nil {
		return CommentItem{}, err
	}
	for attempt := 0; ; attempt++ {
		doc, err := s.docs.Comment(ctx, app, post, id)
		if err != nil {
			return CommentItem{}, err
		}
		if !doc.Visible() {
			return CommentItem{}, notFound("comment")
		}
		if doc.Author != a.Member {
			return CommentItem{}, errs.WithCode(errs.CodeForbidden, "only the author edits a comment")
		}
		if err := a.mayRead(doc.Event); err != nil {
			return CommentItem{}, err
		}
		now := s.clock()
		before, prev := doc.Mentions, doc.LastEvent
		notes, err := s.notifiable(ctx, app, doc.Event, newMentions(app, a.Member, post, id, before, mentions, now))
		if err != nil {
			return CommentItem{}, err
		}
		doc.Text, doc.Hashtags, doc.Mentions, doc.EditedAt = text.Body, text.Hashtags, mentions, &now
		updated := event(social.EventCommentUpdated, app, id, commentPayload(doc, a.Member))
		doc.LastEvent = updated.ID
		err = s.write(ctx, app, doc.ID, prev, updated, nil, func() error { return s.docs.UpdateComment(ctx, doc) })
		if errs.KindOf(err) == errs.Conflict && attempt < 3 {
			continue
		}
		if err != nil {
			return CommentItem{}, err
		}
		eff := Effects{App: app, Events: []events.Event{updated}}
		eff.Notifications = notes
		if err := s.ledger.Record(ctx, eff); err != nil {
			return CommentItem{}, err
		}
		ps, _ := s.profiles(ctx, app, []string{a.Member})
		return CommentItem{Doc: doc, Author: ps[a.Member]}, nil
	}
}

// DeleteComment deletes a comment: its author, the post's author or a
// moderator.
func (s *Service) DeleteComment(ctx context.Context, app, post, id string) error {
	a, err := s.actor(ctx, app)
	if err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		doc, err := s.docs.Comment(ctx, app, post, id)
		if isNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if doc.Deleted {
			return nil
		}
		if doc.Author != a.Member && !a.Moderator {
			p, err := s.docs.Post(ctx, app, post)
			if err != nil {
				return err
			}
			if p.Author != a.Member {
				return errs.WithCode(errs.CodeForbidden, "only the author, the post's author or a moderator deletes a comment")
			}
		}
		// A comment hidden by a block of its author is no longer counted.
		var delta int64
		if doc.Visible() {
			delta = -1
		}
		now, prev := s.clock(), doc.LastEvent
		doc.Deleted, doc.DeletedBy, doc.DeletedAt = true, a.Member, &now
		doc.Text, doc.Hashtags, doc.Mentions = "", []string{}, []social.MentionRef{}
		deleted := event(social.EventCommentDeleted, app, id, commentPayload(doc, a.Member))
		doc.LastEvent = deleted.ID
		err = s.write(ctx, app, doc.ID, prev, deleted, map[string]int64{post: delta}, func() error { return s.docs.UpdateComment(ctx, doc) })
		if errs.KindOf(err) == errs.Conflict && attempt < 3 {
			continue
		}
		if err != nil {
			return err
		}
		if err := s.ledger.Record(ctx, Effects{App: app, Events: []events.Event{deleted}}); err != nil {
			return err
		}
		s.countComments(ctx, app, post, delta)
		return nil
	}
}

// countComments moves a post's cached comment count (the ledger's moved
// with the change).
func (s *Service) countComments(ctx context.Context, app, post string, delta int64) {
	if delta == 0 {
		return
	}
	if err := s.index.ApplyComments(ctx, app, post, delta); err != nil {
		s.log.Warn("count comments", "app", app, "post", post, "delta", delta, "error", err)
	}
}

// setCommentAuthorBlocked sets AuthorBlocked on a comment (retrying
// conflicts) and moves its post's comment count when its visibility
// changes.
func (s *Service) setCommentAuthorBlocked(ctx context.Context, app string, doc *social.CommentDoc, blocked bool, by string) error {
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			var err error
			if doc, err = s.docs.Comment(ctx, app, doc.Post, CommentIDOf(doc.ID)); err != nil {
				return err
			}
		}
		if doc.AuthorBlocked == blocked {
			return nil
		}
		was, prev := doc.Visible(), doc.LastEvent
		doc.AuthorBlocked = blocked
		var delta int64
		switch {
		case was && !doc.Visible():
			delta = -1
		case !was && doc.Visible():
			delta = 1
		}
		ev := event(social.EventCommentUpdated, app, CommentIDOf(doc.ID), commentPayload(doc, by))
		doc.LastEvent = ev.ID
		err := s.write(ctx, app, doc.ID, prev, ev, map[string]int64{doc.Post: delta}, func() error { return s.docs.UpdateComment(ctx, doc) })
		if errs.KindOf(err) == errs.Conflict && attempt < 5 {
			continue
		}
		if err != nil {
			return err
		}
		if err := s.ledger.Record(ctx, Effects{App: app, Events: []events.Event{ev}}); err != nil {
			return err
		}
		s.countComments(ctx, app, doc.Post, delta)
		return nil
	}
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
		docs, err := s.docs.Comments(ctx, app, post, after, want)
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
		after = CommentIDOf(docs[len(docs)-1].ID)
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

func commentPayload(doc *social.CommentDoc, by string) social.CommentPayload {
	p := social.CommentPayload{
		ID: CommentIDOf(doc.ID), AppID: doc.App, PostID: doc.Post, EventID: doc.Event, SessionID: doc.Session,
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
