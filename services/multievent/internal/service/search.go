package service

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/attendify/hub"
	"github.com/attendify/multievent"
	"github.com/attendify/platform/errs"
)

// maxWords bounds the words of a search.
const maxWords = 8

// SearchPage is a page of hits and the cursor of the next ("" on the last).
type SearchPage struct {
	Hits []Hit
	Next string
}

// cursor is where a page ends, bound to its query.
type cursor struct {
	Query string  `json:"q"`
	Rank  float32 `json:"r"`
	Kind  string  `json:"k"`
	ID    string  `json:"i"`
}

// Words splits a search into its words: runs of letters and digits, in
// Unicode's composed form (NFC). A combining mark (an accent typed or
// pasted decomposed: "e" then U+0301) belongs to its word, as Postgres'
// parser and unaccent read it, instead of cutting it in two.
func Words(q string) []string {
	words := strings.FieldsFunc(norm.NFC.String(q), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsNumber(r) && !unicode.IsMark(r)
	})
	return slices.DeleteFunc(words, func(w string) bool {
		return !strings.ContainsFunc(w, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) })
	})
}

// Searching is a search of an app's content: the text searched for, and
// the cursor of the page after which to go on ("" for the first).
type Searching struct {
	App, Text, After string
}

// Search searches the events, sessions, speakers, rooms and tracks the
// caller may see (hub's gates: the cards of the events shown, what the
// events they may open hold), a page of multievent.SearchPageSize hits.
func (s *Service) Search(ctx context.Context, sr Searching) (SearchPage, error) {
	app, text, after := sr.App, sr.Text, sr.After
	words := Words(text)
	if len(words) == 0 {
		return SearchPage{}, errs.InvalidFields("nothing to search", errs.FieldError{Field: "/query", Message: "needs a letter or a digit"})
	}
	if len(words) > maxWords {
		words = words[:maxWords]
	}
	qkey := queryKey(app, words)
	var last *Hit
	if after != "" {
		c, err := decodeCursor(after)
		if err != nil || c.Query != qkey {
			return SearchPage{}, errs.InvalidFields("bad cursor", errs.FieldError{Field: "/cursor", Message: "not a cursor of this search"})
		}
		last = &Hit{Rank: c.Rank, Kind: c.Kind, ID: c.ID}
	}
	st, err := s.standing(ctx, app)
	if err != nil {
		return SearchPage{}, err
	}
	version, err := s.contentVersion(ctx, app)
	if err != nil {
		return SearchPage{}, err
	}
	evs, err := s.events(ctx, app, version)
	if err != nil {
		return SearchPage{}, err
	}
	// A page depends only on the content at version, what the caller may
	// see and the query: type-ahead sends the same prefixes again and
	// again, from every member with the same access.
	key := searchKey(app, version, evs, st, words, last)
	hits, ok := s.caches.searchHits(key)
	if !ok {
		q := Query{App: app, Words: words, After: last, Limit: multievent.SearchPageSize + 1, Cards: []string{}, Agendas: []string{}}
		for _, e := range evs {
			switch st.Gate(e.ID) {
			case hub.GateOpen:
				q.Agendas = append(q.Agendas, e.ID)
				q.Cards = append(q.Cards, e.ID)
			case hub.GateCode, hub.GateListed:
				q.Cards = append(q.Cards, e.ID)
			}
		}
		if hits, err = s.search.Search(ctx, q); err != nil {
			return SearchPage{}, err
		}
		s.caches.putSearch(key, hits)
	}
	page := SearchPage{Hits: hits}
	if len(hits) > multievent.SearchPageSize {
		page.Hits = hits[:multievent.SearchPageSize]
		h := page.Hits[len(page.Hits)-1]
		page.Next = encodeCursor(cursor{Query: qkey, Rank: h.Rank, Kind: h.Kind, ID: h.ID})
	}
	return page, nil
}

// queryKey binds a cursor to its app and words.
func queryKey(app string, words []string) string {
	sum := sha256.Sum256([]byte(app + "\x00" + strings.ToLower(strings.Join(words, "\x00"))))
	return base64.RawURLEncoding.EncodeToString(sum[:9])
}

func encodeCursor(c cursor) string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (cursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return cursor{}, err
	}
	var c cursor
	err = json.Unmarshal(b, &c)
	return c, err
}
