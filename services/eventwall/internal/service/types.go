package service

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/attendify/platform/errs"
)

// Wall is a wall's settings, as stored.
type Wall struct {
	ID, App, Event string
	Title          string
	Layout         string
	Theme          Theme
	Rules          Rules
	DisplaySeconds int
	Paused         bool
	Public         bool
	ScreenKey      string
	// Token is the secret part of the wall's screen URL (/walls/<token>):
	// random, distinct from ID, rotated by RotateToken.
	Token   string
	Version int64
	// ModerationVersion grows with every verdict or mark on the wall.
	ModerationVersion int64
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// Theme is a wall's look.
type Theme struct {
	Background, Text, Accent, Logo string
}

// Rules decide which posts a wall shows: everything the ingester needs.
type Rules struct {
	Event          string // the wall's event
	Scope          string // eventwall.ScopeEvent or ScopeApp
	Hashtags       []string
	PhotosOnly     bool
	Mode           string // eventwall.ModerationAuto, Manual, Off
	Blocklist      []string
	AllowList      []string
	BlockedAuthors []string
	// Audience limits a public wall to what an anonymous reader may see
	// of the app (hub's rule); nil for a private wall, whose screens hold
	// the organizers' key and show what organizers see.
	Audience *Audience
}

// Audience is what a reader who is not signed in may see of an app, by
// hub's rules (hub.ReadModel.AnonymousAccess): whether the app is readable
// at all (its app-wide posts), and which of its events.
type Audience struct {
	App    bool
	Events []string // sorted
}

// MaySee reports whether the audience may see the posts of event ("" for
// an app-wide post).
func (a *Audience) MaySee(event string) bool {
	if !a.App {
		return false
	}
	if event == "" {
		return true
	}
	_, ok := slices.BinarySearch(a.Events, event)
	return ok
}

// Fingerprint identifies the rules, and how posts are rendered
// (renderVersion): the ingester re-applies a wall's rules to every post
// when it changes.
func (r Rules) Fingerprint() string {
	return fingerprint(renderVersion, r.Event, r.Scope, sorted(r.Hashtags), r.PhotosOnly, r.Mode, sorted(r.Blocklist), sorted(r.AllowList), sorted(r.BlockedAuthors), r.Audience)
}

// RulesID identifies the rules of the wall's own settings that judge its
// posts: its filters, its moderation settings and whether it is public.
// Each entry keeps the RulesID of the rules that judged it, and an
// approval shows a post only while the wall's rules are still those
// (Board.Approve). Left out: the authors blocked on the wall, which the
// board checks itself, and hub's rule for a public wall's readers, which
// the wall's settings do not hold: the approval reads it from hub and the
// board checks the post's event against it (Approval.Audience).
func (w Wall) RulesID() string {
	r := w.Rules
	return fingerprint(r.Event, r.Scope, sorted(r.Hashtags), r.PhotosOnly, r.Mode, sorted(r.Blocklist), sorted(r.AllowList), w.Public)
}

// fingerprint is a short hash of parts, in JSON.
func fingerprint(parts ...any) string {
	b, _ := json.Marshal(parts)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// sorted returns a sorted copy of ss, empty rather than nil, so that a
// list's order and absence make no difference to a fingerprint.
func sorted(ss []string) []string {
	out := append([]string{}, ss...)
	slices.Sort(out)
	return out
}

// Outcomes of a decision about a post on a wall.
const (
	// Show puts the post on the screens (or updates it there).
	Show = "show"
	// Hold takes it off the screens and puts it in the moderation queue.
	Hold = "hold"
	// Drop takes it off the screens and out of the queue.
	Drop = "drop"
	// Refresh re-renders the post only if it is on the screens (a mark
	// changed); otherwise nothing happens.
	Refresh = "refresh"
)

// Decision is what to do with one revision of a post on one wall. The
// board applies it atomically, after checks of its own: a decision made
// with rules older than the wall's rules in force is refused
// (ErrStaleRules), a revision older than one applied already is ignored,
// and a moderator's decision overrides Show and Hold (an approval of the
// same text shows a held post, a rejection drops it; an author blocked on
// the wall is dropped).
type Decision struct {
	Post    string
	Rev     int64 // the CouchDB revision number ("3-..." is 3)
	Outcome string
	Entry   Entry
	// Rules is the version of the wall's settings whose rules made the
	// decision; 0 for a moderator's action on the entry the board keeps,
	// which no change of the rules makes stale.
	Rules int64
}

// EncodeEntry checks that the board can apply d (a post shown or queued
// needs its screen item as a JSON object, which the board marks by
// splicing before its closing brace) and returns d's entry as the board
// keeps it. Both board adapters call it first.
func (d Decision) EncodeEntry() ([]byte, error) {
	item := d.Entry.Item
	if d.Outcome != Drop && (len(item) < 2 || item[len(item)-1] != '}') {
		return nil, errs.New(errs.Internal, "apply %s: the item is not a JSON object", d.Post)
	}
	return json.Marshal(d.Entry)
}

// Entry is a post as a wall keeps it (shown or waiting): what a moderator's
// later decision needs without reading CouchDB again.
type Entry struct {
	Post    string `json:"post"`
	Author  string `json:"author,omitempty"` // member id
	Rev     int64  `json:"rev"`
	Hash    string `json:"hash"` // of the text: an approval holds for this text
	Created int64  `json:"created"`
	Reason  string `json:"reason,omitempty"` // why it waits
	// Event is the post's event ("" for an app-wide post), which an
	// approval on a public wall checks against hub's rule. Always
	// written: an entry without it is from before it was kept.
	Event string `json:"event"`
	// RulesID names the wall's rules that judged the post (Wall.RulesID).
	RulesID string `json:"rules_id,omitempty"`
	// Item is the screen item (eventwall.Item) without its mark. It stays
	// the last field: the Redis board's approval script takes it from the
	// end of the entry's JSON, byte for byte as applied.
	Item json.RawMessage `json:"item"`
}

// Applied is the result of a decision.
type Applied struct {
	Outcome string // what was done, after the board's checks ("" when the revision was stale)
	Changed bool   // the screens' state changed (a new cursor)
}

// Approval is a moderator's approval of a post a wall keeps, which the
// board applies only if the post is still as approved (Board.Approve).
type Approval struct {
	Post string
	// Rev is the revision approved (the one the moderator saw); 0 for
	// whichever the wall keeps.
	Rev int64
	// Rules is the version of the wall's settings the approver read, and
	// RulesID the identity of their rules (Wall.RulesID).
	Rules   int64
	RulesID string
	// Audience is hub's rule for anonymous readers, read when the approval
	// is made, on a public wall; nil on a private one. The board refuses
	// (eventwall.RefusedNotPublic) a post of an event it does not let
	// them see.
	Audience *Audience
}

// ApprovalOutcome is the board's answer to an approval: the revision and
// text (hash) it approved, or why it refused to (Refused, one of
// eventwall's Refused* reasons), changing nothing.
type ApprovalOutcome struct {
	Rev     int64
	Hash    string
	Refused string
}

// PostRef names a post on one of an app's walls.
type PostRef struct {
	App, Wall, Post string
}

// Moderation is what the moderators decided about one post on one wall.
type Moderation struct {
	Post string
	// Verdict is "a:<text hash>" (approved, for that text), "r" (rejected)
	// or "" (none).
	Verdict string
	// Mark is eventwall.MarkPin, eventwall.MarkHighlight or "" (none).
	Mark string
	// Version is the wall's moderation version that wrote it: of two
	// writes about a post, the higher version is the later.
	Version int64
}

// Moderations is every decision of a wall's moderators, as of the wall's
// moderation version Version.
type Moderations struct {
	Version int64
	Posts   []Moderation
}

// BoardState is what the board holds of a wall's bookkeeping, for the
// ingester to see what Redis lacks.
type BoardState struct {
	// Fingerprint is that of the rules the posts were last decided with
	// ("" when never, or after Redis lost them).
	Fingerprint string
	// Settings is the version of the settings the screens have (0: none).
	Settings int64
	// Public reports whether those settings are a public wall's (screens
	// need no key).
	Public bool
	// Moderation is the moderation version loaded from Postgres, or -1 when
	// the moderators' decisions are not loaded (then Apply refuses).
	Moderation int64
}

// Profile is an author's public profile, from hub's member events.
type Profile struct {
	Name     string `json:"name"`
	PhotoURL string `json:"photo_url,omitempty"`
}

// ScreenRecord is what the screens' side keeps of a wall's settings in
// Redis: the public part (Screen, JSON of eventwall.Screen) and what the
// server checks (app, token, key).
type ScreenRecord struct {
	Wall    string          `json:"wall"`
	App     string          `json:"app"`
	Version int64           `json:"version"`
	Public  bool            `json:"public"`
	Token   string          `json:"token"`
	Key     string          `json:"key,omitempty"`
	Gone    bool            `json:"gone,omitempty"`
	Screen  json.RawMessage `json:"screen"`
}

// TextHash is the hash an approval is bound to.
func TextHash(text string) string {
	sum := sha256.Sum256([]byte(text))
	return hex.EncodeToString(sum[:8])
}

// RevNumber is the number before the dash of a CouchDB revision ("3-abc"
// is 3), 0 when there is none.
func RevNumber(rev string) int64 {
	n, _, _ := strings.Cut(rev, "-")
	var v int64
	for _, c := range n {
		if c < '0' || c > '9' {
			return 0
		}
		v = v*10 + int64(c-'0')
	}
	return v
}
