// Package demo loads two campaigns into hub's demo app for `make run`,
// through sponsored's own API with the organizer's app token, the way the
// organizers' console would: a link campaign paced evenly and a lead-form
// campaign front-loaded, both live for the next three days. It then reads
// the demo member's feed from social to show a sponsored post in it.
//
// It reads $DEMO_DIR/hub.json (hub's demo output: app_id, app_token,
// member_token), calls sponsored at $SPONSORED_URL and social at
// $SOCIAL_URL, and prints JSON with the sponsors' report pages. Run again,
// it finds the campaigns it made.
package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"

	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/sponsored"
)

// Config is the demo's environment.
type Config struct {
	Dir          string `env:"DEMO_DIR" envDefault:".run/demo"`
	SponsoredURL string `env:"SPONSORED_URL" envDefault:"http://127.0.0.1:8084"`
	SocialURL    string `env:"SOCIAL_URL" envDefault:"http://127.0.0.1:8083"`
}

// hubInfo is what the demo reads of hub.json (hub's demo.Info).
type hubInfo struct {
	AppID       string `json:"app_id"`
	AppToken    string `json:"app_token"`
	MemberToken string `json:"member_token"`
}

// Summary is what Run prints; the *_url keys are shown by `make run`.
type Summary struct {
	AppID         string   `json:"app_id"`
	Campaigns     []string `json:"campaigns"`
	ReportURL     string   `json:"report_url"`
	LeadReportURL string   `json:"lead_report_url"`
	// FeedSponsored is the sponsored post the demo member's feed showed
	// (empty when hub gave no member token, or social shows none).
	FeedSponsored string `json:"feed_sponsored,omitempty"`
}

// Names of the demo campaigns.
const (
	LinkCampaign = "Acme Cloud at booth 12"
	LeadCampaign = "Gopher Books: a free chapter"
)

// Run seeds the demo campaigns and writes the summary to out.
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
	if info.AppID == "" || info.AppToken == "" {
		return fmt.Errorf("hub.json has no app_id or app_token")
	}
	s, err := Seed(ctx, cfg.SponsoredURL, info.AppID, info.AppToken, time.Now())
	if err != nil {
		return err
	}
	if info.MemberToken != "" {
		s.FeedSponsored = sponsoredInFeed(ctx, cfg.SocialURL, info.AppID, info.MemberToken)
	}
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}

// Campaigns are the demo's two campaigns, flying from an hour before now
// for three days (Paris time, the demo conference's).
func Campaigns(now time.Time) []sponsored.CampaignInput {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		paris = time.UTC
	}
	start := now.In(paris).Add(-time.Hour).Format("2006-01-02T15:04")
	end := now.In(paris).Add(72 * time.Hour).Format("2006-01-02T15:04")
	flight := sponsored.Flight{Start: start, End: end, TimeZone: "Europe/Paris"}
	return []sponsored.CampaignInput{{
		Name:    LinkCampaign,
		Sponsor: sponsored.Sponsor{Name: "Acme Cloud", LogoURL: "https://acme.example/logo.png"},
		Creative: sponsored.Creative{
			Text: "Deploy your conference app in minutes. Come and see us at booth 12 for a live demo and a T-shirt!",
			CTA:  sponsored.CTA{Kind: sponsored.CTALink, Label: "Book a demo", URL: "https://acme.example/demo"},
		},
		Flight: flight, Weight: 3, Budget: 5000, Pacing: sponsored.PacingEven,
		Caps: sponsored.Caps{PerHour: 2, PerDay: 6, PerFlight: 12},
	}, {
		Name:    LeadCampaign,
		Sponsor: sponsored.Sponsor{Name: "Gopher Books"},
		Creative: sponsored.Creative{
			Text: "Get the first chapter of \"Concurrency in Practice\" free: leave your e-mail and we send it today.",
			CTA: sponsored.CTA{Kind: sponsored.CTALead, Label: "Send me the chapter", Consent: "Gopher Books may e-mail me the chapter and its news; I can unsubscribe at any time.",
				Fields: []sponsored.LeadField{{Name: "email", Label: "E-mail", Kind: sponsored.FieldEmail, Required: true}, {Name: "company", Label: "Company", Kind: sponsored.FieldText}}},
		},
		Flight: flight, Weight: 1, Budget: 2000, Pacing: sponsored.PacingFrontLoaded,
		Caps: sponsored.Caps{PerDay: 3, PerFlight: 6},
	}}
}

// Seed creates and schedules the demo campaigns unless campaigns of those
// names are there, calling sponsored at baseURL as the organizer whose
// app token is token.
func Seed(ctx context.Context, baseURL, app, token string, now time.Time) (Summary, error) {
	client, err := rpc.NewClient(rpc.ClientOptions{Endpoints: []string{strings.TrimRight(baseURL, "/")}})
	if err != nil {
		return Summary{}, err
	}
	ctx = auth.WithCaller(ctx, auth.Caller{Kind: auth.CallerUser, Token: token})
	ref := rpc.AppRef{App: app}
	have := map[string]sponsored.Campaign{}
	for _, state := range []string{"", sponsored.StateArchived} {
		p := sponsored.ListCampaignsParams{AppRef: ref, State: state, Limit: 500}
		for {
			list, err := sponsored.ListCampaigns.Call(ctx, client, p)
			if err != nil {
				return Summary{}, fmt.Errorf("list campaigns: %w", err)
			}
			for _, c := range list.Campaigns {
				have[c.Name] = c
			}
			if list.NextCursor == "" {
				break
			}
			p.Cursor = list.NextCursor
		}
	}
	sum := Summary{AppID: app}
	for _, in := range Campaigns(now) {
		c, ok := have[in.Name]
		if !ok {
			if c, err = sponsored.CreateCampaign.Call(ctx, client, sponsored.CreateCampaignParams{AppRef: ref, CampaignInput: in}); err != nil {
				return Summary{}, fmt.Errorf("create %q: %w", in.Name, err)
			}
			if c, err = sponsored.ScheduleCampaign.Call(ctx, client, sponsored.CampaignRef{AppRef: ref, CampaignID: c.ID}); err != nil {
				return Summary{}, fmt.Errorf("schedule %q: %w", in.Name, err)
			}
		}
		link, err := sponsored.ShareReport.Call(ctx, client, sponsored.CampaignRef{AppRef: ref, CampaignID: c.ID})
		if err != nil {
			return Summary{}, fmt.Errorf("share the report of %q: %w", in.Name, err)
		}
		sum.Campaigns = append(sum.Campaigns, fmt.Sprintf("%s (%s, %s)", c.Name, c.ID, c.State))
		if in.Name == LinkCampaign {
			sum.ReportURL = link.URL
		} else {
			sum.LeadReportURL = link.URL
		}
	}
	return sum, nil
}

// feedParams and feedPage are the part of social's feed.get the demo
// uses (sponsored does not import social).
type feedParams struct {
	App   string `json:"app_id"`
	Kind  string `json:"kind"`
	Limit int    `json:"limit"`
}

type feedPage struct {
	Items []struct {
		Sponsored *sponsored.Card `json:"sponsored"`
	} `json:"items"`
}

// AppID implements rpc.AppScoped.
func (p feedParams) AppID() string { return p.App }

var getFeed = rpc.Method[feedParams, feedPage]{Name: "feed.get", Auth: auth.Member, Idempotent: true}

// sponsoredInFeed reads the member's app feed (a few times: social keeps
// an app's eligibility for a second) and returns its first sponsored post.
func sponsoredInFeed(ctx context.Context, socialURL, app, token string) string {
	client, err := rpc.NewClient(rpc.ClientOptions{Endpoints: []string{strings.TrimRight(socialURL, "/")}})
	if err != nil {
		return ""
	}
	ctx = auth.WithCaller(ctx, auth.Caller{Kind: auth.CallerUser, Token: token})
	for range 5 {
		page, err := getFeed.Call(ctx, client, feedParams{App: app, Kind: "app", Limit: 20})
		if err != nil {
			return ""
		}
		for _, it := range page.Items {
			if it.Sponsored != nil {
				return it.Sponsored.Label + " by " + it.Sponsored.Sponsor.Name + ": " + it.Sponsored.Text
			}
		}
		time.Sleep(700 * time.Millisecond)
	}
	return ""
}
