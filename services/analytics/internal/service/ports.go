package service

import (
	"context"
	"time"

	"github.com/attendify/hub"
	"github.com/attendify/platform/auth"
)

// The ports analytics' domain needs, each declared here by its consumer
// and small; internal/store has an adapter of each for its backend and an
// in-memory one (internal/store/memory) that passes the same contract
// suite (internal/store/storetest).

// RawEvents is the log of every event counted, in Postgres: the truth the
// live state is rebuilt from. It is partitioned by day and kept for the
// configured retention.
type RawEvents interface {
	// Insert stores the events whose key is new for their app and reports,
	// for each, whether it was new.
	Insert(ctx context.Context, evs []Event) ([]bool, error)
	// Scan calls fn with the events of [from, to) (of app, or of every app
	// when app is empty) in batches, in the order of (UTC day, app, key):
	// not by time, which nothing that replays them needs.
	Scan(ctx context.Context, app string, from, to time.Time, fn func([]Event) error) error
	// Pseudonymize replaces e.Member's id in app's events by e.Pseudonym,
	// so that the counts stay and the person is gone; it returns how many
	// events changed.
	Pseudonymize(ctx context.Context, app string, e Erasure) (int64, error)
	// DropBefore drops whole days of events older than day; it returns the
	// days dropped.
	DropBefore(ctx context.Context, day time.Time) ([]time.Time, error)
}

// Erasure is a member's id and the pseudonym that replaces it in their
// events.
type Erasure struct {
	Member, Pseudonym string
}

// Joining is a member who joined an app: their name (empty when not
// known) and when.
type Joining struct {
	Member, Name string
	At           time.Time
}

// Members is who joined an app and when they first opened it (adoption).
type Members interface {
	// Joined records that j.Member joined app at j.At (the earliest time
	// stays) under j.Name (hub's member.created and updated; an empty name
	// keeps the one known).
	Joined(ctx context.Context, app string, j Joining) error
	// Names returns the names known of members of app.
	Names(ctx context.Context, app string, members []string) (map[string]string, error)
	// Opened records that member used the app at t; the earliest t stays.
	Opened(ctx context.Context, app string, opened map[string]time.Time) error
	// Adoption counts, for each day, the members joined (or seen) by its
	// end and those who had opened the app by then.
	Adoption(ctx context.Context, app string, days []time.Time) (registered, opened []int64, err error)
	// Forget deletes member's row.
	Forget(ctx context.Context, app, member string) error
	// IDs lists the members of app with a row, sorted.
	IDs(ctx context.Context, app string) ([]string, error)
}

// Rollups are the folded buckets in Postgres.
type Rollups interface {
	// Put writes rows (replacing the same buckets) and the days' item
	// counts (replacing each day's whole set), in one transaction.
	Put(ctx context.Context, rows []Row, items map[DayRef][]ItemCount) error
	// Get returns app's rows of scope at level in [from, to), in order of
	// start.
	Get(ctx context.Context, app, scope string, level Level, from, to time.Time) ([]Row, error)
	// Items sums app's item counts of kinds over days.
	Items(ctx context.Context, app string, kinds []string, days []time.Time) ([]ItemCount, error)
}

// DayRef names one day of an app.
type DayRef struct {
	App string
	Day time.Time
}

// Jobs keeps the state of the periodic jobs, so that one replica at a time
// runs each.
type Jobs interface {
	// Update runs fn on job's state in a transaction holding the job: when
	// another replica holds it, Update returns an error of kind
	// errs.Conflict without calling fn. The state fn leaves is saved when
	// fn returns nil.
	Update(ctx context.Context, job string, fn func(*JobState) error) error
}

// JobState is a periodic job's bookkeeping.
type JobState struct {
	LastRun time.Time
	Runs    int64
	// Done counts what the last run did (minutes folded, days dropped).
	Done int64
}

// Budget is a per-minute budget of events that Live.Allow counts batches
// against.
type Budget struct {
	// Subject is whose budget it is: an install id, or "m:" and a member
	// id ("m:" cannot begin an install id: letters, digits, - and _).
	Subject string
	Limit   int
}

// Live is the real-time state in Redis: a counter that is rebuilt from
// RawEvents when it is lost.
type Live interface {
	// Apply applies the effects of the events whose key it has not seen
	// (within the dedupe window) and reports which were new. It marks the
	// minutes touched as waiting to be folded.
	Apply(ctx context.Context, app string, changes []Change) ([]bool, error)
	// Allow counts a batch's n events against each of app's budgets (a
	// fixed one-minute window each, all in one step); it returns the index
	// of the first budget over its limit (-1: none) and how long to wait.
	Allow(ctx context.Context, app string, n int, budgets ...Budget) (over int, wait time.Duration, err error)
	// Figures reads buckets of app from the live counters.
	Figures(ctx context.Context, app string, refs []BucketRef) ([]Figures, error)
	// Items reads the item counts of app's days.
	Items(ctx context.Context, app string, days []time.Time) ([][]ItemCount, error)
	// Waiting lists app's minutes waiting to be folded with the mark each
	// had when read, and the app's fold generation (read after the marks),
	// which every Folded changes; WaitingApps lists the apps that have any.
	Waiting(ctx context.Context, app string) ([]Waiting, string, error)
	WaitingApps(ctx context.Context) ([]string, error)
	// Folded gives app a new fold generation, then removes the marks of
	// folded minutes unless they changed since they were read.
	Folded(ctx context.Context, app string, w []Waiting) error
	// Present counts the members and installs of app seen since t.
	Present(ctx context.Context, app string, since time.Time) (members, installs int64, err error)
	// Top returns a list's items by score on day, highest first.
	Top(ctx context.Context, app, list string, day time.Time, limit int) ([]Scored, error)
	// Leaderboard returns the members by points, highest first.
	Leaderboard(ctx context.Context, app string, limit int) ([]Scored, error)
	// Forget removes member from the presence and the leaderboard.
	Forget(ctx context.Context, app, member string) error
	// Ready reports whether the live state is complete (not lost since the
	// last rebuild); SetReady marks it so.
	Ready(ctx context.Context) (bool, error)
	SetReady(ctx context.Context) error
	// Lock takes the rebuild lock for ttl; it reports false when another
	// replica holds it.
	Lock(ctx context.Context, ttl time.Duration) (bool, error)
	Unlock(ctx context.Context) error
	// Reset deletes app's whole live state (before a rebuild from scratch).
	Reset(ctx context.Context, app string) error
}

// Change is a new event and its effects, for Live.Apply.
type Change struct {
	Key     string
	At      time.Time
	Scopes  []string
	Effects Effects
}

// Waiting is a bucket of a scope waiting to be folded: Minute, and the
// mark it had when read (changed by every new event of the minute).
type Waiting struct {
	Scope  string
	Minute time.Time
	Mark   float64
}

// Scored is an item with its score, and a label for people (a member's
// name) when one is known.
type Scored struct {
	ID    string
	Score float64
	Label string
}

// Access checks callers against hub's read model (hub.ReadModel).
type Access interface {
	Authorize(ctx context.Context, c auth.Caller, app string) (hub.Membership, error)
	App(ctx context.Context, app string) (hub.AppConfig, error)
	// Events lists app's conference events (hidden ones included).
	Events(ctx context.Context, app string) ([]hub.EventInfo, error)
}
