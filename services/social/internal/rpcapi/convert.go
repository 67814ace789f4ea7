package rpcapi

import (
	"fmt"

	"github.com/attendify/social"
	"github.com/attendify/social/internal/service"
	"github.com/attendify/sponsored"
)

// AuthorOf is the wire form of an author's profile. An anonymised author
// (deleted in hub) has no id and shows as a former member. A photo that is
// not an http(s) address (one stored before social checked) is left out.
func AuthorOf(id string, p service.Profile, deleted bool) social.Author {
	if deleted || p.Deleted || id == "" {
		return social.Author{Name: "Former member", Deleted: true}
	}
	return social.Author{ID: id, Name: p.Name, Company: p.Company, Title: p.Title, PhotoURL: service.WebURL(p.PhotoURL)}
}

// PostOf is the wire form of a feed item.
func PostOf(it service.Item) social.Post {
	if it.Sponsored != nil {
		return sponsoredPostOf(*it.Sponsored, it.PlacedApp, it.PlacedEvent)
	}
	d := it.Doc
	id := d.ID
	p := social.Post{
		ID: id, AppID: d.App, EventID: d.Event, SessionID: d.Session,
		Author:   AuthorOf(d.Author, it.Author, d.AuthorDeleted),
		Text:     d.Text,
		Hashtags: nonNil(d.Hashtags), Mentions: mentionsOf(d.Mentions), Photos: []social.Photo{},
		Reactions: map[string]int64{}, ReactionCount: it.Counts.Total(), CommentCount: it.Counts.Comments,
		MyReaction: it.MyReaction, Hidden: !d.Visible(), CreatedAt: d.CreatedAt, EditedAt: d.EditedAt,
	}
	p.LikeCount = p.ReactionCount //lint:ignore SA1019 the deprecated alias is still sent for one release
	for k, v := range it.Counts.Reactions {
		p.Reactions[k] = v
	}
	for i, ph := range d.Photos {
		base := fmt.Sprintf("/apps/%s/posts/%s/photos/%d", d.App, id, i)
		p.Photos = append(p.Photos, social.Photo{
			ContentType: ph.ContentType, Width: ph.Width, Height: ph.Height, Bytes: ph.Bytes,
			URL: base, ThumbURL: base + "t",
		})
	}
	return p
}

// CommentOf is the wire form of a comment.
func CommentOf(c service.CommentItem) social.Comment {
	d := c.Doc
	return social.Comment{
		ID: d.ID, PostID: d.Post, Author: AuthorOf(d.Author, c.Author, d.AuthorDeleted),
		Text: d.Text, Hashtags: nonNil(d.Hashtags), Mentions: mentionsOf(d.Mentions),
		CreatedAt: d.CreatedAt, EditedAt: d.EditedAt,
	}
}

// ReactionStateOf is the wire form of a post's reactions after a change.
func ReactionStateOf(st service.ReactionState) social.ReactionState {
	r := social.ReactionState{PostID: st.Post, MyReaction: st.MyReaction, Reactions: map[string]int64{}, ReactionCount: st.Counts.Total()}
	r.LikeCount = r.ReactionCount //lint:ignore SA1019 the deprecated alias is still sent for one release
	for k, v := range st.Counts.Reactions {
		r.Reactions[k] = v
	}
	return r
}

// NotificationOf is the wire form of a notification.
func NotificationOf(n service.NotificationItem) social.Notification {
	return social.Notification{
		ID: n.ID, Kind: n.Kind, Actor: AuthorOf(n.Actor.Member, n.Actor, false), PostID: n.Post,
		CommentID: n.Comment, Reaction: n.Reaction, CreatedAt: n.CreatedAt, ReadAt: n.ReadAt,
	}
}

// ReportOf is the wire form of a report.
func ReportOf(r service.ReportItem) social.Report {
	out := social.Report{
		ID: r.ID, PostID: r.Post, ReporterID: r.Reporter, Reason: r.Reason, Note: r.Note, CreatedAt: r.CreatedAt,
	}
	if r.Item != nil {
		p := PostOf(*r.Item)
		out.Post = &p
	}
	return out
}

func mentionsOf(ms []service.Mention) []social.Mention {
	out := make([]social.Mention, len(ms))
	for i, m := range ms {
		out[i] = social.Mention{MemberID: m.Member, Name: m.Name}
	}
	return out
}

func nonNil(ss []string) []string {
	if ss == nil {
		return []string{}
	}
	return ss
}

// sponsoredPostOf is a sponsored card in a post's shape, for apps that show
// every item alike: the sponsor as author, the creative's photos, the app
// and event of the feed it was placed in (event "" in the app's feed).
func sponsoredPostOf(c sponsored.Card, app, event string) social.Post {
	p := social.Post{
		ID: c.ImpressionID, AppID: app, EventID: event, Sponsored: &c,
		Author: social.Author{Name: c.Sponsor.Name, PhotoURL: service.WebURL(c.Sponsor.LogoURL)}, Text: c.Text,
		Hashtags: []string{}, Mentions: []social.Mention{}, Photos: []social.Photo{},
		Reactions: map[string]int64{}, CreatedAt: c.ServedAt,
	}
	for _, u := range c.Photos {
		p.Photos = append(p.Photos, social.Photo{URL: u, ThumbURL: u})
	}
	return p
}
