// Package readmodel writes hub's Redis read model (the layout and the
// reader are in package hub, readmodel.go): versioned hashes written only
// when newer than what Redis holds, tombstones for deletions, and the
// ready key whose absence makes the service rebuild everything.
package readmodel

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/attendify/hub"
	"github.com/attendify/hub/internal/service"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/redisx"
)

// TombstoneTTL is how long a deleted object's tombstone stays: longer
// than any write can be late.
const TombstoneTTL = 24 * time.Hour

// setIfNewer replaces the hash KEYS[1] with the field/value pairs ARGV[3..]
// and version ARGV[1] unless the stored version is the same or newer; a
// positive ARGV[2] sets a TTL in milliseconds. It returns 1 when written.
var setIfNewer = redis.NewScript(`
local cur = tonumber(redis.call('HGET', KEYS[1], 'v'))
local v = tonumber(ARGV[1])
if cur and cur >= v then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'v', ARGV[1], unpack(ARGV, 3))
local ttl = tonumber(ARGV[2])
if ttl > 0 then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1
`)

// setMax sets the string KEYS[1] to ARGV[1] unless it holds that or more,
// with a TTL of ARGV[2] milliseconds. It returns 1 when written.
var setMax = redis.NewScript(`
local cur = tonumber(redis.call('GET', KEYS[1]))
if cur and cur >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`)

// Writer implements service.ReadModel on Redis.
type Writer struct {
	rdb  redis.UniversalClient
	keys hub.ReadModelKeys
}

var _ service.ReadModel = (*Writer)(nil)

// NewWriter returns a writer under namespace.
func NewWriter(rdb redis.UniversalClient, namespace string) *Writer {
	return &Writer{rdb: rdb, keys: hub.NewReadModelKeys(namespace)}
}

// write is one versioned hash write (setIfNewer), or a revocation mark
// (mark set: setMax of version).
type write struct {
	key     string
	version int64
	ttl     time.Duration
	fields  []string
	mark    bool
}

func tombstone(key string, version int64) write {
	return write{key: key, version: version, ttl: TombstoneTTL, fields: []string{hub.FieldGone, "1"}}
}

// apply runs the writes in pipelines of 1000.
func (w *Writer) apply(ctx context.Context, ws []write) error {
	const chunk = 1000
	for start := 0; start < len(ws); start += chunk {
		part := ws[start:min(start+chunk, len(ws))]
		_, err := w.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, x := range part {
				args := make([]any, 0, 2+len(x.fields))
				args = append(args, x.version, x.ttl.Milliseconds())
				for _, f := range x.fields {
					args = append(args, f)
				}
				script := setIfNewer
				if x.mark {
					script = setMax
				}
				script.EvalSha(ctx, p, []string{x.key}, args...)
			}
			return nil
		})
		if err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") {
			for _, script := range []*redis.Script{setIfNewer, setMax} {
				if err := script.Load(ctx, w.rdb).Err(); err != nil {
					return redisx.Err(err)
				}
			}
			start -= chunk // again, with the scripts loaded
			continue
		}
		if err != nil {
			return redisx.Err(err)
		}
	}
	return nil
}

func appConfig(a service.App) hub.AppConfig {
	return hub.AppConfig{ID: a.ID, Slug: a.Slug, Name: a.Name, Status: a.Status, Access: a.Access,
		Branding:   hub.Branding{PrimaryColor: a.Branding.PrimaryColor, AccentColor: a.Branding.AccentColor, IconURL: a.Branding.IconURL},
		WebOrigins: a.WebOrigins}
}

// indexOrigins adds app to the set of each of its web origins (the index
// hub.ReadModel.OriginAllowed reads; it checks the app's config, so the
// index is never pruned here: an origin an app dropped stays a hint).
func (w *Writer) indexOrigins(ctx context.Context, apps ...service.App) error {
	_, err := w.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, a := range apps {
			for _, o := range a.WebOrigins {
				p.SAdd(ctx, w.keys.Origin(o), a.ID)
			}
		}
		return nil
	})
	return redisx.Err(err)
}

func (w *Writer) appWrite(a service.App) write {
	return write{key: w.keys.Config(a.ID), version: a.Version, fields: hub.EncodeAppConfig(appConfig(a))}
}

func (w *Writer) memberWrite(app string, m service.MemberState) write {
	return write{key: w.keys.Membership(app, m.ID), version: m.Version, fields: hub.EncodeMembership(hub.Membership{
		Role: auth.RoleAttendee, MemberRole: m.Role, Blocked: m.Blocked, TicketType: m.TicketType, Registered: m.Registered})}
}

func (w *Writer) collaboratorWrite(c service.Collaborator) write {
	return write{key: w.keys.Membership(c.AppID, c.OrganizerID), version: c.Version,
		fields: hub.EncodeMembership(hub.Membership{Role: hub.TokenRole(c.Role)})}
}

func (w *Writer) eventsWrite(app string, version int64, evs []service.Event) (write, error) {
	infos := make([]hub.EventInfo, len(evs))
	for i, e := range evs {
		infos[i] = hub.EventInfo{ID: e.ID, Name: e.Name, TimeZone: e.TimeZone, StartUTC: e.Start.UTC(), EndUTC: e.End.UTC(),
			Visibility: e.Visibility, Access: e.Access}
	}
	f, err := hub.EncodeEvents(infos)
	return write{key: w.keys.Events(app), version: version, fields: f}, err
}

func (w *Writer) revocationWrites(rs []service.Revocation) []write {
	ws := make([]write, len(rs))
	for i, r := range rs {
		ws[i] = write{key: w.keys.Revoked(r.App, r.User), version: r.Seq, ttl: service.KeepRevocations, mark: true}
	}
	return ws
}

// PutRevocations implements service.ReadModel.
func (w *Writer) PutRevocations(ctx context.Context, rs []service.Revocation) error {
	return w.apply(ctx, w.revocationWrites(rs))
}

// PutApp implements service.ReadModel.
func (w *Writer) PutApp(ctx context.Context, a service.App) error {
	if err := w.apply(ctx, []write{w.appWrite(a)}); err != nil {
		return err
	}
	return w.indexOrigins(ctx, a)
}

// DeleteApp implements service.ReadModel.
func (w *Writer) DeleteApp(ctx context.Context, app string, version int64, users []string) error {
	ws := []write{tombstone(w.keys.Config(app), version), tombstone(w.keys.Events(app), version)}
	for _, u := range users {
		ws = append(ws, tombstone(w.keys.Membership(app, u), version))
	}
	return w.apply(ctx, ws)
}

// PutMembers implements service.ReadModel.
func (w *Writer) PutMembers(ctx context.Context, app string, ms []service.MemberState) error {
	ws := make([]write, len(ms))
	for i, m := range ms {
		ws[i] = w.memberWrite(app, m)
	}
	return w.apply(ctx, ws)
}

// PutCollaborator implements service.ReadModel.
func (w *Writer) PutCollaborator(ctx context.Context, c service.Collaborator) error {
	return w.apply(ctx, []write{w.collaboratorWrite(c)})
}

// DeleteMembership implements service.ReadModel.
func (w *Writer) DeleteMembership(ctx context.Context, app, user string, version int64) error {
	return w.apply(ctx, []write{tombstone(w.keys.Membership(app, user), version)})
}

// PutEvents implements service.ReadModel.
func (w *Writer) PutEvents(ctx context.Context, app string, version int64, evs []service.Event) error {
	x, err := w.eventsWrite(app, version, evs)
	if err != nil {
		return err
	}
	return w.apply(ctx, []write{x})
}

// Sync implements service.ReadModel.
func (w *Writer) Sync(ctx context.Context, s service.Snapshot) error {
	if !s.Found {
		return nil
	}
	// The marks first: a membership never stands without its user's mark.
	ws := make([]write, 0, 2+len(s.Revocations)+len(s.Collaborators)+len(s.Members))
	ws = append(ws, w.revocationWrites(s.Revocations)...)
	ws = append(ws, w.appWrite(s.App))
	ev, err := w.eventsWrite(s.App.ID, s.EventsVersion, s.Events)
	if err != nil {
		return err
	}
	ws = append(ws, ev)
	for _, c := range s.Collaborators {
		ws = append(ws, w.collaboratorWrite(c))
	}
	for _, m := range s.Members {
		ws = append(ws, w.memberWrite(s.App.ID, m))
	}
	if err := w.apply(ctx, ws); err != nil {
		return err
	}
	return w.indexOrigins(ctx, s.App)
}

// Users implements service.ReadModel. It scans: for repairs, not requests.
func (w *Writer) Users(ctx context.Context, app string) ([]string, error) {
	prefix := w.keys.Membership(app, "")
	var (
		mu  sync.Mutex
		out []string
	)
	// Every key of the app is on one slot, so on one primary.
	err := redisx.EachPrimary(ctx, w.rdb, func() { out = nil }, func(ctx context.Context, c redis.Cmdable) error {
		it := c.Scan(ctx, 0, redisx.ScanPattern(prefix), 1000).Iterator()
		for it.Next(ctx) {
			key := it.Val()
			gone, err := c.HGet(ctx, key, hub.FieldGone).Result()
			if err != nil && err != redis.Nil {
				return err
			}
			if gone != "1" {
				mu.Lock()
				out = append(out, strings.TrimPrefix(key, prefix))
				mu.Unlock()
			}
		}
		return it.Err()
	})
	return out, err
}

// MarkReady implements service.ReadModel.
func (w *Writer) MarkReady(ctx context.Context) error {
	return redisx.Err(w.rdb.Set(ctx, w.keys.Ready(), strconv.FormatInt(time.Now().Unix(), 10), 0).Err())
}

// Ready implements service.ReadModel.
func (w *Writer) Ready(ctx context.Context) (bool, error) {
	n, err := w.rdb.Exists(ctx, w.keys.Ready()).Result()
	return n == 1, redisx.Err(err)
}

// LockRebuild implements service.ReadModel.
func (w *Writer) LockRebuild(ctx context.Context, ttl time.Duration) (bool, error) {
	ok, err := w.rdb.SetNX(ctx, w.keys.RebuildLock(), "1", ttl).Result()
	return ok, redisx.Err(err)
}

// UnlockRebuild implements service.ReadModel.
func (w *Writer) UnlockRebuild(ctx context.Context) error {
	return redisx.Err(w.rdb.Del(ctx, w.keys.RebuildLock()).Err())
}
