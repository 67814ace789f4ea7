package memstore

import (
	"context"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"github.com/attendify/hub/internal/service"
	"github.com/attendify/platform/errs"
)

// ---------------------------------------------------------------------------
// Events and registrations.

// CreateEvent implements service.EventStore.
func (s *Store) CreateEvent(ctx context.Context, e service.Event) error {
	return s.do(func(d *data) error {
		if _, ok := d.apps[e.AppID]; !ok {
			return errs.New(errs.Invalid, "no such app")
		}
		k := key2{e.AppID, e.ID}
		if _, ok := d.events[k]; ok {
			return errs.New(errs.Conflict, "an event has this id already")
		}
		if err := checkEvent(e); err != nil {
			return err
		}
		d.events[k] = e
		return nil
	})
}

// Event implements service.EventStore.
func (s *Store) Event(ctx context.Context, app, id string, lock bool) (out service.Event, err error) {
	err = s.do(func(d *data) error {
		e, ok := d.events[key2{app, id}]
		if !ok {
			return notFound("event")
		}
		out = e
		return nil
	})
	return out, err
}

// EventFor implements service.EventStore.
func (s *Store) EventFor(ctx context.Context, app, id, member string) (out service.Event, registered bool, err error) {
	err = s.do(func(d *data) error {
		e, ok := d.events[key2{app, id}]
		if !ok {
			return notFound("event")
		}
		out, registered = e, d.registrations[key2{id, member}]
		return nil
	})
	return out, registered, err
}

// UpdateEvent implements service.EventStore.
func (s *Store) UpdateEvent(ctx context.Context, app, id string, update func(e *service.Event) error) (out service.Event, err error) {
	err = s.do(func(d *data) error {
		k := key2{app, id}
		e, ok := d.events[k]
		if !ok {
			return notFound("event")
		}
		oldZone := e.TimeZone
		if err := update(&e); err != nil {
			return err
		}
		e.AppID, e.ID = app, id
		if err := checkEvent(e); err != nil {
			return err
		}
		d.events[k] = e
		out = e
		if e.TimeZone == oldZone {
			return nil
		}
		from, err1 := time.LoadLocation(oldZone)
		to, err2 := time.LoadLocation(e.TimeZone)
		if err1 != nil || err2 != nil {
			return errs.New(errs.Invalid, "unknown time zone")
		}
		for sk, x := range d.sessions {
			if sk.a == app && x.EventID == id {
				x.Start, x.End = rezone(x.Start, from, to), rezone(x.End, from, to)
				d.sessions[sk] = x
			}
		}
		return nil
	})
	return out, err
}

// rezone keeps t's wall-clock time in from, in to.
func rezone(t time.Time, from, to *time.Location) time.Time {
	w := t.In(from)
	return time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), to)
}

func (d *data) deleteEvent(k key2) {
	delete(d.events, k)
	maps.DeleteFunc(d.registrations, func(r key2, _ bool) bool { return r.a == k.b })
	maps.DeleteFunc(d.rooms, func(x key2, r service.Room) bool { return x.a == k.a && r.EventID == k.b })
	maps.DeleteFunc(d.tracks, func(x key2, t service.Track) bool { return x.a == k.a && t.EventID == k.b })
	maps.DeleteFunc(d.sessions, func(x key2, ss service.Session) bool { return x.a == k.a && ss.EventID == k.b })
}

// DeleteEvent implements service.EventStore.
func (s *Store) DeleteEvent(ctx context.Context, app, id string) error {
	return s.do(func(d *data) error {
		k := key2{app, id}
		if _, ok := d.events[k]; !ok {
			return notFound("event")
		}
		d.deleteEvent(k)
		return nil
	})
}

func (d *data) eventsOf(app string) []service.Event {
	var out []service.Event
	for k, e := range d.events {
		if k.a == app {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Start.Equal(out[j].Start) {
			return out[i].Start.Before(out[j].Start)
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// Events implements service.EventStore.
func (s *Store) Events(ctx context.Context, app string) (out []service.Event, err error) {
	err = s.do(func(d *data) error {
		out = d.eventsOf(app)
		return nil
	})
	return out, err
}

// TouchEvents implements service.EventStore.
func (s *Store) TouchEvents(ctx context.Context, app string) (v int64, err error) {
	err = s.do(func(d *data) error {
		a, ok := d.apps[app]
		if !ok {
			return notFound("app")
		}
		a.eventsVersion = d.nextVersion()
		d.apps[app] = a
		v = a.eventsVersion
		return nil
	})
	return v, err
}

func (d *data) register(app, event string, members []string) ([]string, error) {
	if _, ok := d.events[key2{app, event}]; !ok {
		return nil, errs.New(errs.Invalid, "no such event")
	}
	var added []string
	for _, m := range members {
		if _, ok := d.members[key2{app, m}]; !ok {
			return nil, errs.New(errs.Invalid, "no such member")
		}
		if k := (key2{event, m}); !d.registrations[k] {
			d.registrations[k] = true
			added = append(added, m)
		}
	}
	return added, nil
}

// Register implements service.RegistrationStore.
func (s *Store) Register(ctx context.Context, app, event string, members []string) (added []string, err error) {
	err = s.do(func(d *data) error {
		added, err = d.register(app, event, members)
		return err
	})
	return added, err
}

// Unregister implements service.RegistrationStore.
func (s *Store) Unregister(ctx context.Context, app, event string, members []string) (removed []string, err error) {
	err = s.do(func(d *data) error {
		if _, ok := d.events[key2{app, event}]; !ok {
			return nil
		}
		for _, m := range members {
			if k := (key2{event, m}); d.registrations[k] {
				delete(d.registrations, k)
				removed = append(removed, m)
			}
		}
		return nil
	})
	return removed, err
}

// RegisteredEvents implements service.RegistrationStore.
func (s *Store) RegisteredEvents(ctx context.Context, app, member string) (out map[string]bool, err error) {
	err = s.do(func(d *data) error {
		out = map[string]bool{}
		for _, e := range d.registrationsOf(app, []string{member})[member] {
			out[e] = true
		}
		return nil
	})
	return out, err
}

// registrationsOf returns the events each of members (all members when
// nil) is registered to, sorted.
func (d *data) registrationsOf(app string, members []string) map[string][]string {
	out := map[string][]string{}
	for k := range d.registrations {
		if _, ok := d.events[key2{app, k.a}]; !ok {
			continue
		}
		if members == nil || slices.Contains(members, k.b) {
			out[k.b] = append(out[k.b], k.a)
		}
	}
	for _, evs := range out {
		slices.Sort(evs)
	}
	return out
}

// Registrations implements service.RegistrationStore.
func (s *Store) Registrations(ctx context.Context, app string, members []string) (out map[string][]string, err error) {
	err = s.do(func(d *data) error {
		out = map[string][]string{}
		if len(members) > 0 {
			out = d.registrationsOf(app, members)
		}
		return nil
	})
	return out, err
}

// TouchMembers implements service.RegistrationStore.
func (s *Store) TouchMembers(ctx context.Context, app string, members []string) (out []service.MemberState, err error) {
	err = s.do(func(d *data) error {
		if len(members) == 0 {
			return nil
		}
		ids := slices.Clone(members)
		slices.Sort(ids)
		ids = slices.Compact(ids)
		regs := d.registrationsOf(app, ids)
		for _, id := range ids {
			k := key2{app, id}
			m, ok := d.members[k]
			if !ok {
				continue
			}
			m.Version = d.nextVersion()
			d.members[k] = m
			out = append(out, service.MemberState{ID: m.ID, Role: m.Role, Blocked: m.Blocked, TicketType: m.TicketType,
				Version: m.Version, Registered: regs[id]})
		}
		return nil
	})
	return out, err
}

// ---------------------------------------------------------------------------
// Members.

// copyMember copies the slices and maps of m, filled as the store reads
// them (never nil).
func copyMember(m service.Member) service.Member {
	m.Links = slices.Clone(m.Links)
	if m.Links == nil {
		m.Links = []service.Link{}
	}
	m.Custom = maps.Clone(m.Custom)
	if m.Custom == nil {
		m.Custom = map[string]string{}
	}
	return m
}

// memberConflict checks the member's role and the members' uniqueness: email, and external id when
// set, per app.
func (d *data) memberConflict(m service.Member) error {
	if err := checkIn("member role", m.Role, "attendee", "speaker", "sponsor", "staff"); err != nil {
		return err
	}
	for k, x := range d.members {
		if k.a != m.AppID || x.ID == m.ID {
			continue
		}
		if x.Email == m.Email {
			return errs.New(errs.Conflict, "a member of this app has this email already")
		}
		if m.ExternalID != "" && x.ExternalID == m.ExternalID {
			return errs.New(errs.Conflict, "a member of this app has this external id already")
		}
	}
	return nil
}

func (d *data) insertMember(m service.Member, version int64) (service.Member, error) {
	if _, ok := d.apps[m.AppID]; !ok {
		return service.Member{}, errs.New(errs.Invalid, "no such app")
	}
	k := key2{m.AppID, m.ID}
	if _, ok := d.members[k]; ok {
		return service.Member{}, errs.New(errs.Conflict, "a member has this id already")
	}
	if err := d.memberConflict(m); err != nil {
		return service.Member{}, err
	}
	m = copyMember(m)
	m.Version, m.CreatedAt = version, time.Now()
	d.members[k] = m
	return copyMember(m), nil
}

// CreateMember implements service.MemberStore.
func (s *Store) CreateMember(ctx context.Context, m service.Member) (out service.Member, err error) {
	err = s.do(func(d *data) error {
		out, err = d.insertMember(m, d.nextVersion())
		return err
	})
	return out, err
}

// Member implements service.MemberStore.
func (s *Store) Member(ctx context.Context, app, id string, lock bool) (out service.Member, err error) {
	err = s.do(func(d *data) error {
		m, ok := d.members[key2{app, id}]
		if !ok {
			return notFound("member")
		}
		out = copyMember(m)
		return nil
	})
	return out, err
}

// MemberByEmail implements service.MemberStore.
func (s *Store) MemberByEmail(ctx context.Context, app, email string) (out service.Member, err error) {
	err = s.do(func(d *data) error {
		for k, m := range d.members {
			if k.a == app && m.Email == email {
				out = copyMember(m)
				return nil
			}
		}
		return notFound("member")
	})
	return out, err
}

// UpdateMember implements service.MemberStore.
func (s *Store) UpdateMember(ctx context.Context, app, id string, update func(m *service.Member) error) (out service.Member, err error) {
	err = s.do(func(d *data) error {
		k := key2{app, id}
		old, ok := d.members[k]
		if !ok {
			return notFound("member")
		}
		m := copyMember(old)
		if err := update(&m); err != nil {
			return err
		}
		m.AppID, m.ID, m.CreatedAt = app, id, old.CreatedAt
		if err := d.memberConflict(m); err != nil {
			return err
		}
		m = copyMember(m)
		m.Version = d.nextVersion()
		d.members[k] = m
		out = copyMember(m)
		return nil
	})
	return out, err
}

// DeleteMember implements service.MemberStore.
func (s *Store) DeleteMember(ctx context.Context, app, id string) error {
	return s.do(func(d *data) error {
		k := key2{app, id}
		m, ok := d.members[k]
		if !ok {
			return notFound("member")
		}
		delete(d.members, k)
		d.eraseCollisions("members", func(x string) bool { return x == id })
		maps.DeleteFunc(d.registrations, func(r key2, _ bool) bool { return r.b == id })
		maps.DeleteFunc(d.codes, func(_ string, x service.SignInCode) bool { return x.AppID == app && x.Email == m.Email })
		for sk, sp := range d.speakers {
			if sk.a == app && sp.Email == m.Email {
				sp.Email = ""
				d.speakers[sk] = sp
			}
		}
		return nil
	})
}

func (d *data) membersOf(app string) []service.Member {
	var out []service.Member
	for k, m := range d.members {
		if k.a == app {
			out = append(out, m)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// fold is the directory's folding of text (the fold SQL function): lower
// case without accents, runs of spaces and punctuation as one space.
func fold(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	s, _, _ = transform.String(t, s)
	s = strings.ToLower(s)
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) }), " ")
}

// SearchMembers implements service.MemberStore.
func (s *Store) SearchMembers(ctx context.Context, f service.MemberFilter) (out []service.MemberHit, err error) {
	err = s.do(func(d *data) error {
		for _, m := range d.membersOf(f.AppID) {
			h := service.MemberHit{Member: copyMember(m), SortName: fold(m.Name)}
			if d.matches(f, m, h.SortName) {
				out = append(out, h)
			}
		}
		sort.Slice(out, func(i, j int) bool {
			if out[i].SortName != out[j].SortName {
				return out[i].SortName < out[j].SortName
			}
			return out[i].ID < out[j].ID
		})
		if len(out) > f.Limit+1 {
			out = out[:f.Limit+1]
		}
		return nil
	})
	return out, err
}

func (d *data) matches(f service.MemberFilter, m service.Member, sortName string) bool {
	switch {
	case f.AfterID != "" && (sortName < f.AfterName || sortName == f.AfterName && m.ID <= f.AfterID):
		return false
	case !f.IncludeBlocked && m.Blocked:
		return false
	case f.Role != "" && m.Role != f.Role:
		return false
	case f.EventID != "" && !d.registrations[key2{f.EventID, m.ID}]:
		return false
	case f.TicketType != "" && (m.TicketType == "" || !strings.EqualFold(m.TicketType, f.TicketType)):
		return false
	}
	words := strings.Fields(fold(m.Name + " " + m.Company))
	for _, w := range f.Words {
		p := strings.ReplaceAll(fold(w), " ", "")
		if !slices.ContainsFunc(words, func(x string) bool { return strings.HasPrefix(x, p) }) {
			return false
		}
	}
	return true
}

// ---------------------------------------------------------------------------
// Members by the batch.

// MemberKeys implements service.MemberBulkStore.
func (s *Store) MemberKeys(ctx context.Context, app string, externalIDs, emails []string) (out []service.MemberKey, err error) {
	err = s.do(func(d *data) error {
		for _, m := range d.membersOf(app) {
			if m.ExternalID != "" && slices.Contains(externalIDs, m.ExternalID) || slices.Contains(emails, m.Email) {
				out = append(out, service.MemberKey{ID: m.ID, Email: m.Email, ExternalID: m.ExternalID})
			}
		}
		return nil
	})
	return out, err
}

// InsertMembers implements service.MemberBulkStore.
func (s *Store) InsertMembers(ctx context.Context, ms []service.Member) error {
	return s.do(func(d *data) error {
		for _, m := range ms {
			if _, err := d.insertMember(m, m.Version); err != nil {
				return err
			}
		}
		return nil
	})
}

// merged is what stored member o becomes with row b (see
// service.MemberBulkStore.UpdateMembers).
func merged(o, b service.Member, merge bool) service.Member {
	n := o
	n.Email, n.Name = b.Email, b.Name
	if b.ExternalID != "" {
		n.ExternalID = b.ExternalID
	}
	pick := func(stored, row string) string {
		if merge && row == "" {
			return stored
		}
		return row
	}
	n.Company, n.Title, n.PhotoURL, n.Bio = pick(o.Company, b.Company), pick(o.Title, b.Title), pick(o.PhotoURL, b.PhotoURL), pick(o.Bio, b.Bio)
	n.Phone, n.PhoneE164 = b.Phone, b.PhoneE164
	if merge && b.Phone == "" {
		n.Phone, n.PhoneE164 = o.Phone, o.PhoneE164
	}
	n.TicketType = pick(o.TicketType, b.TicketType)
	n.Role = b.Role
	if b.Role == "" {
		n.Role = o.Role
	}
	switch {
	case !merge:
		n.Links = slices.Clone(b.Links)
	case len(b.Links) == 0:
		n.Links = slices.Clone(o.Links)
	default:
		n.Links = nil
		for _, l := range o.Links {
			if !slices.ContainsFunc(b.Links, func(g service.Link) bool { return strings.EqualFold(g.Label, l.Label) }) {
				n.Links = append(n.Links, l)
			}
		}
		n.Links = append(n.Links, b.Links...)
	}
	if merge {
		n.Custom = maps.Clone(o.Custom)
		if n.Custom == nil {
			n.Custom = map[string]string{}
		}
		maps.Copy(n.Custom, b.Custom)
	} else {
		n.Custom = maps.Clone(b.Custom)
	}
	return copyMember(n)
}

func sameMember(a, b service.Member) bool {
	return a.Email == b.Email && a.ExternalID == b.ExternalID && a.Name == b.Name && a.Company == b.Company &&
		a.Title == b.Title && a.Phone == b.Phone && a.PhotoURL == b.PhotoURL && a.Bio == b.Bio &&
		slices.Equal(a.Links, b.Links) && maps.Equal(a.Custom, b.Custom) && a.Role == b.Role &&
		a.PhoneE164 == b.PhoneE164 && a.TicketType == b.TicketType
}

// UpdateMembers implements service.MemberBulkStore.
func (s *Store) UpdateMembers(ctx context.Context, app string, rows []service.Member, merge, dryRun bool) (out []service.Member, err error) {
	err = s.do(func(d *data) error {
		var changed []service.Member
		for _, b := range rows {
			o, ok := d.members[key2{app, b.ID}]
			if !ok {
				continue
			}
			o = copyMember(o)
			n := merged(o, b, merge)
			if !sameMember(o, n) {
				changed = append(changed, n)
			}
		}
		if dryRun {
			for _, n := range changed {
				n.Blocked, n.Version = false, 0
				out = append(out, n)
			}
			return nil
		}
		for _, n := range changed {
			if err := d.memberConflict(n); err != nil {
				return err
			}
			n.Version = d.nextVersion()
			d.members[key2{app, n.ID}] = n
			out = append(out, copyMember(n))
		}
		return nil
	})
	return out, err
}

// RegisterMembers implements service.MemberBulkStore.
func (s *Store) RegisterMembers(ctx context.Context, app, event string, created, others []string) (added []string, err error) {
	err = s.do(func(d *data) error {
		added, err = d.register(app, event, append(slices.Clone(created), others...))
		return err
	})
	return added, err
}

// ---------------------------------------------------------------------------
// Sign-in codes.

// AddCode implements service.SignInCodeStore.
func (s *Store) AddCode(ctx context.Context, c service.SignInCode) error {
	return s.do(func(d *data) error {
		if _, ok := d.codes[c.ID]; ok {
			return errs.New(errs.Conflict, "a code has this id already")
		}
		c.Attempts, c.Used = 0, false
		d.codes[c.ID] = c
		return nil
	})
}

// CodesSince implements service.SignInCodeStore (the lock is the store's
// one lock).
func (s *Store) CodesSince(ctx context.Context, app, email string, t time.Time) (n int, last time.Time, err error) {
	err = s.do(func(d *data) error {
		last = time.Unix(0, 0)
		for _, c := range d.codes {
			if c.AppID == app && c.Email == email && !c.CreatedAt.Before(t) {
				n++
				if c.CreatedAt.After(last) {
					last = c.CreatedAt
				}
			}
		}
		return nil
	})
	return n, last, err
}

// UpdateLiveCode implements service.SignInCodeStore: update runs under
// the store's lock.
func (s *Store) UpdateLiveCode(ctx context.Context, app, email string, now time.Time, update func(c *service.SignInCode) error) (out service.SignInCode, err error) {
	err = s.do(func(d *data) error {
		var live service.SignInCode
		found := false
		for _, c := range d.codes {
			if c.AppID == app && c.Email == email && !c.Used && c.ExpiresAt.After(now) && (!found || c.CreatedAt.After(live.CreatedAt)) {
				live, found = c, true
			}
		}
		if !found {
			return notFound("code")
		}
		changed := live
		if err := update(&changed); err != nil {
			return err
		}
		live.Attempts, live.Used = changed.Attempts, changed.Used
		d.codes[live.ID] = live
		out = live
		return nil
	})
	return out, err
}
