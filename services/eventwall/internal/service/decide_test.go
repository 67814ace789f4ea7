package service

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/attendify/eventwall"
	"github.com/attendify/social"
)

func TestDecide(t *testing.T) {
	base := Rules{Event: "ev1", Scope: eventwall.ScopeEvent, Mode: eventwall.ModerationAuto, Blocklist: []string{"buy now"}}
	post := func(change func(*social.PostDoc)) *social.PostDoc {
		d := &social.PostDoc{ID: "post:p1", Rev: "2-abc", Type: social.DocPost, Event: "ev1", Author: "m1", Text: "Hello #Go", Hashtags: []string{"go"}}
		if change != nil {
			change(d)
		}
		return d
	}
	with := func(change func(*Rules)) Rules {
		r := base
		change(&r)
		return r
	}
	tests := []struct {
		name      string
		rules     Rules
		doc       *social.PostDoc
		want, why string
	}{
		{"auto shows", base, post(nil), Show, ""},
		{"other event", base, post(func(d *social.PostDoc) { d.Event = "ev2" }), Drop, ""},
		{"app-wide post off an event wall", base, post(func(d *social.PostDoc) { d.Event = "" }), Drop, ""},
		{"app scope takes any event", with(func(r *Rules) { r.Scope = eventwall.ScopeApp }), post(func(d *social.PostDoc) { d.Event = "ev2" }), Show, ""},
		{"hidden in social", base, post(func(d *social.PostDoc) { d.Hidden = true }), Drop, ""},
		{"deleted in social", base, post(func(d *social.PostDoc) { d.Deleted = true }), Drop, ""},
		{"author blocked in social", base, post(func(d *social.PostDoc) { d.AuthorBlocked = true }), Drop, ""},
		{"author erased", base, post(func(d *social.PostDoc) { d.AuthorDeleted, d.Author = true, "" }), Drop, ""},
		{"photos only, none", with(func(r *Rules) { r.PhotosOnly = true }), post(nil), Drop, ""},
		{"photos only, one", with(func(r *Rules) { r.PhotosOnly = true }), post(func(d *social.PostDoc) { d.Photos = []social.PhotoRef{{Name: "photo-0"}} }), Show, ""},
		{"hashtag filter misses", with(func(r *Rules) { r.Hashtags = []string{"rust"} }), post(nil), Drop, ""},
		{"hashtag filter hits", with(func(r *Rules) { r.Hashtags = []string{"rust", "go"} }), post(nil), Show, ""},
		{"blocked on the wall", with(func(r *Rules) { r.BlockedAuthors = []string{"m1"} }), post(nil), Drop, ""},
		{"blocklist holds", base, post(func(d *social.PostDoc) { d.Text = "BUY\tNOW, cheap" }), Hold, "blocklist: buy now"},
		{"blocklist needs whole words", base, post(func(d *social.PostDoc) { d.Text = "buy nowhere" }), Show, ""},
		{"blocklist sees a mention's name", base, post(func(d *social.PostDoc) { d.Text = "ask @[Buy Now](m2)" }), Hold, "blocklist: buy now"},
		{"blocklist ignores a mention's member id", with(func(r *Rules) { r.Blocklist = []string{"m2"} }), post(func(d *social.PostDoc) { d.Text = "ask @[Ada](m2)" }), Show, ""},
		{"manual holds", with(func(r *Rules) { r.Mode = eventwall.ModerationManual }), post(nil), Hold, "manual"},
		{"allow list passes manual", with(func(r *Rules) { r.Mode = eventwall.ModerationManual; r.AllowList = []string{"m1"} }), post(nil), Show, ""},
		{"allow list passes the blocklist", with(func(r *Rules) { r.AllowList = []string{"m1"} }), post(func(d *social.PostDoc) { d.Text = "buy now" }), Show, ""},
		{"off shows the blocklist", with(func(r *Rules) { r.Mode = eventwall.ModerationOff }), post(func(d *social.PostDoc) { d.Text = "buy now" }), Show, ""},
		{"off still drops hidden", with(func(r *Rules) { r.Mode = eventwall.ModerationOff }), post(func(d *social.PostDoc) { d.Hidden = true }), Drop, ""},
		{"public wall, an event anyone may read", with(func(r *Rules) { r.Audience = &Audience{App: true, Events: []string{"ev1", "ev3"}} }), post(nil), Show, ""},
		{"public wall, an event readers may not see", with(func(r *Rules) {
			r.Scope, r.Audience = eventwall.ScopeApp, &Audience{App: true, Events: []string{"ev1"}}
		}), post(func(d *social.PostDoc) { d.Event = "ev2" }), Drop, ""},
		{"public wall of an event readers may not see", with(func(r *Rules) { r.Audience = &Audience{App: true, Events: []string{}} }), post(nil), Drop, ""},
		{"public wall, an app-wide post", with(func(r *Rules) { r.Scope, r.Audience = eventwall.ScopeApp, &Audience{App: true} }), post(func(d *social.PostDoc) { d.Event = "" }), Show, ""},
		{"public wall of an app readers may not see", with(func(r *Rules) {
			r.Scope, r.Audience = eventwall.ScopeApp, &Audience{Events: []string{"ev1"}}
		}), post(func(d *social.PostDoc) { d.Event = "" }), Drop, ""},
		{"private wall, any event", with(func(r *Rules) { r.Scope = eventwall.ScopeApp }), post(func(d *social.PostDoc) { d.Event = "ev2" }), Show, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, why := Decide(tt.rules, tt.doc)
			if got != tt.want || why != tt.why {
				t.Errorf("Decide = %q %q, want %q %q", got, why, tt.want, tt.why)
			}
		})
	}
}

func TestMatchPhrase(t *testing.T) {
	tests := []struct {
		list []string
		text string
		want string
	}{
		{[]string{"ass"}, "what a class act", ""},
		{[]string{"ass"}, "what an ass!", "ass"},
		{[]string{"Spoiler Alert"}, "spoiler\n  alert: he dies", "Spoiler Alert"},
		{[]string{"été"}, "un bel été", "été"},
		{[]string{"été"}, "étéx", ""},
		{[]string{"go"}, "gogo go", "go"},
		{[]string{"  "}, "anything", ""},
		{nil, "anything", ""},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			if got := MatchPhrase(tt.list, tt.text); got != tt.want {
				t.Errorf("MatchPhrase(%q, %q) = %q, want %q", tt.list, tt.text, got, tt.want)
			}
		})
	}
}

func TestScreenText(t *testing.T) {
	tests := []struct {
		name, text, want string
		mentions         []string
	}{
		{"no mention", "Hello #Go", "Hello #Go", nil},
		{"one", "Great chat with @[Éloïse Dupont](01M8KEQ3Z2) about compilers", "Great chat with @Éloïse Dupont about compilers", []string{"Éloïse Dupont"}},
		{"several, once each", "@[Ada](m1) and @[Bob B](m-2_x), thanks @[Ada](m1)!", "@Ada and @Bob B, thanks @Ada!", []string{"Ada", "Bob B"}},
		{"name trimmed", "hi @[ Ada ](m1)", "hi @Ada", []string{"Ada"}},
		{"name of spaces", "hi @[  ](m1).", "hi .", nil},
		{"parentheses and an opening bracket in a name", "@[Ada (staff)](m1) @[x[y](m2)", "@Ada (staff) @x[y", []string{"Ada (staff)", "x[y"}},
		{"a closing bracket in a name is no mention", "@[Ada [staff]](m1)", "@[Ada [staff]](m1)", nil},
		{"a newline in a name is no mention", "@[Ada\nB](m1)", "@[Ada\nB](m1)", nil},
		{"not a member id", "@[Ada](m 1) @[Ada](m1", "@[Ada](m 1) @[Ada](m1", nil},
		{"no name", "@[](m1)", "@[](m1)", nil},
		{"a hashtag in a name stays in the name", "@[#go fan](m1) #go", "@#go fan #go", []string{"#go fan"}},
		{"markup-like text around", "email me [at] x @ y @[Ada](m1)", "email me [at] x @ y @Ada", []string{"Ada"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, mentions := ScreenText(tt.text)
			if got != tt.want {
				t.Errorf("ScreenText(%q) = %q, want %q", tt.text, got, tt.want)
			}
			if diff := cmp.Diff(tt.mentions, mentions); diff != "" {
				t.Errorf("mentions (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRevNumber(t *testing.T) {
	for rev, want := range map[string]int64{"3-abc": 3, "12-x": 12, "": 0, "x-1": 0} {
		if got := RevNumber(rev); got != want {
			t.Errorf("RevNumber(%q) = %d, want %d", rev, got, want)
		}
	}
}

func TestFingerprintIgnoresOrder(t *testing.T) {
	a := Rules{Event: "e", Scope: "event", Mode: "auto", Hashtags: []string{"a", "b"}, BlockedAuthors: []string{"x", "y"}}
	b := Rules{Event: "e", Scope: "event", Mode: "auto", Hashtags: []string{"b", "a"}, BlockedAuthors: []string{"y", "x"}}
	if a.Fingerprint() != b.Fingerprint() {
		t.Error("the same rules in another order have another fingerprint")
	}
	b.PhotosOnly = true
	if a.Fingerprint() == b.Fingerprint() {
		t.Error("different rules share a fingerprint")
	}
}

// TestRulesID: the rules an entry names change with what the wall's
// settings decide, not with the order of lists, the blocked authors (the
// board checks them itself) or hub's rule for a public wall's readers.
func TestRulesID(t *testing.T) {
	a := Wall{Public: true, Rules: Rules{Event: "e", Scope: "event", Mode: "manual", Hashtags: []string{"a", "b"}}}
	b := a
	b.Rules.Hashtags = []string{"b", "a"}
	b.Rules.BlockedAuthors = []string{"m1"}
	b.Rules.Audience = &Audience{App: true, Events: []string{"e"}}
	if a.RulesID() != b.RulesID() {
		t.Error("the same rules have another id")
	}
	for name, change := range map[string]func(*Wall){
		"a filter":   func(w *Wall) { w.Rules.PhotosOnly = true },
		"blocklist":  func(w *Wall) { w.Rules.Blocklist = []string{"x"} },
		"mode":       func(w *Wall) { w.Rules.Mode = "auto" },
		"allow list": func(w *Wall) { w.Rules.AllowList = []string{"m1"} },
		"private":    func(w *Wall) { w.Public = false },
	} {
		c := a
		change(&c)
		if c.RulesID() == a.RulesID() {
			t.Errorf("%s changed, the same id", name)
		}
	}
}

func TestNewDecisionRendersTheItem(t *testing.T) {
	created := time.Date(2026, 5, 1, 9, 30, 0, 0, time.UTC)
	doc := &social.PostDoc{ID: "post:p1", Rev: "4-x", Type: social.DocPost, Event: "ev", Author: "m1", Text: "Hi @[Éloïse Dupont](01M8KEQ3Z2)", Hashtags: []string{"go"},
		Photos: []social.PhotoRef{{Name: "photo-0", Thumb: "photo-0-thumb", Width: 640, Height: 480}}, CreatedAt: created}
	w := Wall{ID: "w1", Rules: Rules{Event: "ev", Scope: eventwall.ScopeEvent, Mode: eventwall.ModerationOff}}
	d, err := NewDecision(w, doc, Profile{Name: "Ada", PhotoURL: "https://x/a.jpg"})
	if err != nil {
		t.Fatal(err)
	}
	if d.Post != "p1" || d.Rev != 4 || d.Outcome != Show || d.Entry.Hash != TextHash(doc.Text) || d.Entry.Author != "m1" || d.Entry.RulesID != w.RulesID() {
		t.Errorf("decision = %+v", d)
	}
	var it eventwall.Item
	if err := json.Unmarshal(d.Entry.Item, &it); err != nil {
		t.Fatal(err)
	}
	// The screens see the mention's name, never the member id.
	want := eventwall.Item{ID: "p1", Author: "Ada", AuthorPhoto: "https://x/a.jpg", Text: "Hi @Éloïse Dupont", Mentions: []string{"Éloïse Dupont"}, Hashtags: []string{"go"}, CreatedAt: created,
		Photos: []eventwall.ItemPhoto{{URL: "photos/p1/0", ThumbURL: "photos/p1/0t", Width: 640, Height: 480}}}
	if diff := cmp.Diff(want, it); diff != "" {
		t.Errorf("item (-want +got):\n%s", diff)
	}
}
