package service

import (
	"context"
	"fmt"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/attendify/hub"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/events"
)

// BulkOutcome is the outcome of a bulk upsert: counts and the outcome of
// each row when applied or in a dry run; row errors (and nothing written)
// otherwise.
type BulkOutcome struct {
	Applied bool
	BulkCounts
	// Skipped counts the rows the mode left alone.
	Skipped int
	// Registered counts the new registrations of a bulk upsert with an
	// event.
	Registered int
	Errors     []RowError
}

// bulkCheck checks the caller and the mode of a bulk upsert.
func bulkCheck(ctx context.Context, mode string) error {
	if auth.CallerFrom(ctx).Kind != auth.CallerService {
		return errs.WithCode(errs.CodeForbidden, "bulk upserts are for services")
	}
	switch mode {
	case "", hub.BulkUpsert, hub.BulkCreate, hub.BulkUpdate:
		return nil
	}
	return errs.InvalidFields("bad mode", errs.FieldError{Field: "/mode", Message: "want upsert, create or update"})
}

// skips reports whether mode leaves alone the row of a stored object
// (stored) or of a new one.
func skips(mode string, stored bool) bool {
	return (mode == hub.BulkCreate && stored) || (mode == hub.BulkUpdate && !stored)
}

// modeFilter is a bulk upsert's mode applied to its rows, for the
// speakers and sessions, whose store writes every row it is given.
type modeFilter struct {
	stored []string // the id of each row's stored object, "" for a new one; nil in upsert mode
	write  []int    // the rows to write
}

// filterByMode applies mode to n rows; stored finds their stored objects
// (called in create and update modes only).
func filterByMode(mode string, n int, stored func() ([]string, error)) (modeFilter, error) {
	var f modeFilter
	if mode == hub.BulkCreate || mode == hub.BulkUpdate {
		var err error
		if f.stored, err = stored(); err != nil {
			return modeFilter{}, err
		}
	}
	f.write = make([]int, 0, n)
	for i := range n {
		if f.stored == nil || !skips(mode, f.stored[i] != "") {
			f.write = append(f.write, i)
		}
	}
	return f, nil
}

// pick is the rows to write.
func pick[T any](f modeFilter, rows []T) []T {
	if len(f.write) == len(rows) {
		return rows
	}
	out := make([]T, len(f.write))
	for j, i := range f.write {
		out[j] = rows[i]
	}
	return out
}

// outcome is the outcome of the bulk upsert whose store wrote the rows to
// write (c and rowErrs number them by their place among those): the
// others are skipped, with the id of their stored object.
func (f modeFilter) outcome(c BulkCounts, rowErrs []RowError) BulkOutcome {
	if f.stored == nil {
		return BulkOutcome{BulkCounts: c, Errors: rowErrs}
	}
	write, stored := f.write, f.stored
	out := BulkOutcome{BulkCounts: BulkCounts{Created: c.Created, Updated: c.Updated, Unchanged: c.Unchanged}}
	out.Skipped = len(stored) - len(write)
	if c.Rows != nil || len(write) == 0 {
		out.Rows = make([]string, len(stored))
		out.IDs = make([]string, len(stored))
		for i := range stored {
			out.Rows[i], out.IDs[i] = hub.RowSkipped, stored[i]
		}
		for j, i := range write {
			out.Rows[i] = c.Rows[j]
			if c.IDs != nil {
				out.IDs[i] = c.IDs[j]
			}
		}
	}
	for _, e := range rowErrs {
		e.Row = write[e.Row]
		out.Errors = append(out.Errors, e)
	}
	return out
}

func validEmail(e string) bool {
	a, err := mail.ParseAddress(e)
	return err == nil && a.Address == e
}

// customProblem says what is wrong with a member's custom fields, or "".
func customProblem(c map[string]string) string {
	if len(c) > hub.MaxCustomFields {
		return fmt.Sprintf("more than %d custom fields", hub.MaxCustomFields)
	}
	for k, v := range c {
		if n := utf8.RuneCountInString(k); n == 0 || n > hub.MaxCustomNameLen {
			return fmt.Sprintf("a custom field's name has 1 to %d characters", hub.MaxCustomNameLen)
		}
		if utf8.RuneCountInString(v) > hub.MaxCustomValueLen {
			return fmt.Sprintf("custom field %q is longer than %d characters", k, hub.MaxCustomValueLen)
		}
	}
	return ""
}

// keyed checks the batch for rows that repeat a key of an earlier row.
type keyed struct {
	ext, email map[string]int
}

func newKeyed() keyed { return keyed{ext: map[string]int{}, email: map[string]int{}} }

func (k keyed) check(row int, ext, email string, errsOut *[]RowError) {
	if ext != "" {
		if prev, dup := k.ext[ext]; dup {
			*errsOut = append(*errsOut, RowError{Row: row, Field: "external_id", Message: "repeats row " + strconv.Itoa(prev)})
		} else {
			k.ext[ext] = row
		}
	}
	if email != "" {
		if prev, dup := k.email[email]; dup {
			*errsOut = append(*errsOut, RowError{Row: row, Field: "email", Message: "repeats row " + strconv.Itoa(prev)})
		} else {
			k.email[email] = row
		}
	}
}

// BulkMembers is a bulk upsert of members.
type BulkMembers struct {
	App string
	// Event, when set, is an event of the app every row's member is
	// registered to.
	Event string
	// DryRun says what each row would do and writes nothing.
	DryRun bool
	// Merge keeps, on update, what is stored for the fields a row leaves
	// empty, the links whose label it does not give and the custom fields
	// it does not name.
	Merge bool
	// Mode is hub.BulkUpsert (or empty), BulkCreate or BulkUpdate.
	Mode string
	Rows []Member
}

// UpsertMembers creates or updates members keyed by external id, else
// email, all or nothing: the rows are checked, matched to the stored
// members (by external id, then email), then the new ones are copied into
// the table, the matched ones updated with one statement (those equal to
// what is stored are left alone), the members registered to the event,
// and one event per change added to the outbox, in one transaction; the
// mode, applied to the stored members found there, skips rows (nothing
// is written for them, no registration either). The read model is written
// after the commit.
func (s *Service) UpsertMembers(ctx context.Context, in BulkMembers) (BulkOutcome, error) {
	if err := bulkCheck(ctx, in.Mode); err != nil {
		return BulkOutcome{}, err
	}
	defer s.bulkBegin()()
	rows := in.Rows
	bad := make([]bool, len(rows))
	var rowErrs []RowError
	k := newKeyed()
	exts := make([]string, 0, len(rows))
	emails := make([]string, 0, len(rows))
	for i := range rows {
		r := &rows[i]
		r.AppID = in.App
		r.Email = NormalizeEmail(r.Email)
		r.PhoneE164 = hub.PhoneE164(r.Phone)
		if r.Links == nil {
			r.Links = []Link{}
		}
		if r.Custom == nil {
			r.Custom = map[string]string{}
		}
		if r.Role == "" && !in.Merge {
			r.Role = hub.MemberAttendee
		}
		n := len(rowErrs)
		if !validEmail(r.Email) {
			rowErrs = append(rowErrs, RowError{Row: i, Field: "email", Message: "not an email address"})
		}
		if p := customProblem(r.Custom); p != "" {
			rowErrs = append(rowErrs, RowError{Row: i, Field: "custom", Message: p})
		}
		rowURLs(i, r.PhotoURL, r.Links, &rowErrs)
		k.check(i, r.ExternalID, r.Email, &rowErrs)
		bad[i] = len(rowErrs) > n
		if r.ExternalID != "" {
			exts = append(exts, r.ExternalID)
		}
		emails = append(emails, r.Email)
	}
	var out BulkOutcome
	var created, changed []Member
	var changedRegs map[string][]string // registrations of the changed members
	var touched []MemberState           // other members newly registered
	var marks []Revocation              // the members whose email changed
	err := s.store.InTx(ctx, func(q Queries) error {
		marks = nil
		if _, err := q.App(ctx, in.App, false); err != nil {
			return err
		}
		if in.Event != "" {
			if _, err := q.Event(ctx, in.App, in.Event, false); err != nil {
				return err
			}
		}
		targets, storedEmail, err := matchMembers(ctx, q, in.App, rows, bad, exts, emails, &rowErrs)
		if err != nil {
			return err
		}
		skip := make([]bool, len(rows))
		for i := range rows {
			skip[i] = !bad[i] && skips(in.Mode, targets[i] != "")
		}
		// The matched rows: updated, or seen to be unchanged.
		dry := in.DryRun || len(rowErrs) > 0
		var matched []Member
		rowOf := map[string]int{}
		for i := range rows {
			if !bad[i] && !skip[i] && targets[i] != "" {
				m := rows[i]
				m.ID = targets[i]
				matched = append(matched, m)
				rowOf[m.ID] = i
			}
		}
		out.Rows = make([]string, len(rows))
		if len(matched) > 0 {
			if changed, err = q.UpdateMembers(ctx, in.App, matched, in.Merge, dry); err != nil {
				return err
			}
			for _, m := range changed {
				out.Rows[rowOf[m.ID]] = hub.RowUpdated
			}
		}
		for i := range rows {
			switch {
			case bad[i]:
				out.Rows[i] = hub.RowRejected
			case skip[i]:
				out.Rows[i] = hub.RowSkipped
				out.Skipped++
			case targets[i] == "":
				out.Rows[i] = hub.RowCreated
				out.Created++
			case out.Rows[i] == "":
				out.Rows[i] = hub.RowUnchanged
				out.Unchanged++
			default:
				out.Updated++
			}
		}
		if dry {
			return errRollback
		}
		// The new rows.
		created = make([]Member, 0, out.Created)
		for i := range rows {
			if targets[i] == "" && !skip[i] {
				created = append(created, rows[i])
			}
		}
		if len(created) > 0 {
			versions, err := q.NextVersions(ctx, len(created))
			if err != nil {
				return err
			}
			j := 0
			for i := range rows {
				if targets[i] != "" || skip[i] {
					continue
				}
				m := &created[j]
				m.ID, m.Version = s.newID(), versions[j]
				if m.Role == "" {
					m.Role = hub.MemberAttendee
				}
				targets[i] = m.ID
				j++
			}
			if err := q.InsertMembers(ctx, created); err != nil {
				return err
			}
		}
		out.IDs = targets
		evs := make([]events.Event, 0, len(created)+len(changed))
		for _, m := range created {
			evs = append(evs, event(hub.EventMemberCreated, in.App, m.ID, memberPayload(m)))
		}
		for _, m := range changed {
			evs = append(evs, event(hub.EventMemberUpdated, in.App, m.ID, memberPayload(m)))
		}
		if in.Event != "" {
			fresh := make([]string, len(created))
			for i, m := range created {
				fresh[i] = m.ID
			}
			others := make([]string, 0, len(matched))
			for _, m := range matched {
				others = append(others, m.ID)
			}
			added, err := q.RegisterMembers(ctx, in.App, in.Event, fresh, others)
			if err != nil {
				return err
			}
			out.Registered = len(added)
			evs = append(evs, registrationEvents(hub.EventMemberRegistered, in.App, in.Event, added)...)
			// The read model holds a member's registrations in their
			// membership: the members registered now that this batch did
			// not otherwise change get a new version (created ones are
			// written below, with the event).
			isChanged := make(map[string]bool, len(changed))
			for _, m := range changed {
				isChanged[m.ID] = true
			}
			var touch []string
			for _, id := range added[len(fresh):] {
				if !isChanged[id] {
					touch = append(touch, id)
				}
			}
			if touched, err = q.TouchMembers(ctx, in.App, touch); err != nil {
				return err
			}
		}
		// A new email refuses the tokens issued before, as member.update
		// does: they were signed in through the old address. Under the row
		// locks MemberKeys took, so the stored email is the current one.
		var renamed []string
		for _, m := range changed {
			if m.Email != storedEmail[m.ID] {
				renamed = append(renamed, m.ID)
			}
		}
		if len(renamed) > 0 {
			if marks, err = q.RevokeTokens(ctx, in.App, renamed...); err != nil {
				return err
			}
		}
		if len(changed) > 0 {
			// Their membership is rewritten whole: with their registrations,
			// read under the row locks MemberKeys took.
			ids := make([]string, len(changed))
			for i, m := range changed {
				ids[i] = m.ID
			}
			if changedRegs, err = q.Registrations(ctx, in.App, ids); err != nil {
				return err
			}
		}
		return q.Announce(ctx, evs...)
	})
	if err == errRollback {
		slices.SortStableFunc(rowErrs, func(a, b RowError) int { return a.Row - b.Row })
		out.Errors = rowErrs
		return out, nil
	}
	if err != nil {
		return BulkOutcome{}, err
	}
	out.Applied = true
	s.putRevocations(ctx, marks)
	states := make([]MemberState, 0, len(created)+len(changed)+len(touched))
	var toEvent []string // what the created members are registered to
	if in.Event != "" {
		toEvent = []string{in.Event}
	}
	for _, m := range created {
		states = append(states, memberState(m, toEvent))
	}
	for _, m := range changed {
		states = append(states, memberState(m, changedRegs[m.ID]))
	}
	states = append(states, touched...)
	s.rmFailed(ctx, in.App, s.rm.PutMembers(ctx, in.App, states))
	if out.Created+out.Updated >= AnalyzeAfter {
		s.analyzeSoon(ctx)
	}
	return out, nil
}

// matchMembers finds the stored member of each good row (by external id,
// else email; "" for a new member) and reports as row errors the rows
// that point at two members, adopt by email a member known under another
// external id, or hit a member another row hits. It also returns the
// stored email of each member found.
func matchMembers(ctx context.Context, q MemberBulkStore, app string, rows []Member, bad []bool, exts, emails []string,
	rowErrs *[]RowError) (targets []string, storedEmail map[string]string, _ error) {
	targets = make([]string, len(rows))
	keys, err := q.MemberKeys(ctx, app, exts, emails)
	if err != nil {
		return nil, nil, err
	}
	if len(keys) == 0 {
		return targets, nil, nil // all new
	}
	byExt := make(map[string]*MemberKey, len(keys))
	byEmail := make(map[string]*MemberKey, len(keys))
	storedEmail = make(map[string]string, len(keys))
	for i := range keys {
		x := &keys[i]
		if x.ExternalID != "" {
			byExt[x.ExternalID] = x
		}
		byEmail[x.Email] = x
		storedEmail[x.ID] = x.Email
	}
	fail := func(i int, field, msg string) {
		*rowErrs = append(*rowErrs, RowError{Row: i, Field: field, Message: msg})
		bad[i] = true
	}
	taken := map[string]bool{}
	for i := range rows {
		if bad[i] {
			continue
		}
		r := &rows[i]
		var xe *MemberKey
		if r.ExternalID != "" {
			xe = byExt[r.ExternalID]
		}
		xm := byEmail[r.Email]
		switch {
		case xe != nil && xm != nil && xe.ID != xm.ID:
			fail(i, "email", "belongs to another member than the external id")
			continue
		case xe == nil && r.ExternalID != "" && xm != nil && xm.ExternalID != "":
			fail(i, "email", "belongs to a member with another external id")
			continue
		}
		t := ""
		if xe != nil {
			t = xe.ID
		} else if xm != nil {
			t = xm.ID
		}
		if t == "" {
			continue
		}
		if taken[t] {
			fail(i, "external_id", "matches the same member as another row")
			continue
		}
		taken[t] = true
		targets[i] = t
	}
	return targets, storedEmail, nil
}

// errRollback ends a transaction that found row errors.
var errRollback = errs.New(errs.Invalid, "rolled back: row errors")

// errDryRun ends the transaction of a dry run.
var errDryRun = errs.New(errs.Invalid, "rolled back: dry run")

// UpsertSpeakers creates or updates speakers keyed by external id, else
// email: all or nothing; the mode, applied to the speakers stored when the
// transaction runs, skips rows. A dry run does it all and rolls back.
func (s *Service) UpsertSpeakers(ctx context.Context, app string, rows []Speaker, mode string, dryRun bool) (BulkOutcome, error) {
	if err := bulkCheck(ctx, mode); err != nil {
		return BulkOutcome{}, err
	}
	var rowErrs []RowError
	k := newKeyed()
	for i := range rows {
		r := &rows[i]
		r.AppID = app
		r.Email = NormalizeEmail(r.Email)
		if r.ExternalID == "" && r.Email == "" {
			rowErrs = append(rowErrs, RowError{Row: i, Field: "external_id", Message: "a speaker needs an external id or an email"})
		}
		if r.Email != "" && !validEmail(r.Email) {
			rowErrs = append(rowErrs, RowError{Row: i, Field: "email", Message: "not an email address"})
		}
		rowURLs(i, r.PhotoURL, nil, &rowErrs)
		k.check(i, r.ExternalID, r.Email, &rowErrs)
		r.ID = s.newID()
	}
	if len(rowErrs) > 0 {
		return BulkOutcome{Errors: rowErrs}, nil
	}
	var out BulkOutcome
	err := s.store.InTx(ctx, func(q Queries) error {
		if _, err := q.App(ctx, app, false); err != nil {
			return err
		}
		f, err := filterByMode(mode, len(rows), func() ([]string, error) { return storedSpeakers(ctx, q, app, rows) })
		if err != nil {
			return err
		}
		var counts BulkCounts
		var rowErrs []RowError
		if len(f.write) > 0 {
			if counts, rowErrs, err = q.UpsertSpeakers(ctx, app, pick(f, rows)); err != nil {
				return err
			}
		}
		out = f.outcome(counts, rowErrs)
		if len(rowErrs) > 0 {
			return errRollback
		}
		if dryRun {
			return errDryRun
		}
		return announceSpeakers(ctx, q, app, counts)
	})
	switch {
	case err == errRollback:
		return BulkOutcome{Errors: out.Errors}, nil
	case err == errDryRun:
		out.IDs = nil
		return out, nil
	case err != nil:
		return BulkOutcome{}, err
	}
	out.Applied = true
	return out, nil
}

// announceSpeakers announces the speakers a bulk upsert created or
// changed (its rows' outcomes), as they are stored now.
func announceSpeakers(ctx context.Context, q interface {
	SpeakerStore
	Outbox
}, app string, counts BulkCounts) error {
	createdIDs := map[string]bool{}
	var ids []string
	for i, row := range counts.Rows {
		if (row == hub.RowCreated || row == hub.RowUpdated) && i < len(counts.IDs) {
			ids = append(ids, counts.IDs[i])
			createdIDs[counts.IDs[i]] = row == hub.RowCreated
		}
	}
	if len(ids) == 0 {
		return nil
	}
	sps, err := q.Speakers(ctx, app, ids)
	if err != nil {
		return err
	}
	evs := make([]events.Event, len(sps))
	for i, sp := range sps {
		evs[i] = event(created(createdIDs[sp.ID], hub.EventSpeakerCreated, hub.EventSpeakerUpdated), app, sp.ID, speakerPayload(sp))
	}
	return q.Announce(ctx, evs...)
}

// announceNewPlaces announces the rooms and tracks of an event that a bulk
// upsert of its sessions created (by name): those not in before.
func announceNewPlaces(ctx context.Context, q interface {
	PlaceStore
	Outbox
}, app, eventID string, roomsBefore []Room, tracksBefore []Track) error {
	rooms, err := q.Rooms(ctx, app, eventID)
	if err != nil {
		return err
	}
	tracks, err := q.Tracks(ctx, app, eventID)
	if err != nil {
		return err
	}
	var evs []events.Event
	for _, r := range rooms {
		if !slices.ContainsFunc(roomsBefore, func(x Room) bool { return x.ID == r.ID }) {
			evs = append(evs, event(hub.EventRoomCreated, app, r.ID, roomPayload(r)))
		}
	}
	for _, t := range tracks {
		if !slices.ContainsFunc(tracksBefore, func(x Track) bool { return x.ID == t.ID }) {
			evs = append(evs, event(hub.EventTrackCreated, app, t.ID, trackPayload(t)))
		}
	}
	return q.Announce(ctx, evs...)
}

// storedSpeakers finds the stored speaker of each row as the store's
// upsert matches them: by external id, else email ("" for none).
func storedSpeakers(ctx context.Context, q SpeakerStore, app string, rows []Speaker) ([]string, error) {
	all, err := q.Speakers(ctx, app, nil)
	if err != nil {
		return nil, err
	}
	byExt := make(map[string]string, len(all))
	byEmail := make(map[string]string, len(all))
	for _, x := range all {
		if x.ExternalID != "" {
			byExt[x.ExternalID] = x.ID
		}
		if x.Email != "" {
			byEmail[x.Email] = x.ID
		}
	}
	stored := make([]string, len(rows))
	for i, r := range rows {
		if r.ExternalID != "" {
			stored[i] = byExt[r.ExternalID]
		}
		if stored[i] == "" && r.Email != "" {
			stored[i] = byEmail[r.Email]
		}
	}
	return stored, nil
}

// BulkSessionInput is a session row of a bulk upsert (wall-clock times).
type BulkSessionInput struct {
	ExternalID, Title, Description, Start, End, Room, Track string
	Capacity                                                int
	Speakers                                                []string
}

// UpsertSessions creates or updates an event's sessions keyed by external
// id, creating missing rooms and tracks: all or nothing; the mode, applied
// to the event's sessions stored when the transaction runs (under the
// event's lock), skips rows. A dry run does it all and rolls back.
func (s *Service) UpsertSessions(ctx context.Context, app, eventID string, in []BulkSessionInput, mode string, dryRun bool) (BulkOutcome, error) {
	if err := bulkCheck(ctx, mode); err != nil {
		return BulkOutcome{}, err
	}
	var out BulkOutcome
	err := s.store.InTx(ctx, func(q Queries) error {
		e, err := q.Event(ctx, app, eventID, true)
		if err != nil {
			return err
		}
		loc, err := time.LoadLocation(e.TimeZone)
		if err != nil {
			loc = time.UTC
		}
		rows := make([]BulkSession, len(in))
		var rowErrs []RowError
		seen := map[string]int{}
		for i, r := range in {
			x := BulkSession{Session: Session{ID: s.newID(), AppID: app, EventID: eventID, ExternalID: r.ExternalID, Title: r.Title,
				Description: r.Description, Capacity: r.Capacity}, RoomName: r.Room, TrackName: r.Track, Speakers: r.Speakers}
			if prev, dup := seen[r.ExternalID]; dup {
				rowErrs = append(rowErrs, RowError{Row: i, Field: "external_id", Message: "repeats row " + strconv.Itoa(prev)})
			}
			seen[r.ExternalID] = i
			var err1, err2 error
			x.Start, err1 = time.ParseInLocation(hub.LocalTimeLayout, r.Start, loc)
			x.End, err2 = time.ParseInLocation(hub.LocalTimeLayout, r.End, loc)
			switch {
			case err1 != nil:
				rowErrs = append(rowErrs, RowError{Row: i, Field: "start", Message: "want a time like 2025-06-12T09:30"})
			case err2 != nil:
				rowErrs = append(rowErrs, RowError{Row: i, Field: "end", Message: "want a time like 2025-06-12T09:30"})
			case !x.End.After(x.Start):
				rowErrs = append(rowErrs, RowError{Row: i, Field: "end", Message: "not after start"})
			}
			rows[i] = x
		}
		if len(rowErrs) > 0 {
			out.Errors = rowErrs
			return errRollback
		}
		f, err := filterByMode(mode, len(rows), func() ([]string, error) { return storedSessions(ctx, q, app, eventID, rows) })
		if err != nil {
			return err
		}
		var counts BulkCounts
		var changed []Upserted[Session]
		roomsBefore, err := q.Rooms(ctx, app, eventID)
		if err != nil {
			return err
		}
		tracksBefore, err := q.Tracks(ctx, app, eventID)
		if err != nil {
			return err
		}
		if len(f.write) > 0 {
			if counts, rowErrs, changed, err = q.UpsertSessions(ctx, app, eventID, pick(f, rows)); err != nil {
				return err
			}
		}
		out = f.outcome(counts, rowErrs)
		if len(rowErrs) > 0 {
			return errRollback
		}
		if dryRun {
			return errDryRun
		}
		evs := make([]events.Event, len(changed))
		for i, x := range changed {
			typ := hub.EventSessionUpdated
			if x.Created {
				typ = hub.EventSessionCreated
			}
			evs[i] = event(typ, app, x.Row.ID, sessionPayload(x.Row))
		}
		if err := announceNewPlaces(ctx, q, app, eventID, roomsBefore, tracksBefore); err != nil {
			return err
		}
		return q.Announce(ctx, evs...)
	})
	switch {
	case err == errRollback:
		return BulkOutcome{Errors: out.Errors}, nil
	case err == errDryRun:
		out.IDs = nil
		return out, nil
	case err != nil:
		return BulkOutcome{}, err
	}
	out.Applied = true
	return out, nil
}

// storedSessions finds the stored session of the event of each row, by
// external id ("" for none: a row naming a session of another event is
// new here, and the store refuses it).
func storedSessions(ctx context.Context, q SessionStore, app, event string, rows []BulkSession) ([]string, error) {
	all, err := q.Sessions(ctx, app, event, "", time.Time{}, time.Time{})
	if err != nil {
		return nil, err
	}
	byExt := make(map[string]string, len(all))
	for _, x := range all {
		if x.ExternalID != "" {
			byExt[x.ExternalID] = x.ID
		}
	}
	stored := make([]string, len(rows))
	for i, r := range rows {
		stored[i] = byExt[r.ExternalID]
	}
	return stored, nil
}

// LinkSpeakers sets the SpeakerIDs of rows from their speakers' keys: a
// speaker's external id or email, as given or trimmed and lower-cased
// (speakers in the order Speakers lists them: a later one sharing a key
// wins). It returns a row error for each key that matches no speaker. Both
// store adapters' bulk upserts call it.
func LinkSpeakers(rows []BulkSession, speakers []Speaker) []RowError {
	byKey := map[string]string{}
	for _, sp := range speakers {
		if sp.ExternalID != "" {
			byKey[sp.ExternalID] = sp.ID
		}
		if sp.Email != "" {
			byKey[sp.Email] = sp.ID
		}
	}
	var rowErrs []RowError
	for i := range rows {
		ids := make([]string, 0, len(rows[i].Speakers))
		for _, k := range rows[i].Speakers {
			id, ok := byKey[k]
			if !ok {
				id, ok = byKey[strings.ToLower(strings.TrimSpace(k))]
			}
			if !ok {
				rowErrs = append(rowErrs, RowError{Row: i, Field: "speakers", Message: fmt.Sprintf("no speaker %q", k)})
				continue
			}
			ids = append(ids, id)
		}
		rows[i].SpeakerIDs = ids
	}
	return rowErrs
}
