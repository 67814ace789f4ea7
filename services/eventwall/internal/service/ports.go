package service

import (
	"context"
	"time"

	"github.com/attendify/hub"
	"github.com/attendify/platform/auth"
	"github.com/attendify/social"
)

// WallStore keeps the walls' settings (Postgres).
type WallStore interface {
	CreateWall(ctx context.Context, w Wall) error
	// Wall returns a wall of app; errs.NotFound when there is none.
	Wall(ctx context.Context, app, id string) (Wall, error)
	// WallByID returns a wall whatever its app (screens know only the id).
	WallByID(ctx context.Context, id string) (Wall, error)
	// Walls lists app's walls, or one event's when event is not empty.
	Walls(ctx context.Context, app, event string) ([]Wall, error)
	// AllWalls lists every wall (the ingesters' work list).
	AllWalls(ctx context.Context) ([]Wall, error)
	// UpdateWall changes a wall under a row lock with change, bumps its
	// version and returns it; errs.NotFound when there is none.
	UpdateWall(ctx context.Context, app, id string, change func(*Wall) error) (Wall, error)
	DeleteWall(ctx context.Context, app, id string) error
}

// Board is the walls' live state (Redis): the posts shown, the queue, the
// moderators' decisions, the screens' change log and settings, and the
// notifications that keep every replica in step.
type Board interface {
	// Apply applies a decision atomically (see Decision).
	Apply(ctx context.Context, wall string, d Decision) (Applied, error)
	// Entries returns the entries kept for posts (shown or waiting).
	Entries(ctx context.Context, wall string, posts []string) (map[string]Entry, error)
	// AllEntries returns every entry of a wall.
	AllEntries(ctx context.Context, wall string) ([]Entry, error)
	// Queue returns a page of the posts waiting, oldest first, and their number.
	Queue(ctx context.Context, wall string, offset, limit int) ([]Entry, int64, error)
	// Shown reports whether a post is on the screens.
	Shown(ctx context.Context, wall, post string) (bool, error)
	// SetVerdict records a moderator's decision: "a:<text hash>" approves
	// that text, "r" rejects.
	SetVerdict(ctx context.Context, wall, post, verdict string) error
	// SetMark records a post's mark ("" clears it).
	SetMark(ctx context.Context, wall, post, mark string) error
	// SetBlocked replaces the authors blocked on the wall.
	SetBlocked(ctx context.Context, wall string, authors []string) error
	// PublishConfig stores a wall's screen settings unless a newer version
	// is there, and tells the screens.
	PublishConfig(ctx context.Context, rec ScreenRecord) error
	// RemoveWall deletes a deleted wall's posts and state, keeping its gone
	// settings (rec) for a day so that screens learn it.
	RemoveWall(ctx context.Context, rec ScreenRecord) error
	// Filled returns the rules fingerprint the wall's posts were last
	// decided with ("" when never, or after Redis lost them) and the version
	// of the settings the screens have (0 when none).
	Filled(ctx context.Context, wall string) (fingerprint string, version int64, err error)
	SetFilled(ctx context.Context, wall, fingerprint string) error
	// NotifyWalls tells every replica's ingester that app's walls changed
	// (or an author's profile, when member is not empty).
	NotifyWalls(ctx context.Context, app, member string) error
	// SubscribeWalls calls fn for each notification until ctx ends.
	SubscribeWalls(ctx context.Context, fn func(app, member string)) error
}

// Profiles keeps the authors' public profiles (Redis), fed by hub's member
// events.
type Profiles interface {
	Profiles(ctx context.Context, app string, members []string) (map[string]Profile, error)
	SetProfile(ctx context.Context, app, member string, p Profile) error
	DeleteProfile(ctx context.Context, app, member string) error
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
	Events(ctx context.Context, app string) ([]hub.EventInfo, error)
}
