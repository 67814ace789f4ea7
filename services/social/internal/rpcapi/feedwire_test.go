package rpcapi

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/attendify/platform/rpc"
	"github.com/attendify/social"
	"github.com/attendify/social/internal/service"
	"github.com/attendify/sponsored"
)

// wantPage is the wire form feed.get had before pageWriter: encoding/json
// of the page of PostOf's.
func wantPage(t *testing.T, items []service.Item, next string) []byte {
	t.Helper()
	page := social.FeedPage{Items: make([]social.Post, len(items)), NextCursor: next}
	for i, it := range items {
		page.Items[i] = PostOf(it)
	}
	b, err := json.Marshal(page)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func checkPage(t *testing.T, w *pageWriter, items []service.Item, next string) {
	t.Helper()
	got, err := w.Page(items, next)
	if err != nil {
		t.Fatal(err)
	}
	if want := wantPage(t, items, next); !bytes.Equal(got, want) {
		t.Fatalf("page differs from encoding/json's\n got %s\nwant %s", got, want)
	}
	// And through the method's result type, as the server sends it.
	if b, err := (feedResult{raw: got}).AppendJSON(nil); err != nil || !bytes.Equal(b, got) {
		t.Fatal("feedResult does not send its bytes")
	}
	viaResult, err := json.Marshal(feedResult{raw: got})
	if err != nil || !bytes.Equal(viaResult, got) {
		t.Fatalf("feedResult encodes as %s (%v)", viaResult, err)
	}
}

var _ rpc.JSONAppender = feedResult{}

func TestPageWriterMatchesEncodingJSON(t *testing.T) {
	at := time.Date(2026, 12, 6, 10, 0, 0, 123456789, time.UTC)
	edited := at.Add(time.Minute)
	hiddenAt := at.Add(time.Hour)
	plain := &service.Post{ID: "p1", Rev: "1-a", App: "app1", Author: "m1", Text: "Hello", CreatedAt: at}
	full := &service.Post{
		ID: "p2", Rev: "3-b", App: "app1", Event: "ev1", Session: "s1", Author: "m2",
		Text:     "Quotes \" and \\ <b>tags</b> & ünïcödé \u2028 line\nnew \x01 \xff invalid, \"author\":{\"name\":\"\"}",
		Hashtags: []string{"gophers", "keynote"}, Mentions: []service.Mention{{Member: "m1", Name: "Ada <3"}},
		Photos: []service.PhotoRef{{Name: "a", Thumb: "at", ContentType: "image/jpeg", Width: 640, Height: 480, Bytes: 1234},
			{Name: "b", Thumb: "bt", ContentType: "image/png", Width: 1, Height: 2, Bytes: 3}},
		CreatedAt: at, EditedAt: &edited,
	}
	hidden := &service.Post{ID: "p3", Rev: "2-c", App: "app1", Author: "m3", Text: `,"reactions":{},"reaction_count":0,"like_count":0,"comment_count":0,"my_reaction":""`,
		CreatedAt: at, Moderation: service.Moderation{Hidden: true, HiddenBy: "mod", HiddenAt: &hiddenAt}}
	anonymous := &service.Post{ID: "p4", Rev: "1-d", App: "app1", Text: "by a former member", CreatedAt: at,
		Moderation: service.Moderation{AuthorDeleted: true}}
	noRev := &service.Post{ID: "p5", App: "app1", Author: "m1", Text: "not stored yet", CreatedAt: at}
	ada := service.Profile{App: "app1", Member: "m1", Name: "Ada", Company: "Acme & Co", Title: "CTO", PhotoURL: "https://example.com/a.png"}
	bob := service.Profile{App: "app1", Member: "m2", Name: "Bob \"B\"", PhotoURL: "javascript:alert(1)"}
	gone := service.Profile{App: "app1", Member: "m3", Name: "Gone", Deleted: true}
	card := sponsored.Card{Label: sponsored.Label, CampaignID: "c1", ImpressionID: "i1", Sponsor: sponsored.Sponsor{Name: "Acme"},
		Text: "Meet us", Photos: []string{"https://example.com/p.png"}, ServedAt: at,
		CTA: sponsored.CardCTA{Kind: sponsored.CTALink, Label: "Go", ClickURL: "https://sp.example/c/x?y=1&z=<2>"}}
	items := []service.Item{
		{Doc: plain, Author: ada, Counts: service.Counts{Reactions: map[string]int64{}}},
		{Doc: full, Author: bob, MyReaction: social.ReactionClap,
			Counts: service.Counts{Reactions: map[string]int64{"like": 3, "clap": 2, "love": 0, "weird <kind>": 1, "odd\u2028\xff": 4}, Comments: 7}},
		{Sponsored: &card, PlacedApp: "app1", PlacedEvent: "ev1"},
		{Sponsored: &card, PlacedApp: "app1"},
		{Doc: hidden, Author: gone, Counts: service.Counts{Comments: 1}},
		{Doc: anonymous, Author: service.Profile{}},
		{Doc: noRev, Author: ada, MyReaction: "like", Counts: service.Counts{Reactions: map[string]int64{"like": 1}}},
	}
	w := newPageWriter()
	checkPage(t, w, nil, "")
	checkPage(t, w, items, "")
	checkPage(t, w, items, "cDEucDU") // the second time from the cached parts
	checkPage(t, w, items[:1], "")

	// Another reader of the same posts: other counters, reactions, profiles.
	other := []service.Item{
		{Doc: plain, Author: service.Profile{App: "app1", Member: "m1", Name: "Ada L."}, MyReaction: "like",
			Counts: service.Counts{Reactions: map[string]int64{"like": 1}}},
		{Doc: full, Author: bob},
	}
	checkPage(t, w, other, "")

	// A new revision of a post is encoded again, never served from the old.
	edited2 := *full
	edited2.Rev, edited2.Text = "4-e", "Edited text"
	checkPage(t, w, []service.Item{{Doc: &edited2, Author: bob}}, "")
	// A hidden or deleted revision likewise (moderators read hidden posts).
	hid := *plain
	hid.Rev, hid.Hidden = "2-f", true
	checkPage(t, w, []service.Item{{Doc: &hid, Author: ada}}, "")
}

// benchItems is a page of 20 posts like socialbench's, read by one member.
func benchItems() []service.Item {
	at := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	items := make([]service.Item, 20)
	for i := range items {
		d := &service.Post{ID: "01M95XQ6Q9000DK27YDKFQ4P" + string(rune('A'+i)), Rev: "1-abc", App: "01M95XQ6Q9000DK27YDKFQ4PWR",
			Event: "01M95XQ6Q9000DK27YDKFQ4PEV", Author: "01M95XQ6Q9000DK27YDKFQ4PM1", Text: "Post 1234 from the floor #keynote",
			Hashtags: []string{"keynote"}, CreatedAt: at}
		items[i] = service.Item{Doc: d, Author: service.Profile{Member: d.Author, Name: "Member 12", Company: "Acme", Title: "Attendee"},
			Counts: service.Counts{Reactions: map[string]int64{"like": int64(i)}, Comments: 2}, MyReaction: "like"}
	}
	return items
}

func BenchmarkFeedPage(b *testing.B) {
	items := benchItems()
	b.Run("encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			page := social.FeedPage{Items: make([]social.Post, len(items)), NextCursor: "cDEuMDFNOTVYUTZROTAwMERLMjdZREtGUTRQVA"}
			for i, it := range items {
				page.Items[i] = PostOf(it)
			}
			if _, err := json.Marshal(page); err != nil {
				b.Fatal(err)
			}
		}
	})
	w := newPageWriter()
	b.Run("pageWriter", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			raw, err := w.Page(items, "cDEuMDFNOTVYUTZROTAwMERLMjdZREtGUTRQVA")
			if err != nil {
				b.Fatal(err)
			}
			if out, _ := (feedResult{raw: raw}).AppendJSON(nil); len(out) == 0 { // what the server sends
				b.Fatal("no bytes")
			}
		}
	})
}

// Pages written at once by many requests, while revisions change and the
// caches are cleared when full, are each what encoding/json writes.
func TestPageWriterConcurrent(t *testing.T) {
	w := newPageWriter()
	w.max = 7 // cleared often
	items := benchItems()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				page := slices.Clone(items)
				for j := range page {
					d := *page[j].Doc
					if (i+j+g)%3 == 0 {
						d.Rev, d.Text = "2-x", "edited "+strconv.Itoa(j)
					}
					page[j].Doc = &d
					page[j].Author.Name = "Member " + strconv.Itoa((g+j)%4)
				}
				got, err := w.Page(page, "")
				if err != nil {
					t.Error(err)
					return
				}
				if want := wantPage(t, page, ""); !bytes.Equal(got, want) {
					t.Errorf("page differs\n got %s\nwant %s", got, want)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestSponsoredItemNamesItsFeed: a sponsored item carries the app of the
// feed it was placed in, and its event in an event's feed, as organic
// items do (it carried "app_id": "" before).
func TestSponsoredItemNamesItsFeed(t *testing.T) {
	card := sponsored.Card{Label: sponsored.Label, CampaignID: "c1", ImpressionID: "i1", Sponsor: sponsored.Sponsor{Name: "Acme"}}
	raw, err := newPageWriter().Page([]service.Item{
		{Sponsored: &card, PlacedApp: "app1"},
		{Sponsored: &card, PlacedApp: "app1", PlacedEvent: "ev1"},
	}, "")
	if err != nil {
		t.Fatal(err)
	}
	var page social.FeedPage
	if err := json.Unmarshal(raw, &page); err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"", "ev1"} {
		if p := page.Items[i]; p.AppID != "app1" || p.EventID != want {
			t.Errorf("item %d: app %q, event %q; want app1, %q", i, p.AppID, p.EventID, want)
		}
	}
}
