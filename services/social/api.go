// Package social is the contract of the social service, each app's private
// social network: its JSON-RPC methods with their params and results, the
// HTTP photo routes, the events it publishes, and the shape of the CouchDB
// documents whose _changes feed eventwall and analytics follow (docs.go).
//
// Every method is member-level: the caller's token must be of the app
// addressed, and on every call social checks hub's Redis read model (the
// caller is a member or organizer, not blocked, the app readable). The
// moderation methods also need an organizer role of moderator or above
// (moderator, admin, owner). README.md explains the design and the stores.
package social

import (
	"regexp"
	"time"

	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/sponsored"
)

// Limits.
const (
	// MaxTextRunes bounds the text of a post or a comment, in characters.
	MaxTextRunes = 2000
	// MaxPhotos bounds the photos of one post.
	MaxPhotos = 4
	// MaxPhotoBytes bounds one uploaded photo.
	MaxPhotoBytes = 8 << 20
	// MaxPhotoPixels bounds the pixels of a photo (width × height), read
	// from its header before decoding: 24 Mpixels, a 6000×4000 camera's
	// full size. A file of a few kilobytes can claim far more (a 5 KB PNG
	// of 6320×6320 decodes into 40 MB).
	MaxPhotoPixels = 24_000_000
	// MaxPhotoDecodedBytes bounds the memory a photo takes once decoded:
	// its pixels times the bytes per pixel of its colour model (4 for 8-bit
	// RGBA, 8 for 16-bit, 3 at most for JPEG's YCbCr), and for a
	// progressive JPEG the coefficients kept until its last scan (4 bytes
	// a pixel a component more), 96 MiB.
	MaxPhotoDecodedBytes = 96 << 20
	// ThumbSize is the longest side of a thumbnail, in pixels.
	ThumbSize = 320
	// MaxPageSize bounds one page of a feed, comments or notifications.
	MaxPageSize = 100
	// DefaultPageSize is the page size when the caller gives none.
	DefaultPageSize = 20
	// MaxHashtags and MaxMentions bound what one text may carry.
	MaxHashtags = 20
	MaxMentions = 20
	// MaxBulk bounds the posts of one bulk moderation call.
	MaxBulk = 100
	// MaxUnread bounds an unread count: a member with more unread
	// notifications is told MaxUnread (a badge shows "99+").
	MaxUnread = 100
)

// Reactions: the fixed set a member may put on a post, one at a time. "like"
// is the plain like, one reaction among the others: a post's Reactions
// count each kind, its ReactionCount all of them.
const (
	ReactionLike  = "like"
	ReactionLove  = "love"
	ReactionHaha  = "haha"
	ReactionWow   = "wow"
	ReactionClap  = "clap"
	ReactionThink = "think"
)

// Reactions lists every reaction kind, in display order.
var Reactions = []string{ReactionLike, ReactionLove, ReactionHaha, ReactionWow, ReactionClap, ReactionThink}

// Feed kinds.
const (
	FeedApp     = "app"     // every post of the app except session threads
	FeedEvent   = "event"   // the posts of one event (not its session threads)
	FeedSession = "session" // one agenda session's thread
	FeedMember  = "member"  // one member's posts
	FeedHashtag = "hashtag" // the posts carrying one hashtag
)

// Notification kinds.
const (
	NotifyLiked     = "liked"     // someone reacted to your post
	NotifyCommented = "commented" // someone commented on your post
	NotifyMentioned = "mentioned" // someone mentioned you in a post or comment
)

// Report reasons.
const (
	ReasonSpam          = "spam"
	ReasonHarassment    = "harassment"
	ReasonInappropriate = "inappropriate"
	ReasonOffTopic      = "off_topic"
	ReasonOther         = "other"
)

// ---------------------------------------------------------------------------
// Wire types.

// Empty is the result of methods with nothing to return.
type Empty struct{}

// Author is the public profile of a post's or comment's author, from the
// member.* events hub publishes. Deleted authors are anonymised: no id, no
// name, Deleted set.
type Author struct {
	ID       string `json:"id,omitempty"`
	Name     string `json:"name"`
	Company  string `json:"company,omitempty"`
	Title    string `json:"title,omitempty"`
	PhotoURL string `json:"photo_url,omitempty"`
	Deleted  bool   `json:"deleted,omitempty"`
}

// Photo is one photo of a post. URL and ThumbURL are paths on social's HTTP
// server (GET, member token as a Bearer token).
type Photo struct {
	ContentType string `json:"content_type"`
	Width       int    `json:"width"`
	Height      int    `json:"height"`
	Bytes       int    `json:"bytes"`
	URL         string `json:"url"`
	ThumbURL    string `json:"thumb_url"`
}

// MentionMarkup is how a mention is written in a text, @[Display
// Name](member id): submatch 1 is the name (no ']' or newline), 2 the member
// id. Social parses mentions with it; whoever shows a text to people
// (eventwall's screens) renders each as @Name with it. The name stored is
// not the one typed: when a text is written social makes each mention show
// the name it knows for the member (the name typed only while it knows
// none, and never another mentioned member's or the author's), and turns
// markup naming no mentionable member into plain text; the stored text has
// no other markup than its Mentions (README, "Text and mentions").
var MentionMarkup = regexp.MustCompile(`@\[([^\]\n]{1,80})\]\(([A-Za-z0-9_-]{1,64})\)`)

// Mention is a member named in a text with the markup @[Name](member_id).
type Mention struct {
	MemberID string `json:"member_id"`
	Name     string `json:"name"`
}

// Post is a post as a member sees it in a feed.
type Post struct {
	ID        string    `json:"id"`
	AppID     string    `json:"app_id"`
	EventID   string    `json:"event_id,omitempty"`
	SessionID string    `json:"session_id,omitempty"`
	Author    Author    `json:"author"`
	Text      string    `json:"text"`
	Hashtags  []string  `json:"hashtags"`
	Mentions  []Mention `json:"mentions"`
	Photos    []Photo   `json:"photos"`
	// Reactions counts each reaction kind (absent kinds are zero): the
	// likes are Reactions["like"]. ReactionCount is their sum, the
	// reactions of every kind.
	Reactions     map[string]int64 `json:"reactions"`
	ReactionCount int64            `json:"reaction_count"`
	// Deprecated: LikeCount is ReactionCount under its former name (the
	// sum of every reaction, not the likes), still sent in this release
	// and removed in the next one: read reaction_count, or reactions.like
	// for the likes.
	LikeCount    int64 `json:"like_count"`
	CommentCount int64 `json:"comment_count"`
	// MyReaction is the caller's reaction, empty when none.
	MyReaction string     `json:"my_reaction"`
	Hidden     bool       `json:"hidden,omitempty"` // seen by moderators only
	CreatedAt  time.Time  `json:"created_at"`
	EditedAt   *time.Time `json:"edited_at,omitempty"`
	// Sponsored is set on a sponsored post placed in the app's or an
	// event's feed (sponsored's card: its "Sponsored" label, campaign,
	// impression and call to action). Such an item has no reactions or
	// comments; its ID is the impression id and Author the sponsor; AppID
	// is the feed's app, and EventID the feed's event in an event's feed
	// (as every organic item of that feed), absent in the app's feed
	// (whose sponsored posts are the app's, for every event).
	Sponsored *sponsored.Card `json:"sponsored,omitempty"`
}

// FeedPage is one page of a feed, newest first. NextCursor (empty at the
// end) asks for the page after it, unaffected by posts added since.
type FeedPage struct {
	Items      []Post `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// Comment is a comment on a post.
type Comment struct {
	ID        string     `json:"id"`
	PostID    string     `json:"post_id"`
	Author    Author     `json:"author"`
	Text      string     `json:"text"`
	Hashtags  []string   `json:"hashtags"`
	Mentions  []Mention  `json:"mentions"`
	CreatedAt time.Time  `json:"created_at"`
	EditedAt  *time.Time `json:"edited_at,omitempty"`
}

// CommentPage is one page of a post's comments, oldest first.
type CommentPage struct {
	Items      []Comment `json:"items"`
	NextCursor string    `json:"next_cursor,omitempty"`
}

// ReactionState is a post's reactions after a change: the count of each
// kind, and ReactionCount, their sum.
type ReactionState struct {
	PostID        string           `json:"post_id"`
	MyReaction    string           `json:"my_reaction"`
	Reactions     map[string]int64 `json:"reactions"`
	ReactionCount int64            `json:"reaction_count"`
	// Deprecated: LikeCount is ReactionCount under its former name, as in
	// Post; removed in the next release.
	LikeCount int64 `json:"like_count"`
}

// Notification tells a member that someone liked, commented on or mentioned.
type Notification struct {
	ID        string     `json:"id"`
	Kind      string     `json:"kind"`
	Actor     Author     `json:"actor"`
	PostID    string     `json:"post_id"`
	CommentID string     `json:"comment_id,omitempty"`
	Reaction  string     `json:"reaction,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	ReadAt    *time.Time `json:"read_at,omitempty"`
}

// NotificationPage is one page of notifications, newest first, with the
// member's unread count (as UnreadCount).
type NotificationPage struct {
	Items      []Notification `json:"items"`
	Unread     int64          `json:"unread"`
	NextCursor string         `json:"next_cursor,omitempty"`
}

// UnreadCount is a member's number of unread notifications, those
// notification.list shows unread (a notification it leaves out, as its
// post is hidden, deleted or of an event the member may no longer read, or
// its actor is blocked, is not counted), up to MaxUnread.
type UnreadCount struct {
	Unread int64 `json:"unread"`
}

// Report is one report in the moderation queue.
type Report struct {
	ID         string    `json:"id"`
	PostID     string    `json:"post_id"`
	ReporterID string    `json:"reporter_id"`
	Reason     string    `json:"reason"`
	Note       string    `json:"note,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	// Post is the reported post as it is now (hidden ones included).
	Post *Post `json:"post,omitempty"`
}

// ReportQueue is the open reports, oldest first.
type ReportQueue struct {
	Items      []Report `json:"items"`
	NextCursor string   `json:"next_cursor,omitempty"`
}

// BulkResult says what a bulk moderation call did.
type BulkResult struct {
	Done     []string `json:"done"`
	NotFound []string `json:"not_found"`
}

// Block is a member blocked from the social network of an app.
type Block struct {
	MemberID  string    `json:"member_id"`
	Reason    string    `json:"reason,omitempty"`
	BlockedBy string    `json:"blocked_by"`
	BlockedAt time.Time `json:"blocked_at"`
	// PostsHidden counts the member's posts hidden by the block.
	PostsHidden int `json:"posts_hidden"`
}

// ---------------------------------------------------------------------------
// Params.

// AppRef is rpc.AppRef, under the name internal/rpcapi still uses.
type AppRef = rpc.AppRef

// CreatePostParams create a post: in the app (no event), in an event, or in
// a session's thread (event and session). Photos are ids returned by the
// photo upload route (POST /apps/{app}/photos), in display order.
type CreatePostParams struct {
	rpc.AppRef
	EventID   string   `json:"event_id,omitempty" jsonschema:"maxLength=64"`
	SessionID string   `json:"session_id,omitempty" jsonschema:"maxLength=64"`
	Text      string   `json:"text" jsonschema:"maxLength=8000"`
	PhotoIDs  []string `json:"photo_ids,omitempty" jsonschema:"maxItems=4"`
}

// PostParams address a post.
type PostParams struct {
	rpc.AppRef
	PostID string `json:"post_id" jsonschema:"minLength=1,maxLength=64"`
}

// UpdatePostParams replace a post's text (the author only).
type UpdatePostParams struct {
	rpc.AppRef
	PostID string `json:"post_id" jsonschema:"minLength=1,maxLength=64"`
	Text   string `json:"text" jsonschema:"maxLength=8000"`
}

// FeedParams ask for one page of a feed. ID is the event, session or member
// id, or the hashtag (without '#'), per Kind; empty for the app feed.
type FeedParams struct {
	rpc.AppRef
	Kind   string `json:"kind" jsonschema:"enum=app,enum=event,enum=session,enum=member,enum=hashtag"`
	ID     string `json:"id,omitempty" jsonschema:"maxLength=64"`
	Cursor string `json:"cursor,omitempty" jsonschema:"maxLength=200"`
	Limit  int    `json:"limit,omitempty" jsonschema:"minimum=0,maximum=100"`
}

// CreateCommentParams comment on a post.
type CreateCommentParams struct {
	rpc.AppRef
	PostID string `json:"post_id" jsonschema:"minLength=1,maxLength=64"`
	Text   string `json:"text" jsonschema:"maxLength=8000"`
}

// CommentParams address a comment.
type CommentParams struct {
	rpc.AppRef
	PostID    string `json:"post_id" jsonschema:"minLength=1,maxLength=64"`
	CommentID string `json:"comment_id" jsonschema:"minLength=1,maxLength=64"`
}

// UpdateCommentParams replace a comment's text (the author only).
type UpdateCommentParams struct {
	rpc.AppRef
	PostID    string `json:"post_id" jsonschema:"minLength=1,maxLength=64"`
	CommentID string `json:"comment_id" jsonschema:"minLength=1,maxLength=64"`
	Text      string `json:"text" jsonschema:"maxLength=8000"`
}

// ListCommentsParams ask for a page of a post's comments.
type ListCommentsParams struct {
	rpc.AppRef
	PostID string `json:"post_id" jsonschema:"minLength=1,maxLength=64"`
	Cursor string `json:"cursor,omitempty" jsonschema:"maxLength=200"`
	Limit  int    `json:"limit,omitempty" jsonschema:"minimum=0,maximum=100"`
}

// ReactParams set the caller's reaction on a post (replacing another one).
type ReactParams struct {
	rpc.AppRef
	PostID   string `json:"post_id" jsonschema:"minLength=1,maxLength=64"`
	Reaction string `json:"reaction" jsonschema:"enum=like,enum=love,enum=haha,enum=wow,enum=clap,enum=think"`
}

// ListNotificationsParams ask for a page of the caller's notifications.
type ListNotificationsParams struct {
	rpc.AppRef
	UnreadOnly bool   `json:"unread_only,omitempty"`
	Cursor     string `json:"cursor,omitempty" jsonschema:"maxLength=200"`
	Limit      int    `json:"limit,omitempty" jsonschema:"minimum=0,maximum=100"`
}

// MarkReadParams mark notifications read: the ids given, or all of them.
type MarkReadParams struct {
	rpc.AppRef
	IDs []string `json:"ids,omitempty" jsonschema:"maxItems=200"`
	All bool     `json:"all,omitempty"`
}

// ReportParams report a post to the moderators.
type ReportParams struct {
	rpc.AppRef
	PostID string `json:"post_id" jsonschema:"minLength=1,maxLength=64"`
	Reason string `json:"reason" jsonschema:"enum=spam,enum=harassment,enum=inappropriate,enum=off_topic,enum=other"`
	Note   string `json:"note,omitempty" jsonschema:"maxLength=500"`
}

// QueueParams ask for a page of open reports.
type QueueParams struct {
	rpc.AppRef
	Cursor string `json:"cursor,omitempty" jsonschema:"maxLength=200"`
	Limit  int    `json:"limit,omitempty" jsonschema:"minimum=0,maximum=100"`
}

// ModeratePostsParams hide, unhide or delete posts.
type ModeratePostsParams struct {
	rpc.AppRef
	PostIDs []string `json:"post_ids" jsonschema:"minItems=1,maxItems=100"`
	Reason  string   `json:"reason,omitempty" jsonschema:"maxLength=500"`
}

// BlockParams block or unblock a member in the app's social network.
type BlockParams struct {
	rpc.AppRef
	MemberID string `json:"member_id" jsonschema:"minLength=1,maxLength=64"`
	Reason   string `json:"reason,omitempty" jsonschema:"maxLength=500"`
}

// ---------------------------------------------------------------------------
// Methods.

var memberErrors = []errs.Code{errs.CodeInvalid, errs.CodeNotFound, errs.CodeForbidden, errs.CodeUnavailable}
var writeErrors = append([]errs.Code{errs.CodeRateLimited, errs.CodeConflict}, memberErrors...)

// Posts.
var (
	CreatePost = rpc.Method[CreatePostParams, Post]{
		Name: "post.create", Auth: auth.Member, Errors: writeErrors, Timeout: 15 * time.Second,
		Summary:     "Create a post with text and up to 4 photos uploaded before.",
		Description: "Hashtags (#tag) and mentions (`@[Name](member_id)`) are parsed from the text. Refused for members blocked by a moderator. Rate limited per member.",
	}
	GetPost = rpc.Method[PostParams, Post]{
		Name: "post.get", ReadOnly: true, Auth: auth.Member, Idempotent: true, Errors: memberErrors,
		Summary: "Read one post (hidden or deleted posts are not found, except by moderators).",
	}
	UpdatePost = rpc.Method[UpdatePostParams, Post]{
		Name: "post.update", Auth: auth.Member, Errors: writeErrors,
		Summary: "Replace a post's text; the author only. The old text stays as a CouchDB revision.",
	}
	DeletePost = rpc.Method[PostParams, Empty]{
		Name: "post.delete", Auth: auth.Member, Idempotent: true, Errors: memberErrors,
		Summary: "Delete a post: its author or a moderator.",
	}
	GetFeed = rpc.Method[FeedParams, FeedPage]{
		Name: "feed.get", Auth: auth.Member, Idempotent: true, Errors: memberErrors,
		Summary: "One page of a feed, newest first: the app, an event, a session thread, a member's posts or a hashtag.",
	}
)

// Comments.
var (
	CreateComment = rpc.Method[CreateCommentParams, Comment]{
		Name: "comment.create", Auth: auth.Member, Errors: writeErrors,
		Summary: "Comment on a post. Rate limited per member.",
	}
	UpdateComment = rpc.Method[UpdateCommentParams, Comment]{
		Name: "comment.update", Auth: auth.Member, Errors: writeErrors,
		Summary: "Replace a comment's text; the author only.",
	}
	DeleteComment = rpc.Method[CommentParams, Empty]{
		Name: "comment.delete", Auth: auth.Member, Idempotent: true, Errors: memberErrors,
		Summary: "Delete a comment: its author, the post's author or a moderator.",
	}
	ListComments = rpc.Method[ListCommentsParams, CommentPage]{
		Name: "comment.list", ReadOnly: true, Auth: auth.Member, Idempotent: true, Errors: memberErrors,
		Summary: "A page of a post's comments, oldest first.",
	}
)

// Reactions.
var (
	React = rpc.Method[ReactParams, ReactionState]{
		Name: "reaction.set", Auth: auth.Member, Idempotent: true, Errors: writeErrors,
		Summary: "Set the caller's reaction on a post (idempotent; replaces another reaction). Rate limited per member.",
	}
	Unreact = rpc.Method[PostParams, ReactionState]{
		Name: "reaction.remove", Auth: auth.Member, Idempotent: true, Errors: writeErrors,
		Summary: "Remove the caller's reaction from a post (idempotent).",
	}
)

// Notifications.
var (
	ListNotifications = rpc.Method[ListNotificationsParams, NotificationPage]{
		Name: "notification.list", ReadOnly: true, Auth: auth.Member, Idempotent: true, Errors: memberErrors,
		Summary: "The caller's notifications, newest first, with the unread count.",
	}
	UnreadNotifications = rpc.Method[rpc.AppRef, UnreadCount]{
		Name: "notification.unread", ReadOnly: true, Auth: auth.Member, Idempotent: true, Errors: memberErrors,
		Summary: "The caller's number of unread notifications (those notification.list shows unread), up to 100.",
	}
	MarkNotificationsRead = rpc.Method[MarkReadParams, UnreadCount]{
		Name: "notification.markRead", Auth: auth.Member, Idempotent: true, Errors: memberErrors,
		Summary: "Mark notifications read (the ids given, or all); returns the unread count.",
	}
)

// Moderation.
var (
	ReportPost = rpc.Method[ReportParams, Empty]{
		Name: "post.report", Auth: auth.Member, Idempotent: true, Errors: writeErrors,
		Summary: "Report a post to the moderators, with a reason (once per member and post while the report is open; reported again after a moderator resolved it, the report opens again with the new reason and note).",
	}
	ReportQueueGet = rpc.Method[QueueParams, ReportQueue]{
		Name: "moderation.queue", ReadOnly: true, Auth: auth.Admin, Idempotent: true, Errors: memberErrors,
		Summary: "Open reports, oldest first (moderators).",
	}
	HidePosts = rpc.Method[ModeratePostsParams, BulkResult]{
		Name: "moderation.hide", Auth: auth.Admin, Idempotent: true, Errors: memberErrors,
		Summary: "Hide posts from every feed at once (moderators); resolves their reports.",
	}
	UnhidePosts = rpc.Method[ModeratePostsParams, BulkResult]{
		Name: "moderation.unhide", Auth: auth.Admin, Idempotent: true, Errors: memberErrors,
		Summary: "Show hidden posts again (moderators).",
	}
	DeletePosts = rpc.Method[ModeratePostsParams, BulkResult]{
		Name: "moderation.delete", Auth: auth.Admin, Idempotent: true, Errors: memberErrors,
		Summary: "Delete posts in bulk (moderators).",
	}
	BlockMember = rpc.Method[BlockParams, Block]{
		Name: "moderation.block", Auth: auth.Admin, Idempotent: true, Errors: memberErrors,
		Summary: "Block a member from the social network: their posts are hidden and new ones refused (moderators).",
	}
	UnblockMember = rpc.Method[BlockParams, Empty]{
		Name: "moderation.unblock", Auth: auth.Admin, Idempotent: true, Errors: memberErrors,
		Summary: "Lift a block; the member's posts show again unless hidden one by one (moderators).",
	}
)

// HTTP routes on social's server, besides POST /rpc. Both need a member's
// token (Authorization: Bearer) of the app in the path.
const (
	// RouteUploadPhoto takes one photo as the raw request body (Content-Type
	// image/jpeg, image/png or image/webp; at most MaxPhotoBytes) and answers
	// PhotoUpload as JSON. The id goes into CreatePostParams.PhotoIDs within
	// UploadTTL. The photo is kept without its metadata (Exif, XMP, text
	// chunks...; a JPEG keeps its orientation): PhotoUpload.Bytes is its
	// size then. A member has at most MaxPendingUploads photos, of
	// MaxPendingUploadBytes in all, uploaded and not yet in a post (nor
	// expired); past that the upload is refused as rate_limited (HTTP 429)
	// with the time until enough of them expire as retry_after_ms (and
	// Retry-After): posting them frees their places at once.
	RouteUploadPhoto = "POST /apps/{app}/photos"
	// RoutePhoto serves a photo of a post; {name} is "0".."3" for the photo,
	// "0t".."3t" for its thumbnail.
	RoutePhoto = "GET /apps/{app}/posts/{post}/photos/{name}"
)

// UploadTTL is how long an uploaded photo waits for a post.
const UploadTTL = 6 * time.Hour

// Pending uploads: the photos a member uploaded that are not yet in a post
// and have not expired (UploadTTL). A post takes at most MaxPhotos, and a
// phone may upload ahead of posting (a few posts' photos while offline, or
// while the text is written), so 20 is five full posts waiting; 64 MiB is
// eight photos of MaxPhotoBytes, or the 20 of a phone's usual 2-3 MiB.
// What one member can park in CouchDB is bounded by this, not by how fast
// they upload.
const (
	MaxPendingUploads     = 20
	MaxPendingUploadBytes = 64 << 20
)

// PhotoUpload answers a photo upload.
type PhotoUpload struct {
	PhotoID     string `json:"photo_id"`
	ContentType string `json:"content_type"`
	Width       int    `json:"width"`
	Height      int    `json:"height"`
	Bytes       int    `json:"bytes"`
}
