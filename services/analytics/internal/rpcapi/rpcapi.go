// Package rpcapi is analytics' JSON-RPC layer: it decodes the wire types of
// api.go into the domain's, calls the service and encodes the results. The
// plain HTTP routes (POST /track, the export, the dashboard) are in
// routes.go.
package rpcapi

import (
	"context"
	"time"

	"github.com/attendify/analytics"
	"github.com/attendify/analytics/internal/service"
	"github.com/attendify/analytics/internal/wire"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/rpc"
)

// Links signs dashboard links, each naming the organizer who made it and
// the sequence number of their token.
type Links interface {
	New(app, creator string, seq int64, ttl time.Duration) (token string, expires time.Time, err error)
}

// Handlers implement analytics' methods.
type Handlers struct {
	Svc     *service.Service
	Links   Links
	BaseURL string // the service's public URL, for dashboard links
}

// Register registers every method on srv.
func Register(srv *rpc.Server, h *Handlers) {
	rpc.Handle(srv, analytics.Track, h.track)
	rpc.Handle(srv, analytics.GetSeries, h.series)
	rpc.Handle(srv, analytics.GetLive, h.live)
	rpc.Handle(srv, analytics.GetAdoption, h.adoption)
	rpc.Handle(srv, analytics.GetTop, h.top)
	rpc.Handle(srv, analytics.GetLeaderboard, h.leaderboard)
	rpc.Handle(srv, analytics.GetSponsored, h.sponsored)
	rpc.Handle(srv, analytics.NewDashboardLink, h.dashboardLink)
	rpc.Handle(srv, analytics.Rebuild, h.rebuild)
	rpc.Handle(srv, analytics.Fold, h.fold)
}

func (h *Handlers) track(ctx context.Context, p analytics.TrackParams) (analytics.TrackResult, error) {
	out, err := h.Svc.Track(ctx, wire.BatchOf(p))
	if err != nil {
		return analytics.TrackResult{}, err
	}
	return wire.TrackResult(out), nil
}

func (h *Handlers) series(ctx context.Context, p analytics.RangeParams) (analytics.Series, error) {
	r := wire.RangeOf(p)
	bs, err := h.Svc.Series(ctx, r)
	if err != nil {
		return analytics.Series{}, err
	}
	return wire.SeriesOf(r, bs), nil
}

func (h *Handlers) live(ctx context.Context, p analytics.LiveParams) (analytics.Live, error) {
	st, err := h.Svc.Live(ctx, p.App, p.Event, p.Minutes)
	if err != nil {
		return analytics.Live{}, err
	}
	return wire.LiveOf(st), nil
}

func (h *Handlers) adoption(ctx context.Context, p analytics.RangeParams) (analytics.Adoption, error) {
	days, err := h.Svc.Adoption(ctx, wire.RangeOf(p))
	if err != nil {
		return analytics.Adoption{}, err
	}
	out := analytics.Adoption{Days: make([]analytics.AdoptionDay, len(days))}
	for i, d := range days {
		out.Days[i] = analytics.AdoptionDay{Day: d.Day, Registered: d.Registered, Opened: d.Opened, Active: d.Active}
	}
	return out, nil
}

func (h *Handlers) top(ctx context.Context, p analytics.TopParams) (analytics.TopList, error) {
	items, err := h.Svc.Top(ctx, wire.RangeOf(p.RangeParams), p.Kind, p.Limit)
	if err != nil {
		return analytics.TopList{}, err
	}
	return analytics.TopList{Kind: p.Kind, Items: wire.ItemsOf(items)}, nil
}

func (h *Handlers) leaderboard(ctx context.Context, p analytics.LeaderboardParams) (analytics.Leaderboard, error) {
	items, err := h.Svc.Leaderboard(ctx, p.App, p.Limit)
	if err != nil {
		return analytics.Leaderboard{}, err
	}
	return analytics.Leaderboard{Items: wire.ItemsOf(items)}, nil
}

func (h *Handlers) sponsored(ctx context.Context, p analytics.RangeParams) (analytics.Sponsored, error) {
	campaigns, taps, err := h.Svc.Sponsored(ctx, wire.RangeOf(p))
	if err != nil {
		return analytics.Sponsored{}, err
	}
	out := analytics.Sponsored{Campaigns: make([]analytics.SponsoredItem, len(campaigns)), SponsorTaps: wire.ItemsOf(taps)}
	for i, c := range campaigns {
		ctr := 0.0
		if c.Impressions > 0 {
			ctr = float64(c.Clicks) / float64(c.Impressions)
		}
		out.Campaigns[i] = analytics.SponsoredItem{ID: c.ID, Impressions: c.Impressions, Clicks: c.Clicks, CTR: ctr}
	}
	return out, nil
}

func (h *Handlers) dashboardLink(ctx context.Context, p analytics.DashboardLinkParams) (analytics.DashboardLink, error) {
	if err := h.Svc.Authorized(ctx, p.App); err != nil {
		return analytics.DashboardLink{}, err
	}
	// The link names its creator, and every use checks that they may
	// still see the app's analytics: so only an organizer's own token
	// makes one, not a service (which no removal would ever revoke).
	c := auth.CallerFrom(ctx)
	if c.User == "" {
		return analytics.DashboardLink{}, errs.WithCode(errs.CodeForbidden, "a dashboard link acts for the organizer who asks for it: call with an organizer's app token")
	}
	ttl := time.Duration(p.TTLHours) * time.Hour
	if ttl == 0 {
		ttl = 24 * time.Hour
	}
	tok, exp, err := h.Links.New(p.App, c.User, c.TokenSeq, ttl)
	if err != nil {
		return analytics.DashboardLink{}, err
	}
	return analytics.DashboardLink{URL: wire.DashboardURL(h.BaseURL, p.App, tok), Token: tok, Expires: exp}, nil
}

func (h *Handlers) rebuild(ctx context.Context, p analytics.RebuildParams) (analytics.RebuildResult, error) {
	n, apps, err := h.Svc.Rebuild(ctx, p.App, p.Days, p.Reset)
	if err != nil {
		return analytics.RebuildResult{}, err
	}
	return analytics.RebuildResult{Events: n, Apps: apps}, nil
}

func (h *Handlers) fold(ctx context.Context, p analytics.FoldParams) (analytics.FoldResult, error) {
	n, err := h.Svc.Fold(ctx, p.All)
	if err != nil {
		return analytics.FoldResult{}, err
	}
	return analytics.FoldResult{Minutes: n}, nil
}
