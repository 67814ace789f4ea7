package memory

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"github.com/attendify/multievent/internal/service"
)

// Field weights, as the Postgres adapter's ts_rank weights them: titles A,
// companies and job titles B, descriptions and venues C, bios D.
const (
	weightA = 1.0
	weightB = 0.4
	weightC = 0.2
	weightD = 0.1
)

// fold lower-cases s and strips its accents.
func fold(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		out = s
	}
	return strings.ToLower(out)
}

type field struct {
	text   string
	weight float32
}

// rank scores fields against words as the Postgres adapter ranks them:
// every word must start a word of some field; each adds the weight of the
// best field it starts a word of, and the sum r ranks as r/(r+1), lifted
// by 1 when every word starts a word of the title (weight A), so that
// such hits come before all others.
func rank(words []string, fields ...field) (float32, bool) {
	var total float32
	titled := true
	for _, w := range words {
		w = fold(w)
		var best float32
		for _, f := range fields {
			for _, fw := range service.Words(fold(f.text)) {
				if strings.HasPrefix(fw, w) && f.weight > best {
					best = f.weight
				}
			}
		}
		if best == 0 {
			return 0, false
		}
		titled = titled && best == weightA
		total += best
	}
	r := total / (total + 1)
	if titled {
		r++
	}
	return r, true
}

// Search implements service.Searcher.
func (s *Store) Search(_ context.Context, q service.Query) ([]service.Hit, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var hits []service.Hit
	add := func(h service.Hit, fields ...field) {
		if r, ok := rank(q.Words, fields...); ok {
			h.Rank = r
			hits = append(hits, h)
		}
	}
	for k, r := range s.rows {
		if k.app != q.App || !r.live() {
			continue
		}
		c := r.c
		switch k.kind {
		case service.KindEvent:
			if slices.Contains(q.Cards, k.id) {
				add(service.Hit{Kind: "event", ID: k.id, EventID: k.id, Title: c.Event.Name, Subtitle: c.Event.Venue, Start: c.Event.Start},
					field{c.Event.Name, weightA}, field{c.Event.Venue, weightC})
			}
		case service.KindSession:
			if slices.Contains(q.Agendas, c.Session.EventID) {
				add(service.Hit{Kind: "session", ID: k.id, EventID: c.Session.EventID, Title: c.Session.Title, Start: c.Session.Start},
					field{c.Session.Title, weightA}, field{c.Session.Description, weightC})
			}
		case service.KindRoom:
			if slices.Contains(q.Agendas, c.Room.EventID) {
				add(service.Hit{Kind: "room", ID: k.id, EventID: c.Room.EventID, Title: c.Room.Name}, field{c.Room.Name, weightA})
			}
		case service.KindTrack:
			if slices.Contains(q.Agendas, c.Track.EventID) {
				add(service.Hit{Kind: "track", ID: k.id, EventID: c.Track.EventID, Title: c.Track.Name}, field{c.Track.Name, weightA})
			}
		case service.KindSpeaker:
			if s.speakerShown(q, k.id) {
				p := c.Speaker
				add(service.Hit{Kind: "speaker", ID: k.id, Title: p.Name, Subtitle: p.Company},
					field{p.Name, weightA}, field{p.Company, weightB}, field{p.Title, weightB}, field{p.Bio, weightD})
			}
		}
	}
	slices.SortFunc(hits, compareHits)
	if q.After != nil {
		i := 0
		for i < len(hits) && compareHits(hits[i], *q.After) <= 0 {
			i++
		}
		hits = hits[i:]
	}
	if len(hits) > q.Limit {
		hits = hits[:q.Limit]
	}
	if hits == nil {
		hits = []service.Hit{}
	}
	return hits, nil
}

// speakerShown applies the Query's rule for speakers: they speak in an
// event of Agendas, or in no live event.
func (s *Store) speakerShown(q service.Query, id string) bool {
	speaks := false
	for k, r := range s.rows {
		if k.app != q.App || k.kind != service.KindSession || !r.live() || !slices.Contains(r.c.Session.SpeakerIDs, id) {
			continue
		}
		if slices.Contains(q.Agendas, r.c.Session.EventID) {
			return true
		}
		if _, ok := s.liveEvent(q.App, r.c.Session.EventID); ok {
			speaks = true
		}
	}
	return !speaks
}

func compareHits(a, b service.Hit) int {
	if c := cmp.Compare(b.Rank, a.Rank); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Kind, b.Kind); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
}
