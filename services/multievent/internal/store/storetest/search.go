package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/attendify/multievent/internal/service"
	"github.com/attendify/platform/testkit"
)

// searchWorld is a small app: an open event with sessions, rooms, tracks
// and speakers; a second event whose agenda the searcher may not open.
type searchWorld struct {
	app                       string
	open, closed              string
	keynote, keyboards, lunch string
	secret                    string
	ada, grace, lone, hidden  string
	hall, track               string
	searcher                  Store
	cards, agendas            []string
}

func newSearchWorld(t *testing.T, s Store) *searchWorld {
	w := &searchWorld{app: newID("app"), open: newID("ev"), closed: newID("ev"), searcher: s}
	w.keynote, w.keyboards, w.lunch, w.secret = newID("s"), newID("s"), newID("s"), newID("s")
	w.ada, w.grace, w.lone, w.hidden = newID("p"), newID("p"), newID("p"), newID("p")
	w.hall, w.track = newID("r"), newID("t")
	app := w.app
	key := sess(app, w.keynote, w.open, "Keynote: the next ten years", t0, w.ada)
	kbd := sess(app, w.keyboards, w.open, "Mechanical boards", t0.Add(2*time.Hour), w.grace)
	kbd.Session.Description = "Why keyboards still matter"
	lunch := sess(app, w.lunch, w.open, "Lunch", t0.Add(4*time.Hour))
	lunch.Session.Description = "Déjeuner à la française"
	secret := sess(app, w.secret, w.closed, "Keystone secrets", t0, w.hidden)
	ada := spk(app, w.ada, "Éloïse Dupont")
	ada.Speaker.Company = "Société Générale"
	grace := spk(app, w.grace, "Grace Hopper")
	grace.Speaker.Bio = "Loves keys and compilers"
	mustApply(t, s,
		v(ev(app, w.open, "Paris Conf", t0), 1), v(ev(app, w.closed, "Keystone Summit", t0), 1),
		v(key, 1), v(kbd, 1), v(lunch, 1), v(secret, 1),
		v(ada, 1), v(grace, 1), v(spk(app, w.lone, "Keyes Lonely"), 1), v(spk(app, w.hidden, "Keyser Hidden"), 1),
		v(service.Change{Kind: service.KindRoom, App: app, ID: w.hall, Room: service.Room{EventID: w.open, Name: "Grand Hall"}}, 1),
		v(service.Change{Kind: service.KindTrack, App: app, ID: w.track, Track: service.Track{EventID: w.open, Name: "Keyboards & Co"}}, 1),
	)
	w.cards, w.agendas = []string{w.open, w.closed}, []string{w.open}
	return w
}

func (w *searchWorld) search(t *testing.T, words []string, after *service.Hit, limit int) []service.Hit {
	t.Helper()
	hits, err := w.searcher.Search(testkit.Context(t), service.Query{App: w.app, Words: words, Cards: w.cards, Agendas: w.agendas,
		After: after, Limit: limit})
	if err != nil {
		t.Fatal(err)
	}
	return hits
}

func ids(hits []service.Hit) []string {
	out := []string{}
	for _, h := range hits {
		out = append(out, h.ID)
	}
	return out
}

// Search is the contract of service.Searcher.
func Search(t *testing.T, newStore func(t *testing.T) Store) {
	w := newSearchWorld(t, newStore(t))
	t.Run("accents and case are folded, prefixes match", func(t *testing.T) {
		for _, q := range [][]string{{"eloise"}, {"ÉLOÏSE"}, {"elo"}, {"societe", "gen"}} {
			if got := ids(w.search(t, q, nil, 50)); !slices.Equal(got, []string{w.ada}) {
				t.Errorf("%q: %v, want Éloïse", q, got)
			}
		}
		if got := ids(w.search(t, []string{"dejeuner"}, nil, 50)); !slices.Equal(got, []string{w.lunch}) {
			t.Errorf("dejeuner: %v, want the lunch (its description)", got)
		}
	})
	t.Run("every word must match", func(t *testing.T) {
		if got := ids(w.search(t, []string{"keynote", "years"}, nil, 50)); !slices.Equal(got, []string{w.keynote}) {
			t.Errorf("keynote years: %v", got)
		}
		if got := w.search(t, []string{"keynote", "lunch"}, nil, 50); len(got) != 0 {
			t.Errorf("keynote lunch: %v, want nothing", ids(got))
		}
	})
	t.Run("titles rank before descriptions and bios", func(t *testing.T) {
		hits := w.search(t, []string{"key"}, nil, 50)
		got := ids(hits)
		pos := func(id string) int { return slices.Index(got, id) }
		for _, id := range []string{w.keynote, w.keyboards, w.grace, w.track} {
			if pos(id) < 0 {
				t.Fatalf("key: %v lacks %s", got, id)
			}
		}
		if !(pos(w.keynote) < pos(w.keyboards) && pos(w.track) < pos(w.keyboards) && pos(w.keyboards) < pos(w.grace)) {
			t.Errorf("key: %v, want titles (keynote, track) before a description (keyboards) before a bio (Grace)", hits)
		}
		for i := 1; i < len(hits); i++ {
			if hits[i].Rank > hits[i-1].Rank {
				t.Errorf("hits not by rank: %v", hits)
			}
		}
	})
	t.Run("a title holding every word ranks above any that does not", func(t *testing.T) {
		w := newSearchWorld(t, newStore(t))
		// Seven words of a description that "key" starts, against one
		// title word: ts_rank alone ranks the description first.
		wordy := newID("s")
		ws := sess(w.app, wordy, w.open, "Hardware tour", t0.Add(6*time.Hour))
		ws.Session.Description = "keyboards keystones keyrings keys keyed keyless keymaps"
		mustApply(t, w.searcher, v(ws, 1))
		tests := []struct {
			words         []string
			before, after string
		}{
			{[]string{"key"}, w.keynote, wordy},
			{[]string{"key"}, w.lone, wordy},
		}
		for _, tt := range tests {
			got := ids(w.search(t, tt.words, nil, 50))
			if i, j := slices.Index(got, tt.before), slices.Index(got, tt.after); i < 0 || (j >= 0 && j < i) {
				t.Errorf("%q: %v, want %s before %s", tt.words, got, tt.before, tt.after)
			}
		}
	})
	t.Run("only what the searcher may see", func(t *testing.T) {
		got := ids(w.search(t, []string{"key"}, nil, 50))
		if !slices.Contains(got, w.closed) {
			t.Errorf("key: %v lacks the card of the event that does not open", got)
		}
		if slices.Contains(got, w.secret) || slices.Contains(got, w.hidden) {
			t.Errorf("key: %v holds the session or the speaker of an event that does not open", got)
		}
		if !slices.Contains(got, w.lone) {
			t.Errorf("key: %v lacks the speaker of no session", got)
		}
		w2 := *w
		w2.cards, w2.agendas = []string{}, []string{}
		if got := ids(w2.search(t, []string{"grand"}, nil, 50)); len(got) != 0 {
			t.Errorf("grand with nothing open: %v", got)
		}
		if got := ids(w.search(t, []string{"grand"}, nil, 50)); !slices.Equal(got, []string{w.hall}) {
			t.Errorf("grand: %v, want the room", got)
		}
	})
	t.Run("a speaker whose only event is deleted speaks at no event", func(t *testing.T) {
		w := newSearchWorld(t, newStore(t))
		mustApply(t, w.searcher, v(del(service.KindEvent, w.app, w.closed), 2))
		if got := ids(w.search(t, []string{"keyser"}, nil, 50)); !slices.Equal(got, []string{w.hidden}) {
			t.Errorf("keyser after the closed event's deletion: %v", got)
		}
	})
	t.Run("pages follow each other without repeats or gaps", func(t *testing.T) {
		all := ids(w.search(t, []string{"k"}, nil, 100))
		var paged []string
		var after *service.Hit
		for range 10 {
			page := w.search(t, []string{"k"}, after, 2)
			if len(page) == 0 {
				break
			}
			paged = append(paged, ids(page)...)
			after = &page[len(page)-1]
		}
		if diff := cmp.Diff(all, paged); diff != "" || len(all) < 5 {
			t.Errorf("pages of 2 (-all +paged):\n%s (all: %v)", diff, all)
		}
	})
}
