// Package demo creates the demo wall for `make run`: a public wall for the
// first event of hub's demo app, through eventwall's own API with the
// organizer's app token, the way the organizers' console would. Public, it
// shows the app's posts that anyone may see: not those of hub's demo
// workshop, which needs a registration code.
//
// It reads $DEMO_DIR/hub.json (hub's demo output: app_id, event_ids,
// app_token), calls eventwall at $EVENTWALL_URL, and prints JSON with
// wall_url. Run again, it finds the wall it made and only prints.
package demo

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/caarlos0/env/v11"

	"github.com/attendify/eventwall"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/rpc"
)

// Config is the demo's environment.
type Config struct {
	Dir          string `env:"DEMO_DIR" envDefault:".run/demo"`
	EventwallURL string `env:"EVENTWALL_URL" envDefault:"http://127.0.0.1:8086"`
}

// hubInfo is what the demo reads of hub.json (hub's demo.Info).
type hubInfo struct {
	AppID    string   `json:"app_id"`
	EventIDs []string `json:"event_ids"`
	AppToken string   `json:"app_token"`
}

// Summary is what Run prints.
type Summary struct {
	WallID  string `json:"wall_id"`
	WallURL string `json:"wall_url"`
	AppID   string `json:"app_id"`
	EventID string `json:"event_id"`
	Title   string `json:"title"`
	Created bool   `json:"created"`
}

// Title is the demo wall's title.
const Title = "Live from the demo conference"

// logo is a small inline SVG (a data: URL): no network needed to show it.
var logo = "data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString([]byte(
	`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><circle cx="32" cy="32" r="30" fill="#ff6a3d"/><path d="M18 40 L32 16 L46 40 Z" fill="#fff"/></svg>`))

// Run creates (or finds) the demo wall and writes the summary to out.
func Run(ctx context.Context, out io.Writer) error {
	var cfg Config
	if err := env.Parse(&cfg); err != nil {
		return err
	}
	raw, err := os.ReadFile(filepath.Join(cfg.Dir, "hub.json"))
	if err != nil {
		return fmt.Errorf("read hub's demo output (run hub's demo first): %w", err)
	}
	var info hubInfo
	if err := json.Unmarshal(raw, &info); err != nil {
		return fmt.Errorf("decode hub.json: %w", err)
	}
	switch {
	case info.AppID == "":
		return fmt.Errorf("hub.json has no app_id")
	case len(info.EventIDs) == 0:
		return fmt.Errorf("hub.json has no event_ids")
	case info.AppToken == "":
		return fmt.Errorf("hub.json has no app_token (the organizer's app token)")
	}
	s, err := Seed(ctx, cfg.EventwallURL, info.AppID, info.EventIDs[0], info.AppToken)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}

// Seed creates the demo wall for event unless one with the demo title is
// there, calling eventwall at baseURL as the organizer whose app token is
// token.
func Seed(ctx context.Context, baseURL, app, event, token string) (Summary, error) {
	baseURL = strings.TrimRight(baseURL, "/")
	client, err := rpc.NewClient(rpc.ClientOptions{Endpoints: []string{baseURL}})
	if err != nil {
		return Summary{}, err
	}
	ctx = auth.WithCaller(ctx, auth.Caller{Kind: auth.CallerUser, Token: token})
	list, err := eventwall.ListWalls.Call(ctx, client, eventwall.ListWallsParams{AppRef: rpc.AppRef{App: app}, EventID: event})
	if err != nil {
		return Summary{}, fmt.Errorf("list walls: %w", err)
	}
	for _, w := range list.Walls {
		if w.Title == Title {
			return summary(baseURL, w, false), nil
		}
	}
	public := true
	w, err := eventwall.CreateWall.Call(ctx, client, eventwall.CreateWallParams{
		AppRef: rpc.AppRef{App: app}, EventID: event, Title: Title,
		Layout:         eventwall.LayoutMasonry,
		Theme:          &eventwall.Theme{Background: "#101828", Text: "#f8fafc", Accent: "#ff6a3d", LogoURL: logo},
		Filters:        &eventwall.Filters{Scope: eventwall.ScopeApp},
		Moderation:     &eventwall.Moderation{Mode: eventwall.ModerationAuto, Blocklist: []string{"spam", "buy now"}},
		DisplaySeconds: 6,
		Public:         &public,
	})
	if err != nil {
		return Summary{}, fmt.Errorf("create the demo wall: %w", err)
	}
	return summary(baseURL, w, true), nil
}

func summary(base string, w eventwall.Wall, created bool) Summary {
	return Summary{WallID: w.ID, WallURL: base + w.Path, AppID: w.AppID, EventID: w.EventID, Title: w.Title, Created: created}
}
