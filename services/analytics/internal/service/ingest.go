package service

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/attendify/analytics"
	"github.com/attendify/hub"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
)

// Batch is one batch of an install's events, as the domain sees it.
type Batch struct {
	App     string
	Install string
	SentAt  time.Time
	Events  []AppEvent
}

// AppEvent is one event as the app sent it.
type AppEvent struct {
	ID         string
	Type       string
	At         time.Time
	EventID    string
	Session    string
	Screen     string
	TargetType string
	TargetID   string
	DurationMs int64
	Name       string
	Props      map[string]any
}

// Outcome is what became of a batch.
type Outcome struct {
	Accepted, Duplicates, Clamped int
	Refused                       []Refusal
	Skew                          time.Duration
}

// Refusal is a refused event of a batch.
type Refusal struct {
	Index  int
	Reason string
}

// skewRefusal is why the events of a batch whose sent_at is further off
// than analytics.MaxSkew are refused.
var skewRefusal = fmt.Sprintf("sent_at more than %d h from the server's clock: a broken clock, or a batch sent before (send it with the time of sending)", int(analytics.MaxSkew/time.Hour))

var (
	namePattern = regexp.MustCompile(`^[a-z][a-z0-9_.]{0,39}$`)
	propPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)
)

// Skew is the correction of an app's clock: the server's clock minus the
// app's at sending, or zero when the app sent no clock or one further off
// than analytics.MaxSkew (broken: then the batch's events are refused).
func Skew(now, sentAt time.Time) (skew time.Duration, broken bool) {
	if sentAt.IsZero() {
		return 0, false
	}
	d := now.Sub(sentAt)
	if d > analytics.MaxSkew || d < -analytics.MaxSkew {
		return 0, true
	}
	return d, false
}

// check validates one event beyond its schema; it returns why it is
// refused, or "".
func check(e AppEvent) string {
	switch e.Type {
	case analytics.TypeTap:
		if e.TargetType == "" || e.TargetID == "" {
			return "a tap needs target_type and target_id"
		}
	case analytics.TypeCustom:
		if !namePattern.MatchString(e.Name) {
			return "a custom event needs a name of lower-case letters, digits, '_' and '.' (at most 40)"
		}
	case analytics.TypeScreenView:
		if e.Screen == "" {
			return "a screen_view needs a screen"
		}
	case analytics.TypeAppOpen, analytics.TypeAppClose:
	default:
		return fmt.Sprintf("unknown type %q", e.Type)
	}
	if len(e.Props) > analytics.MaxProps {
		return fmt.Sprintf("at most %d props", analytics.MaxProps)
	}
	for k, v := range e.Props {
		if !propPattern.MatchString(k) {
			return fmt.Sprintf("prop %q: names are lower-case letters, digits and '_'", k)
		}
		switch v := v.(type) {
		case string:
			if len(v) > analytics.MaxPropText {
				return fmt.Sprintf("prop %q: text longer than %d bytes", k, analytics.MaxPropText)
			}
		case float64, bool, int, int64:
		default:
			return fmt.Sprintf("prop %q: a string, a number or a boolean", k)
		}
	}
	return ""
}

// anonymousSubject is the budget the anonymous installs of an app share.
const anonymousSubject = "anon"

// Track records a batch: it names the member from the caller's token,
// rate-limits the install and the member, corrects the app's clock, refuses what is
// invalid or too old, stores the new events and counts them.
func (s *Service) Track(ctx context.Context, b Batch) (Outcome, error) {
	member, err := s.trackingMember(ctx, b.App)
	if err != nil {
		return Outcome{}, err
	}
	budgets := []Budget{{Subject: b.Install, Limit: s.limits.PerInstallPerMinute}}
	if member != "" {
		budgets = append(budgets, Budget{Subject: "m:" + member, Limit: s.limits.PerMemberPerMinute})
	} else {
		// Not an install id (those have 8 characters or more, no ':').
		budgets = append(budgets, Budget{Subject: anonymousSubject, Limit: s.limits.AnonymousPerAppPerMinute})
	}
	over, wait, err := s.live.Allow(ctx, b.App, len(b.Events), budgets...)
	if err != nil {
		return Outcome{}, err
	}
	switch over {
	case 0:
		return Outcome{}, &errs.Error{Code: errs.CodeRateLimited, Msg: "too many events from this install; retry later", RetryAfter: wait}
	case 1:
		msg := "too many events from this member's installs; retry later"
		if member == "" {
			msg = "too many events from this app's anonymous installs; sign in, or retry later"
		}
		return Outcome{}, &errs.Error{Code: errs.CodeRateLimited, Msg: msg, RetryAfter: wait}
	}
	known, err := s.batchEvents(ctx, b)
	if err != nil {
		return Outcome{}, err
	}
	now := s.now().UTC()
	skew, broken := Skew(now, b.SentAt)
	out := Outcome{Skew: skew}
	evs := make([]Event, 0, len(b.Events))
	seen := make(map[string]bool, len(b.Events))
	for i, ae := range b.Events {
		why := check(ae)
		if why == "" && ae.EventID != "" && ae.EventID != AllScope && !known[ae.EventID] {
			why = fmt.Sprintf("event_id %q is not an event of the app", ae.EventID)
		}
		if why != "" {
			out.Refused = append(out.Refused, Refusal{Index: i, Reason: why})
			continue
		}
		if broken {
			// Not stamped at arrival: a batch sent again days later,
			// unchanged, has the same sent_at as the first time and would
			// be counted again once its keys are forgotten (MaxSkew).
			out.Refused = append(out.Refused, Refusal{Index: i, Reason: skewRefusal})
			continue
		}
		at := ae.At.Add(skew).UTC()
		if ae.At.IsZero() {
			at = now
		}
		switch {
		case at.After(now.Add(analytics.MaxFuture)):
			at = now
			out.Clamped++
		case at.Before(now.Add(-analytics.MaxPast)):
			out.Refused = append(out.Refused, Refusal{Index: i, Reason: "older than the accepted past (72 h)"})
			continue
		}
		key := "a:" + b.Install + ":" + ae.ID
		if seen[key] {
			out.Duplicates++
			continue
		}
		seen[key] = true
		evs = append(evs, Event{
			App: b.App, Key: key, Source: SourceApp, Kind: ae.Type, At: at.Truncate(time.Microsecond),
			Member: member, Install: b.Install, EventID: ae.EventID, Session: ae.Session, Screen: ae.Screen,
			TargetType: ae.TargetType, TargetID: ae.TargetID, Name: ae.Name, DurationMs: ae.DurationMs, Props: ae.Props,
		})
	}
	fresh, err := s.record(ctx, b.App, evs)
	if err != nil {
		return Outcome{}, err
	}
	out.Accepted = fresh
	out.Duplicates += len(evs) - fresh
	return out, nil
}

// trackingMember is the member a tracking call comes from: the user of a
// member token of app (checked in hub's read model), or "" for an
// anonymous install (of an app that exists) or a service. An organizer's
// or a staff member's token names nobody either: their own use of the app
// (testing it, working the venue) is counted as their install's, never as
// a member's activity, points or adoption, as sponsored leaves their
// impressions out.
func (s *Service) trackingMember(ctx context.Context, app string) (string, error) {
	c := auth.CallerFrom(ctx)
	switch {
	case c.Kind == auth.CallerService && c.User == "":
		return "", nil
	case c.User == "":
		if _, err := s.access.App(ctx, app); err != nil {
			return "", err
		}
		return "", nil
	}
	m, err := s.access.Authorize(ctx, c, app)
	if err != nil {
		return "", err
	}
	if m.Organizer() || m.MemberRole == hub.MemberStaff {
		return "", nil
	}
	return c.User, nil
}

// batchEvents returns the ids of app's conference events when an event of
// b names one (nil otherwise): an event_id must be one of them, so that a
// caller can neither invent scopes (each a set of counters, uniques and
// rollups) nor count into another app's events.
func (s *Service) batchEvents(ctx context.Context, b Batch) (map[string]bool, error) {
	if !slices.ContainsFunc(b.Events, func(e AppEvent) bool { return e.EventID != "" && e.EventID != AllScope }) {
		return nil, nil
	}
	infos, err := s.access.Events(ctx, b.App)
	if err != nil && errs.KindOf(err) != errs.NotFound {
		return nil, err
	}
	known := make(map[string]bool, len(infos))
	for _, e := range infos {
		known[e.ID] = true
	}
	return known, nil
}

// record stores events and applies the effects of those new to the live
// state. Postgres first: an event acknowledged is always in the raw log.
// The live state dedupes by key on its own, so a retry after a failure
// between the two counts each event exactly once in both. It returns how
// many events were new in Postgres.
func (s *Service) record(ctx context.Context, app string, evs []Event) (int, error) {
	if len(evs) == 0 {
		return 0, nil
	}
	fresh, err := s.raw.Insert(ctx, evs)
	if err != nil {
		return 0, err
	}
	n := 0
	opened := map[string]time.Time{}
	for i, e := range evs {
		if !fresh[i] {
			continue
		}
		n++
		if e.Member != "" && e.Source == SourceApp {
			if t, ok := opened[e.Member]; !ok || e.At.Before(t) {
				opened[e.Member] = e.At
			}
		}
	}
	if err := s.members.Opened(ctx, app, opened); err != nil {
		return 0, err
	}
	if _, err := s.live.Apply(ctx, app, changes(evs)); err != nil {
		return 0, err
	}
	return n, nil
}

// changes are the events' effects for Live.Apply.
func changes(evs []Event) []Change {
	cs := make([]Change, len(evs))
	for i, e := range evs {
		cs[i] = Change{Key: e.Key, At: e.At, Scopes: e.Scopes(), Effects: EffectsOf(e)}
	}
	return cs
}
