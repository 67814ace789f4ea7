// Package demo sends a simulated event day of app activity for `make run`:
// installs of hub's demo app (one of them signed in as the demo member)
// open the app, browse screens, tap sessions, speakers and sponsors, over
// the last hours and right now, through analytics' own track.batch. It then
// asks for a dashboard link with the organizer's app token and prints JSON
// with dashboard_url.
//
// The simulation is seeded by the day: run again the same day, it sends
// the same event ids, which analytics counts once.
package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/attendify/analytics"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/rpc"
)

// Config is where the demo reads hub's output and which analytics it calls.
type Config struct {
	Dir string
	URL string
}

// hubInfo is what the demo reads of hub.json (hub's demo.Info).
type hubInfo struct {
	AppID       string   `json:"app_id"`
	EventIDs    []string `json:"event_ids"`
	AppToken    string   `json:"app_token"`
	MemberToken string   `json:"member_token"`
}

// Summary is what Run prints.
type Summary struct {
	AppID        string `json:"app_id"`
	Installs     int    `json:"installs"`
	Sent         int    `json:"events_sent"`
	Accepted     int    `json:"events_accepted"`
	DashboardURL string `json:"dashboard_url"`
}

// Run sends the simulated day and prints the summary to out.
func Run(ctx context.Context, cfg Config, out io.Writer) error {
	raw, err := os.ReadFile(filepath.Join(cfg.Dir, "hub.json"))
	if err != nil {
		return fmt.Errorf("read hub's demo output (run hub's demo first): %w", err)
	}
	var info hubInfo
	if err := json.Unmarshal(raw, &info); err != nil {
		return fmt.Errorf("decode hub.json: %w", err)
	}
	if info.AppID == "" || info.AppToken == "" {
		return fmt.Errorf("hub.json has no app_id or app_token")
	}
	client, err := rpc.NewClient(rpc.ClientOptions{Endpoints: []string{cfg.URL}})
	if err != nil {
		return err
	}
	event := ""
	if len(info.EventIDs) > 0 {
		event = info.EventIDs[0]
	}
	s := Summary{AppID: info.AppID}
	now := time.Now().UTC()
	batches := Day(info.AppID, event, now, 80)
	for i, b := range batches {
		bctx := ctx
		if i == 0 && info.MemberToken != "" {
			bctx = auth.WithCaller(ctx, auth.Caller{Kind: auth.CallerUser, Token: info.MemberToken})
		}
		for start := 0; start < len(b.Events); start += 100 {
			part := b
			part.Events = b.Events[start:min(start+100, len(b.Events))]
			part.SentAt = time.Now().UTC()
			res, err := analytics.Track.Call(bctx, client, part)
			if err != nil {
				return fmt.Errorf("track: %w", err)
			}
			s.Sent += len(part.Events)
			s.Accepted += res.Accepted
		}
	}
	s.Installs = len(batches)
	octx := auth.WithCaller(ctx, auth.Caller{Kind: auth.CallerUser, Token: info.AppToken})
	link, err := analytics.NewDashboardLink.Call(octx, client, analytics.DashboardLinkParams{AppRef: rpc.AppRef{App: info.AppID}, TTLHours: 72})
	if err != nil {
		return fmt.Errorf("dashboard link: %w", err)
	}
	s.DashboardURL = link.URL
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}

// The demo agenda the simulated taps land on.
var (
	sessions = []string{"opening-keynote", "go-at-scale", "designing-for-offline", "sponsor-showcase", "closing-panel", "lightning-talks"}
	speakers = []string{"ada-lovelace", "grace-hopper", "ken-thompson", "barbara-liskov", "margaret-hamilton"}
	sponsors = []string{"acme-cloud", "globex", "initech"}
	screens  = []string{"agenda", "session", "speakers", "speaker", "feed", "post", "sponsors", "map", "profile"}
)

// Day simulates installs' activity of the day up to now: each install has
// a few app sessions over the last eight hours, and about a third of them
// are in the app right now. Ids and choices are seeded by the app and the
// day, so the same day gives the same events.
func Day(app, event string, now time.Time, installs int) []analytics.TrackParams {
	day := now.Truncate(24 * time.Hour)
	rng := rand.New(rand.NewPCG(uint64(day.Unix()), uint64(len(app))))
	out := make([]analytics.TrackParams, 0, installs)
	for i := range installs {
		inst := fmt.Sprintf("demo-install-%03d", i)
		b := analytics.TrackParams{AppRef: rpc.AppRef{App: app}, Install: inst, SentAt: now}
		n := 0
		add := func(e analytics.TrackEvent) {
			n++ // ids do not depend on which events are past yet
			if e.At.After(now) {
				return
			}
			e.ID = fmt.Sprintf("%s-%d", day.Format("20060102"), n)
			e.Event = event
			b.Events = append(b.Events, e)
		}
		nSessions := 1 + rng.IntN(3)
		for s := range nSessions {
			// Sessions spread over the last 8 hours; the last one of a
			// third of the installs is happening now.
			start := now.Add(-time.Duration(rng.IntN(8*60)) * time.Minute)
			if s == nSessions-1 && i%3 == 0 {
				start = now.Add(-time.Duration(1+rng.IntN(4)) * time.Minute)
			}
			sid := fmt.Sprintf("%s-s%d", inst, s)
			t := start
			add(analytics.TrackEvent{Type: analytics.TypeAppOpen, At: t, Session: sid})
			for range 3 + rng.IntN(12) {
				t = t.Add(time.Duration(5+rng.IntN(40)) * time.Second)
				add(analytics.TrackEvent{Type: analytics.TypeScreenView, At: t, Session: sid, Screen: screens[rng.IntN(len(screens))]})
				if rng.IntN(3) == 0 {
					t = t.Add(time.Duration(2+rng.IntN(10)) * time.Second)
					tt, id := tapTarget(rng)
					add(analytics.TrackEvent{Type: analytics.TypeTap, At: t, Session: sid, TargetType: tt, TargetID: id})
				}
			}
			if rng.IntN(5) == 0 {
				add(analytics.TrackEvent{Type: analytics.TypeCustom, At: t, Session: sid, Name: "schedule.added",
					Props: map[string]any{"session": sessions[rng.IntN(len(sessions))], "from_push": rng.IntN(2) == 0}})
			}
			end := t.Add(time.Duration(10+rng.IntN(60)) * time.Second)
			add(analytics.TrackEvent{Type: analytics.TypeAppClose, At: end, Session: sid, DurationMs: end.Sub(start).Milliseconds()})
		}
		if len(b.Events) > 0 {
			out = append(out, b)
		}
	}
	return out
}

func tapTarget(rng *rand.Rand) (string, string) {
	switch rng.IntN(5) {
	case 0, 1:
		return analytics.TargetSession, sessions[rng.IntN(len(sessions))]
	case 2, 3:
		return analytics.TargetSpeaker, speakers[rng.IntN(len(speakers))]
	}
	return analytics.TargetSponsor, sponsors[rng.IntN(len(sponsors))]
}
