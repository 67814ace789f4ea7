// Package demo sets up the demo member's personal agenda for `make run`:
// it finds hub's demo attendee, bookmarks sessions of two of the demo app's
// events (the conference in Paris, last year's in New York: two time zones,
// and two sessions that overlap), writes a note, and issues the member's
// secret iCalendar address, through multievent's own API as a service
// acting for the member (member_id).
//
// It reads $DEMO_DIR/hub.json (hub's demo output: app_id, app_token,
// member_email, event_ids), calls hub at $HUB_URL and multievent at
// $MULTIEVENT_URL, and prints JSON with calendar_url.
package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/caarlos0/env/v11"

	"github.com/attendify/hub"
	"github.com/attendify/multievent"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/rpc"
)

// Config is the demo's environment.
type Config struct {
	Dir           string      `env:"DEMO_DIR" envDefault:".run/demo"`
	HubURL        string      `env:"HUB_URL" envDefault:"http://127.0.0.1:8081"`
	MultieventURL string      `env:"MULTIEVENT_URL" envDefault:"http://127.0.0.1:8087"`
	Auth          auth.Config // the keys that sign the demo's service calls
}

// HubInfo is what the demo reads of hub.json (hub's demo.Info).
type HubInfo struct {
	AppID       string   `json:"app_id"`
	AppToken    string   `json:"app_token"`
	MemberEmail string   `json:"member_email"`
	EventIDs    []string `json:"event_ids"`
}

// Summary is what Run prints.
type Summary struct {
	AppID       string `json:"app_id"`
	MemberID    string `json:"member_id"`
	MemberEmail string `json:"member_email"`
	Bookmarks   int    `json:"bookmarks"`
	Conflicts   int    `json:"conflicts"`
	CalendarURL string `json:"calendar_url"`
}

// Run sets the demo agenda up and writes the summary to out.
func Run(ctx context.Context, out io.Writer) error {
	var cfg Config
	if err := env.Parse(&cfg); err != nil {
		return err
	}
	raw, err := os.ReadFile(filepath.Join(cfg.Dir, "hub.json"))
	if err != nil {
		return fmt.Errorf("read hub's demo output (run hub's demo first): %w", err)
	}
	var info HubInfo
	if err := json.Unmarshal(raw, &info); err != nil {
		return fmt.Errorf("decode hub.json: %w", err)
	}
	if cfg.Auth.ServiceName == "" {
		cfg.Auth.ServiceName = "multievent-demo"
	}
	signer, err := cfg.Auth.Signer()
	if err != nil {
		return err
	}
	hubClient, err := rpc.NewClient(rpc.ClientOptions{Endpoints: []string{cfg.HubURL}})
	if err != nil {
		return err
	}
	me, err := rpc.NewClient(rpc.ClientOptions{Endpoints: []string{cfg.MultieventURL}, Signer: &signer})
	if err != nil {
		return err
	}
	s, err := Seed(ctx, hubClient, me, info)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}

// Seed bookmarks the demo sessions for hub's demo member and issues their
// calendar address. hubClient calls hub (with the organizer's app token
// from info); me calls multievent, signed as a service.
func Seed(ctx context.Context, hubClient, me *rpc.Client, info HubInfo) (Summary, error) {
	s := Summary{AppID: info.AppID, MemberEmail: info.MemberEmail}
	switch {
	case info.AppID == "" || info.AppToken == "" || info.MemberEmail == "":
		return s, errors.New("hub.json lacks app_id, app_token or member_email")
	case len(info.EventIDs) < 2:
		return s, fmt.Errorf("hub.json lists %d events, want the conference and last year's", len(info.EventIDs))
	}
	org := auth.WithCaller(ctx, auth.Caller{Kind: auth.CallerUser, Token: info.AppToken})
	page, err := hub.SearchMembers.Call(org, hubClient, hub.SearchMembersParams{AppRef: rpc.AppRef{App: info.AppID}, Query: "demo attendee"})
	if err != nil {
		return s, fmt.Errorf("find the demo member: %w", err)
	}
	for _, m := range page.Members {
		if m.Email == info.MemberEmail {
			s.MemberID = m.ID
		}
	}
	if s.MemberID == "" {
		return s, fmt.Errorf("no member %s in the demo app", info.MemberEmail)
	}
	// The conference's first three sessions (two overlap) and last year's
	// keynote, with a note on the keynote.
	conf, past := info.EventIDs[0], info.EventIDs[len(info.EventIDs)-1]
	var ops []multievent.AgendaOp
	for i, ev := range []string{conf, past} {
		ag, err := hub.GetAgenda.Call(org, hubClient, hub.AgendaParams{AppRef: rpc.AppRef{App: info.AppID}, Event: ev})
		if err != nil {
			return s, fmt.Errorf("read the agenda of %s: %w", ev, err)
		}
		if len(ag.Days) == 0 {
			continue
		}
		n := 3
		if i == 1 {
			n = 1
		}
		for _, x := range ag.Days[0].Sessions[:min(n, len(ag.Days[0].Sessions))] {
			ops = append(ops, multievent.AgendaOp{Op: multievent.OpBookmark, Session: x.ID})
		}
	}
	if len(ops) == 0 {
		return s, errors.New("the demo events have no sessions")
	}
	ops = append(ops, multievent.AgendaOp{Op: multievent.OpNote, Session: ops[0].Session, Text: "Sit near the front."})
	// multievent learns the sessions from hub's events: until it knows
	// them all, some operations are rejected; sending them again is
	// harmless (a bookmark twice is one, a note is rewritten).
	var ag multievent.Agenda
	deadline := time.Now().Add(30 * time.Second)
	for {
		ag, err = multievent.SyncAgenda.Call(ctx, me, multievent.SyncParams{AppRef: rpc.AppRef{App: info.AppID}, MemberID: s.MemberID, Ops: multievent.EncodeOps(ops...)})
		if err != nil {
			return s, fmt.Errorf("bookmark the demo sessions: %w", err)
		}
		if len(ag.Rejected) == 0 || time.Now().After(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return s, ctx.Err()
		case <-time.After(300 * time.Millisecond):
		}
	}
	s.Bookmarks, s.Conflicts = len(ag.Sessions), len(ag.Conflicts)
	link, err := multievent.IssueCalendarLink.Call(ctx, me, multievent.AgendaParams{AppRef: rpc.AppRef{App: info.AppID}, MemberID: s.MemberID})
	if err != nil {
		return s, fmt.Errorf("issue the calendar address: %w", err)
	}
	s.CalendarURL = link.URL
	return s, nil
}
