package service

import (
	"context"
	"net/mail"
	"strconv"
	"time"

	"github.com/attendify/hub"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/events"
)

// BulkOutcome is the outcome of a bulk upsert: counts when applied, row
// errors (and nothing written) otherwise.
type BulkOutcome struct {
	Applied bool
	BulkCounts
	Errors []RowError
}

func bulkCaller(ctx context.Context) error {
	if auth.CallerFrom(ctx).Kind != auth.CallerService {
		return errs.WithCode(errs.CodeForbidden, "bulk upserts are for services")
	}
	return nil
}

func validEmail(e string) bool {
	a, err := mail.ParseAddress(e)
	return err == nil && a.Address == e
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

// UpsertMembers creates or updates members keyed by external id, else
// email: all or nothing.
func (s *Service) UpsertMembers(ctx context.Context, app string, rows []Member) (BulkOutcome, error) {
	if err := bulkCaller(ctx); err != nil {
		return BulkOutcome{}, err
	}
	var rowErrs []RowError
	k := newKeyed()
	for i := range rows {
		r := &rows[i]
		r.AppID = app
		r.Email = NormalizeEmail(r.Email)
		if r.Role == "" {
			r.Role = hub.MemberAttendee
		}
		if r.Links == nil {
			r.Links = []Link{}
		}
		if !validEmail(r.Email) {
			rowErrs = append(rowErrs, RowError{Row: i, Field: "email", Message: "not an email address"})
		}
		k.check(i, r.ExternalID, r.Email, &rowErrs)
		r.ID = s.newID() // used when the row is new
	}
	if len(rowErrs) > 0 {
		return BulkOutcome{Errors: rowErrs}, nil
	}
	var out BulkOutcome
	var changed []Upserted[Member]
	err := s.store.InTx(ctx, func(q Queries) error {
		if _, err := q.App(ctx, app, false); err != nil {
			return err
		}
		counts, rowErrs, ch, err := q.UpsertMembers(ctx, app, rows)
		if err != nil {
			return err
		}
		out = BulkOutcome{BulkCounts: counts, Errors: rowErrs}
		if len(rowErrs) > 0 {
			return errRollback
		}
		changed = ch
		evs := make([]eventOf, len(ch))
		for i, m := range ch {
			typ := hub.EventMemberUpdated
			if m.Created {
				typ = hub.EventMemberCreated
			}
			evs[i] = eventOf{typ, m.Row.ID, memberPayload(m.Row)}
		}
		return announceAll(ctx, q, app, evs)
	})
	if err == errRollback {
		return BulkOutcome{Errors: out.Errors}, nil
	}
	if err != nil {
		return BulkOutcome{}, err
	}
	out.Applied = true
	states := make([]MemberState, len(changed))
	for i, m := range changed {
		states[i] = memberState(m.Row)
	}
	s.rmFailed(ctx, app, s.rm.PutMembers(ctx, app, states))
	if out.Created+out.Updated >= AnalyzeAfter {
		s.analyzeSoon(ctx)
	}
	return out, nil
}

// errRollback ends a transaction that found row errors.
var errRollback = errs.New(errs.Invalid, "rolled back: row errors")

type eventOf struct {
	typ, subject string
	payload      any
}

func announceAll(ctx context.Context, q Queries, app string, evs []eventOf) error {
	const chunk = 1000
	for start := 0; start < len(evs); start += chunk {
		part := evs[start:min(start+chunk, len(evs))]
		batch := make([]events.Event, len(part))
		for i, e := range part {
			batch[i] = event(e.typ, app, e.subject, e.payload)
		}
		if err := q.Announce(ctx, batch...); err != nil {
			return err
		}
	}
	return nil
}

// UpsertSpeakers creates or updates speakers keyed by external id, else
// email: all or nothing.
func (s *Service) UpsertSpeakers(ctx context.Context, app string, rows []Speaker) (BulkOutcome, error) {
	if err := bulkCaller(ctx); err != nil {
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
		counts, rowErrs, err := q.UpsertSpeakers(ctx, app, rows)
		if err != nil {
			return err
		}
		out = BulkOutcome{BulkCounts: counts, Errors: rowErrs}
		if len(rowErrs) > 0 {
			return errRollback
		}
		return nil
	})
	if err == errRollback {
		return BulkOutcome{Errors: out.Errors}, nil
	}
	if err != nil {
		return BulkOutcome{}, err
	}
	out.Applied = true
	return out, nil
}

// BulkSessionInput is a session row of a bulk upsert (wall-clock times).
type BulkSessionInput struct {
	ExternalID, Title, Description, Start, End, Room, Track string
	Capacity                                                int
	Speakers                                                []string
}

// UpsertSessions creates or updates an event's sessions keyed by external
// id, creating missing rooms and tracks: all or nothing.
func (s *Service) UpsertSessions(ctx context.Context, app, eventID string, in []BulkSessionInput) (BulkOutcome, error) {
	if err := bulkCaller(ctx); err != nil {
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
		counts, rowErrs, changed, err := q.UpsertSessions(ctx, app, eventID, rows)
		if err != nil {
			return err
		}
		out = BulkOutcome{BulkCounts: counts, Errors: rowErrs}
		if len(rowErrs) > 0 {
			return errRollback
		}
		evs := make([]eventOf, len(changed))
		for i, x := range changed {
			typ := hub.EventSessionUpdated
			if x.Created {
				typ = hub.EventSessionCreated
			}
			evs[i] = eventOf{typ, x.Row.ID, sessionPayload(x.Row)}
		}
		return announceAll(ctx, q, app, evs)
	})
	if err == errRollback {
		return BulkOutcome{Errors: out.Errors}, nil
	}
	if err != nil {
		return BulkOutcome{}, err
	}
	out.Applied = true
	return out, nil
}
