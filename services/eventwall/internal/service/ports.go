package service

import (
	"context"
	"time"

	"github.com/attendify/hub"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/social"
)

// WallStore keeps the walls' settings (Postgres).
type WallStore interface {
	CreateWall(ctx context.Context, w Wall) error
	// Wall returns a wall of app; errs.NotFound when there is none.
	Wall(ctx context.Context, app, id string) (Wall, error)
	// WallByID returns a wall whatever its app.
	WallByID(ctx context.Context, id string) (Wall, error)
	// WallByToken returns the wall whose screen token is token (screens
	// know only that); errs.NotFound when there is none.
	WallByToken(ctx context.Context, token string) (Wall, error)
	// Walls lists app's walls, or one event's when event is not empty.
	Walls(ctx context.Context, app, event string) ([]Wall, error)
	// AllWalls lists every wall (the ingesters' work list).
	AllWalls(ctx context.Context) ([]Wall, error)
	// UpdateWall changes a wall under a row lock with change, bumps its
	// version and returns it; errs.NotFound when there is none.
	UpdateWall(ctx context.Context, app, id string, change func(*Wall) error) (Wall, error)
	DeleteWall(ctx context.Context, app, id string) error
}

// ModerationStore keeps what the moderators decided about the posts on
// each wall (Postgres), versioned by the wall.
type ModerationStore interface {
	// Moderate changes what the moderators decided about post on a wall of
	// app with change, under the wall's row lock, and returns it with the
	// wall's next moderation version; errs.NotFound when there is no wall.
	Moderate(ctx context.Context, ref PostRef, change func(*Moderation)) (Moderation, error)
	// Moderations returns every decision of a wall's moderators and the
	// wall's moderation version, as of one moment; errs.NotFound when
	// there is no wall.
	Moderations(ctx context.Context, wall string) (Moderations, error)
}

// ErrUnloaded is the board's answer to a decision about a wall whose
// moderators' decisions it does not hold (Redis lost them): load them with
// Board.Restore, then apply the decision again.
var ErrUnloaded = errs.New(errs.Unavailable, "the wall's moderation is not loaded in Redis")

// ErrStaleRules is the board's answer to a decision made with rules older
// than the wall's rules in force (Board.SetRules): a wall.update came
// between the ingester's reading of the rules and its write. Read the wall
// again, decide again.
var ErrStaleRules = errs.New(errs.Conflict, "the wall's rules changed since the decision")

// Board is the walls' live state (Redis): the posts shown, the queue, a
// copy of the moderators' decisions, the screens' change log and settings,
// and the notifications that keep every replica in step. Everything in it
// is rebuilt from Postgres and social's documents when Redis loses it.
type Board interface {
	BoardPosts
	BoardModeration
	BoardWalls
	WallNotices
}

// BoardPosts is the board's decisions about posts: what is shown and what
// waits.
type BoardPosts interface {
	// Apply applies a decision atomically (see Decision). It fails with
	// ErrUnloaded, and changes nothing, while the board lacks the wall's
	// moderators' decisions, and with ErrStaleRules, changing nothing
	// either, when the decision's rules are older than the wall's rules in
	// force (SetRules).
	Apply(ctx context.Context, wall string, d Decision) (Applied, error)
	// Approve applies a moderator's approval atomically: only if the post
	// is still kept by the wall (shown or waiting), at a.Rev (when not 0),
	// judged by the rules a.RulesID names, its author not blocked on the
	// wall, not rejected and, when a.Audience is set (a public wall), of
	// an event it lets anonymous readers see (else RefusedNotPublic; an
	// entry that names no event, from before entries did, is refused as
	// RefusedRulesChanged), does it copy the approval of the post's text
	// ("a:<hash>", whose version SetModeration brings once Postgres has
	// it) and show a waiting post. Otherwise it changes nothing and
	// answers why in ApprovalOutcome.Refused. It fails with errs.NotFound when
	// the wall never decided about the post, and, changing nothing either,
	// with ErrUnloaded and ErrStaleRules as Apply does (a.Rules is older
	// than the rules in force).
	Approve(ctx context.Context, wall string, a Approval) (ApprovalOutcome, error)
	// Entries returns the entries kept for posts (shown or waiting).
	Entries(ctx context.Context, wall string, posts []string) (map[string]Entry, error)
	// AllEntries returns every entry of a wall.
	AllEntries(ctx context.Context, wall string) ([]Entry, error)
	// Queue returns a page of the posts waiting, oldest first, and their number.
	Queue(ctx context.Context, wall string, offset, limit int) ([]Entry, int64, error)
	// Shown reports whether a post is on the screens.
	Shown(ctx context.Context, wall, post string) (bool, error)
}

// BoardModeration is the board's copy of the moderators' decisions and
// blocked authors, which Apply follows.
type BoardModeration interface {
	// SetModeration copies a moderator's decision about a post (from
	// ModerationStore.Moderate), unless the board has a newer one.
	SetModeration(ctx context.Context, wall string, m Moderation) error
	// Restore loads a wall's moderators' decisions (older ones than the
	// board's are skipped) and its blocked authors (unless the board has
	// a newer version of them, as SetRules); then Apply works on the wall.
	Restore(ctx context.Context, wall string, m Moderations, version int64, blocked []string) error
	// SetRules puts in force the rules of version of the wall's settings,
	// with the authors blocked on the wall, unless the board has a newer
	// version: from then on Apply drops the blocked authors' posts and
	// refuses a decision made with an older version's rules.
	SetRules(ctx context.Context, wall string, version int64, blocked []string) error
}

// BoardWalls is the board's record of each wall: the screens' settings and
// the bookkeeping the ingester compares with Postgres.
type BoardWalls interface {
	// PublishConfig stores a wall's screen settings unless a newer version
	// is there, and tells the screens.
	PublishConfig(ctx context.Context, rec ScreenRecord) error
	// RemoveWall deletes a deleted wall's posts and state, keeping its gone
	// settings (rec) for a day so that screens learn it.
	RemoveWall(ctx context.Context, rec ScreenRecord) error
	// State returns the wall's bookkeeping: what the ingester compares
	// with Postgres to see what Redis lacks.
	State(ctx context.Context, wall string) (BoardState, error)
	// SetFilled records the rules fingerprint a wall's posts were decided
	// with ("" forgets it: the ingester decides every post again).
	SetFilled(ctx context.Context, wall, fingerprint string) error
}

// WallNotices keeps every replica's ingester in step.
type WallNotices interface {
	// NotifyWalls tells every replica's ingester that app's walls changed
	// (or an author's profile, when member is not empty).
	NotifyWalls(ctx context.Context, app, member string) error
	// SubscribeWalls calls fn for each notification until ctx ends.
	SubscribeWalls(ctx context.Context, fn func(app, member string)) error
}

// Profiles keeps the authors' public profiles (Postgres), fed by hub's
// member events.
type Profiles interface {
	// Profiles returns the profiles known among members (a deleted member
	// has none).
	Profiles(ctx context.Context, app string, members []string) (map[string]Profile, error)
	// SaveProfile stores a member's profile as of at (the event's time),
	// unless a later one is stored or the member was deleted.
	SaveProfile(ctx context.Context, app, member string, p Profile, at time.Time) error
	// DeleteProfile forgets a member's profile for good, as of at.
	DeleteProfile(ctx context.Context, app, member string, at time.Time) error
	// ResyncProfile stores a profile read from hub as of at, replacing
	// one stored from an event older than before (a newer one, or a
	// deleted member's, stays), and reports whether what it shows changed.
	ResyncProfile(ctx context.Context, app, member string, p Profile, at, before time.Time) (bool, error)
	// ProfileMembers lists the members of app whose stored profile (not a
	// deleted member's) is older than before.
	ProfileMembers(ctx context.Context, app string, before time.Time) ([]string, error)
}

// Directory is hub's member directory, the truth about members: for the
// authors eventwall has not heard of through hub's member events (missed
// while Redis lost them, or older than the stream's history).
type Directory interface {
	// Profile returns a member's public profile and a time at or before
	// its last change (hub's events after it win); errs.NotFound when hub
	// has no such member.
	Profile(ctx context.Context, app, member string) (Profile, time.Time, error)
	// AppIDs lists every app's id.
	AppIDs(ctx context.Context) ([]string, error)
	// EachMember calls fn with the public profile of every member of app.
	EachMember(ctx context.Context, app string, fn func(member string, p Profile) error) error
}

// Feed reads social's published documents (CouchDB).
type Feed interface {
	// Follow delivers every post document of app's database, in feed
	// order, from the checkpoint of this consumer, until ctx ends. A
	// document is nil for a change that is not a post.
	Follow(ctx context.Context, app string, handle func(ctx context.Context, doc *social.PostDoc) error) error
	// EachPost calls fn with every post document of app.
	EachPost(ctx context.Context, app string, fn func(doc *social.PostDoc) error) error
}

// Leases elect one replica to follow each app's feed.
type Leases interface {
	// Acquire takes the lease name for ttl, or renews it when this holder
	// has it; false when another holder has it.
	Acquire(ctx context.Context, name string, ttl time.Duration) (bool, error)
	// Release gives the lease up if this holder has it.
	Release(ctx context.Context, name string) error
}

// Access reads hub's read model.
type Access interface {
	Authorize(ctx context.Context, c auth.Caller, app string) (hub.Membership, error)
	// AnonymousAccess is what a reader who is not signed in may see of
	// app's events (hub's rule).
	AnonymousAccess(ctx context.Context, app string) (hub.EventAccess, error)
	Events(ctx context.Context, app string) ([]hub.EventInfo, error)
	// App is the app's settings (its name and brand).
	App(ctx context.Context, app string) (hub.AppConfig, error)
}
