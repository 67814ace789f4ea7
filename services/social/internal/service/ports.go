package service

import (
	"context"
	"io"
	"time"

	"github.com/attendify/hub"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/events"
	"github.com/attendify/social"
)

// Access checks callers against hub's read model (hub.ReadModel).
type Access interface {
	// AuthorizeEvents authorizes the caller in app and tells which of the
	// app's events they may read (hub's rule), in one Redis round trip.
	AuthorizeEvents(ctx context.Context, c auth.Caller, app string) (hub.EventAccess, error)
	// EventReaders tells which of users may read event of app (hub's
	// rule, as AuthorizeEvents applies it to a caller), in one round trip.
	EventReaders(ctx context.Context, app, event string, users []string) ([]bool, error)
	Membership(ctx context.Context, app, user string) (hub.Membership, error)
}

// Stores are the ports the domain works on, one per aggregate, each a
// handful of methods. In production CouchDB (a database per app) holds the
// posts, comments and uploads; Postgres with the key-value port (the
// ledger) the reactions and counters, the changes' events, notifications,
// reports, blocks and profiles; Redis the feed index and caches, which are
// rebuilt from the other two when missing. internal/store/memstore has an
// in-memory adapter of each, which passes the contract suite the real
// adapters pass (internal/store/storetest).
type Stores struct {
	Posts    PostStore
	Comments CommentStore
	Uploads  UploadStore
	AppDocs  AppDocs

	Reactions     ReactionStore
	Changes       ChangeLog
	Notifications NotificationStore
	Reports       ReportStore
	Blocks        BlockStore
	Profiles      ProfileStore

	Feeds        FeedIndex
	Cache        PostCache
	ProfileCache ProfileCache
	Limiter      RateLimiter
	Pending      PendingUploads
}

// PostStore holds posts with their photos (CouchDB documents).
type PostStore interface {
	// CreatePost stores a new post with its photos as attachments and sets
	// doc.Rev.
	CreatePost(ctx context.Context, doc *Post, photos []Photo) error
	// Post returns a post; errs.NotFound when there is none.
	Post(ctx context.Context, app, id string) (*Post, error)
	// Posts returns the posts found among ids.
	Posts(ctx context.Context, app string, ids []string) (map[string]*Post, error)
	// UpdatePost changes a post with update, which it runs on the post as
	// stored and writes back as the revision that follows; errs.NotFound
	// when there is none. A write that meets a concurrent one starts
	// again from the post as that one left it (so update may run several
	// times, and runs again only after such a conflict: nothing of its
	// earlier runs was written), UpdateAttempts times in all before giving
	// up with errs.Conflict. When update returns an error nothing is
	// written and UpdatePost returns it. update may change anything but
	// the post's ID, App and Rev, which the store keeps; the photos it no
	// longer lists lose their attachments. UpdatePost returns the post
	// written, with its new Rev.
	UpdatePost(ctx context.Context, ref PostRef, update func(*Post) error) (Post, error)
	// Attachment opens one attachment of a post.
	Attachment(ctx context.Context, app, post, name string) (contentType string, body io.ReadCloser, err error)
}

// CommentStore holds the comments of posts (CouchDB documents).
type CommentStore interface {
	// CreateComment stores a new comment and sets doc.Rev.
	CreateComment(ctx context.Context, doc *Comment) error
	// Comment returns a comment; errs.NotFound when there is none.
	Comment(ctx context.Context, ref CommentRef) (*Comment, error)
	// UpdateComment changes a comment with update, as
	// PostStore.UpdatePost changes a post.
	UpdateComment(ctx context.Context, ref CommentRef, update func(*Comment) error) (Comment, error)
	// Comments returns up to limit comments of post after the comment id
	// after (oldest first), hidden and deleted ones included.
	Comments(ctx context.Context, app, post, after string, limit int) ([]*Comment, error)
}

// UpdateAttempts bounds the runs of one PostStore.UpdatePost or
// CommentStore.UpdateComment: a write that conflicts means another one
// succeeded, so as many updates of one document at once all succeed.
const UpdateAttempts = 6

// UploadStore holds the photos uploaded for a post not yet written.
type UploadStore interface {
	PutUpload(ctx context.Context, app string, up Upload, p Photo) error
	// Upload returns an upload with its bytes; errs.NotFound when gone.
	Upload(ctx context.Context, app, id string) (Upload, Photo, error)
	DeleteUpload(ctx context.Context, app, id string) error
}

// AppDocs reads across an app's posts and comments: the scans of a
// rebuild, a block or an anonymisation, and the sweeper's check of a
// pending change.
type AppDocs interface {
	// EachDoc calls fn for every post and comment of the app, oldest first.
	EachDoc(ctx context.Context, app string, post func(*Post) error, comment func(*Comment) error) error
	// LastEvent returns a post's or comment's LastEvent, and whether the
	// document exists.
	LastEvent(ctx context.Context, app, docID string) (event string, exists bool, err error)
}

// ReactionStore holds the members' reactions and the posts' counters.
type ReactionStore interface {
	// React sets the member's reaction on a post to kind ("" removes it).
	// It reads the reaction and changes it in one step of its own (a
	// transaction where the store has one): only when the reaction changes
	// are the counters and the member's index updated and the effects of
	// then(prev) recorded, atomically with the change where the store
	// allows (Postgres). While the member's reactions are uncounted (see
	// SettleBlocked) a change moves what their block took out instead of
	// the counters (Reacted.Uncounted).
	React(ctx context.Context, r Reaction, then func(prev string) Effects) (Reacted, error)
	// SettleBlocked brings the counting of member's reactions to their
	// blocks as they stand (BlockStore): a blocked member's reactions are
	// taken out of the posts' counters, with a record of what was taken;
	// once no block remains, what the record holds is put back. Exactly
	// once: repeated, or run again after a block or unblock already
	// settled, it moves nothing. It returns the posts whose counters
	// moved. A store that cannot do it atomically (Riak) does nothing:
	// the reactions stay counted.
	SettleBlocked(ctx context.Context, app, member string) (moved []string, err error)
	// Unsettled returns up to limit members whose reactions' counting does
	// not follow their blocks: blocked with no record of what the block
	// took out, or with a record and no block left (members blocked
	// before reactions followed blocks; a block whose settling a crash cut
	// short). A store that does not settle (Riak) returns none.
	Unsettled(ctx context.Context, limit int) ([]MemberRef, error)
	// Counts returns a post's counters.
	Counts(ctx context.Context, app, post string) (Counts, error)
	// MemberReactions returns member's reactions by post.
	MemberReactions(ctx context.Context, app, member string) (map[string]string, error)
}

// ChangeLog records what changes of documents tell others: events,
// notifications and comment count deltas, kept pending while the document
// is written.
type ChangeLog interface {
	// Record records effects: events, notifications, comment count deltas.
	// It also settles the pending changes of its events (Intend): their
	// comment count deltas are applied by whichever of Record, Settle or
	// Intend takes the pending row, so exactly once.
	Record(ctx context.Context, eff Effects) error
	// Intend keeps a change about to be written to a document pending (its
	// event and comment count deltas) until Record records it. prev is the
	// LastEvent of the revision the change replaces: that revision is
	// visible, so if its change is still pending (its writer died before
	// Record) it is recorded now, before the new one, and recorded is true.
	Intend(ctx context.Context, p PendingEvent, prev string) (recorded bool, err error)
	// Pending returns pending changes older than age.
	Pending(ctx context.Context, age time.Duration, limit int) ([]PendingEvent, error)
	// Settle records a pending change (publish: its event in the outbox,
	// its count deltas applied) or drops it; a no-op when it is no longer
	// pending.
	Settle(ctx context.Context, p PendingEvent, publish bool) error
}

// NotificationStore holds the members' notifications (ChangeLog.Record
// and ReactionStore.React add them).
type NotificationStore interface {
	// Notifications returns up to limit of member's notifications older
	// than the notification id before ("" for the newest), newest first.
	Notifications(ctx context.Context, q NotificationQuery) ([]Notification, error)
	// MarkRead marks member's notifications among ids read (all of them
	// when all).
	MarkRead(ctx context.Context, app, member string, ids []string, all bool) error
}

// ReportStore holds the members' reports of posts.
type ReportStore interface {
	// AddReport records a report, once per reporter and post while it is
	// open: a report of a post the reporter reported and a moderator
	// resolved since opens again, with r's id, reason, note and time (so
	// it comes last in the queue); one still open is left unchanged.
	AddReport(ctx context.Context, r Report) error
	// OpenReports returns up to limit open reports after the report id
	// after, oldest first.
	OpenReports(ctx context.Context, app, after string, limit int) ([]Report, error)
	// ResolveReports resolves the open reports of posts.
	ResolveReports(ctx context.Context, app string, posts []string, by string) error
}

// BlockStore holds the blocks of members, by source.
type BlockStore interface {
	// SetBlock records (on) or lifts a block of member by source ("social"
	// for moderators, "hub" for hub's block), and reports whether any block
	// remains.
	SetBlock(ctx context.Context, b BlockRecord, on bool) (blocked bool, err error)
	Blocked(ctx context.Context, app, member string) (bool, error)
	// BlockedAmong returns which of members are blocked (by any source),
	// in one query: the members absent are not blocked.
	BlockedAmong(ctx context.Context, app string, members []string) (map[string]bool, error)
}

// ProfileStore holds the authors' profiles from hub's member events, and
// forgets a deleted member.
type ProfileStore interface {
	// Profiles returns the stored profiles among members.
	Profiles(ctx context.Context, app string, members []string) (map[string]Profile, error)
	// SaveProfile stores a profile as of at, unless a later one is stored.
	SaveProfile(ctx context.Context, p Profile, at time.Time) error
	// ResyncProfile stores a profile read from hub as of at, replacing
	// one stored from an event older than before (a newer one, or a
	// deleted member's, stays).
	ResyncProfile(ctx context.Context, p Profile, at, before time.Time) error
	// ProfileMembers lists the members of app whose stored profile (not
	// a deleted member's) is older than before.
	ProfileMembers(ctx context.Context, app string, before time.Time) ([]string, error)
	// ForgetMember deletes what the ledger holds of a deleted member:
	// their notifications and reports.
	ForgetMember(ctx context.Context, app, member string) error
}

// FeedIndex is the feeds: post ids by feed, newest first. It is a cache,
// rebuilt from the posts when missing.
type FeedIndex interface {
	// Rebuild replaces the app's feed index by entries (under a lock: one
	// rebuild at a time; others wait for it) and marks it built.
	Rebuild(ctx context.Context, app string, load func(add func(IndexEntry)) error) error
	// Add puts a visible post into its feeds and caches it (when cached
	// is not nil).
	Add(ctx context.Context, e IndexEntry, cached *CachedPost) error
	// Remove takes a post out of its feeds (its cache entry is the
	// PostCache's: DropPost).
	Remove(ctx context.Context, e IndexEntry) error
	// Page returns up to n post ids of a feed older than after (newest
	// first), and whether the app's index is built.
	Page(ctx context.Context, app string, f Feed, after string, n int) ([]string, bool, error)
}

// PostCache is the cache of posts with their counters and of members'
// reactions. Readers fill documents only if absent. A member's reactions
// are filled only by a fill started (StartMemberReactions) before the
// reader read them, and only if no reaction of the member reached the
// cache meanwhile (ApplyReaction cancels the fills in flight); writers
// change them only once filled. Counters are
// taken by version, from readers and writers alike: an entry's counters
// are replaced only by counters of a later Counts.Version, so whichever
// order readers (who read before or after a change) and writers land in,
// the entry ends with the newest counters committed.
type PostCache interface {
	// Items reads the cached posts (nil when missing) and the member's
	// reactions among ids (loaded false when the member's reactions are not
	// cached).
	Items(ctx context.Context, app, member string, ids []string) (posts []*CachedPost, mine map[string]string, loaded bool, err error)
	// CachePost stores a post's cache entry, read from the stores: its
	// document unless one is cached, a tombstone holds its place, or a
	// floor above its revision (DropPost); its counters unless the entry
	// holds the same or a later version (a tombstone refuses them too).
	// Unversioned counters (Counts.Unversioned) are taken only where the
	// entry has none, and the entry then expires after a short while.
	CachePost(ctx context.Context, app string, p *CachedPost) error
	// DropPost drops a post's cache entry, to be reloaded. With rev, the
	// revision a change stored, it leaves a floor: for a while a refill
	// of an older revision (read before the change) is refused and one of
	// rev or later is cached at once, so that an edited post costs one
	// store read, not one on every page for a while; an entry that
	// already holds rev or later stays, and the entry's counters stay
	// with the floor. Without rev (counters corrected behind the cache) it
	// leaves a tombstone that refuses every refill for that while.
	DropPost(ctx context.Context, app, post, rev string) error
	// StartMemberReactions starts a fill of member's reactions, not
	// cached, before they are read from the ledger: it returns the fill's
	// token for CacheMemberReactions. The fill is cancelled by a reaction
	// of the member applied (ApplyReaction) before it lands, by another
	// fill started, and after a while.
	StartMemberReactions(ctx context.Context, app, member string) (fill string, err error)
	// CacheMemberReactions stores a member's reactions r, read from the
	// ledger after StartMemberReactions answered fill, unless they are
	// cached or the fill was cancelled: so a reaction that committed after
	// r was read, and whose cache step found nothing to change, is never
	// left out of the cache.
	CacheMemberReactions(ctx context.Context, app, member, fill string, r map[string]string) error
	// ApplyReaction sets the member's cached reaction to r.Kind (only
	// when their reactions are cached; otherwise it cancels their fills in
	// flight) and, unless counts is nil, the post's counters as SetCounts
	// does, in one step. It runs after the reaction committed.
	ApplyReaction(ctx context.Context, r Reaction, counts *Counts) error
	// SetCounts stores a post's counters read from the ledger after a
	// change committed, unless the entry holds the same or a later
	// version; with no entry it keeps them for a while, for the reader
	// that fills the document (a reader that read older counters then
	// keeps these). Unversioned counters (Riak) cannot be ordered: the
	// entry's counters are dropped instead, to be reloaded.
	SetCounts(ctx context.Context, app, post string, counts Counts) error
}

// ProfileCache is the cache of the authors' profiles. A cached profile
// carries the Version of the stored row it copies. A change drops the
// member's entry and leaves its time as a floor, so that a reader that read
// the store before the change (a Version below the floor) cannot cache
// what it read, and one that read it after the change caches at once: a
// profile changed in the middle of an event costs one store read, not a
// store read on every page for a while.
type ProfileCache interface {
	// Profiles reads cached profiles; missing ones are absent.
	Profiles(ctx context.Context, app string, members []string) (map[string]Profile, error)
	// CacheProfiles stores each profile read from the store, unless the
	// cache holds the same or a newer version, or a floor above its
	// Version.
	CacheProfiles(ctx context.Context, app string, ps []Profile) error
	// DropProfile drops a member's cached profile after a change stored
	// at at, unless the cache already holds that change or a later one.
	DropProfile(ctx context.Context, app, member string, at time.Time) error
}

// RateLimiter holds the members' rate limits.
type RateLimiter interface {
	// Allow takes one token of the bucket of b.Member for b.Action, or
	// returns how long to wait.
	Allow(ctx context.Context, b Bucket, l Limit) (wait time.Duration, err error)
}

// PendingUploads counts each member's pending uploads (photos uploaded and
// not yet in a post, until they expire) to bound them. Each is counted
// with its own expiry, so a count the service failed to release (a
// replica died between the steps) is dropped when its upload expires;
// losing the counts (Redis flushed) forgets the pending uploads, never
// blocks anyone.
type PendingUploads interface {
	// ReservePending first drops the member's pending uploads expired at
	// now, then counts p unless that would take the member past q
	// (Reserved false, and how long until enough of them expire for p to
	// fit). Checking and counting are one atomic step: uploads at once
	// never pass q together. Reserving an id already counted changes
	// nothing.
	ReservePending(ctx context.Context, p PendingUpload, q UploadQuota, now time.Time) (Reservation, error)
	// ReleasePending forgets pending uploads of member (in a post now, or
	// never stored); ids not counted are ignored.
	ReleasePending(ctx context.Context, app, member string, ids []string) error
}

// PendingUpload is an upload counted against its author's UploadQuota.
type PendingUpload struct {
	App, Member, ID string
	Bytes           int64
	Expires         time.Time
}

// UploadQuota bounds a member's pending uploads.
type UploadQuota struct {
	Count int
	Bytes int64
}

// Reservation is what ReservePending decided.
type Reservation struct {
	Reserved bool
	// Count and Bytes are the member's pending uploads besides the one
	// reserved (the unexpired ones, before it was counted).
	Count int
	Bytes int64
	// Wait, when not reserved, is how long until enough pending uploads
	// expire for this one to fit (0 when it never would: larger than the
	// quota by itself).
	Wait time.Duration
}

// MemberRef names a member of an app.
type MemberRef struct{ App, Member string }

// Reaction is a member's reaction (Kind, "" for none) on a post.
type Reaction struct {
	App    string
	Post   string
	Member string
	Kind   string
}

// NotificationQuery selects a page of a member's notifications.
type NotificationQuery struct {
	App        string
	Member     string
	UnreadOnly bool
	// Before is the id of the last notification of the previous page.
	Before string
	Limit  int
}

// Bucket names a member's rate limit of one action.
type Bucket struct {
	App    string
	Member string
	Action string // "post", "comment", "reaction"...
}

// Reacted is what ReactionStore.React did.
type Reacted struct {
	// Prev is the reaction before the call.
	Prev string
	// Changed says the reaction changed: the counters moved by it, and the
	// effects were recorded.
	Changed bool
	// Recounted says the post's counters were corrected for an earlier
	// change of the member's reaction (on Riak: one whose counting failed
	// after its register was written): cached copies of the counters, and
	// of the member's reaction, are stale.
	Recounted bool
	// Uncounted says the member's reactions are uncounted (blocked): the
	// change moved the block's record, not the counters.
	Uncounted bool
}

// Effects are what a change records for others, atomically where possible.
type Effects struct {
	// App is the app of every effect.
	App           string
	Events        []events.Event
	Notifications []Notification
	// Comments adds to the comment counters of posts.
	Comments map[string]int64
}

// PendingEvent is a change of a document whose event is waiting to be
// recorded: written before the document, recorded after it.
type PendingEvent struct {
	App   string
	DocID string
	Event events.Event
	// Comments are the comment count deltas of the change, by post.
	Comments map[string]int64
}

// Counts are a post's counters.
type Counts struct {
	Reactions map[string]int64
	Comments  int64
	// Version orders the committed states of the post's counters: every
	// change of them increments it in the same transaction (0 before the
	// first), so two reads with the same version read the same counters,
	// and a later version is a later state. The cache compares it.
	Version int64
	// Unversioned says the store keeps no such version (Riak): Version
	// means nothing, and the cache keeps such counters a short while.
	Unversioned bool
}

// Total is the sum of the reactions of every kind.
func (c Counts) Total() int64 {
	var n int64
	for _, v := range c.Reactions {
		n += v
	}
	return n
}

// Photo is a validated photo and its thumbnail, ready to store.
type Photo struct {
	ContentType string
	Data        []byte
	Width       int
	Height      int
	ThumbType   string
	Thumb       []byte
	ThumbWidth  int
	ThumbHeight int
}

// Upload is a photo waiting for its post.
type Upload struct {
	ID        string
	App       string
	Author    string
	CreatedAt time.Time
}

// Feed names one feed of an app.
type Feed struct {
	Kind string // social.Feed*
	ID   string // event, session, member id or hashtag
}

// IndexEntry is what the feed index needs of a post.
type IndexEntry struct {
	App      string
	ID       string
	Event    string
	Session  string
	Author   string
	Hashtags []string
}

// Feeds lists the feeds a post belongs to.
func (e IndexEntry) Feeds() []Feed {
	var fs []Feed
	switch {
	case e.Session != "":
		fs = append(fs, Feed{social.FeedSession, e.Session})
	case e.Event != "":
		fs = append(fs, Feed{social.FeedApp, ""}, Feed{social.FeedEvent, e.Event})
	default:
		fs = append(fs, Feed{social.FeedApp, ""})
	}
	if e.Author != "" {
		fs = append(fs, Feed{social.FeedMember, e.Author})
	}
	for _, t := range e.Hashtags {
		fs = append(fs, Feed{social.FeedHashtag, t})
	}
	return fs
}

// CachedPost is a post as the index caches it: the document (without
// attachments) and its counters.
type CachedPost struct {
	Doc    *Post
	Counts Counts
}

// Notification is one notification of a member.
type Notification struct {
	ID        string
	App       string
	Member    string // who is notified
	Kind      string
	Actor     string
	Post      string
	Comment   string
	Reaction  string
	CreatedAt time.Time
	ReadAt    *time.Time
}

// Report is a member's report of a post.
type Report struct {
	ID        string
	App       string
	Post      string
	Reporter  string
	Reason    string
	Note      string
	CreatedAt time.Time
}

// BlockRecord is a block of a member.
type BlockRecord struct {
	App    string
	Member string
	Source string // "social" or "hub"
	By     string
	Reason string
	At     time.Time
}

// Profile is a member's public profile, from hub's member events.
type Profile struct {
	App      string
	Member   string
	Name     string
	Company  string
	Title    string
	PhotoURL string
	Deleted  bool
	// Version is when the stored row last changed (zero for a member the
	// store has no row of): what the cache compares.
	Version time.Time
}

// Limit is a rate limit: Burst actions at once, refilled at Per each.
type Limit struct {
	Burst int
	Per   time.Duration
}
