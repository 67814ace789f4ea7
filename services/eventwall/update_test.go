package eventwall_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/attendify/eventwall"
	"github.com/attendify/eventwall/internal/walltest"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
)

// TestUpdateKeepsWhatIsLeftOut: wall.update over the wire, with the JSON an
// organizer's console sends. Every field of filters and moderation left
// out keeps its stored value (switching the mode keeps the blocklist, so
// the posts it holds stay held); a field sent replaces it, an empty list
// or false clears it (an empty list reads as left out in the answer).
func TestUpdateKeepsWhatIsLeftOut(t *testing.T) {
	f := newFixture(t, walltest.Options{}, eventwall.CreateWallParams{Title: "Updates"})
	speaker := f.env.AddMember(f.app, "Grace", auth.RoleAttendee).ID
	octx := f.owner.Ctx(f.ctx)
	update := func(params string) (eventwall.Wall, error) {
		t.Helper()
		var p map[string]any
		if err := json.Unmarshal([]byte(params), &p); err != nil {
			t.Fatal(err)
		}
		p["app_id"], p["wall_id"] = f.app, f.wall.ID
		var w eventwall.Wall
		err := f.env.Client.Call(octx, eventwall.UpdateWall.Name, false, p, &w)
		return w, err
	}
	// Every setting, sent in full as before: the caller sending everything
	// sets everything.
	everything := `{"filters":{"scope":"app","hashtags":["talk","keynote"],"photos_only":false},
		"moderation":{"mode":"manual","blocklist":["spoiler"],"allow_list":["` + speaker + `"]}}`
	stored := struct {
		Filters    eventwall.Filters
		Moderation eventwall.Moderation
	}{
		eventwall.Filters{Scope: eventwall.ScopeApp, Hashtags: []string{"talk", "keynote"}},
		eventwall.Moderation{Mode: eventwall.ModerationManual, Blocklist: []string{"spoiler"}, AllowList: []string{speaker}},
	}

	tests := []struct {
		name    string
		updates []string // after everything
		want    func(f *eventwall.Filters, m *eventwall.Moderation)
	}{
		{"everything sent", nil, nil},
		{"nothing of them sent", []string{`{"title":"Renamed"}`, `{"filters":{},"moderation":{}}`}, nil},

		{"mode sent, the lists kept", []string{`{"moderation":{"mode":"auto"}}`},
			func(_ *eventwall.Filters, m *eventwall.Moderation) { m.Mode = eventwall.ModerationAuto }},
		{"blocklist sent, mode and allow list kept", []string{`{"moderation":{"blocklist":["buy now","spam"]}}`},
			func(_ *eventwall.Filters, m *eventwall.Moderation) { m.Blocklist = []string{"buy now", "spam"} }},
		{"blocklist sent empty", []string{`{"moderation":{"blocklist":[]}}`},
			func(_ *eventwall.Filters, m *eventwall.Moderation) { m.Blocklist = []string{} }},
		{"allow list sent, mode and blocklist kept", []string{`{"moderation":{"allow_list":["m1"]}}`},
			func(_ *eventwall.Filters, m *eventwall.Moderation) { m.AllowList = []string{"m1"} }},
		{"allow list sent empty", []string{`{"moderation":{"allow_list":[]}}`},
			func(_ *eventwall.Filters, m *eventwall.Moderation) { m.AllowList = []string{} }},

		{"photos only sent, scope and hashtags kept", []string{`{"filters":{"photos_only":true}}`},
			func(f *eventwall.Filters, _ *eventwall.Moderation) { f.PhotosOnly = true }},
		{"photos only sent false", []string{`{"filters":{"photos_only":true}}`, `{"filters":{"photos_only":false}}`}, nil},
		{"scope sent, hashtags and photos only kept", []string{`{"filters":{"photos_only":true}}`, `{"filters":{"scope":"event"}}`},
			func(f *eventwall.Filters, _ *eventwall.Moderation) {
				f.Scope, f.PhotosOnly = eventwall.ScopeEvent, true
			}},
		{"hashtags sent, scope and photos only kept", []string{`{"filters":{"photos_only":true}}`, `{"filters":{"hashtags":["#Go"]}}`},
			func(f *eventwall.Filters, _ *eventwall.Moderation) { f.Hashtags, f.PhotosOnly = []string{"go"}, true }},
		{"hashtags sent empty", []string{`{"filters":{"hashtags":[]}}`},
			func(f *eventwall.Filters, _ *eventwall.Moderation) { f.Hashtags = []string{} }},

		{"filters sent, moderation kept", []string{`{"filters":{"scope":"event","hashtags":[],"photos_only":true}}`},
			func(f *eventwall.Filters, _ *eventwall.Moderation) {
				*f = eventwall.Filters{Scope: eventwall.ScopeEvent, Hashtags: []string{}, PhotosOnly: true}
			}},
		{"moderation sent, filters kept", []string{`{"moderation":{"mode":"off","blocklist":[],"allow_list":[]}}`},
			func(_ *eventwall.Filters, m *eventwall.Moderation) {
				*m = eventwall.Moderation{Mode: eventwall.ModerationOff, Blocklist: []string{}, AllowList: []string{}}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := update(everything); err != nil {
				t.Fatalf("update with everything: %v", err)
			}
			var w eventwall.Wall
			for _, u := range tt.updates {
				var err error
				if w, err = update(u); err != nil {
					t.Fatalf("update %s: %v", u, err)
				}
			}
			want := stored
			if tt.want != nil {
				tt.want(&want.Filters, &want.Moderation)
			}
			got, err := eventwall.GetWall.Call(octx, f.env.Client, f.ref)
			if err != nil {
				t.Fatal(err)
			}
			if tt.updates != nil && got.Version != w.Version {
				t.Errorf("wall.get at version %d, the last update answered %d", got.Version, w.Version)
			}
			if diff := cmp.Diff(want.Filters, got.Filters, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("filters (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(want.Moderation, got.Moderation, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("moderation (-want +got):\n%s", diff)
			}
		})
	}

	// A field sent has a value: "" or null is not "left out" but refused,
	// and the wall stays as it was.
	before, err := update(everything)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{
		`{"filters":{"scope":""}}`, `{"filters":{"hashtags":null}}`, `{"filters":{"photos_only":null}}`,
		`{"moderation":{"mode":""}}`, `{"moderation":{"blocklist":null}}`, `{"moderation":{"allow_list":null}}`,
	} {
		if _, err := update(bad); !errors.Is(err, errs.Invalid) {
			t.Errorf("update %s: %v, want invalid", bad, err)
		}
	}
	if after, err := eventwall.GetWall.Call(octx, f.env.Client, f.ref); err != nil || after.Version != before.Version {
		t.Errorf("after the refused updates: version %d %v, want %d", after.Version, err, before.Version)
	}
}
