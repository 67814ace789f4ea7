package service

import (
	"strconv"
	"strings"
	"time"
)

// RevGeneration is the generation of a stored revision ("3-abc" is 3): it
// grows with each write of a document. 0 when rev has none.
func RevGeneration(rev string) int64 {
	n, _, _ := strings.Cut(rev, "-")
	g, err := strconv.ParseInt(n, 10, 64)
	if err != nil || g < 0 {
		return 0
	}
	return g
}

// Post is a member's post as the domain works on it. The stores convert
// it to their own form (CouchDB's document is social.PostDoc, which other
// services read from _changes); the RPC layer converts it to the contract's
// social.Post.
type Post struct {
	ID string // the post id
	// Rev is the stored revision the post was read at: a write from an
	// older one conflicts (errs.Conflict). Empty for a new post.
	Rev       string
	App       string
	Event     string // empty for an app-wide post
	Session   string // an agenda session's thread
	Author    string // member id; empty once anonymised
	Text      string
	Hashtags  []string // lower-case, without '#'
	Mentions  []Mention
	Photos    []PhotoRef
	CreatedAt time.Time
	EditedAt  *time.Time
	// LastEvent is the id of the event announcing the latest change.
	LastEvent string
	Moderation
}

// Comment is a comment on a post.
type Comment struct {
	ID        string // the comment id
	Rev       string // as Post.Rev
	App       string
	Post      string // the post id
	Event     string // the post's
	Session   string // the post's
	Author    string
	Text      string
	Hashtags  []string
	Mentions  []Mention
	CreatedAt time.Time
	EditedAt  *time.Time
	LastEvent string
	Moderation
}

// Mention is a member mentioned in a text, with the name written.
type Mention struct {
	Member string
	Name   string
}

// PhotoRef is a photo of a post: its stored attachments and its size.
type PhotoRef struct {
	Name        string // attachment of the photo
	Thumb       string // attachment of its thumbnail
	ContentType string
	Width       int
	Height      int
	Bytes       int
}

// Moderation is the visibility state of a post or comment.
type Moderation struct {
	Hidden       bool // by a moderator
	HiddenBy     string
	HiddenReason string
	HiddenAt     *time.Time

	Deleted   bool
	DeletedBy string // the author, or a moderator's id
	DeletedAt *time.Time

	// AuthorBlocked is set while the author is blocked (by a moderator in
	// social, or in hub).
	AuthorBlocked bool
	// AuthorDeleted is set when hub deleted the author; Author is empty.
	AuthorDeleted bool
}

// Visible reports whether the item may be shown to members.
func (m Moderation) Visible() bool { return !m.Hidden && !m.Deleted && !m.AuthorBlocked }
