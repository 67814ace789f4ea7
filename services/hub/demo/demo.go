// Package demo loads a demo app into a running hub through its own RPC
// methods, the way an organizer and a mobile app would: an organizer
// account, a published app with three events (the conference, workshops
// that need an event code, and last year's conference, in another time
// zone), an agenda (rooms, tracks, speakers, sessions) and a few members,
// then a member signed in with an emailed code. Seed is idempotent: run it again and it finds what is there.
package demo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/attendify/hub"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/rpc"
)

// Options tune Seed; the zero value is usable.
type Options struct {
	// Organizer's email and password (defaults demo@attendify.dev and
	// "attendify-demo-password").
	Email, Password string
	// Slug of the demo app (default "demo-conf").
	Slug string
	// Service is a client that signs calls as a service: with it Seed
	// signs the organizer up when the account does not exist yet
	// (dev.lastToken reads the mailed confirmation token) and signs a
	// member in (dev.lastCode); both need HUB_DEV_MODE=true. Without it the
	// organizer's account must exist.
	Service *rpc.Client
	// BaseURL is hub's URL, for the printed links.
	BaseURL string
}

// Info is what the demo created, for `make run` to print; its JSON form
// (snake_case keys) is the hub.json the other services' demos read.
type Info struct {
	OrganizerEmail    string `json:"organizer_email"`
	OrganizerPassword string `json:"organizer_password"`
	// AccountToken is the organizer's account token (12 h), AppToken
	// the owner's token of the app (1 h), each with its expiry.
	AccountToken          string    `json:"account_token"`
	AccountTokenExpiresAt time.Time `json:"account_token_expires_at"`
	AppToken              string    `json:"app_token"`
	AppTokenExpiresAt     time.Time `json:"app_token_expires_at"`
	AppID                 string    `json:"app_id"`
	AppName               string    `json:"app_name"`
	Slug                  string    `json:"slug"`
	// EventIDs are the upcoming events by start (the conference first),
	// then past ones.
	EventIDs    []string `json:"event_ids"`
	MemberEmail string   `json:"member_email"`
	// MemberToken (30 days) is empty without Options.Service, or when
	// seeded again within a minute.
	MemberToken          string            `json:"member_token,omitempty"`
	MemberTokenExpiresAt *time.Time        `json:"member_token_expires_at,omitempty"`
	URLs                 map[string]string `json:"urls,omitempty"`
}

// AppName is the demo app's name.
const AppName = "Attendify Demo Conf"

func as(ctx context.Context, token string) context.Context {
	return auth.WithCaller(ctx, auth.Caller{Kind: auth.CallerUser, Token: token})
}

// Seed creates (or finds) the demo organizer, app, events, agenda and
// members through client.
func Seed(ctx context.Context, client *rpc.Client, o Options) (Info, error) {
	if o.Email == "" {
		o.Email, o.Password = "demo@attendify.dev", "attendify-demo-password"
	}
	if o.Slug == "" {
		o.Slug = "demo-conf"
	}
	info := Info{OrganizerEmail: o.Email, OrganizerPassword: o.Password, Slug: o.Slug, MemberEmail: "attendee@attendify.dev"}

	acct, err := hub.LogIn.Call(ctx, client, hub.LogInParams{Email: o.Email, Password: o.Password})
	if errors.Is(err, errs.Unauthenticated) && o.Service != nil {
		var c hub.SignUpConfirmed
		c, err = hub.DevSignUp(ctx, client, o.Service, o.Email, o.Password, "Demo Organizer")
		acct = c.AccountSession
	}
	if err != nil {
		return info, fmt.Errorf("demo organizer: %w", err)
	}
	info.AccountToken, info.AccountTokenExpiresAt = acct.Token, acct.ExpiresAt
	actx := as(ctx, acct.Token)

	apps, err := hub.ListApps.Call(actx, client, hub.NoParams{})
	if err != nil {
		return info, fmt.Errorf("list apps: %w", err)
	}
	for _, a := range apps.Apps {
		if a.Slug == o.Slug {
			info.AppID, info.AppName = a.ID, a.Name
		}
	}
	fresh := info.AppID == ""
	if fresh {
		a, err := hub.CreateApp.Call(actx, client, hub.CreateAppParams{Name: AppName, Slug: o.Slug})
		if err != nil {
			return info, fmt.Errorf("create app: %w", err)
		}
		info.AppID, info.AppName = a.ID, a.Name
	}
	at, err := hub.AppTokenFor.Call(actx, client, hub.AppParams{AppRef: rpc.AppRef{App: info.AppID}})
	if err != nil {
		return info, fmt.Errorf("app token: %w", err)
	}
	info.AppToken, info.AppTokenExpiresAt = at.Token, at.ExpiresAt
	if fresh {
		if err := build(as(ctx, at.Token), client, info.AppID); err != nil {
			return info, err
		}
	}
	evs, err := hub.ListEvents.Call(as(ctx, at.Token), client, hub.AppParams{AppRef: rpc.AppRef{App: info.AppID}})
	if err != nil {
		return info, err
	}
	if !slices.ContainsFunc(evs.Events, func(e hub.Event) bool { return e.Name == PastEvent }) {
		// An app seeded before the demo had a past event gets it now.
		past, err := pastEvent(as(ctx, at.Token), client, info.AppID)
		if err != nil {
			return info, err
		}
		evs.Events = append(evs.Events, past)
	}
	var past []string
	for _, e := range evs.Events {
		if e.EndUTC.Before(time.Now()) {
			past = append(past, e.ID)
		} else {
			info.EventIDs = append(info.EventIDs, e.ID)
		}
	}
	info.EventIDs = append(info.EventIDs, past...)
	if o.Service != nil {
		s, err := signIn(ctx, client, o.Service, info.AppID, info.MemberEmail)
		if err != nil {
			return info, fmt.Errorf("member sign-in: %w", err)
		}
		if s.Token != "" {
			info.MemberToken, info.MemberTokenExpiresAt = s.Token, &s.ExpiresAt
		}
	}
	if o.BaseURL != "" {
		info.URLs = map[string]string{
			"rpc":       o.BaseURL + "/rpc",
			"discovery": o.BaseURL + "/openrpc.json",
			"health":    o.BaseURL + "/healthz",
		}
	}
	return info, nil
}

// build fills a new app: branding, two events with their agendas, members,
// then publishes it.
func build(ctx context.Context, c *rpc.Client, app string) error {
	color, accent := "#0B5FFF", "#FFB400"
	if _, err := hub.UpdateApp.Call(ctx, c, hub.UpdateAppParams{AppRef: rpc.AppRef{App: app}, PrimaryColor: &color, AccentColor: &accent}); err != nil {
		return fmt.Errorf("brand: %w", err)
	}
	main, err := hub.CreateEvent.Call(ctx, c, hub.CreateEventParams{AppRef: rpc.AppRef{App: app}, Name: "Demo Conf 2026", TimeZone: "Europe/Paris",
		Start: "2026-06-11T09:00", End: "2026-06-12T18:00", Venue: "Palais des Congrès, Paris"})
	if err != nil {
		return fmt.Errorf("event: %w", err)
	}
	ws, err := hub.CreateEvent.Call(ctx, c, hub.CreateEventParams{AppRef: rpc.AppRef{App: app}, Name: "Hands-on Workshops", TimeZone: "Europe/Paris",
		Start: "2026-06-13T09:30", End: "2026-06-13T17:00", Venue: "Station F", Access: hub.EventAccessCode, Code: "WORKSHOP26"})
	if err != nil {
		return fmt.Errorf("event: %w", err)
	}
	members := []hub.MemberInput{
		{Email: "grace@attendify.dev", Name: "Grace Hopper", Company: "US Navy", Title: "Rear Admiral", Role: hub.MemberSpeaker},
		{Email: "ada@attendify.dev", Name: "Ada Lovelace", Company: "Analytical Engines", Title: "Programmer", Role: hub.MemberSpeaker},
		{Email: "eloise@attendify.dev", Name: "Éloïse Dupont", Company: "Société Générale", Title: "CTO"},
		{Email: "jon@attendify.dev", Name: "Jon Snow", Company: "Night's Watch", Title: "Lord Commander"},
		{Email: "sponsor@attendify.dev", Name: "Sam Sponsor", Company: "Acme Cloud", Role: hub.MemberSponsor},
		{Email: "attendee@attendify.dev", Name: "Demo Attendee", Company: "Attendify"},
	}
	for _, m := range members {
		if _, err := hub.CreateMember.Call(ctx, c, hub.CreateMemberParams{AppRef: rpc.AppRef{App: app}, MemberInput: m}); err != nil {
			return fmt.Errorf("member %s: %w", m.Email, err)
		}
	}
	for _, e := range []hub.Event{main, ws} {
		if err := agenda(ctx, c, app, e); err != nil {
			return err
		}
	}
	if _, err := pastEvent(ctx, c, app); err != nil {
		return err
	}
	if _, err := hub.PublishApp.Call(ctx, c, hub.AppParams{AppRef: rpc.AppRef{App: app}}); err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	return nil
}

// PastEvent is the name of the demo's past event.
const PastEvent = "Demo Conf 2025"

// pastEvent creates last year's conference, in New York, with its agenda.
func pastEvent(ctx context.Context, c *rpc.Client, app string) (hub.Event, error) {
	e, err := hub.CreateEvent.Call(ctx, c, hub.CreateEventParams{AppRef: rpc.AppRef{App: app}, Name: PastEvent, TimeZone: "America/New_York",
		Start: "2025-10-14T09:00", End: "2025-10-15T17:30", Venue: "Javits Center, New York"})
	if err != nil {
		return hub.Event{}, fmt.Errorf("past event: %w", err)
	}
	return e, agenda(ctx, c, app, e)
}

func agenda(ctx context.Context, c *rpc.Client, app string, e hub.Event) error {
	day := e.Start[:10]
	hall, err := hub.SaveRoom.Call(ctx, c, hub.RoomParams{AppRef: rpc.AppRef{App: app}, Event: e.ID, Name: "Grand Hall", Capacity: 800})
	if err != nil {
		return fmt.Errorf("room: %w", err)
	}
	lab, err := hub.SaveRoom.Call(ctx, c, hub.RoomParams{AppRef: rpc.AppRef{App: app}, Event: e.ID, Name: "Lab", Capacity: 60})
	if err != nil {
		return fmt.Errorf("room: %w", err)
	}
	tech, err := hub.SaveTrack.Call(ctx, c, hub.TrackParams{AppRef: rpc.AppRef{App: app}, Event: e.ID, Name: "Engineering", Color: "#0B5FFF"})
	if err != nil {
		return fmt.Errorf("track: %w", err)
	}
	biz, err := hub.SaveTrack.Call(ctx, c, hub.TrackParams{AppRef: rpc.AppRef{App: app}, Event: e.ID, Name: "Business", Color: "#FFB400"})
	if err != nil {
		return fmt.Errorf("track: %w", err)
	}
	speakers, err := hub.ListSpeakers.Call(ctx, c, hub.AppParams{AppRef: rpc.AppRef{App: app}})
	if err != nil {
		return err
	}
	ids := map[string]string{}
	for _, s := range speakers.Speakers {
		ids[s.Name] = s.ID
	}
	for _, sp := range []hub.SpeakerInput{
		{Name: "Grace Hopper", Email: "grace@attendify.dev", Company: "US Navy", Bio: "Invented the first compiler."},
		{Name: "Ada Lovelace", Email: "ada@attendify.dev", Company: "Analytical Engines", Bio: "Wrote the first program."},
	} {
		if ids[sp.Name] != "" {
			continue
		}
		s, err := hub.SaveSpeaker.Call(ctx, c, hub.SpeakerParams{AppRef: rpc.AppRef{App: app}, SpeakerInput: sp})
		if err != nil {
			return fmt.Errorf("speaker: %w", err)
		}
		ids[sp.Name] = s.ID
	}
	sessions := []hub.SessionInput{
		{Title: "Opening keynote", Start: day + "T09:30", End: day + "T10:30", Room: hall.ID, Track: tech.ID, Speakers: []string{ids["Grace Hopper"]}},
		{Title: "Programs before computers", Start: day + "T11:00", End: day + "T11:45", Room: hall.ID, Track: tech.ID, Speakers: []string{ids["Ada Lovelace"]}},
		{Title: "Selling to conferences", Start: day + "T11:00", End: day + "T11:45", Room: lab.ID, Track: biz.ID},
		{Title: "Lunch", Start: day + "T12:00", End: day + "T13:30", Room: hall.ID},
		{Title: "Panel: the next 10 years", Start: day + "T14:00", End: day + "T15:00", Room: hall.ID, Track: biz.ID,
			Speakers: []string{ids["Grace Hopper"], ids["Ada Lovelace"]}},
	}
	for _, s := range sessions {
		if _, err := hub.SaveSession.Call(ctx, c, hub.SessionParams{AppRef: rpc.AppRef{App: app}, Event: e.ID, SessionInput: s}); err != nil {
			return fmt.Errorf("session %q: %w", s.Title, err)
		}
	}
	return nil
}

// signIn signs the demo attendee in with an emailed code, read back with
// dev.lastCode.
func signIn(ctx context.Context, c, service *rpc.Client, app, email string) (hub.MemberSession, error) {
	// A code was sent less than a minute ago when the demo runs again:
	// the client would wait out the rate limit's retry-after; the
	// deadline makes it give up and return rate_limited at once.
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, err := hub.RequestCode.Call(rctx, c, hub.RequestCodeParams{App: app, Email: email})
	if errs.CodeOf(err) == errs.CodeRateLimited {
		return hub.MemberSession{}, nil // seeded less than a minute ago: no new code yet
	}
	if err != nil {
		return hub.MemberSession{}, err
	}
	code, err := hub.DevLastCode.Call(ctx, service, hub.DevCodeParams{App: app, Email: email})
	if err != nil {
		return hub.MemberSession{}, err
	}
	return hub.VerifyCode.Call(ctx, c, hub.VerifyCodeParams{App: app, Email: email, Code: code.Code})
}
