// Package service is multievent's domain: the projection of hub's events
// and agenda (fed by hub's streams, rebuilt from hub), the directory of an
// app's events, search across them, personal agendas (bookmarks and notes
// as mergeable data types, an iCalendar feed) and the content databases
// phones replicate. It works on plain Go types through the ports of
// ports.go; hub's access rule comes from hub (hub.DecideEvent, through
// Access).
package service

import (
	"context"
	"log/slog"
	"time"

	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
)

// Options are the Service's ports and settings.
type Options struct {
	Projection Projection
	Search     Searcher
	Links      Links
	Agendas    Agendas
	Content    Content
	Access     Access
	Hub        Hub // for rebuilds; may be nil where none runs
	Log        *slog.Logger
	// PublicURL is the base URL phones and calendars reach this service
	// at (calendar links, content databases).
	PublicURL string
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// SearchCache is the number of search pages kept under the app's
	// content version (see cache.go): 0 is DefaultSearchCache, a negative
	// number keeps none (every search runs its query).
	SearchCache int
}

// Service is multievent's domain service. It is safe for concurrent use.
type Service struct {
	proj     Projection
	search   Searcher
	links    Links
	agendas  Agendas
	content  Content
	access   Access
	hub      Hub
	log      *slog.Logger
	url      string
	now      func() time.Time
	owners   ownerCache
	settling settlers
	caches   *caches
}

// New returns a Service on o's ports.
func New(o Options) *Service {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Service{
		proj: o.Projection, search: o.Search, links: o.Links, agendas: o.Agendas, content: o.Content,
		access: o.Access, hub: o.Hub, log: o.Log, url: o.PublicURL, now: o.Now, caches: newCaches(o.SearchCache),
	}
}

// standing returns the caller's standing in app.
func (s *Service) standing(ctx context.Context, app string) (Standing, error) {
	return s.access.Standing(ctx, auth.CallerFrom(ctx), app)
}

// member returns whose personal agenda a call addresses: the calling user,
// or for a service caller without a user, memberID; and their standing.
func (s *Service) member(ctx context.Context, app, memberID string) (string, Standing, error) {
	c := auth.CallerFrom(ctx)
	if c.Kind == auth.CallerService && c.User == "" {
		if memberID == "" {
			return "", Standing{}, errs.InvalidFields("a service names the member", errs.FieldError{Field: "/member_id", Message: "required for service callers"})
		}
		st, err := s.access.StandingOf(ctx, app, memberID)
		return memberID, st, err
	}
	if memberID != "" && memberID != c.User {
		return "", Standing{}, errs.WithCode(errs.CodeForbidden, "member_id is for service callers; members address their own agenda")
	}
	st, err := s.access.Standing(ctx, c, app)
	if err != nil {
		return "", Standing{}, err
	}
	if st.User == "" {
		return "", Standing{}, errs.WithCode(errs.CodeForbidden, "a personal agenda needs a user")
	}
	return st.User, st, nil
}
