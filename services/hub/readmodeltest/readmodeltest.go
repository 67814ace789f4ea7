// Package readmodeltest plays hub's part in other services' tests: it
// writes hub's read model with hub's own encoders, publishes hub's member
// events and issues tokens with the platform's issuer. Social, eventwall
// and the others thus test against exactly what hub publishes, without
// running hub (its own component tests cover that it does publish it).
package readmodeltest

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/attendify/hub"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/events"
	"github.com/attendify/platform/flake"
)

// Hub writes hub's read model and events under one Redis namespace.
type Hub struct {
	T         testing.TB
	Redis     redis.UniversalClient
	Namespace string

	keys   hub.ReadModelKeys
	issuer *auth.Issuer
	pub    *events.Publisher
	ids    *flake.Generator

	seq atomic.Int64 // the tokens' sequence numbers and revocation marks

	mu   sync.Mutex
	apps []string
	// What the memberships written hold, by membership key, so that each
	// write replaces the hash whole, as hub does.
	blocked    map[string]bool
	registered map[string][]string
}

// New returns a Hub writing under namespace, with the read model marked
// complete (as after hub's first build), tokens signed by issuer.
func New(t testing.TB, rdb redis.UniversalClient, namespace string, issuer *auth.Issuer) *Hub {
	t.Helper()
	h := &Hub{
		T: t, Redis: rdb, Namespace: namespace,
		keys:   hub.NewReadModelKeys(namespace),
		issuer: issuer,
		pub:    events.NewPublisher(rdb, events.NewStreams(namespace), events.PublisherConfig{}),
		ids:    flake.New(0),

		blocked:    map[string]bool{},
		registered: map[string][]string{},
	}
	if err := rdb.Set(context.Background(), h.keys.Ready(), "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	return h
}

// NewID returns a fresh id.
func (h *Hub) NewID() string { return h.ids.Next().String() }

// Apps lists the apps CreateApp made, for cleaning up what a test made for
// them.
func (h *Hub) Apps() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.apps...)
}

// CreateApp writes a published, open app with events into the read model.
func (h *Hub) CreateApp(evs ...hub.EventInfo) string {
	h.T.Helper()
	ctx := context.Background()
	id := h.NewID()
	h.mu.Lock()
	h.apps = append(h.apps, id)
	h.mu.Unlock()
	cfg := hub.EncodeAppConfig(hub.AppConfig{ID: id, Slug: "app-" + strings.ToLower(id[20:]), Name: "Test app", Status: hub.StatusPublished, Access: hub.AccessOpen})
	list, err := hub.EncodeEvents(evs)
	if err != nil {
		h.T.Fatal(err)
	}
	_, err = h.Redis.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, h.keys.Config(id), append(toAny(cfg), hub.FieldVersion, 1)...)
		p.HSet(ctx, h.keys.Events(id), append(toAny(list), hub.FieldVersion, 1)...)
		return nil
	})
	if err != nil {
		h.T.Fatal(err)
	}
	return id
}

// SetBranding sets app's brand colours and icon, as hub does when an
// organizer changes them (app.update).
func (h *Hub) SetBranding(app string, b hub.Branding) {
	h.T.Helper()
	ctx := context.Background()
	err := h.Redis.HSet(ctx, h.keys.Config(app), hub.FieldPrimaryColor, b.PrimaryColor, hub.FieldAccentColor, b.AccentColor,
		hub.FieldIconURL, b.IconURL).Err()
	if err != nil {
		h.T.Fatal(err)
	}
}

// SetWebOrigins sets app's web origins (already checked: as browsers send
// them), as hub does when an organizer changes them (app.update): in the
// app's config and the origins' index.
func (h *Hub) SetWebOrigins(app string, origins ...string) {
	h.T.Helper()
	ctx := context.Background()
	_, err := h.Redis.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, h.keys.Config(app), hub.FieldWebOrigins, strings.Join(origins, " "))
		for _, o := range origins {
			p.SAdd(ctx, h.keys.Origin(o), app)
		}
		return nil
	})
	if err != nil {
		h.T.Fatal(err)
	}
}

// SetEvents replaces app's event list, as hub does when an event is
// created, changed (its access, its visibility) or deleted.
func (h *Hub) SetEvents(app string, evs ...hub.EventInfo) {
	h.T.Helper()
	list, err := hub.EncodeEvents(evs)
	if err != nil {
		h.T.Fatal(err)
	}
	h.replace(h.keys.Events(app), list)
}

// NewEvent returns an open, public event of the read model's shape that
// runs from this hour for two days.
func (h *Hub) NewEvent(name string) hub.EventInfo {
	start := time.Now().UTC().Truncate(time.Hour)
	return hub.EventInfo{ID: h.NewID(), Name: name, TimeZone: "UTC", Visibility: hub.VisibilityPublic,
		Access: hub.EventAccessOpen, StartUTC: start, EndUTC: start.Add(48 * time.Hour)}
}

// Member is a member or organizer of a test app, with a token.
type Member struct {
	ID    string
	App   string
	Role  string
	Name  string
	Token string
}

// Ctx returns ctx carrying the member's token for outgoing calls.
func (m Member) Ctx(ctx context.Context) context.Context {
	return auth.WithCaller(ctx, auth.Caller{Kind: auth.CallerUser, User: m.ID, App: m.App, Role: m.Role, Token: m.Token})
}

// AddMember writes a membership, publishes member.created (the profile)
// and issues the member's token. role is auth.RoleAttendee or an organizer
// role.
func (h *Hub) AddMember(app, name, role string) Member {
	h.T.Helper()
	m := Member{ID: h.NewID(), App: app, Role: role, Name: name}
	h.SetMembership(m, false)
	h.Publish(hub.EventMemberCreated, m, false)
	tok, err := h.issuer.Issue(auth.Claims{User: m.ID, App: app, Role: role, Seq: h.seq.Add(1)}, time.Hour)
	if err != nil {
		h.T.Fatal(err)
	}
	m.Token = tok
	return m
}

// Revoke refuses the tokens m holds, as hub's auth.signOut does: it writes
// m's revocation mark above their sequence numbers, and the read model's
// Authorize* then answer token_invalid for them.
func (h *Hub) Revoke(m Member) {
	h.T.Helper()
	if err := h.Redis.Set(context.Background(), h.keys.Revoked(m.App, m.ID), h.seq.Add(1), 0).Err(); err != nil {
		h.T.Fatal(err)
	}
}

// SetMembership writes m's membership (blocked or not, with the events m
// is registered to), newer than any before it.
func (h *Hub) SetMembership(m Member, blocked bool) {
	h.T.Helper()
	key := h.keys.Membership(m.App, m.ID)
	h.mu.Lock()
	h.blocked[key] = blocked
	regs := slices.Clone(h.registered[key])
	h.mu.Unlock()
	h.replace(key, hub.EncodeMembership(hub.Membership{App: m.App, User: m.ID, Role: m.Role, Blocked: blocked, Registered: regs}))
}

// Register registers member m to events, as hub does after event.register
// (with the event code), event.addAttendees or bulk.members with an event.
func (h *Hub) Register(m Member, events ...string) {
	h.T.Helper()
	h.setRegistered(m, func(regs []string) []string {
		for _, e := range events {
			if !slices.Contains(regs, e) {
				regs = append(regs, e)
			}
		}
		return regs
	})
}

// Unregister unregisters member m from events (event.removeAttendees).
func (h *Hub) Unregister(m Member, events ...string) {
	h.T.Helper()
	h.setRegistered(m, func(regs []string) []string {
		return slices.DeleteFunc(regs, func(e string) bool { return slices.Contains(events, e) })
	})
}

func (h *Hub) setRegistered(m Member, change func([]string) []string) {
	h.T.Helper()
	key := h.keys.Membership(m.App, m.ID)
	h.mu.Lock()
	regs := change(slices.Clone(h.registered[key]))
	slices.Sort(regs)
	h.registered[key] = regs
	blocked := h.blocked[key]
	h.mu.Unlock()
	h.SetMembership(m, blocked)
}

// replace replaces the hash key with fields and a version newer than any
// before it.
func (h *Hub) replace(key string, fields []string) {
	h.T.Helper()
	ctx := context.Background()
	_, err := h.Redis.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, key)
		p.HSet(ctx, key, append(toAny(fields), hub.FieldVersion, time.Now().UnixNano())...)
		return nil
	})
	if err != nil {
		h.T.Fatal(err)
	}
}

// Publish publishes hub's member event typ about m: the profile, or ids
// only for member.deleted.
func (h *Hub) Publish(typ string, m Member, blocked bool) {
	h.T.Helper()
	var data []byte
	if typ == hub.EventMemberDeleted {
		data, _ = json.Marshal(hub.IDsPayload{AppID: m.App, ID: m.ID})
	} else {
		data, _ = json.Marshal(hub.MemberPayload{
			ID: m.ID, AppID: m.App, Name: m.Name, Company: "Acme", Title: "Engineer",
			PhotoURL: "https://example.test/" + m.ID + ".jpg", Role: hub.MemberAttendee, Blocked: blocked,
		})
	}
	if err := h.pub.Publish(context.Background(), events.Event{Type: typ, App: m.App, Subject: m.ID, Data: data}); err != nil {
		h.T.Fatal(err)
	}
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
