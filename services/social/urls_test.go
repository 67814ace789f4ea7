package social_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/attendify/hub"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/events"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/testkit"
	"github.com/attendify/social"
	"github.com/attendify/social/internal/service"
	"github.com/attendify/social/internal/socialtest"
)

// TestProfilesCarryOnlyWebURLs: a profile photo that is not an http(s)
// address (javascript:, data:, a relative path) is neither stored from
// hub's member events nor sent to members, also when it was stored before
// social checked; http and https addresses are kept.
func TestProfilesCarryOnlyWebURLs(t *testing.T) {
	env := socialtest.Start(t, socialtest.Options{})
	ctx := testkit.Context(t)
	app := env.CreateApp()
	ada := env.AddMember(app, "Ada", auth.RoleAttendee)
	testkit.Eventually(t, "Ada's profile consumed", func() bool { return countProfiles(t, env, app, ada) == 1 })
	post, err := social.CreatePost.Call(ada.Ctx(ctx), env.Client, social.CreatePostParams{AppRef: rpc.AppRef{App: app}, Text: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	pub := events.NewPublisher(env.Redis, events.NewStreams(env.Namespace), events.PublisherConfig{})
	profile := func() service.Profile {
		ps, err := env.Social.Ledger.Profiles(context.Background(), app, []string{ada.ID})
		if err != nil {
			t.Fatal(err)
		}
		return ps[ada.ID]
	}
	author := func() social.Author {
		t.Helper()
		p, err := social.GetPost.Call(ada.Ctx(ctx), env.Client, social.PostParams{AppRef: rpc.AppRef{App: app}, PostID: post.ID})
		if err != nil {
			t.Fatal(err)
		}
		return p.Author
	}

	for i, tt := range []struct{ given, want string }{
		{"javascript:alert(1)", ""},
		{"JavaScript:alert(document.cookie)", ""},
		{"data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=", ""},
		{"//evil.example/x.jpg", ""},
		{"/uploads/ada.jpg", ""},
		{"https://cdn.example.test/ada.jpg", "https://cdn.example.test/ada.jpg"},
		{"http://cdn.example.test/ada.jpg", "http://cdn.example.test/ada.jpg"},
	} {
		name := "Ada " + string(rune('a'+i))
		data, _ := json.Marshal(hub.MemberPayload{ID: ada.ID, AppID: app, Name: name, PhotoURL: tt.given, Role: hub.MemberAttendee})
		if err := pub.Publish(ctx, events.Event{Type: hub.EventMemberUpdated, App: app, Subject: ada.ID, Data: data}); err != nil {
			t.Fatal(err)
		}
		testkit.Eventually(t, "the profile "+name, func() bool { return profile().Name == name })
		if got := profile().PhotoURL; got != tt.want {
			t.Errorf("%q stored as %q, want %q", tt.given, got, tt.want)
		}
		if got := author().PhotoURL; got != tt.want {
			t.Errorf("%q sent as %q, want %q", tt.given, got, tt.want)
		}
	}

	// A profile stored before social checked its photo is not sent as is.
	old := profile()
	old.PhotoURL = "javascript:alert(1)"
	at := time.Now()
	if err := env.Social.Ledger.SaveProfile(ctx, old, at); err != nil {
		t.Fatal(err)
	}
	if err := env.Social.Index.DropProfile(ctx, app, ada.ID, at); err != nil {
		t.Fatal(err)
	}
	if got := author().PhotoURL; got != "" {
		t.Errorf("a stored javascript: photo is sent as %q", got)
	}
}
