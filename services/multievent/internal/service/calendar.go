package service

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"time"

	"github.com/attendify/multievent/internal/ical"
	"github.com/attendify/platform/errs"
)

// CalendarPath is where the feeds are served: CalendarPath + secret + ".ics".
const CalendarPath = "/calendar/"

// secretBytes is the size of a calendar link's secret: 256 random bits.
const secretBytes = 32

// CalendarLink is a member's secret feed address.
type CalendarLink struct {
	URL       string
	CreatedAt time.Time
}

// IssueCalendarLink makes a new secret feed address for the member's
// agenda (the caller's, or memberID's for a service), replacing the one
// before. Only a hash of the secret is stored: the address is shown once.
func (s *Service) IssueCalendarLink(ctx context.Context, app, memberID string) (CalendarLink, error) {
	member, _, err := s.member(ctx, app, memberID)
	if err != nil {
		return CalendarLink{}, err
	}
	var secret [secretBytes]byte
	if _, err := rand.Read(secret[:]); err != nil {
		return CalendarLink{}, err
	}
	token := base64.RawURLEncoding.EncodeToString(secret[:])
	now := s.now().UTC().Truncate(time.Microsecond)
	if err := s.links.SetLink(ctx, app, member, linkHash(token), now); err != nil {
		return CalendarLink{}, err
	}
	if err := s.recordOwner(ctx, app, member); err != nil {
		return CalendarLink{}, err
	}
	return CalendarLink{URL: strings.TrimRight(s.url, "/") + CalendarPath + token + ".ics", CreatedAt: now}, nil
}

// RevokeCalendarLink stops the member's feed address.
func (s *Service) RevokeCalendarLink(ctx context.Context, app, memberID string) error {
	member, _, err := s.member(ctx, app, memberID)
	if err != nil {
		return err
	}
	return s.links.DeleteLink(ctx, app, member)
}

func linkHash(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// Feed renders the agenda of the member whose link has token as an
// iCalendar feed, with hub's rules applied as for the member now: a
// blocked member, or one no longer in the app, gets errs.NotFound, as an
// unknown link does; sessions of events the member may no longer open are
// left out.
func (s *Service) Feed(ctx context.Context, token string) ([]byte, error) {
	notFound := errs.New(errs.NotFound, "no such calendar")
	if len(token) != base64.RawURLEncoding.EncodedLen(secretBytes) {
		return nil, notFound
	}
	app, member, err := s.links.LinkOwner(ctx, linkHash(token))
	if err != nil {
		return nil, err
	}
	st, err := s.access.StandingOf(ctx, app, member)
	if errors.Is(err, errs.Forbidden) || errors.Is(err, errs.NotFound) {
		return nil, notFound
	}
	if err != nil {
		return nil, err
	}
	a, err := s.agenda(ctx, app, member, st)
	if err != nil {
		return nil, err
	}
	cal := ical.Calendar{ProdID: "-//Attendify//multievent//EN", Name: "My agenda", Refresh: time.Hour}
	for _, it := range a.Items {
		x, e := it.Session, it.Event
		desc := x.Description
		if it.Note != "" {
			desc = strings.TrimSpace(desc + "\n\nMy note: " + it.Note)
		}
		cal.Events = append(cal.Events, ical.Event{
			UID:   x.ID + "@" + app + ".multievent.attendify",
			Stamp: s.now(), Start: x.Start, End: x.End, Zone: e.TimeZone,
			Summary: x.Title, Description: desc, Location: e.Venue, Categories: []string{e.Name},
		})
	}
	return ical.Write(cal)
}
