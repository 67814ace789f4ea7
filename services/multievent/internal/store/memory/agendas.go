package memory

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/attendify/multievent/internal/service"
	"github.com/attendify/platform/errs"
)

// Agendas fakes the key-value agendas with Riak's observed-remove
// semantics for a single actor: every add or note write gets a dot (a
// counter); a context is the counter when it was read, bound to its
// member; a removal removes only the dots the context covers.
type Agendas struct {
	mu        sync.Mutex
	clock     int64
	bookmarks map[string]map[string]int64 // agenda -> session -> dot
	notes     map[string]map[string]note  // agenda -> session -> note
}

type note struct {
	text string
	dot  int64
}

var _ service.Agendas = (*Agendas)(nil)

// NewAgendas returns empty agendas.
func NewAgendas() *Agendas {
	return &Agendas{bookmarks: map[string]map[string]int64{}, notes: map[string]map[string]note{}}
}

func agendaKey(ref service.AgendaRef) string { return ref.App + "/" + ref.Member }

// context encodes the clock for kind ("b" or "n") of an agenda.
func (a *Agendas) context(kind, agenda string) []byte {
	return fmt.Appendf(nil, "mem|%s|%s|%d", kind, agenda, a.clock)
}

// open reads a context for kind of agenda: nil for none, else the clock it
// saw; anything this fake did not hand out is errs.Invalid.
func (a *Agendas) open(kind, agenda string, cc []byte) (int64, bool, error) {
	if len(cc) == 0 {
		return 0, false, nil
	}
	parts := strings.Split(string(cc), "|")
	if len(parts) != 4 || parts[0] != "mem" || parts[1] != kind || parts[2] != agenda {
		return 0, false, errs.New(errs.Invalid, "kv: the causal context is not one issued for this agenda")
	}
	n, err := strconv.ParseInt(parts[3], 10, 64)
	if err != nil || n > a.clock {
		return 0, false, errs.New(errs.Invalid, "kv: the causal context is not one issued for this agenda")
	}
	return n, true, nil
}

// CheckContexts implements service.Agendas.
func (a *Agendas) CheckContexts(_ context.Context, ref service.AgendaRef, bookmarksCC, notesCC []byte) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	k := agendaKey(ref)
	if _, _, err := a.open("b", k, bookmarksCC); err != nil {
		return err
	}
	_, _, err := a.open("n", k, notesCC)
	return err
}

// Bookmarks implements service.Agendas.
func (a *Agendas) Bookmarks(_ context.Context, ref service.AgendaRef) ([]string, []byte, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	k := agendaKey(ref)
	out := []string{}
	for s := range a.bookmarks[k] {
		out = append(out, s)
	}
	slices.Sort(out)
	return out, a.context("b", k), nil
}

// AddBookmarks implements service.Agendas.
func (a *Agendas) AddBookmarks(_ context.Context, ref service.AgendaRef, sessions ...string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	k := agendaKey(ref)
	if a.bookmarks[k] == nil {
		a.bookmarks[k] = map[string]int64{}
	}
	for _, s := range sessions {
		a.clock++
		a.bookmarks[k][s] = a.clock
	}
	return nil
}

// RemoveBookmarks implements service.Agendas.
func (a *Agendas) RemoveBookmarks(_ context.Context, ref service.AgendaRef, cc []byte, sessions ...string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	k := agendaKey(ref)
	seen, ok, err := a.open("b", k, cc)
	if err != nil {
		return err
	}
	for _, s := range sessions {
		if dot, present := a.bookmarks[k][s]; present && (!ok || dot <= seen) {
			delete(a.bookmarks[k], s)
		}
	}
	return nil
}

// Notes implements service.Agendas.
func (a *Agendas) Notes(_ context.Context, ref service.AgendaRef) (map[string]string, []byte, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	k := agendaKey(ref)
	out := map[string]string{}
	for s, n := range a.notes[k] {
		out[s] = n.text
	}
	return out, a.context("n", k), nil
}

// UpdateNotes implements service.Agendas.
func (a *Agendas) UpdateNotes(_ context.Context, ref service.AgendaRef, cc []byte, set map[string]string, remove []string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	k := agendaKey(ref)
	seen, ok, err := a.open("n", k, cc)
	if err != nil {
		return err
	}
	if a.notes[k] == nil {
		a.notes[k] = map[string]note{}
	}
	for _, s := range remove {
		if _, written := set[s]; written {
			continue
		}
		if n, present := a.notes[k][s]; present && (!ok || n.dot <= seen) {
			delete(a.notes[k], s)
		}
	}
	for s, text := range set {
		a.clock++
		a.notes[k][s] = note{text: text, dot: a.clock}
	}
	return nil
}

// Erase implements service.Agendas.
func (a *Agendas) Erase(_ context.Context, ref service.AgendaRef) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	k := agendaKey(ref)
	delete(a.bookmarks, k)
	delete(a.notes, k)
	return nil
}
