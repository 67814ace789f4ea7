// Package wire converts between analytics' wire types (api.go) and its
// domain types, for the JSON-RPC handlers and the plain HTTP routes.
package wire

import (
	"net/url"

	"github.com/attendify/analytics"
	"github.com/attendify/analytics/internal/service"
)

// BatchOf is a track batch as the domain takes it.
func BatchOf(p analytics.TrackParams) service.Batch {
	b := service.Batch{App: p.App, Install: p.Install, SentAt: p.SentAt, Events: make([]service.AppEvent, len(p.Events))}
	for i, e := range p.Events {
		b.Events[i] = service.AppEvent{
			ID: e.ID, Type: e.Type, At: e.At, EventID: e.Event, Session: e.Session, Screen: e.Screen,
			TargetType: e.TargetType, TargetID: e.TargetID, DurationMs: e.DurationMs, Name: e.Name, Props: e.Props,
		}
	}
	return b
}

// TrackResult is a batch's outcome on the wire.
func TrackResult(o service.Outcome) analytics.TrackResult {
	r := analytics.TrackResult{Accepted: o.Accepted, Duplicates: o.Duplicates, Clamped: o.Clamped, SkewMs: o.Skew.Milliseconds()}
	for _, f := range o.Refused {
		r.Refused = append(r.Refused, analytics.Refusal{Index: f.Index, Reason: f.Reason})
	}
	return r
}

// RangeOf is a range as the domain takes it.
func RangeOf(p analytics.RangeParams) service.Range {
	return service.Range{App: p.App, Scope: p.Event, From: p.From, To: p.To, Level: service.Level(p.Step)}
}

// BucketOf is a bucket on the wire (zero counters left out). Its Counts
// are b's own when b has no zero counter: like b's, they are read-only.
func BucketOf(b service.Bucket) analytics.Bucket {
	counts := b.Counts
	if counts == nil || hasZero(counts) {
		counts = make(map[string]int64, len(b.Counts))
		for k, v := range b.Counts {
			if v != 0 {
				counts[k] = v
			}
		}
	}
	return analytics.Bucket{Start: b.Start, Counts: counts, Members: b.Members, Installs: b.Installs}
}

func hasZero(m map[string]int64) bool {
	for _, v := range m {
		if v == 0 {
			return true
		}
	}
	return false
}

// SeriesOf is a series on the wire.
func SeriesOf(r service.Range, bs []service.Bucket) analytics.Series {
	s := analytics.Series{From: r.From, To: r.To, Step: string(r.Resolution()), Buckets: make([]analytics.Bucket, len(bs)), Totals: service.Totals(bs)}
	for i, b := range bs {
		s.Buckets[i] = BucketOf(b)
	}
	return s
}

// ItemsOf is a list of scored items on the wire.
func ItemsOf(ss []service.Scored) []analytics.Item {
	out := make([]analytics.Item, len(ss))
	for i, s := range ss {
		out[i] = analytics.Item{ID: s.ID, Score: s.Score, Label: s.Label}
	}
	return out
}

// LiveOf converts the live state to its wire type.
func LiveOf(st service.LiveState) analytics.Live {
	l := analytics.Live{
		At: st.At, LiveMembers: st.LiveMembers, LiveInstalls: st.LiveInstalls,
		Today: BucketOf(st.Today), Minutes: make([]analytics.Bucket, len(st.Minutes)),
		Top: map[string][]analytics.Item{}, Leaderboard: ItemsOf(st.Leaderboard), Version: st.Version,
	}
	for i, b := range st.Minutes {
		l.Minutes[i] = BucketOf(b)
	}
	for k, v := range st.Top {
		l.Top[k] = ItemsOf(v)
	}
	return l
}

// DashboardURL is the address of app's dashboard opened with a link token.
func DashboardURL(base, app, token string) string {
	return base + "/dashboard/" + url.PathEscape(app) + "?t=" + url.QueryEscape(token)
}
