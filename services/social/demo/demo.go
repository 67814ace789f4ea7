// Package demo fills the demo app that hub's demo created with a lively
// feed, through social's own API the way the mobile app would: members sign
// in with hub (email code, read back with hub's dev.lastCode as a service),
// upload photos, post with hashtags and mentions, comment and react.
//
// It reads $DEMO_DIR/hub.json (hub's demo output: app_id, event_ids,
// app_token, member_token), calls hub at $HUB_URL and social at $SOCIAL_URL, and prints
// a JSON summary. Run again, it finds the feed filled and only prints.
package demo

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"

	"github.com/attendify/hub"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/social"
)

//go:embed photos
var photos embed.FS

// Config is the demo's environment.
type Config struct {
	Dir       string      `env:"DEMO_DIR" envDefault:".run/demo"`
	HubURL    string      `env:"HUB_URL" envDefault:"http://127.0.0.1:8081"`
	SocialURL string      `env:"SOCIAL_URL" envDefault:"http://127.0.0.1:8083"`
	Auth      auth.Config // signs hub's dev.lastCode as a service
}

// hubInfo is what the demo reads of hub.json (hub's demo.Info).
type hubInfo struct {
	AppID       string   `json:"app_id"`
	EventIDs    []string `json:"event_ids"`
	AppToken    string   `json:"app_token"`
	MemberToken string   `json:"member_token"`
	MemberEmail string   `json:"member_email"`
}

// Summary is what Run prints.
type Summary struct {
	AppID     string   `json:"app_id"`
	Members   int      `json:"members_posting"`
	Posts     int      `json:"posts"`
	Photos    int      `json:"photos"`
	Comments  int      `json:"comments"`
	Reactions int      `json:"reactions"`
	FeedItems int      `json:"feed_items"`
	Hashtags  []string `json:"hashtags"`
	Note      string   `json:"note,omitempty"`
}

// Run seeds the demo and writes a JSON summary to out.
func Run(ctx context.Context, out io.Writer) error {
	var cfg Config
	if err := env.Parse(&cfg); err != nil {
		return err
	}
	cfg.Auth.ServiceName = "social"
	info, err := readHub(filepath.Join(cfg.Dir, "hub.json"))
	if err != nil {
		return err
	}
	signer, err := cfg.Auth.Signer()
	if err != nil {
		return err
	}
	hubc, err := rpc.NewClient(rpc.ClientOptions{Endpoints: []string{cfg.HubURL}})
	if err != nil {
		return err
	}
	hubSvc, err := rpc.NewClient(rpc.ClientOptions{Endpoints: []string{cfg.HubURL}, Signer: &signer})
	if err != nil {
		return err
	}
	sc, err := rpc.NewClient(rpc.ClientOptions{Endpoints: []string{cfg.SocialURL}})
	if err != nil {
		return err
	}
	d := &seeder{cfg: cfg, info: info, hub: hubc, hubSvc: hubSvc, social: sc}
	sum, err := d.seed(ctx)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(sum)
}

func readHub(path string) (hubInfo, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return hubInfo{}, fmt.Errorf("read hub's demo output: %w (run hub's demo first)", err)
	}
	var info hubInfo
	if err := json.Unmarshal(b, &info); err != nil {
		return hubInfo{}, fmt.Errorf("parse %s: %w", path, err)
	}
	if info.AppID == "" {
		return hubInfo{}, fmt.Errorf("%s has no app_id", path)
	}
	return info, nil
}

type seeder struct {
	cfg         Config
	info        hubInfo
	hub, hubSvc *rpc.Client
	social      *rpc.Client
}

type person struct {
	id, name, token string
}

func as(ctx context.Context, token string) context.Context {
	return auth.WithCaller(ctx, auth.Caller{Kind: auth.CallerUser, Token: token})
}

func (d *seeder) seed(ctx context.Context) (Summary, error) {
	app := d.info.AppID
	sum := Summary{AppID: app, Hashtags: []string{}}
	// The organizer's app token reads the feed: filled, there is nothing
	// to do (and, run again within a minute, no member could sign in).
	feed, err := social.GetFeed.Call(as(ctx, d.info.AppToken), d.social, social.FeedParams{AppRef: rpc.AppRef{App: app}, Kind: social.FeedApp, Limit: 50})
	if err != nil {
		return sum, fmt.Errorf("read the feed: %w", err)
	}
	if len(feed.Items) >= 10 {
		sum.FeedItems = len(feed.Items)
		sum.Note = "the demo feed was already filled"
		return sum, nil
	}
	people := d.signIn(ctx)
	if len(people) == 0 {
		return sum, fmt.Errorf("no member of app %s could sign in (hub.json has no usable member_token or app_token)", app)
	}
	sum.Members = len(people)
	event := ""
	if len(d.info.EventIDs) > 0 {
		event = d.info.EventIDs[0]
	}
	mention := func(p person) string { return "@[" + p.name + "](" + p.id + ")" }
	other := func(i int) person { return people[(i+1)%len(people)] }
	texts := []struct {
		text, photo string
		inEvent     bool
	}{
		{"Doors are open! Grab your badge at the front desk #DemoConf #welcome", "badge.png", true},
		{"The keynote stage is ready. See you at 9:30 #keynote #DemoConf", "stage.jpg", true},
		{"Best coffee of any conference so far ☕ #coffee", "coffee.jpg", true},
		{"Who's up for lunch after the morning sessions? %s", "", true},
		{"Slides from my talk will be posted here, thanks for the great questions! #slides", "", true},
		{"Looking for people interested in #go and #distributed systems, ping me", "", false},
		{"Huge thanks to the organizers, everything runs like clockwork #DemoConf", "", true},
		{"Workshop room is full, bring a laptop charger #workshops", "stage.jpg", false},
		{"Great chat with %s about compilers #networking", "", true},
		{"First time at the conference, any tips? #firsttimer", "", false},
		{"Sponsor booth giveaways until 5pm #sponsors #DemoConf", "coffee.jpg", true},
		{"Evening meetup at the rooftop, everyone welcome #networking", "", true},
	}
	var postIDs []string
	tags := map[string]bool{}
	for i, t := range texts {
		author := people[i%len(people)]
		text := t.text
		if strings.Contains(text, "%s") {
			text = fmt.Sprintf(text, mention(other(i)))
		}
		p := social.CreatePostParams{AppRef: rpc.AppRef{App: app}, Text: text}
		if t.inEvent {
			p.EventID = event
		}
		if t.photo != "" {
			id, err := d.upload(ctx, author, t.photo)
			if err != nil {
				return sum, err
			}
			p.PhotoIDs = []string{id}
			sum.Photos++
		}
		post, err := social.CreatePost.Call(as(ctx, author.token), d.social, p)
		if err != nil {
			return sum, fmt.Errorf("post as %s: %w", author.name, err)
		}
		postIDs = append(postIDs, post.ID)
		for _, h := range post.Hashtags {
			if !tags[h] {
				tags[h] = true
				sum.Hashtags = append(sum.Hashtags, h)
			}
		}
		sum.Posts++
	}
	comments := []string{"Totally agree!", "See you there 👋", "Thanks for sharing", "Count me in", "Great photo!"}
	kinds := social.Reactions
	for i, post := range postIDs {
		for j, p := range people {
			if (i+j)%3 != 0 {
				_, err := social.React.Call(as(ctx, p.token), d.social, social.ReactParams{AppRef: rpc.AppRef{App: app}, PostID: post, Reaction: kinds[(i+j)%len(kinds)]})
				if err != nil {
					return sum, fmt.Errorf("react: %w", err)
				}
				sum.Reactions++
			}
		}
		if i%2 == 0 {
			p := other(i)
			text := comments[i%len(comments)]
			if i%4 == 0 {
				text += " " + mention(people[i%len(people)])
			}
			if _, err := social.CreateComment.Call(as(ctx, p.token), d.social, social.CreateCommentParams{AppRef: rpc.AppRef{App: app}, PostID: post, Text: text}); err != nil {
				return sum, fmt.Errorf("comment: %w", err)
			}
			sum.Comments++
		}
	}
	feed, err = social.GetFeed.Call(as(ctx, people[0].token), d.social, social.FeedParams{AppRef: rpc.AppRef{App: app}, Kind: social.FeedApp, Limit: 50})
	if err != nil {
		return sum, err
	}
	sum.FeedItems = len(feed.Items)
	return sum, nil
}

// signIn returns the people who will post: the demo's members signed in
// with hub's email codes, the member of hub.json, and the app's owner.
func (d *seeder) signIn(ctx context.Context) []person {
	app := d.info.AppID
	var people []person
	seen := map[string]bool{}
	add := func(token, name string) {
		c, err := hubMe(ctx, d.hub, app, token)
		if err != nil || seen[c.ID] {
			return
		}
		if name == "" {
			name = c.Name
		}
		seen[c.ID] = true
		people = append(people, person{id: c.ID, name: name, token: token})
	}
	if d.info.AppToken != "" {
		if page, err := hub.SearchMembers.Call(as(ctx, d.info.AppToken), d.hub, hub.SearchMembersParams{AppRef: rpc.AppRef{App: app}}); err == nil {
			for _, m := range page.Members {
				if len(people) >= 6 || m.Email == "" || m.Email == d.info.MemberEmail {
					continue
				}
				if tok, err := d.code(ctx, app, m.Email); err == nil {
					add(tok, m.Name)
				}
			}
		}
	}
	if d.info.MemberToken != "" {
		add(d.info.MemberToken, "")
	}
	return people
}

// code signs a member in with an emailed code, read back through hub's
// development-only dev.lastCode.
func (d *seeder) code(ctx context.Context, app, email string) (string, error) {
	// Run again within a minute, hub refuses a new code (rate_limited):
	// the deadline keeps the client from waiting out the retry-after.
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := hub.RequestCode.Call(rctx, d.hub, hub.RequestCodeParams{App: app, Email: email}); err != nil {
		return "", err
	}
	c, err := hub.DevLastCode.Call(ctx, d.hubSvc, hub.DevCodeParams{App: app, Email: email})
	if err != nil {
		return "", err
	}
	s, err := hub.VerifyCode.Call(ctx, d.hub, hub.VerifyCodeParams{App: app, Email: email, Code: c.Code})
	if err != nil {
		return "", err
	}
	return s.Token, nil
}

func hubMe(ctx context.Context, c *rpc.Client, app, token string) (hub.Member, error) {
	return hub.MemberMe.Call(as(ctx, token), c, hub.AppParams{AppRef: rpc.AppRef{App: app}})
}

// upload sends a committed photo through social's upload route.
func (d *seeder) upload(ctx context.Context, p person, name string) (string, error) {
	b, err := photos.ReadFile("photos/" + name)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	url := strings.TrimSuffix(d.cfg.SocialURL, "/") + "/apps/" + d.info.AppID + "/photos"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		return "", err
	}
	auth.SetBearerToken(req, p.token)
	req.Header.Set("Content-Type", http.DetectContentType(b))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("upload %s: %s %s", name, resp.Status, body)
	}
	var up social.PhotoUpload
	if err := json.Unmarshal(body, &up); err != nil {
		return "", err
	}
	return up.PhotoID, nil
}
