package demo_test

import (
	"encoding/json"
	"regexp"
	"testing"
	"time"

	"github.com/attendify/hub"
	"github.com/attendify/hub/demo"
	"github.com/attendify/hub/internal/hubtest"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/testkit"
)

func TestSeed(t *testing.T) {
	env := hubtest.Start(t)
	ctx := testkit.Context(t)
	info, err := demo.Seed(ctx, env.Client, demo.Options{Service: env.Service, BaseURL: env.URL})
	if err != nil {
		t.Fatal(err)
	}
	if info.AppID == "" || len(info.EventIDs) != 3 || info.MemberToken == "" || info.URLs["rpc"] != env.URL+"/rpc" {
		t.Fatalf("info: %+v", info)
	}
	// hub.json, which the other demos read: snake_case keys, and when
	// each token stops working.
	b, err := json.Marshal(info)
	if err != nil {
		t.Fatal(err)
	}
	var keys map[string]json.RawMessage
	_ = json.Unmarshal(b, &keys)
	snake := regexp.MustCompile(`^[a-z]+(_[a-z]+)*$`)
	for k := range keys {
		if !snake.MatchString(k) {
			t.Errorf("hub.json key %q is not snake_case", k)
		}
	}
	if info.AppName != demo.AppName || info.AccountTokenExpiresAt.Before(time.Now()) || info.AppTokenExpiresAt.Before(time.Now()) ||
		info.MemberTokenExpiresAt == nil || info.MemberTokenExpiresAt.Before(time.Now()) {
		t.Errorf("info: %s, want the app's name and each token's expiry", b)
	}
	ag, err := hub.GetAgenda.Call(hubtest.As(ctx, info.MemberToken), env.Client, hub.AgendaParams{AppRef: rpc.AppRef{App: info.AppID}, Event: info.EventIDs[0]})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(ag.Days[0].Sessions); n != 5 {
		t.Errorf("%d sessions on the first day, want 5", n)
	}
	// Seeding again finds the same app and changes nothing.
	again, err := demo.Seed(ctx, env.Client, demo.Options{Service: env.Service})
	if err != nil {
		t.Fatal(err)
	}
	if again.AppID != info.AppID || len(again.EventIDs) != 3 {
		t.Errorf("second seed: %+v", again)
	}
}
