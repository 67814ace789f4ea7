package social

import (
	"encoding/json"
	"time"
)

// The CouchDB contract. Each app has one database, couch.DBName("social",
// appID) ("social$<app id, lower-cased>"), written by social only. Other
// services follow its _changes feed (include_docs=true) and render from the
// documents alone: everything a wall or an analytics job needs to decide
// whether an item may be shown is in the document itself.
//
// Document ids sort by creation time (flake ids):
//
//	post:<post id>                       a post (PostDoc, Type "post")
//	comment:<post id>:<comment id>       a comment (CommentDoc, Type "comment")
//	upload:<photo id>                    a photo uploaded for a post not yet
//	                                     created (Type "upload"; ignore it)
//
// Visibility: show a post or comment only when Visible() is true — not
// Hidden by a moderator, not Deleted, and its author not Blocked. Each of
// these flags can be set and, except Deleted, cleared again: a follower that
// shows items must also remove them when a later revision turns a flag on.
// A deleted document keeps its type, app, event and session, with its text,
// photos and author cleared; documents are never removed from the database
// (CouchDB tombstones would lose the type). When hub deletes a member, their
// posts and comments get AuthorDeleted and an empty Author: show them as by
// "a former member" (or not at all).
//
// Photos are attachments of the post document: Photos[i].Name is the full
// image ("photo-<i>"), Photos[i].Thumb its thumbnail ("photo-<i>-thumb", at
// most ThumbSize pixels on the longest side, same content type family:
// JPEG for JPEG and WebP sources, PNG for PNG).
//
// An author's edit is a new revision of the same document (EditedAt set);
// the text of earlier revisions is what CouchDB keeps of them.
//
// Revisions and events: a revision that makes a change others are told of
// (creation, edit, hide, show, block, delete) names the event announcing it
// in LastEvent; a revision without an event of its own (anonymisation of a
// comment) keeps the previous one. Social uses it to publish, after a
// crash, the events of changes it wrote but had not yet recorded; a
// follower may use it to match a revision with its event.
const (
	DocPost    = "post"
	DocComment = "comment"
	DocUpload  = "upload"
)

// PostDoc is a post document. Field names are the JSON members in CouchDB.
type PostDoc struct {
	ID  string `json:"_id"` // "post:<post id>"
	Rev string `json:"_rev,omitempty"`

	Type      string       `json:"type"` // "post"
	App       string       `json:"app"`
	Event     string       `json:"event,omitempty"`   // empty for app-wide posts
	Session   string       `json:"session,omitempty"` // an agenda session's thread
	Author    string       `json:"author"`            // member id; empty once anonymised
	Text      string       `json:"text"`
	Hashtags  []string     `json:"hashtags"` // lower-case, without '#'
	Mentions  []MentionRef `json:"mentions"`
	Photos    []PhotoRef   `json:"photos"`
	CreatedAt time.Time    `json:"created_at"`
	EditedAt  *time.Time   `json:"edited_at,omitempty"`
	// LastEvent is the id of the event (post.*) announcing the latest
	// change of the document; see "Revisions and events" above.
	LastEvent string `json:"last_event,omitempty"`

	Moderation

	// Attachments are CouchDB's (_attachments): stubs when read.
	Attachments map[string]json.RawMessage `json:"_attachments,omitempty"`
}

// CommentDoc is a comment document.
type CommentDoc struct {
	ID  string `json:"_id"` // "comment:<post id>:<comment id>"
	Rev string `json:"_rev,omitempty"`

	Type      string       `json:"type"` // "comment"
	App       string       `json:"app"`
	Post      string       `json:"post"`              // the post id
	Event     string       `json:"event,omitempty"`   // the post's
	Session   string       `json:"session,omitempty"` // the post's
	Author    string       `json:"author"`
	Text      string       `json:"text"`
	Hashtags  []string     `json:"hashtags"`
	Mentions  []MentionRef `json:"mentions"`
	CreatedAt time.Time    `json:"created_at"`
	EditedAt  *time.Time   `json:"edited_at,omitempty"`
	// LastEvent is the id of the event (comment.*) announcing the latest
	// change of the document.
	LastEvent string `json:"last_event,omitempty"`

	Moderation
}

// Moderation is the visibility state every post and comment carries.
type Moderation struct {
	Hidden       bool       `json:"hidden"` // by a moderator
	HiddenBy     string     `json:"hidden_by,omitempty"`
	HiddenReason string     `json:"hidden_reason,omitempty"`
	HiddenAt     *time.Time `json:"hidden_at,omitempty"`

	Deleted   bool       `json:"deleted"`
	DeletedBy string     `json:"deleted_by,omitempty"` // the author, or a moderator's id
	DeletedAt *time.Time `json:"deleted_at,omitempty"`

	// AuthorBlocked is set while the author is blocked (by a moderator in
	// social, or in hub): the post is out of every feed.
	AuthorBlocked bool `json:"author_blocked"`
	// AuthorDeleted is set when hub deleted the author; Author is empty.
	AuthorDeleted bool `json:"author_deleted,omitempty"`
}

// Visible reports whether the item may be shown to members.
func (m Moderation) Visible() bool { return !m.Hidden && !m.Deleted && !m.AuthorBlocked }

// MentionRef is a mention stored in a document.
type MentionRef struct {
	Member string `json:"member"`
	Name   string `json:"name"`
}

// PhotoRef is a photo stored as two attachments of a post document.
type PhotoRef struct {
	Name        string `json:"name"`  // attachment of the photo
	Thumb       string `json:"thumb"` // attachment of its thumbnail
	ContentType string `json:"content_type"`
	Width       int    `json:"width"`
	Height      int    `json:"height"`
	Bytes       int    `json:"bytes"`
}

// ---------------------------------------------------------------------------
// Events (platform/events, published through social's Postgres outbox, at
// least once). Topics: "post", "comment", "like". Every event carries App
// and Subject (the post id; the comment id for comment.*); Data is the
// payload named next to each type.
const (
	EventPostCreated = "post.created" // PostPayload
	EventPostUpdated = "post.updated" // PostPayload (new text)
	EventPostHidden  = "post.hidden"  // PostPayload (moderation flags set)
	EventPostShown   = "post.shown"   // PostPayload (unhidden, or author unblocked)
	EventPostDeleted = "post.deleted" // PostPayload (ids only)

	EventCommentCreated = "comment.created" // CommentPayload
	EventCommentUpdated = "comment.updated" // CommentPayload
	EventCommentDeleted = "comment.deleted" // CommentPayload (ids only)

	EventLikeCreated = "like.created" // LikePayload: a reaction appeared
	EventLikeChanged = "like.changed" // LikePayload: a reaction replaced another (Previous)
	EventLikeDeleted = "like.deleted" // LikePayload: a reaction was removed (Previous)
)

// PostPayload is the data of post.* events.
type PostPayload struct {
	ID        string    `json:"id"`
	AppID     string    `json:"app_id"`
	EventID   string    `json:"event_id,omitempty"`
	SessionID string    `json:"session_id,omitempty"`
	AuthorID  string    `json:"author_id,omitempty"`
	Text      string    `json:"text,omitempty"`
	Hashtags  []string  `json:"hashtags,omitempty"`
	Mentions  []string  `json:"mentions,omitempty"` // member ids
	Photos    int       `json:"photos,omitempty"`
	Visible   bool      `json:"visible"`
	CreatedAt time.Time `json:"created_at"`
	// By is who made the change (the author or a moderator).
	By string `json:"by,omitempty"`
}

// CommentPayload is the data of comment.* events.
type CommentPayload struct {
	ID        string    `json:"id"`
	AppID     string    `json:"app_id"`
	PostID    string    `json:"post_id"`
	EventID   string    `json:"event_id,omitempty"`
	SessionID string    `json:"session_id,omitempty"`
	AuthorID  string    `json:"author_id,omitempty"`
	Text      string    `json:"text,omitempty"`
	Mentions  []string  `json:"mentions,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	By        string    `json:"by,omitempty"`
}

// LikePayload is the data of like.* events.
type LikePayload struct {
	AppID    string `json:"app_id"`
	PostID   string `json:"post_id"`
	EventID  string `json:"event_id,omitempty"`
	MemberID string `json:"member_id"`
	Reaction string `json:"reaction,omitempty"` // empty for like.deleted
	Previous string `json:"previous,omitempty"`
}
