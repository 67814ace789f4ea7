// Package kvagenda keeps personal agendas in the key-value port's data
// types (platform/kv): a member's bookmarks are a set of session ids, their
// notes a map of registers (session id to text). Riak serves them when
// RIAK_HOSTS is set (kv/riakkv), Postgres otherwise (kv/pgkv); both give
// Riak's observed-remove semantics, and both seal the causal contexts
// phones carry (kv.Sealed).
package kvagenda

import (
	"context"
	"slices"

	"github.com/attendify/multievent/internal/derr"
	"github.com/attendify/multievent/internal/service"
	"github.com/attendify/platform/kv"
)

// Buckets of the agendas; the key of a member's agenda is "<app>/<member>".
const (
	BookmarksBucket = "multievent.bookmarks"
	NotesBucket     = "multievent.notes"
)

// Store keeps agendas in a key-value store.
type Store struct {
	sets kv.Sets
	maps kv.Maps
}

var _ service.Agendas = (*Store)(nil)

// KV is the part of the port the agendas use.
type KV interface {
	kv.Sets
	kv.Maps
}

// New returns agendas kept in store.
func New(store KV) *Store { return &Store{sets: store, maps: store} }

func key(a service.AgendaRef) string { return a.App + "/" + a.Member }

// Bookmarks implements service.Agendas.
func (s *Store) Bookmarks(ctx context.Context, a service.AgendaRef) (_ []string, _ []byte, err error) {
	defer derr.Wrap(&err, "Bookmarks(%q, %q)", a.App, a.Member)
	return s.sets.SetMembers(ctx, BookmarksBucket, key(a))
}

// AddBookmarks implements service.Agendas.
func (s *Store) AddBookmarks(ctx context.Context, a service.AgendaRef, sessions ...string) (err error) {
	defer derr.Wrap(&err, "AddBookmarks(%q, %q)", a.App, a.Member)
	if len(sessions) == 0 {
		return nil
	}
	return s.sets.SetAdd(ctx, BookmarksBucket, key(a), sessions...)
}

// RemoveBookmarks implements service.Agendas.
func (s *Store) RemoveBookmarks(ctx context.Context, a service.AgendaRef, cc []byte, sessions ...string) (err error) {
	defer derr.Wrap(&err, "RemoveBookmarks(%q, %q)", a.App, a.Member)
	if len(sessions) == 0 {
		return nil
	}
	return s.sets.SetRemove(ctx, BookmarksBucket, key(a), cc, sessions...)
}

// Notes implements service.Agendas.
func (s *Store) Notes(ctx context.Context, a service.AgendaRef) (_ map[string]string, _ []byte, err error) {
	defer derr.Wrap(&err, "Notes(%q, %q)", a.App, a.Member)
	m, cc, err := s.maps.MapGet(ctx, NotesBucket, key(a))
	if err != nil {
		return nil, nil, err
	}
	notes := m.Registers
	if notes == nil {
		notes = map[string]string{}
	}
	return notes, cc, nil
}

// UpdateNotes implements service.Agendas.
func (s *Store) UpdateNotes(ctx context.Context, a service.AgendaRef, cc []byte, set map[string]string, remove []string) (err error) {
	defer derr.Wrap(&err, "UpdateNotes(%q, %q)", a.App, a.Member)
	ops := kv.MapOps{SetRegisters: set, RemoveFields: slices.DeleteFunc(slices.Clone(remove), func(f string) bool {
		_, written := set[f]
		return written
	})}
	if ops.Empty() {
		return nil
	}
	return s.maps.MapUpdate(ctx, NotesBucket, key(a), cc, ops)
}

// CheckContexts implements service.Agendas: a removal of nothing and an
// update without operations open the context (kv.Sealed refuses any it did
// not seal for this bucket and key) and write nothing.
func (s *Store) CheckContexts(ctx context.Context, a service.AgendaRef, bookmarksCC, notesCC []byte) (err error) {
	defer derr.Wrap(&err, "CheckContexts(%q, %q)", a.App, a.Member)
	if len(bookmarksCC) > 0 {
		if err := s.sets.SetRemove(ctx, BookmarksBucket, key(a), bookmarksCC); err != nil {
			return err
		}
	}
	if len(notesCC) > 0 {
		return s.maps.MapUpdate(ctx, NotesBucket, key(a), notesCC, kv.MapOps{})
	}
	return nil
}

// Erase implements service.Agendas: every bookmark and note goes,
// whatever was seen (nil contexts).
func (s *Store) Erase(ctx context.Context, a service.AgendaRef) (err error) {
	defer derr.Wrap(&err, "Erase(%q, %q)", a.App, a.Member)
	ids, _, err := s.sets.SetMembers(ctx, BookmarksBucket, key(a))
	if err != nil {
		return err
	}
	if len(ids) > 0 {
		if err := s.sets.SetRemove(ctx, BookmarksBucket, key(a), nil, ids...); err != nil {
			return err
		}
	}
	m, _, err := s.maps.MapGet(ctx, NotesBucket, key(a))
	if err != nil {
		return err
	}
	var fields []string
	for f := range m.Registers {
		fields = append(fields, f)
	}
	if len(fields) == 0 {
		return nil
	}
	return s.maps.MapUpdate(ctx, NotesBucket, key(a), nil, kv.MapOps{RemoveFields: fields})
}
