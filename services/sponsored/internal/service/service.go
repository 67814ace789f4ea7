package service

import (
	"context"
	"crypto/subtle"
	"log/slog"
	"strconv"
	"time"

	"github.com/attendify/hub"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/flake"
	"github.com/attendify/sponsored"
	"github.com/attendify/sponsored/placement"
)

// Options configure a Service.
type Options struct {
	Campaigns Campaigns
	Ledger    Ledger
	Board     Board
	Inbox     Inbox
	Access    Access
	Signer    *placement.Signer
	// PublicURL is sponsored's address as phones and sponsors reach it.
	PublicURL string
	// Every is the organic posts per sponsored slot (default 5).
	Every int
	// PacingInterval is the length of a pacing interval (default 1 min).
	PacingInterval time.Duration
	Log            *slog.Logger
	Now            func() time.Time
}

// Service is sponsored's domain logic.
type Service struct {
	o    Options
	ids  *flake.Generator
	apps recentApps
}

// New returns a Service.
func New(o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Every <= 0 {
		o.Every = sponsored.DefaultEvery
	}
	if o.PacingInterval <= 0 {
		o.PacingInterval = time.Minute
	}
	return &Service{o: o, ids: flake.New(0)}
}

func (s *Service) now() time.Time { return s.o.Now().UTC().Truncate(time.Microsecond) }

// caller is an authorized caller in an app.
type caller struct {
	member   string
	internal bool // organizers and staff
}

// organizer checks that the caller is an organizer of app now (hub's read
// model), or a service.
func (s *Service) organizer(ctx context.Context, app string) error {
	c := auth.CallerFrom(ctx)
	m, err := s.o.Access.Authorize(ctx, c, app)
	if err != nil {
		return err
	}
	if c.Kind == auth.CallerService && c.User == "" {
		return nil
	}
	if !m.Organizer() {
		return errs.WithCode(errs.CodeForbidden, "organizers only")
	}
	return nil
}

// member checks that the caller is a member (or organizer) of app, not
// blocked.
func (s *Service) member(ctx context.Context, app string) (caller, error) {
	c := auth.CallerFrom(ctx)
	m, err := s.o.Access.Authorize(ctx, c, app)
	if err != nil {
		return caller{}, err
	}
	if c.User == "" {
		return caller{}, errs.WithCode(errs.CodeForbidden, "members only")
	}
	return caller{member: c.User, internal: m.Organizer() || m.MemberRole == hub.MemberStaff}, nil
}

// CreateCampaign creates a draft campaign.
func (s *Service) CreateCampaign(ctx context.Context, app string, set Settings) (Campaign, error) {
	if err := s.organizer(ctx, app); err != nil {
		return Campaign{}, err
	}
	start, end, err := checkSettings(set)
	if err != nil {
		return Campaign{}, err
	}
	now := s.now()
	c := Campaign{
		ID: s.ids.Next().String(), App: app, Settings: set, State: sponsored.StateDraft,
		Start: start, End: end, ReportNonce: newNonce(), Version: 1, CreatedAt: now, UpdatedAt: now,
	}
	if err := s.o.Campaigns.Create(ctx, c); err != nil {
		return Campaign{}, err
	}
	return c, nil
}

// UpdateCampaign replaces a campaign's settings. Drafts, scheduled and
// paused campaigns take any valid settings; a live or paused one keeps its
// flight start (its pacing and counts started from it) and a budget of at
// least what it counted; finished and archived ones are frozen.
func (s *Service) UpdateCampaign(ctx context.Context, app, id string, version int64, set Settings) (Campaign, error) {
	if err := s.organizer(ctx, app); err != nil {
		return Campaign{}, err
	}
	start, end, err := checkSettings(set)
	if err != nil {
		return Campaign{}, err
	}
	c, err := s.o.Campaigns.Update(ctx, app, id, s.now(), func(c *Campaign) error {
		if c.Version != version {
			return errs.New(errs.Conflict, "the campaign changed since version %d; read it again", version)
		}
		switch c.State {
		case sponsored.StateFinished, sponsored.StateArchived:
			return errs.New(errs.Conflict, "a %s campaign cannot change", c.State)
		case sponsored.StateLive, sponsored.StatePaused:
			if !start.Equal(c.Start) {
				return errs.InvalidFields("invalid campaign", errs.FieldError{Field: "/flight/start", Message: "cannot move once the campaign has started"})
			}
			if set.Budget < c.Counted {
				return errs.InvalidFields("invalid campaign", errs.FieldError{Field: "/budget", Message: "is below the impressions already counted (" + strconv.FormatInt(c.Counted, 10) + ")"})
			}
		}
		c.Settings, c.Start, c.End = set, start, end
		return nil
	})
	if err != nil {
		return Campaign{}, err
	}
	s.republish(ctx, app)
	return c, nil
}

// GetCampaign reads a campaign.
func (s *Service) GetCampaign(ctx context.Context, app, id string) (Campaign, error) {
	if err := s.organizer(ctx, app); err != nil {
		return Campaign{}, err
	}
	return s.o.Campaigns.Get(ctx, app, id)
}

// ListCampaigns returns a page of an app's campaigns to an organizer: up
// to q.Limit (100 when it is 0 or less, at most 500), and the cursor of
// the next page.
func (s *Service) ListCampaigns(ctx context.Context, q CampaignQuery) (CampaignPage, error) {
	if err := s.organizer(ctx, q.App); err != nil {
		return CampaignPage{}, err
	}
	switch {
	case q.Limit <= 0:
		q.Limit = 100
	case q.Limit > 500:
		q.Limit = 500
	}
	return s.o.Campaigns.List(ctx, q)
}

// Actions on a campaign's state.
const (
	ActSchedule = "schedule"
	ActPause    = "pause"
	ActResume   = "resume"
	ActFinish   = "finish"
	ActArchive  = "archive"
)

// Transition is the state a campaign in state from moves to by act at now,
// or a Conflict error saying why it may not. Time decides between
// scheduled and live: a campaign resumed or scheduled within its flight is
// live, after it finished.
func Transition(c Campaign, act string, now time.Time) (string, error) {
	byTime := func() string {
		switch {
		case now.Before(c.Start):
			return sponsored.StateScheduled
		case now.Before(c.End) && c.Counted < c.Budget:
			return sponsored.StateLive
		}
		return sponsored.StateFinished
	}
	no := func() (string, error) {
		return "", errs.New(errs.Conflict, "cannot %s a %s campaign", act, c.State)
	}
	switch act {
	case ActSchedule:
		if c.State != sponsored.StateDraft {
			return no()
		}
		if !now.Before(c.End) {
			return "", errs.InvalidFields("the flight is over", errs.FieldError{Field: "/flight/end", Message: "is in the past"})
		}
		return byTime(), nil
	case ActPause:
		if c.State != sponsored.StateScheduled && c.State != sponsored.StateLive {
			return no()
		}
		return sponsored.StatePaused, nil
	case ActResume:
		if c.State != sponsored.StatePaused {
			return no()
		}
		return byTime(), nil
	case ActFinish:
		if c.State != sponsored.StateScheduled && c.State != sponsored.StateLive && c.State != sponsored.StatePaused {
			return no()
		}
		return sponsored.StateFinished, nil
	case ActArchive:
		if c.State != sponsored.StateDraft && c.State != sponsored.StateFinished {
			return no()
		}
		return sponsored.StateArchived, nil
	}
	return "", errs.New(errs.Invalid, "unknown action %q", act)
}

// Act applies an organizer's action to a campaign.
func (s *Service) Act(ctx context.Context, app, id, act string) (Campaign, error) {
	if err := s.organizer(ctx, app); err != nil {
		return Campaign{}, err
	}
	now := s.now()
	c, err := s.o.Campaigns.Update(ctx, app, id, now, func(c *Campaign) error {
		to, err := Transition(*c, act, now)
		if err != nil {
			return err
		}
		c.State = to
		return nil
	})
	if err != nil {
		return Campaign{}, err
	}
	s.republish(ctx, app)
	return c, nil
}

// republish publishes app's eligibility after a change, so that a pause
// stops serving at once; a failure is left to the next round.
func (s *Service) republish(ctx context.Context, app string) {
	if err := s.PublishApps(ctx, app); err != nil {
		s.o.Log.Warn("publish eligibility after a change", "app", app, "error", err)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func newNonce() string { return placement.NewSecret() }

func equalSecret(a, b string) bool {
	return len(a) == len(b) && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// AppSettings are an app's placement settings.
type AppSettings struct {
	// Every is the organic posts per sponsored slot.
	Every int
}

// GetAppSettings reads an app's placement settings.
func (s *Service) GetAppSettings(ctx context.Context, app string) (AppSettings, error) {
	if err := s.organizer(ctx, app); err != nil {
		return AppSettings{}, err
	}
	n, err := s.o.Campaigns.Every(ctx, app)
	if err != nil {
		return AppSettings{}, err
	}
	if n <= 0 {
		n = s.o.Every
	}
	return AppSettings{Every: n}, nil
}

// SetAppSettings changes an app's placement settings and republishes.
func (s *Service) SetAppSettings(ctx context.Context, app string, set AppSettings) (AppSettings, error) {
	if err := s.organizer(ctx, app); err != nil {
		return AppSettings{}, err
	}
	if set.Every < 1 || set.Every > 100 {
		return AppSettings{}, errs.InvalidFields("invalid settings", errs.FieldError{Field: "/every", Message: "must be 1 to 100"})
	}
	if err := s.o.Campaigns.SetEvery(ctx, app, set.Every, s.now()); err != nil {
		return AppSettings{}, err
	}
	s.republish(ctx, app)
	return set, nil
}
