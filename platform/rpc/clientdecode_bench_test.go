package rpc

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

type benchPost struct {
	ID        string           `json:"id"`
	AppID     string           `json:"app_id"`
	EventID   string           `json:"event_id,omitempty"`
	Author    benchAuthor      `json:"author"`
	Text      string           `json:"text"`
	Hashtags  []string         `json:"hashtags"`
	Reactions map[string]int64 `json:"reactions"`
	Count     int64            `json:"reaction_count"`
	Comments  int64            `json:"comment_count"`
	Mine      string           `json:"my_reaction"`
	CreatedAt time.Time        `json:"created_at"`
}

type benchAuthor struct {
	MemberID string `json:"member_id"`
	Name     string `json:"name"`
	Company  string `json:"company"`
	Title    string `json:"title"`
	PhotoURL string `json:"photo_url"`
}

type benchPage struct {
	Items      []benchPost `json:"items"`
	NextCursor string      `json:"next_cursor"`
}

func benchPageAnswer(b *testing.B) []byte {
	var p benchPage
	for i := range 20 {
		p.Items = append(p.Items, benchPost{
			ID: "01M978MVN30008X31EKGMSF04Z", AppID: "01M978MVN30008X31EKGMSF04A", EventID: "01M978MVN30008X31EKGMSF04B",
			Author:   benchAuthor{MemberID: "01M978MVN30008X31EKGMSF04C", Name: "Ada Lovelace", Company: "Analytical Engines", Title: "Programmer", PhotoURL: "https://cdn.example.com/photos/ada.jpg"},
			Text:     strings.Repeat("A post about the keynote and the coffee. ", 6),
			Hashtags: []string{"keynote", "coffee"}, Reactions: map[string]int64{"like": int64(i), "love": 2}, Count: int64(i) + 2,
			CreatedAt: time.Date(2026, 12, 7, 3, 0, i, 0, time.UTC),
		})
	}
	p.NextCursor = "cDEuMDFNOTc4TVZOMzAwMDhYMzFFS0dNU0YwNFo"
	res, err := json.Marshal(p)
	if err != nil {
		b.Fatal(err)
	}
	return append(append([]byte(`{"jsonrpc":"2.0","id":42,"result":`), res...), '}')
}

// BenchmarkClientAnswer measures what a client spends on the answer to a
// call that returns a 20-post feed page (about 14 KB), beside two
// yardsticks: decoding the result alone with encoding/json (the floor of
// any client that decodes into Go types), and how the client took answers
// apart before it used the scanner (encoding/json over the whole answer
// twice, a retry check and the call's own decoding, then the result again
// from a copy).
func BenchmarkClientAnswer(b *testing.B) {
	raw := benchPageAnswer(b)
	var result []byte
	members(raw, func(name, value []byte) bool {
		if string(name) == `"result"` {
			result = value
		}
		return true
	})
	run := func(name string, decode func() (benchPage, error)) {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				page, err := decode()
				if err != nil || len(page.Items) != 20 {
					b.Fatal(err, len(page.Items))
				}
			}
		})
	}
	run("client", func() (page benchPage, err error) {
		a, err := parseAnswer(raw)
		if err == nil {
			err = a.into(&page)
		}
		return page, err
	})
	run("result-alone", func() (page benchPage, err error) {
		return page, json.Unmarshal(result, &page)
	})
	run("encoding-json-twice-before", func() (page benchPage, err error) {
		type wire struct {
			Result json.RawMessage `json:"result"`
			Error  *wireError      `json:"error"`
			ID     json.RawMessage `json:"id"`
		}
		var check, resp wire
		if err := json.Unmarshal(raw, &check); err != nil {
			return page, err
		}
		if err := json.Unmarshal(raw, &resp); err != nil {
			return page, err
		}
		return page, json.Unmarshal(resp.Result, &page)
	})
}
