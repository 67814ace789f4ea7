package service

import (
	"context"
	"crypto/rand"
	"log/slog"
	"time"

	"github.com/attendify/analytics"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
)

// Limits are analytics' tunables.
type Limits struct {
	// PerInstallPerMinute is how many events one install may send a
	// minute before its batches are refused (rate_limited).
	PerInstallPerMinute int
	// PerMemberPerMinute is how many events the installs of one member may
	// send together a minute: install ids are the app's to make up, so a
	// member could otherwise spread a flood over many of them.
	PerMemberPerMinute int
	// AnonymousPerAppPerMinute is how many events the anonymous installs
	// of one app (batches sent without a member's token) may send
	// together a minute: anyone may send them, under install ids they
	// make up, so without a shared budget a script could inflate the
	// app's figures and grow the stores without end. Past it, anonymous
	// batches are refused (rate_limited) until the minute ends; members'
	// batches are not.
	AnonymousPerAppPerMinute int
	// Retention is how long raw events are kept (whole days).
	Retention time.Duration
	// RebuildDays is how many UTC days (today included) a rebuild replays.
	RebuildDays int
}

// MinRetention is the shortest retention of raw events: the accepted past
// of late events (analytics.MaxPast) and the day they fall in, which a
// rebuild replays.
const MinRetention = analytics.MaxPast + 24*time.Hour

// DefaultLimits are the production limits.
var DefaultLimits = Limits{PerInstallPerMinute: 3000, PerMemberPerMinute: 6000, AnonymousPerAppPerMinute: 60_000,
	Retention: 30 * 24 * time.Hour, RebuildDays: 4}

// Options wire a Service.
type Options struct {
	Raw     RawEvents
	Members Members
	Rollups Rollups
	Jobs    Jobs
	Live    Live
	Access  Access
	Limits  Limits
	Log     *slog.Logger
	// Now is the clock (time.Now by default).
	Now func() time.Time
}

// Service is analytics' domain.
type Service struct {
	raw     RawEvents
	members Members
	rollups Rollups
	jobs    Jobs
	live    Live
	access  Access
	limits  Limits
	log     *slog.Logger
	now     func() time.Time
	rows    *rowsCache
}

// New returns the service.
func New(o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Limits.PerInstallPerMinute == 0 {
		o.Limits.PerInstallPerMinute = DefaultLimits.PerInstallPerMinute
	}
	if o.Limits.PerMemberPerMinute == 0 {
		o.Limits.PerMemberPerMinute = DefaultLimits.PerMemberPerMinute
	}
	if o.Limits.AnonymousPerAppPerMinute == 0 {
		o.Limits.AnonymousPerAppPerMinute = DefaultLimits.AnonymousPerAppPerMinute
	}
	if o.Limits.Retention == 0 {
		o.Limits.Retention = DefaultLimits.Retention
	}
	if floor := MinRetention; o.Limits.Retention < floor {
		o.Log.Warn("raw event retention raised to the accepted past and a day", "asked", o.Limits.Retention, "kept", floor)
		o.Limits.Retention = floor
	}
	if o.Limits.RebuildDays == 0 {
		o.Limits.RebuildDays = DefaultLimits.RebuildDays
	}
	return &Service{
		raw: o.Raw, members: o.Members, rollups: o.Rollups, jobs: o.Jobs, live: o.Live,
		access: o.Access, limits: o.Limits, log: o.Log, now: o.Now,
		rows: &rowsCache{entries: map[rowsKey]rowsEntry{}, now: o.Now},
	}
}

// authorizeOrganizer checks that the caller is, right now, an organizer of
// app in hub's read model (a service passes).
func (s *Service) authorizeOrganizer(ctx context.Context, app string) error {
	c := auth.CallerFrom(ctx)
	m, err := s.access.Authorize(ctx, c, app)
	if err != nil {
		return err
	}
	if c.Kind == auth.CallerService && c.User == "" {
		return nil
	}
	if !m.Organizer() {
		return errs.WithCode(errs.CodeForbidden, "analytics are for the app's organizers")
	}
	return nil
}

// pseudonym returns a fresh random stand-in for an erased member.
func pseudonym() string { return "erased-" + rand.Text() }
