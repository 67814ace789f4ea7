package hub

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/redisx"
)

// The read model: what other services check on every request, kept in
// Redis by hub (its only writer) and read with ReadModel.
//
// Keys (redisx.Keys of service "hub"; every key of an app shares the hash
// tag {app:<id>}):
//
//	hub:{app:<id>}:config        hash: the app's configuration (AppConfig)
//	hub:{app:<id>}:m:<user>      hash: a user's membership (Membership),
//	                             with a field "r:<event>" per event a member
//	                             is registered to
//	hub:{app:<id>}:events        hash: the app's events (field "list", JSON)
//	hub:{app:<id>}:revoked:<user> string: the user's revocation mark in the
//	                             app (tokens whose seq is at or below it are
//	                             refused); absent when none
//	hub:readmodel:ready          string: present once the read model is complete
//	hub:origin:<origin>          set: ids of apps that listed the web origin
//	                             (a hint: OriginAllowed checks each app's
//	                             config, so an app that dropped it since
//	                             allows it no more)
//
// Each hash has a field "v", the version of the Postgres row it mirrors:
// hub writes a hash only when its version is newer than the stored one, so
// late or replayed writes never roll it back. A deleted object leaves a
// tombstone ("gone" = "1") for a day so that an older write cannot bring
// it back.
//
// After Redis is flushed, hub notices the missing ready key within seconds
// and rebuilds everything from Postgres. Until then a reader cannot tell "not
// a member" from "not rebuilt yet": a miss without the ready key is
// errs.Unavailable (retryable), not errs.NotFound.
type ReadModelKeys struct {
	k redisx.Keys
}

// NewReadModelKeys returns the read model's key names under namespace (empty
// in production, a test's namespace in tests).
func NewReadModelKeys(namespace string) ReadModelKeys {
	return ReadModelKeys{k: redisx.NewKeys(namespace, "hub")}
}

func appTag(app string) string { return "app:" + app }

// Config is the key of an app's configuration hash.
func (k ReadModelKeys) Config(app string) string { return k.k.Tagged(appTag(app), "config") }

// Membership is the key of a user's membership hash in an app.
func (k ReadModelKeys) Membership(app, user string) string {
	return k.k.Tagged(appTag(app), "m", user)
}

// Events is the key of an app's event list hash.
func (k ReadModelKeys) Events(app string) string { return k.k.Tagged(appTag(app), "events") }

// Revoked is the key of a user's revocation mark in an app.
func (k ReadModelKeys) Revoked(app, user string) string {
	return k.k.Tagged(appTag(app), "revoked", user)
}

// Origin is the key of the set of apps that listed a web origin.
func (k ReadModelKeys) Origin(origin string) string { return k.k.Key("origin", origin) }

// Ready is the key whose presence says the read model is complete.
func (k ReadModelKeys) Ready() string { return k.k.Key("readmodel", "ready") }

// RebuildLock is the key a rebuilding replica holds.
func (k ReadModelKeys) RebuildLock() string { return k.k.Key("readmodel", "rebuilding") }

// Field names of the read-model hashes.
const (
	FieldVersion = "v"
	FieldGone    = "gone"

	FieldRole       = "role"
	FieldMemberRole = "member_role"
	FieldBlocked    = "blocked"
	FieldTicketType = "ticket_type"

	FieldID           = "id"
	FieldSlug         = "slug"
	FieldName         = "name"
	FieldStatus       = "status"
	FieldAccess       = "access"
	FieldPrimaryColor = "primary_color"
	FieldAccentColor  = "accent_color"
	FieldIconURL      = "icon_url"
	FieldWebOrigins   = "web_origins" // space-separated

	FieldList = "list"

	// FieldRegisteredPrefix starts the name of a membership field per event
	// the member is registered to ("r:<event id>" = "1").
	FieldRegisteredPrefix = "r:"
)

// Membership is a user's standing in an app: an attendee (a member) or an
// organizer (a collaborator).
type Membership struct {
	App  string `json:"app_id"`
	User string `json:"user_id"`
	// Role is the auth role the user's token carries in the app:
	// auth.RoleAttendee for members, an organizer role for collaborators.
	Role string `json:"role"`
	// MemberRole is what a member is at the conference (attendee, speaker,
	// sponsor, staff); empty for organizers.
	MemberRole string `json:"member_role,omitempty"`
	Blocked    bool   `json:"blocked"`
	// TicketType is a member's ticket, pass or registration type as the
	// organizers set it (empty when none; compare in any case).
	TicketType string `json:"ticket_type,omitempty"`
	// Registered lists the events a member is registered to, sorted (nil
	// for none and for organizers).
	Registered []string `json:"registered,omitempty"`
}

// Organizer reports whether the membership is an organizer's.
func (m Membership) Organizer() bool { return auth.IsOrganizerRole(m.Role) }

// AppConfig is an app's configuration in the read model.
type AppConfig struct {
	ID       string   `json:"id"`
	Slug     string   `json:"slug"`
	Name     string   `json:"name"`
	Status   string   `json:"status"`
	Access   string   `json:"access"`
	Branding Branding `json:"branding"`
	// WebOrigins are the origins of the app's web apps (CheckWebOrigins).
	WebOrigins []string `json:"web_origins,omitempty"`
}

// Readable reports whether members may read the app: published or expired.
func (a AppConfig) Readable() bool { return a.Status == StatusPublished || a.Status == StatusExpired }

// EventInfo is an event in the read model's event list.
type EventInfo struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	TimeZone   string    `json:"time_zone"`
	StartUTC   time.Time `json:"start_utc"`
	EndUTC     time.Time `json:"end_utc"`
	Visibility string    `json:"visibility"`
	Access     string    `json:"access"`
}

// ReadModel reads hub's read model. It is safe for concurrent use.
type ReadModel struct {
	rdb  redis.UniversalClient
	keys ReadModelKeys
}

// NewReadModel returns a reader of the read model under namespace (the
// deployment's Redis namespace; empty in production).
func NewReadModel(rdb redis.UniversalClient, namespace string) *ReadModel {
	return &ReadModel{rdb: rdb, keys: NewReadModelKeys(namespace)}
}

// get reads one hash: errs.NotFound when it is absent or a tombstone.
func (r *ReadModel) get(ctx context.Context, key string) (map[string]string, error) {
	hs, _, err := r.read(ctx, "", key)
	if err != nil {
		return nil, err
	}
	if hs[0] == nil {
		return nil, errs.New(errs.NotFound, "not found")
	}
	return hs[0], nil
}

// read reads hashes, the revocation mark at markKey (unless it is ""; 0
// when absent) and whether the read model is complete, in one round trip.
// A hash that is absent or a tombstone comes back nil; an absent one while
// the read model is being rebuilt is errs.Unavailable (retryable), not an
// answer.
func (r *ReadModel) read(ctx context.Context, markKey string, keys ...string) ([]map[string]string, int64, error) {
	hs := make([]*redis.MapStringStringCmd, len(keys))
	var ready *redis.IntCmd
	var mark *redis.StringCmd
	_, err := r.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			hs[i] = p.HGetAll(ctx, k)
		}
		if markKey != "" {
			mark = p.Get(ctx, markKey)
		}
		ready = p.Exists(ctx, r.keys.Ready())
		return nil
	})
	if err != nil && err != redis.Nil { // Nil: no mark, the usual case
		return nil, 0, errs.Wrap(errs.Unavailable, redisx.Err(err), "hub read model unavailable")
	}
	out := make([]map[string]string, len(keys))
	for i, h := range hs {
		m := h.Val()
		switch {
		case len(m) == 0 && ready.Val() == 0:
			return nil, 0, errs.New(errs.Unavailable, "hub read model is being rebuilt; retry")
		case len(m) > 0 && m[FieldGone] != "1":
			out[i] = m
		}
	}
	var revoked int64
	if mark != nil && mark.Err() == nil {
		revoked, _ = strconv.ParseInt(mark.Val(), 10, 64)
	}
	return out, revoked, nil
}

// CheckTokenSeq is hub's revocation rule: a user token whose sequence
// number (auth.Caller.TokenSeq) is at or below the user's revocation mark
// was issued before a password change, a sign-out or a removal, and is
// refused (errs.CodeTokenInvalid).
func CheckTokenSeq(tokenSeq, revoked int64) error {
	if revoked > 0 && tokenSeq <= revoked {
		return errs.WithCode(errs.CodeTokenInvalid, "the token was revoked (a password change, a sign-out or a removal): sign in again")
	}
	return nil
}

// Membership returns user's membership in app. Errors: errs.NotFound when
// the user is not a member (or the app does not exist), errs.Unavailable
// (retryable) while the read model is being rebuilt or Redis is down.
func (r *ReadModel) Membership(ctx context.Context, app, user string) (Membership, error) {
	m, err := r.get(ctx, r.keys.Membership(app, user))
	if err != nil {
		return Membership{}, err
	}
	return decodeMembership(app, user, m), nil
}

func decodeMembership(app, user string, m map[string]string) Membership {
	mem := Membership{App: app, User: user, Role: m[FieldRole], MemberRole: m[FieldMemberRole], Blocked: m[FieldBlocked] == "1", TicketType: m[FieldTicketType]}
	for f := range m {
		if ev, ok := strings.CutPrefix(f, FieldRegisteredPrefix); ok {
			mem.Registered = append(mem.Registered, ev)
		}
	}
	slices.Sort(mem.Registered)
	return mem
}

// App returns an app's configuration; errs.NotFound when it does not exist.
func (r *ReadModel) App(ctx context.Context, app string) (AppConfig, error) {
	m, err := r.get(ctx, r.keys.Config(app))
	if err != nil {
		return AppConfig{}, err
	}
	return decodeAppConfig(m), nil
}

func decodeAppConfig(m map[string]string) AppConfig {
	return AppConfig{
		ID: m[FieldID], Slug: m[FieldSlug], Name: m[FieldName], Status: m[FieldStatus], Access: m[FieldAccess],
		Branding:   Branding{PrimaryColor: m[FieldPrimaryColor], AccentColor: m[FieldAccentColor], IconURL: m[FieldIconURL]},
		WebOrigins: strings.Fields(m[FieldWebOrigins]),
	}
}

// Events returns an app's events by start (hidden ones included: check
// Visibility); errs.NotFound when the app does not exist.
func (r *ReadModel) Events(ctx context.Context, app string) ([]EventInfo, error) {
	m, err := r.get(ctx, r.keys.Events(app))
	if err != nil {
		return nil, err
	}
	return decodeEvents(m)
}

func decodeEvents(m map[string]string) ([]EventInfo, error) {
	var evs []EventInfo
	if err := json.Unmarshal([]byte(m[FieldList]), &evs); err != nil {
		return nil, errs.Wrap(errs.Internal, err, "decode hub event list")
	}
	return evs, nil
}

// Authorize is the per-request check of a user caller in app: the token's
// user must be a member or collaborator of app, not blocked, the token not
// revoked (CheckTokenSeq), and the app readable by members (published or
// expired) unless the caller is an organizer. Service callers without a
// user pass. It returns the membership (zero for services) or
// errs.Forbidden / errs.NotFound / errs.Unavailable, or
// errs.CodeTokenInvalid for a revoked token.
func (r *ReadModel) Authorize(ctx context.Context, c auth.Caller, app string) (Membership, error) {
	a, err := r.authorize(ctx, c, app, false)
	return a.Membership, err
}

// AuthorizeEvents is Authorize that also returns what the caller may see of
// the app's events (EventAccess.Event), in the same single round trip:
// for requests that involve events, or show posts of several events.
func (r *ReadModel) AuthorizeEvents(ctx context.Context, c auth.Caller, app string) (EventAccess, error) {
	return r.authorize(ctx, c, app, true)
}

// AuthorizeEvent is Authorize plus EventAccess.Event(event): the caller
// may read event (its agenda, its feed). One round trip.
func (r *ReadModel) AuthorizeEvent(ctx context.Context, c auth.Caller, app, event string) (Membership, error) {
	a, err := r.authorize(ctx, c, app, true)
	if err != nil {
		return Membership{}, err
	}
	return a.Membership, a.Event(event)
}

func (r *ReadModel) authorize(ctx context.Context, c auth.Caller, app string, withEvents bool) (EventAccess, error) {
	if c.Kind == auth.CallerService && c.User == "" {
		if !withEvents {
			return EventAccess{all: true}, nil
		}
		hs, _, err := r.read(ctx, "", r.keys.Events(app))
		if err != nil {
			return EventAccess{}, err
		}
		return newEventAccess(Membership{}, true, hs[0])
	}
	if c.User == "" {
		return EventAccess{}, auth.NoCredentials()
	}
	if err := c.ScopedTo(app); err != nil {
		return EventAccess{}, err
	}
	// The membership (with the member's registrations), the app's status,
	// the user's revocation mark and, when asked, the app's events in one
	// round trip: this runs on every request of every service.
	keys := []string{r.keys.Membership(app, c.User), r.keys.Config(app)}
	if withEvents {
		keys = append(keys, r.keys.Events(app))
	}
	hs, revoked, err := r.read(ctx, r.keys.Revoked(app, c.User), keys...)
	if err != nil {
		return EventAccess{}, err
	}
	if err := CheckTokenSeq(c.TokenSeq, revoked); err != nil {
		return EventAccess{}, err
	}
	var events map[string]string
	if withEvents {
		events = hs[2]
	}
	return decideAccess(app, c.User, hs[0], hs[1], events, withEvents)
}

// decideAccess applies the rule of authorize to the hashes it read: the
// user's membership, the app's config and, withEvents, its event list.
func decideAccess(app, user string, membership, config, events map[string]string, withEvents bool) (EventAccess, error) {
	if membership == nil {
		return EventAccess{}, errs.WithCode(errs.CodeForbidden, "not a member of this app")
	}
	mem := decodeMembership(app, user, membership)
	if mem.Blocked {
		return EventAccess{}, errs.WithCode(errs.CodeForbidden, "this member is blocked")
	}
	if !mem.Organizer() {
		if config == nil {
			return EventAccess{}, errs.New(errs.NotFound, "app not found")
		}
		if !decodeAppConfig(config).Readable() {
			return EventAccess{}, errs.WithCode(errs.CodeForbidden, "this app is not published")
		}
	}
	if !withEvents {
		return EventAccess{Membership: mem}, nil
	}
	return newEventAccess(mem, mem.Organizer(), events)
}

// AnonymousAccess is what a reader who is not signed in may see of app (a
// public screen at the venue, say): nothing when the app does not exist
// (errs.NotFound) or members may not read it (errs.Forbidden, not
// published); otherwise EventAccess.Event applies the rule for a member
// registered to no event, so that hidden events and those restricted to
// registered members stay out. One round trip.
func (r *ReadModel) AnonymousAccess(ctx context.Context, app string) (EventAccess, error) {
	hs, _, err := r.read(ctx, "", r.keys.Config(app), r.keys.Events(app))
	if err != nil {
		return EventAccess{}, err
	}
	if hs[0] == nil {
		return EventAccess{}, errs.New(errs.NotFound, "app not found")
	}
	if !decodeAppConfig(hs[0]).Readable() {
		return EventAccess{}, errs.WithCode(errs.CodeForbidden, "this app is not published")
	}
	return newEventAccess(Membership{App: app}, false, hs[1])
}

// EventReaders reports, for each of users, whether AuthorizeEvent would let
// them read event of app (a member, not blocked, the app readable, the
// event readable to them): for services that tell members about an
// event's content. One round trip for all of them.
func (r *ReadModel) EventReaders(ctx context.Context, app, event string, users []string) ([]bool, error) {
	keys := make([]string, 0, 2+len(users))
	keys = append(keys, r.keys.Config(app), r.keys.Events(app))
	for _, u := range users {
		keys = append(keys, r.keys.Membership(app, u))
	}
	hs, _, err := r.read(ctx, "", keys...)
	if err != nil {
		return nil, err
	}
	may := make([]bool, len(users))
	for i, u := range users {
		a, err := decideAccess(app, u, hs[2+i], hs[0], hs[1], true)
		if err == nil {
			err = a.Event(event)
		}
		switch errs.KindOf(err) {
		case errs.Forbidden, errs.NotFound:
		default:
			if err != nil {
				return nil, err
			}
			may[i] = true
		}
	}
	return may, nil
}

// EventAccess is what an authorized caller may see of an app's events. It
// applies hub's own rule for reading an event's agenda: organizers
// (collaborators of every role) and services see every event; a member
// sees a hidden event only when registered to it, and reads an event whose
// access is "code" or "listed" only when registered to it. A member's
// conference role (staff, speaker...) changes nothing.
type EventAccess struct {
	Membership
	all    bool                 // organizers and services
	events map[string]EventInfo // by id; nil when not read
}

func newEventAccess(m Membership, all bool, h map[string]string) (EventAccess, error) {
	a := EventAccess{Membership: m, all: all, events: map[string]EventInfo{}}
	if h == nil {
		return a, nil // no event list: the app has no events
	}
	raw := h[FieldList]
	if evs, ok := eventLists.get(raw); ok {
		a.events = evs
		return a, nil
	}
	evs, err := decodeEvents(h)
	if err != nil {
		return EventAccess{}, err
	}
	for _, e := range evs {
		a.events[e.ID] = e
	}
	eventLists.put(raw, a.events)
	return a, nil
}

// eventLists holds the decoded event lists of the read model, keyed by
// their JSON: AuthorizeEvents reads an app's list on every request, and
// it changes only when an event does, so decoding it again each time was
// most of the cost of a request that lists events. A changed list is a
// new key (never a stale answer); the cache is emptied when full. The maps
// it holds are shared by every EventAccess built from them and never
// written after they are stored.
var eventLists = &decodedLists{m: map[string]map[string]EventInfo{}}

const maxDecodedLists = 256

type decodedLists struct {
	mu sync.RWMutex
	m  map[string]map[string]EventInfo
}

func (c *decodedLists) get(raw string) (map[string]EventInfo, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	evs, ok := c.m[raw]
	return evs, ok
}

func (c *decodedLists) put(raw string, evs map[string]EventInfo) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxDecodedLists {
		clear(c.m)
	}
	c.m[raw] = evs
}

// RegisteredTo reports whether the caller is registered to event.
func (a EventAccess) RegisteredTo(event string) bool {
	_, ok := slices.BinarySearch(a.Membership.Registered, event)
	return ok
}

// Event checks that the caller may read event: nil when they may,
// errs.NotFound when the event does not exist or is hidden from them,
// errs.Forbidden ("register to this event to see it") when it needs a
// registration they lack.
func (a EventAccess) Event(event string) error {
	if a.events == nil {
		return errs.New(errs.Internal, "hub: EventAccess without events (use AuthorizeEvents)")
	}
	switch a.Gate(event) {
	case GateHidden:
		return errs.New(errs.NotFound, "event not found")
	case GateCode, GateListed:
		return errs.WithCode(errs.CodeForbidden, "register to this event to see it")
	}
	return nil
}

// MaySee reports whether the caller may read event (Event is nil).
func (a EventAccess) MaySee(event string) bool { return a.Event(event) == nil }

// EncodeMembership is the field list of a membership hash (without the
// version), for hub's writer.
func EncodeMembership(m Membership) []string {
	b := "0"
	if m.Blocked {
		b = "1"
	}
	f := []string{FieldRole, m.Role, FieldMemberRole, m.MemberRole, FieldBlocked, b, FieldTicketType, m.TicketType}
	for _, ev := range m.Registered {
		f = append(f, FieldRegisteredPrefix+ev, "1")
	}
	return f
}

// EncodeAppConfig is the field list of a config hash (without the version).
func EncodeAppConfig(a AppConfig) []string {
	return []string{FieldID, a.ID, FieldSlug, a.Slug, FieldName, a.Name, FieldStatus, a.Status, FieldAccess, a.Access,
		FieldPrimaryColor, a.Branding.PrimaryColor, FieldAccentColor, a.Branding.AccentColor, FieldIconURL, a.Branding.IconURL,
		FieldWebOrigins, strings.Join(a.WebOrigins, " ")}
}

// EncodeEvents is the field list of an events hash (without the version).
func EncodeEvents(evs []EventInfo) ([]string, error) {
	evs = slices.Clone(evs)
	if evs == nil {
		evs = []EventInfo{}
	}
	b, err := json.Marshal(evs)
	if err != nil {
		return nil, err
	}
	return []string{FieldList, string(b)}, nil
}

// Version parses a hash's version field (0 when absent).
func Version(m map[string]string) int64 {
	v, _ := strconv.ParseInt(m[FieldVersion], 10, 64)
	return v
}
