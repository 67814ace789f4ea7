package main

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/attendify/social"
	"github.com/attendify/sponsored"
)

// TestPageEnvelope: the light client reads what decoding the page gives
// (its next_cursor, its sponsored items), whatever the posts' texts hold,
// and fails an empty page or an answer that is not a page.
func TestPageEnvelope(t *testing.T) {
	post := func(text string) social.Post {
		return social.Post{ID: "p", Text: text, Hashtags: []string{}, Mentions: []social.Mention{}, Photos: []social.Photo{},
			Reactions: map[string]int64{}, CreatedAt: time.Unix(0, 0).UTC()}
	}
	ad := post("")
	ad.Sponsored = &sponsored.Card{Label: "Sponsored", Text: `"sponsored":{`}
	for _, tc := range []struct {
		name string
		page social.FeedPage
	}{
		{"a cursor", social.FeedPage{Items: []social.Post{post("a")}, NextCursor: "abc"}},
		{"the last page", social.FeedPage{Items: []social.Post{post("a")}}},
		{"texts that hold the members' names", social.FeedPage{Items: []social.Post{post(`"next_cursor":"x"}`), ad, post(`"sponsored":{"a":1}`)}, NextCursor: "c"}},
		{"a cursor with escapes", social.FeedPage{Items: []social.Post{post("a")}, NextCursor: `a"b\c}`}},
	} {
		raw, err := json.Marshal(tc.page)
		if err != nil {
			t.Fatal(err)
		}
		next, n, err := pageEnvelope(raw, false)
		wantNext, wantN, err2 := pageEnvelope(raw, true)
		if err != nil || err2 != nil || next != tc.page.NextCursor || next != wantNext || n != wantN {
			t.Errorf("%s: light %q %d %v, decoded %q %d %v; want cursor %q", tc.name, next, n, err, wantNext, wantN, err2, tc.page.NextCursor)
		}
	}
	for _, raw := range []string{`{"items":[]}`, `{"items":null}`, `[]`, `{"next_cursor":"x","items":[{}]}`} {
		if _, _, err := pageEnvelope([]byte(raw), false); err == nil {
			t.Errorf("%s: no error", raw)
		}
	}
	if _, _, err := pageEnvelope([]byte(`{"items":[]}`), false); !errors.Is(err, errEmptyPage) {
		t.Errorf("an empty page: %v", err)
	}
	// The decoding check sees a sponsored item first.
	raw, _ := json.Marshal(social.FeedPage{Items: []social.Post{ad, post("a")}})
	if _, _, err := pageEnvelope(raw, true); err == nil {
		t.Error("a sponsored item first: no error")
	}
}
