// Package docform converts social's domain posts and comments to and from
// their CouchDB documents (social.PostDoc, social.CommentDoc: the shape
// other services read from _changes), for the stores that keep that form:
// CouchDB itself, the Redis cache of posts, the in-memory stand-in.
package docform

import (
	"github.com/attendify/social"
	"github.com/attendify/social/internal/service"
)

// PostDoc is the document of p (without attachments).
func PostDoc(p *service.Post) *social.PostDoc {
	return &social.PostDoc{
		ID: service.PostDocID(p.ID), Rev: p.Rev, Type: social.DocPost,
		App: p.App, Event: p.Event, Session: p.Session, Author: p.Author, Text: p.Text,
		Hashtags: p.Hashtags, Mentions: mentionRefs(p.Mentions), Photos: photoRefs(p.Photos),
		CreatedAt: p.CreatedAt, EditedAt: p.EditedAt, LastEvent: p.LastEvent,
		Moderation: moderationDoc(p.Moderation),
	}
}

// Post is the post of document d.
func Post(d *social.PostDoc) *service.Post {
	return &service.Post{
		ID: service.PostIDOf(d.ID), Rev: d.Rev,
		App: d.App, Event: d.Event, Session: d.Session, Author: d.Author, Text: d.Text,
		Hashtags: d.Hashtags, Mentions: mentions(d.Mentions), Photos: photos(d.Photos),
		CreatedAt: d.CreatedAt, EditedAt: d.EditedAt, LastEvent: d.LastEvent,
		Moderation: moderation(d.Moderation),
	}
}

// CommentDoc is the document of c.
func CommentDoc(c *service.Comment) *social.CommentDoc {
	return &social.CommentDoc{
		ID: service.CommentDocID(c.Post, c.ID), Rev: c.Rev, Type: social.DocComment,
		App: c.App, Post: c.Post, Event: c.Event, Session: c.Session, Author: c.Author, Text: c.Text,
		Hashtags: c.Hashtags, Mentions: mentionRefs(c.Mentions),
		CreatedAt: c.CreatedAt, EditedAt: c.EditedAt, LastEvent: c.LastEvent,
		Moderation: moderationDoc(c.Moderation),
	}
}

// Comment is the comment of document d.
func Comment(d *social.CommentDoc) *service.Comment {
	return &service.Comment{
		ID: service.CommentIDOf(d.ID), Rev: d.Rev,
		App: d.App, Post: d.Post, Event: d.Event, Session: d.Session, Author: d.Author, Text: d.Text,
		Hashtags: d.Hashtags, Mentions: mentions(d.Mentions),
		CreatedAt: d.CreatedAt, EditedAt: d.EditedAt, LastEvent: d.LastEvent,
		Moderation: moderation(d.Moderation),
	}
}

func mentionRefs(ms []service.Mention) []social.MentionRef {
	if ms == nil {
		return nil
	}
	out := make([]social.MentionRef, len(ms))
	for i, m := range ms {
		out[i] = social.MentionRef{Member: m.Member, Name: m.Name}
	}
	return out
}

func mentions(ms []social.MentionRef) []service.Mention {
	if ms == nil {
		return nil
	}
	out := make([]service.Mention, len(ms))
	for i, m := range ms {
		out[i] = service.Mention{Member: m.Member, Name: m.Name}
	}
	return out
}

func photoRefs(ps []service.PhotoRef) []social.PhotoRef {
	if ps == nil {
		return nil
	}
	out := make([]social.PhotoRef, len(ps))
	for i, p := range ps {
		out[i] = social.PhotoRef(p)
	}
	return out
}

func photos(ps []social.PhotoRef) []service.PhotoRef {
	if ps == nil {
		return nil
	}
	out := make([]service.PhotoRef, len(ps))
	for i, p := range ps {
		out[i] = service.PhotoRef(p)
	}
	return out
}

func moderationDoc(m service.Moderation) social.Moderation { return social.Moderation(m) }

func moderation(m social.Moderation) service.Moderation { return service.Moderation(m) }
