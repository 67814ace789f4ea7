package storetest

import (
	"errors"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/attendify/multievent/internal/service"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/testkit"
)

// device is a phone of a member: what it last read of the agenda.
type device struct {
	t         *testing.T
	s         service.Agendas
	app, user string
	bookmarks []string
	bcc, ncc  []byte
	notes     map[string]string
}

// sync reads the agenda as the device sees it after a sync.
func (d *device) sync() {
	d.t.Helper()
	ctx := testkit.Context(d.t)
	var err error
	if d.bookmarks, d.bcc, err = d.s.Bookmarks(ctx, service.AgendaRef{App: d.app, Member: d.user}); err != nil {
		d.t.Fatal(err)
	}
	if d.notes, d.ncc, err = d.s.Notes(ctx, service.AgendaRef{App: d.app, Member: d.user}); err != nil {
		d.t.Fatal(err)
	}
}

func (d *device) add(sessions ...string) {
	d.t.Helper()
	if err := d.s.AddBookmarks(testkit.Context(d.t), service.AgendaRef{App: d.app, Member: d.user}, sessions...); err != nil {
		d.t.Fatal(err)
	}
}

// remove removes as this device last saw the bookmarks.
func (d *device) remove(sessions ...string) {
	d.t.Helper()
	if err := d.s.RemoveBookmarks(testkit.Context(d.t), service.AgendaRef{App: d.app, Member: d.user}, d.bcc, sessions...); err != nil {
		d.t.Fatal(err)
	}
}

func (d *device) notesOp(set map[string]string, remove ...string) {
	d.t.Helper()
	if err := d.s.UpdateNotes(testkit.Context(d.t), service.AgendaRef{App: d.app, Member: d.user}, d.ncc, set, remove); err != nil {
		d.t.Fatal(err)
	}
}

// Agendas is the contract of service.Agendas: two devices of one member,
// offline between their reads and their writes, merge as Riak's
// observed-remove set and map merge.
func Agendas(t *testing.T, newAgendas func(t *testing.T) service.Agendas) {
	twoDevices := func(t *testing.T) (*device, *device) {
		s := newAgendas(t)
		app, user := newID("app"), newID("m")
		a := &device{t: t, s: s, app: app, user: user}
		b := &device{t: t, s: s, app: app, user: user}
		return a, b
	}
	t.Run("an add on one device and a remove on the other of the same session keep it", func(t *testing.T) {
		for _, order := range []string{"remove first", "add first"} {
			t.Run(order, func(t *testing.T) {
				a, b := twoDevices(t)
				a.add("s1", "s2")
				a.sync()
				b.sync()
				// Offline: a removes s1; b removes s1 too and adds it back.
				if order == "remove first" {
					a.remove("s1")
					b.add("s1")
				} else {
					b.add("s1")
					a.remove("s1")
				}
				a.sync()
				if diff := cmp.Diff([]string{"s1", "s2"}, a.bookmarks); diff != "" {
					t.Errorf("bookmarks (-want +got):\n%s", diff)
				}
			})
		}
	})
	t.Run("edits of different sessions both survive", func(t *testing.T) {
		a, b := twoDevices(t)
		a.add("s1", "s2", "s3")
		a.sync()
		b.sync()
		a.remove("s2")
		a.add("s4")
		b.remove("s3")
		b.add("s5")
		b.sync()
		if diff := cmp.Diff([]string{"s1", "s4", "s5"}, b.bookmarks); diff != "" {
			t.Errorf("bookmarks (-want +got):\n%s", diff)
		}
	})
	t.Run("a remove takes only what its context saw", func(t *testing.T) {
		a, b := twoDevices(t)
		a.sync() // an empty agenda's context
		b.add("s1")
		a.remove("s1") // a never saw s1
		a.sync()
		if !slices.Equal(a.bookmarks, []string{"s1"}) {
			t.Errorf("bookmarks: %v, want s1 kept", a.bookmarks)
		}
		a.remove("s1")
		a.sync()
		if len(a.bookmarks) != 0 {
			t.Errorf("bookmarks after a remove that saw s1: %v", a.bookmarks)
		}
	})
	t.Run("a note written on one device survives its removal on the other", func(t *testing.T) {
		a, b := twoDevices(t)
		a.notesOp(map[string]string{"s1": "front row", "s2": "skip"})
		a.sync()
		b.sync()
		a.notesOp(map[string]string{"s1": "front row, left"})
		b.notesOp(nil, "s1", "s2")
		b.sync()
		if diff := cmp.Diff(map[string]string{"s1": "front row, left"}, b.notes); diff != "" {
			t.Errorf("notes (-want +got):\n%s", diff)
		}
	})
	t.Run("a context this store did not hand out for this agenda is invalid", func(t *testing.T) {
		a, _ := twoDevices(t)
		other := &device{t: t, s: a.s, app: a.app, user: newID("m")}
		a.add("s1")
		other.sync()
		ctx := testkit.Context(t)
		for name, cc := range map[string][]byte{"made up": []byte("not a context at all, really"), "another member's": other.bcc} {
			err := a.s.RemoveBookmarks(ctx, service.AgendaRef{App: a.app, Member: a.user}, cc, "s1")
			if !errors.Is(err, errs.Invalid) {
				t.Errorf("%s context: %v, want invalid", name, err)
			}
		}
		if err := a.s.UpdateNotes(ctx, service.AgendaRef{App: a.app, Member: a.user}, other.ncc, nil, []string{"s1"}); !errors.Is(err, errs.Invalid) {
			t.Errorf("another member's notes context: %v, want invalid", err)
		}
		a.sync()
		if !slices.Equal(a.bookmarks, []string{"s1"}) {
			t.Errorf("bookmarks after refused removals: %v", a.bookmarks)
		}
	})
	t.Run("CheckContexts takes the member's own contexts and refuses others, writing nothing", func(t *testing.T) {
		a, _ := twoDevices(t)
		other := &device{t: t, s: a.s, app: a.app, user: newID("m")}
		a.add("s1")
		a.notesOp(map[string]string{"s1": "x"})
		a.sync()
		other.sync()
		ctx, ref := testkit.Context(t), service.AgendaRef{App: a.app, Member: a.user}
		if err := a.s.CheckContexts(ctx, ref, a.bcc, a.ncc); err != nil {
			t.Errorf("the member's own contexts: %v", err)
		}
		if err := a.s.CheckContexts(ctx, ref, nil, nil); err != nil {
			t.Errorf("no contexts: %v", err)
		}
		for name, ccs := range map[string][2][]byte{
			"made up":                    {[]byte("not a context at all, really"), nil},
			"another member's bookmarks": {other.bcc, a.ncc},
			"another member's notes":     {a.bcc, other.ncc},
			"notes as bookmarks":         {a.ncc, nil},
			"bookmarks as notes":         {nil, a.bcc},
		} {
			if err := a.s.CheckContexts(ctx, ref, ccs[0], ccs[1]); !errors.Is(err, errs.Invalid) {
				t.Errorf("%s: %v, want invalid", name, err)
			}
		}
		a.sync()
		if !slices.Equal(a.bookmarks, []string{"s1"}) || a.notes["s1"] != "x" {
			t.Errorf("after the checks: %v %v", a.bookmarks, a.notes)
		}
	})
	t.Run("erase removes everything", func(t *testing.T) {
		a, _ := twoDevices(t)
		a.add("s1", "s2")
		a.notesOp(map[string]string{"s1": "x"})
		if err := a.s.Erase(testkit.Context(t), service.AgendaRef{App: a.app, Member: a.user}); err != nil {
			t.Fatal(err)
		}
		a.sync()
		if len(a.bookmarks) != 0 || len(a.notes) != 0 {
			t.Errorf("after erase: %v %v", a.bookmarks, a.notes)
		}
	})
}
