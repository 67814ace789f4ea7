// Package eventwall is the contract of the eventwall service, the live wall
// projected on screens at the venue: its JSON-RPC methods for organizers
// (walls, moderation), their params and results, and the screen protocol
// (the HTTP routes a projector page or any screen uses, and the JSON it
// receives).
//
// The wall follows social's CouchDB _changes feed (social.PostDoc is the
// contract it reads); it never calls social. Every JSON-RPC method is
// admin-level: the caller's token must be an organizer's token of the app
// addressed, and eventwall checks the caller's current role in hub's read
// model on every call (README.md has the table of who may do what).
package eventwall

import (
	"time"

	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/rpc"
)

// Audiences of a wall (Wall.Audience): whose view of the app it shows.
const (
	AudienceAnonymous  = "anonymous"  // public walls: what a reader who is not signed in may see
	AudienceOrganizers = "organizers" // private walls: what the app's organizers see
)

// Layouts of a wall.
const (
	LayoutGrid      = "grid"      // a grid of equal cards, newest first
	LayoutMasonry   = "masonry"   // columns of cards of their natural height
	LayoutSpotlight = "spotlight" // one post at a time, full screen
)

// Moderation modes.
const (
	// ModerationAuto shows posts at once, except those containing a phrase
	// of the blocklist, which wait in the queue for a moderator.
	ModerationAuto = "auto"
	// ModerationManual holds every post in the queue until a moderator
	// approves it (allow-listed authors pass).
	ModerationManual = "manual"
	// ModerationOff shows every post that passes the filters.
	ModerationOff = "off"
)

// Scopes of a wall's filter.
const (
	ScopeEvent = "event" // posts of the wall's event (its session threads too)
	ScopeApp   = "app"   // every post of the app
)

// Marks a moderator puts on a post shown on a wall.
const (
	MarkPin       = "pin"       // stays on screen, first
	MarkHighlight = "highlight" // shown larger, in the accent colour
	MarkNone      = "none"      // (MarkParams only) clears the mark
)

// Limits.
const (
	MaxHashtags       = 20
	MaxBlocklist      = 200
	MaxAllowList      = 500
	MaxBlockedAuthors = 1000
	MinDisplaySeconds = 3
	MaxDisplaySeconds = 120
	// MaxScreenItems bounds the items a screen receives in a full state.
	MaxScreenItems = 300
	// MaxWait bounds a long poll.
	MaxWait = 55 * time.Second
)

// ---------------------------------------------------------------------------
// Wire types.

// Empty is the result of methods with nothing to return.
type Empty struct{}

// Theme is how a wall looks.
type Theme struct {
	Background string `json:"background,omitempty" jsonschema:"pattern=^#[0-9a-fA-F]{6}$"`
	Text       string `json:"text,omitempty" jsonschema:"pattern=^#[0-9a-fA-F]{6}$"`
	Accent     string `json:"accent,omitempty" jsonschema:"pattern=^#[0-9a-fA-F]{6}$"`
	// LogoURL is an https:// (or http://) URL, a path on the venue's
	// network, or a data:image/... URL of at most 64 KiB; empty for none.
	LogoURL string `json:"logo_url,omitempty" jsonschema:"maxLength=65536"`
}

// Filters choose which posts of the app a wall considers.
type Filters struct {
	// Scope is "event" (the wall's event) or "app" (the whole app).
	Scope string `json:"scope,omitempty" jsonschema:"enum=event,enum=app"`
	// Hashtags, when not empty, keep the posts carrying at least one of them
	// (lower-case, without '#').
	Hashtags []string `json:"hashtags,omitempty" jsonschema:"maxItems=20"`
	// PhotosOnly keeps the posts with at least one photo.
	PhotosOnly bool `json:"photos_only,omitempty"`
}

// Moderation is a wall's moderation policy.
type Moderation struct {
	Mode string `json:"mode,omitempty" jsonschema:"enum=auto,enum=manual,enum=off"`
	// Blocklist holds phrases (case-insensitive, matched on word
	// boundaries) that send a post to the queue in auto mode.
	Blocklist []string `json:"blocklist,omitempty" jsonschema:"maxItems=200"`
	// AllowList holds member ids whose posts pass without moderation
	// (staff, speakers).
	AllowList []string `json:"allow_list,omitempty" jsonschema:"maxItems=500"`
}

// FiltersUpdate changes a wall's filters (wall.update), with Filters'
// fields: a field left out keeps its value; a field sent replaces it, an
// empty list or false included.
type FiltersUpdate struct {
	Scope      string    `json:"scope,omitempty" jsonschema:"enum=event,enum=app"`
	Hashtags   *[]string `json:"hashtags,omitempty" jsonschema:"maxItems=20"`
	PhotosOnly *bool     `json:"photos_only,omitempty"`
}

// ModerationUpdate changes a wall's moderation policy (wall.update), with
// Moderation's fields: a field left out keeps its value; a field sent
// replaces it, an empty list included.
type ModerationUpdate struct {
	Mode      string    `json:"mode,omitempty" jsonschema:"enum=auto,enum=manual,enum=off"`
	Blocklist *[]string `json:"blocklist,omitempty" jsonschema:"maxItems=200"`
	AllowList *[]string `json:"allow_list,omitempty" jsonschema:"maxItems=500"`
}

// Wall is a wall as organizers see it.
type Wall struct {
	ID             string     `json:"id"`
	AppID          string     `json:"app_id"`
	EventID        string     `json:"event_id"`
	Title          string     `json:"title"`
	Layout         string     `json:"layout"`
	Theme          Theme      `json:"theme"`
	Filters        Filters    `json:"filters"`
	Moderation     Moderation `json:"moderation"`
	BlockedAuthors []string   `json:"blocked_authors"`
	DisplaySeconds int        `json:"display_seconds"`
	Paused         bool       `json:"paused"`
	// Public walls open with their URL alone, to anyone who has it, and
	// show only what a reader who is not signed in may see of the app by
	// hub's rules: posts of its public events open to every member, and
	// app-wide posts, of a published app (Audience "anonymous"). A private
	// wall needs its screen key too, and shows what the app's organizers
	// see, hidden and restricted events included (Audience "organizers").
	Public   bool   `json:"public"`
	Audience string `json:"audience"`
	// ScreenKey is the secret a screen presents (query key= or header
	// X-Wall-Key) to show a wall that is not public; empty for public walls.
	ScreenKey string `json:"screen_key,omitempty"`
	// ScreenToken is the secret in the wall's screen URL (192 random bits,
	// not the wall's id, which opens nothing); wall.rotateToken replaces it.
	ScreenToken string `json:"screen_token"`
	// Version grows with every change of the wall's settings.
	Version int64 `json:"version"`
	// Path is the projector page's path on eventwall's server,
	// /walls/<screen token>, with the screen key when there is one.
	Path      string    `json:"path"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// WallList is the walls of an app (or of one event).
type WallList struct {
	Walls []Wall `json:"walls"`
}

// QueueItem is a post waiting for a moderator.
type QueueItem struct {
	Item     Item   `json:"item"`
	AuthorID string `json:"author_id,omitempty"`
	// Reason says why it waits: "manual" or "blocklist: <phrase>".
	Reason string `json:"reason"`
	// Revision is the revision of the post Item shows (it grows with every
	// change of the post, an author's edit included). Send it back with
	// wall.approve (ApproveParams.Revisions), so that a post edited since
	// the moderator read it is not approved unseen.
	Revision int64 `json:"revision"`
}

// Queue is a page of a wall's moderation queue, oldest first.
type Queue struct {
	Items []QueueItem `json:"items"`
	Total int64       `json:"total"`
}

// BulkResult says what a moderation call did with each post.
type BulkResult struct {
	Done     []string `json:"done"`
	NotFound []string `json:"not_found"`
}

// ApproveResult says what wall.approve did with each post.
type ApproveResult struct {
	BulkResult
	// Refused lists the posts not approved, each with why. Nothing changed
	// for them: no approval is recorded and the screens do not show them.
	Refused []Refusal `json:"refused"`
	// Changed lists the posts of Refused whose reason is RefusedChanged
	// (for clients from before Refused).
	Changed []string `json:"changed"`
}

// Refusal says why wall.approve did not approve a post.
type Refusal struct {
	PostID string `json:"post_id"`
	// Reason is one of the Refused* reasons, for code.
	Reason string `json:"reason" jsonschema:"enum=changed,enum=removed,enum=rules_changed,enum=author_blocked,enum=not_public"`
	// Message says it to the moderator.
	Message string `json:"message"`
}

// Why wall.approve refuses a post (Refusal.Reason). An approval shows a
// post only if, when it is applied, the post is still the revision the
// moderator approved, still on the wall (visible in social and let on by
// the wall's rules), judged by the wall's rules in force and, on a public
// wall, one a reader who is not signed in may see by hub's rule, read when
// the approval is made (when hub cannot answer, wall.approve approves
// nothing on a public wall and answers unavailable: try again).
const (
	// RefusedChanged: the post changed since the revision the moderator
	// saw (its author edited it): it waits in the queue with its new text
	// and revision, which wall.queue shows (unless the change took it off
	// the queue: shown by the wall's rules, or off the wall). Read it
	// again, then approve or reject it.
	RefusedChanged = "changed"
	// RefusedRemoved: the post left the wall: hidden or deleted in
	// social, its author blocked there, rejected, or kept off by the
	// wall's rules.
	RefusedRemoved = "removed"
	// RefusedRulesChanged: the wall's rules changed since the post was
	// judged; it is being judged again by the new ones. Read the queue
	// again.
	RefusedRulesChanged = "rules_changed"
	// RefusedAuthorBlocked: the post's author is blocked on the wall.
	RefusedAuthorBlocked = "author_blocked"
	// RefusedNotPublic: the wall is public and, by hub's rule, a reader
	// who is not signed in may not see the post: its event is hidden or
	// restricted to registered members, or the app is not published. It
	// stays off the public wall (the ingester takes it off the queue).
	RefusedNotPublic = "not_public"
)

// ---------------------------------------------------------------------------
// Params.

// WallRef addresses a wall.
type WallRef struct {
	rpc.AppRef
	WallID string `json:"wall_id" jsonschema:"minLength=1,maxLength=64"`
}

// CreateWallParams create a wall for an event. Zero values take the
// defaults: layout grid, dark theme, scope event, moderation auto, 8 s per
// post, public.
type CreateWallParams struct {
	rpc.AppRef
	EventID        string      `json:"event_id" jsonschema:"minLength=1,maxLength=64"`
	Title          string      `json:"title" jsonschema:"minLength=1,maxLength=120"`
	Layout         string      `json:"layout,omitempty" jsonschema:"enum=grid,enum=masonry,enum=spotlight"`
	Theme          *Theme      `json:"theme,omitempty"`
	Filters        *Filters    `json:"filters,omitempty"`
	Moderation     *Moderation `json:"moderation,omitempty"`
	DisplaySeconds int         `json:"display_seconds,omitempty" jsonschema:"minimum=0,maximum=120"`
	// Private walls need the screen key; Public defaults to true.
	Public *bool `json:"public,omitempty"`
}

// UpdateWallParams change a wall's settings: absent fields stay as they
// are, also within filters and moderation (sending only
// {"moderation":{"mode":"auto"}} keeps the blocklist and the allow list).
// With Version set, the update is refused (conflict) when the wall changed
// since that version.
type UpdateWallParams struct {
	WallRef
	Version        int64             `json:"version,omitempty" jsonschema:"minimum=0"`
	Title          *string           `json:"title,omitempty" jsonschema:"minLength=1,maxLength=120"`
	Layout         *string           `json:"layout,omitempty" jsonschema:"enum=grid,enum=masonry,enum=spotlight"`
	Theme          *Theme            `json:"theme,omitempty"`
	Filters        *FiltersUpdate    `json:"filters,omitempty"`
	Moderation     *ModerationUpdate `json:"moderation,omitempty"`
	DisplaySeconds *int              `json:"display_seconds,omitempty" jsonschema:"minimum=3,maximum=120"`
	Public         *bool             `json:"public,omitempty"`
}

// ListWallsParams list an app's walls, or one event's.
type ListWallsParams struct {
	rpc.AppRef
	EventID string `json:"event_id,omitempty" jsonschema:"maxLength=64"`
}

// QueueParams ask for a page of a wall's moderation queue.
type QueueParams struct {
	WallRef
	Offset int `json:"offset,omitempty" jsonschema:"minimum=0"`
	Limit  int `json:"limit,omitempty" jsonschema:"minimum=0,maximum=200"`
}

// PostsParams name posts of a wall (ids of social's posts).
type PostsParams struct {
	WallRef
	PostIDs []string `json:"post_ids" jsonschema:"minItems=1,maxItems=100"`
}

// ApproveParams name posts to show on a wall, and, for some or all of
// them, the revision the moderator saw.
type ApproveParams struct {
	PostsParams
	// Revisions are the revisions of posts of PostIDs the moderator
	// approved (QueueItem.Revision): a post at another revision now is not
	// approved but refused as changed (ApproveResult.Refused). A post
	// without a revision here is approved at the revision the wall keeps
	// when the call arrives, whatever its text (callers from before
	// revisions). A post that is not in PostIDs, or twice, is refused.
	Revisions []PostRevision `json:"revisions,omitempty" jsonschema:"maxItems=100"`
}

// PostRevision names a revision of a post.
type PostRevision struct {
	PostID   string `json:"post_id" jsonschema:"minLength=1,maxLength=64"`
	Revision int64  `json:"revision" jsonschema:"minimum=1"`
}

// MarkParams pin or highlight a post shown on a wall; Mark "none" clears
// its mark.
type MarkParams struct {
	WallRef
	PostID string `json:"post_id" jsonschema:"minLength=1,maxLength=64"`
	Mark   string `json:"mark" jsonschema:"enum=pin,enum=highlight,enum=none"`
}

// AuthorParams name an author (a member id of the app).
type AuthorParams struct {
	WallRef
	MemberID string `json:"member_id" jsonschema:"minLength=1,maxLength=64"`
}

// ---------------------------------------------------------------------------
// Methods.

var wallErrors = []errs.Code{errs.CodeInvalid, errs.CodeNotFound, errs.CodeForbidden, errs.CodeUnavailable}
var writeErrors = append([]errs.Code{errs.CodeConflict}, wallErrors...)

// Walls (owner and admin create, change and delete them; moderators read
// them and pause or resume them).
var (
	CreateWall = rpc.Method[CreateWallParams, Wall]{
		Name: "wall.create", Auth: auth.Admin, Errors: writeErrors,
		Summary: "Create a wall for an event (owner, admin).",
	}
	UpdateWall = rpc.Method[UpdateWallParams, Wall]{
		Name: "wall.update", Auth: auth.Admin, Errors: writeErrors,
		Summary:     "Change a wall's settings (owner, admin); screens follow within a second.",
		Description: "Changing filters or moderation re-applies them to every post of the app. Once it has answered, no post reaches the wall by the previous rules, whichever replica ingests it; when they could not be put in force it answers unavailable (the change is saved: send it again).",
	}
	GetWall = rpc.Method[WallRef, Wall]{
		Name: "wall.get", ReadOnly: true, Auth: auth.Admin, Idempotent: true, Errors: wallErrors,
		Summary: "Read a wall's settings (moderators and up).",
	}
	ListWalls = rpc.Method[ListWallsParams, WallList]{
		Name: "wall.list", ReadOnly: true, Auth: auth.Admin, Idempotent: true, Errors: wallErrors,
		Summary: "List an app's walls, or one event's (moderators and up).",
	}
	DeleteWall = rpc.Method[WallRef, Empty]{
		Name: "wall.delete", Auth: auth.Admin, Idempotent: true, Errors: wallErrors,
		Summary: "Delete a wall (owner, admin); its screens show that it is gone.",
	}
	PauseWall = rpc.Method[WallRef, Wall]{
		Name: "wall.pause", Auth: auth.Admin, Idempotent: true, Errors: wallErrors,
		Summary: "Freeze the screens: no new post, no cycling, until resumed (moderators and up).",
	}
	ResumeWall = rpc.Method[WallRef, Wall]{
		Name: "wall.resume", Auth: auth.Admin, Idempotent: true, Errors: wallErrors,
		Summary: "Let the screens move again (moderators and up).",
	}
	RotateKey = rpc.Method[WallRef, Wall]{
		Name: "wall.rotateKey", Auth: auth.Admin, Errors: wallErrors,
		Summary: "Give a private wall a new screen key; screens with the old one stop (owner, admin).",
	}
	RotateToken = rpc.Method[WallRef, Wall]{
		Name: "wall.rotateToken", Auth: auth.Admin, Errors: wallErrors,
		Summary:     "Give a wall a new screen URL (path); screens on the old one stop (owner, admin).",
		Description: "For a public wall whose URL went further than intended: the old URL answers 404 from then on.",
	}
)

// Moderation (moderators and up).
var (
	GetQueue = rpc.Method[QueueParams, Queue]{
		Name: "wall.queue", ReadOnly: true, Auth: auth.Admin, Idempotent: true, Errors: wallErrors,
		Summary: "Posts waiting for a moderator, oldest first.",
	}
	Approve = rpc.Method[ApproveParams, ApproveResult]{
		Name: "wall.approve", Auth: auth.Admin, Idempotent: true, Errors: wallErrors,
		Summary: "Show waiting posts on the wall.",
		Description: "An approval holds for the text approved: an author's later edit sends the post back to the queue in manual mode. " +
			"Send in revisions the revision of each post the moderator saw (its queue item's revision). A post is shown only if, " +
			"when the approval is applied, it is still that revision, still on the wall (not hidden, deleted or its author blocked " +
			"in social, not kept off by the wall's rules, its author not blocked on the wall), judged by the wall's rules in force " +
			"and, on a public wall, of an event a reader who is not signed in may see by hub's rule (not hidden, not for registered " +
			"members only, the app published); otherwise it is listed in refused with the reason (changed, removed, rules_changed, " +
			"author_blocked, not_public) and nothing changes for it. A post edited since waits in the queue with its new text and " +
			"revision. On a public wall, when hub's rule cannot be read, nothing is approved and the call answers unavailable: send it again.",
	}
	Reject = rpc.Method[PostsParams, BulkResult]{
		Name: "wall.reject", Auth: auth.Admin, Idempotent: true, Errors: wallErrors,
		Summary: "Keep posts off the wall (waiting or shown), also after edits.",
	}
	MarkPost = rpc.Method[MarkParams, Empty]{
		Name: "wall.mark", Auth: auth.Admin, Idempotent: true, Errors: wallErrors,
		Summary: "Pin or highlight a post shown on the wall, or clear its mark.",
	}
	BlockAuthor = rpc.Method[AuthorParams, Wall]{
		Name: "wall.blockAuthor", Auth: auth.Admin, Idempotent: true, Errors: wallErrors,
		Summary: "Take an author's posts off the wall, past and future.",
	}
	UnblockAuthor = rpc.Method[AuthorParams, Wall]{
		Name: "wall.unblockAuthor", Auth: auth.Admin, Idempotent: true, Errors: wallErrors,
		Summary: "Let an author's posts on the wall again (subject to moderation).",
	}
)

// ---------------------------------------------------------------------------
// The screen protocol: HTTP routes on eventwall's server. A screen names a
// wall by its screen token ({token}, Wall.Path), a random secret distinct
// from the wall's id; the id opens nothing, and a rotated token
// (wall.rotateToken) stops opening the wall. A wall that is not public also
// needs its screen key on every route, as the query parameter key= or the
// header X-Wall-Key. Without them the routes answer 404, as for a wall
// that does not exist.
const (
	// RoutePage is the projector page (HTML, CSS and JS served by eventwall).
	RoutePage = "GET /walls/{token}"
	// RoutePoll answers what changed since cursor= (absent: the full state)
	// as a Changes document, with an ETag. When nothing changed it answers
	// 304 Not Modified (also to If-None-Match with the current ETag); with
	// wait=<duration> (at most MaxWait; "25s" or seconds) it holds the
	// request until something changes or the wait is over (then 304). When
	// the replica stops, a waiting poll answers 304 at once with
	// Retry-After (seconds): poll again within that time.
	RoutePoll = "GET /walls/{token}/poll"
	// RouteStream is the same as Server-Sent Events: an event "changes"
	// (data: Changes, id: its cursor) now and after every change, a comment
	// line every 15 s. It resumes from cursor= or Last-Event-ID. When the
	// replica stops, the stream ends after a retry field (a random pause of
	// at most 2 s before reconnecting).
	RouteStream = "GET /walls/{token}/stream"
	// RoutePhoto serves a photo ({name} "0".."3") or its thumbnail ("0t")
	// of a post shown on the wall, with caching headers.
	RoutePhoto = "GET /walls/{token}/photos/{post}/{name}"
	// HeaderScreenKey carries the screen key of a private wall.
	HeaderScreenKey = "X-Wall-Key"
)

// Changes is the answer of a poll and the data of a stream event.
type Changes struct {
	// Cursor names the state this answer brings the screen to; send it back
	// as cursor= (it is also the ETag, quoted).
	Cursor string `json:"cursor"`
	// Reset says the answer is the full state: drop what you show and use
	// Items (newest first by creation time, at most MaxScreenItems).
	// Otherwise Items are the posts added or changed since the cursor sent,
	// oldest first by creation time (not in the order they reached the
	// wall), and Removed the posts to take off the screen.
	Reset   bool     `json:"reset"`
	Config  *Screen  `json:"config,omitempty"` // present on a reset and when the settings changed
	Items   []Item   `json:"items"`
	Removed []string `json:"removed"`
}

// Screen is what a screen needs of a wall's settings.
type Screen struct {
	ID             string `json:"id"`
	Title          string `json:"title"`
	Layout         string `json:"layout"`
	Theme          Theme  `json:"theme"`
	DisplaySeconds int    `json:"display_seconds"`
	Paused         bool   `json:"paused"`
	Version        int64  `json:"version"`
	// Gone is set when the wall was deleted.
	Gone bool `json:"gone,omitempty"`
}

// Item is a post as a screen shows it.
type Item struct {
	ID          string      `json:"id"`
	Author      string      `json:"author"` // the author's name; "a former member" once deleted
	AuthorPhoto string      `json:"author_photo,omitempty"`
	Text        string      `json:"text"`               // as shown: social's mention markup @[Name](member id) reads @Name
	Mentions    []string    `json:"mentions,omitempty"` // the names mentioned in Text (as @Name there), for screens to style
	Hashtags    []string    `json:"hashtags"`
	Photos      []ItemPhoto `json:"photos"`
	CreatedAt   time.Time   `json:"created_at"`
	EditedAt    *time.Time  `json:"edited_at,omitempty"`
	// Mark is "pin", "highlight" or absent.
	Mark string `json:"mark,omitempty"`
}

// ItemPhoto is a photo of an item. URL and ThumbURL are relative to the
// wall's screen URL with a trailing slash ("photos/<post>/0" is served at
// /walls/<token>/photos/<post>/0, RoutePhoto), so that they stay valid when
// the token changes; a private wall's photos need its key as well.
type ItemPhoto struct {
	URL      string `json:"url"`
	ThumbURL string `json:"thumb_url"`
	Width    int    `json:"width"`
	Height   int    `json:"height"`
}
