package service_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/attendify/hub"
	"github.com/attendify/multievent"
	"github.com/attendify/multievent/internal/service"
	"github.com/attendify/multievent/internal/store/memory"
	"github.com/attendify/platform/errs"
	"github.com/google/go-cmp/cmp"
)

func itemIDs(a service.Agenda) []string {
	out := []string{}
	for _, it := range a.Items {
		out = append(out, it.Session.ID)
	}
	return out
}

func bookmark(ids ...string) []service.Op {
	var ops []service.Op
	for _, id := range ids {
		ops = append(ops, service.Op{Op: multievent.OpBookmark, Session: id})
	}
	return ops
}

// TestSyncOutcomes: one table per outcome of an operation.
func TestSyncOutcomes(t *testing.T) {
	applied := []struct {
		name string
		ops  []service.Op
		want []string
	}{
		{"bookmark an open session", bookmark("S-" + evOpen), []string{"S-" + evOpen}},
		{"the last operation on a session wins", []service.Op{
			{Op: multievent.OpBookmark, Session: "S-" + evOpen}, {Op: multievent.OpUnbookmark, Session: "S-" + evOpen},
			{Op: multievent.OpBookmark, Session: "S-" + evPast}}, []string{"S-" + evPast}},
		{"bookmark twice is once", bookmark("S-"+evOpen, "S-"+evOpen), []string{"S-" + evOpen}},
		{"a removal of what is not there", []service.Op{{Op: multievent.OpUnbookmark, Session: "nope"}}, []string{}},
	}
	for _, tt := range applied {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			w.standard()
			a, err := w.svc.Sync(as("plain"), app, "", tt.ops, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, itemIDs(a)); diff != "" || len(a.Rejected) != 0 {
				t.Errorf("agenda (-want +got):\n%s\nrejected: %v", diff, a.Rejected)
			}
		})
	}
	rejected := []struct {
		name string
		op   service.Op
		want service.Fault // but its message
	}{
		{"a session of an event that needs a code", service.Op{Op: multievent.OpBookmark, Session: "S-" + evCode},
			service.Fault{Reason: multievent.RejectNotOpen, Field: "session_id"}},
		{"a session of a hidden event", service.Op{Op: multievent.OpBookmark, Session: "S-" + evHidden},
			service.Fault{Reason: multievent.RejectNotOpen, Field: "session_id"}},
		{"a session that does not exist", service.Op{Op: multievent.OpBookmark, Session: "nope"},
			service.Fault{Reason: multievent.RejectNotOpen, Field: "session_id"}},
		{"a note on a session of a listed event", service.Op{Op: multievent.OpNote, Session: "S-" + evListed, Text: "x"},
			service.Fault{Reason: multievent.RejectNotOpen, Field: "session_id"}},
		{"a note longer than 2000 characters", service.Op{Op: multievent.OpNote, Session: "S-" + evOpen, Text: strings.Repeat("é", 2001)},
			service.Fault{Reason: multievent.RejectTooLong, Field: "text"}},
		{"a session id longer than 64 characters", service.Op{Op: multievent.OpUnbookmark, Session: strings.Repeat("é", 65)},
			service.Fault{Reason: multievent.RejectTooLong, Field: "session_id"}},
		{"an unknown operation", service.Op{Op: "star", Session: "S-" + evOpen},
			service.Fault{Reason: multievent.RejectUnknownOp, Field: "op"}},
		{"no operation", service.Op{Session: "S-" + evOpen},
			service.Fault{Reason: multievent.RejectMissing, Field: "op"}},
		{"no session", service.Op{Op: multievent.OpUnnote},
			service.Fault{Reason: multievent.RejectMissing, Field: "session_id"}},
		{"a NUL in a note", service.Op{Op: multievent.OpNote, Session: "S-" + evOpen, Text: "a\x00b"},
			service.Fault{Reason: multievent.RejectBadCharacter, Field: "text"}},
		{"an operation the wire could not read", service.Op{Op: multievent.OpBookmark, Session: "S-" + evOpen,
			Malformed: &service.Fault{Reason: multievent.RejectWrongType, Message: "an operation is an object"}},
			service.Fault{Reason: multievent.RejectWrongType}},
	}
	for _, tt := range rejected {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			w.standard()
			ops := append(bookmark("S-"+evOpen), tt.op)
			a, err := w.svc.Sync(as("plain"), app, "", ops, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(a.Rejected) != 1 || a.Rejected[0].Index != 1 || a.Rejected[0].Message == "" {
				t.Fatalf("rejected: %+v, want operation 1 with a message", a.Rejected)
			}
			got := a.Rejected[0].Fault
			got.Message = ""
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("why (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{"S-" + evOpen}, itemIDs(a)); diff != "" {
				t.Errorf("the other operation (-want +got):\n%s", diff)
			}
		})
	}
	failed := []struct {
		name     string
		ctx      func() (string, []byte)
		want     error
		memberID string
	}{
		{"a made-up context", func() (string, []byte) { return "plain", []byte("mem|b|forged|1") }, errs.Invalid, ""},
		{"a service without member_id", func() (string, []byte) { return "", nil }, errs.Invalid, ""},
		{"a member naming another member", func() (string, []byte) { return "plain", nil }, errs.Forbidden, "reg"},
		{"a blocked member", func() (string, []byte) { return "blocked", nil }, errs.Forbidden, ""},
	}
	for _, tt := range failed {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			w.standard()
			user, cc := tt.ctx()
			ctx := serviceCtx()
			if user != "" {
				ctx = as(user)
			}
			ops := []service.Op{{Op: multievent.OpUnbookmark, Session: "S-" + evOpen}}
			if _, err := w.svc.Sync(ctx, app, tt.memberID, ops, cc, nil); !errors.Is(err, tt.want) {
				t.Errorf("Sync = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestTwoDevices drives two phones of one member through agenda syncs:
// offline edits merge as an observed-remove set does.
func TestTwoDevices(t *testing.T) {
	w := newWorld(t)
	w.standard()
	a0, err := w.svc.Sync(as("plain"), app, "", bookmark("S-"+evOpen, "S-"+evPast), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	phoneA, phoneB := a0, a0 // both saw {open, past}
	// Offline, A removes the open event's session; B removes it and
	// bookmarks it again, and adds the upcoming one.
	a, err := w.svc.Sync(as("plain"), app, "", []service.Op{{Op: multievent.OpUnbookmark, Session: "S-" + evOpen}},
		phoneA.BookmarksContext, phoneA.NotesContext)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"S-" + evPast}, itemIDs(a)); diff != "" {
		t.Errorf("after A's sync (-want +got):\n%s", diff)
	}
	b, err := w.svc.Sync(as("plain"), app, "", []service.Op{
		{Op: multievent.OpUnbookmark, Session: "S-" + evOpen}, {Op: multievent.OpBookmark, Session: "S-" + evOpen},
		{Op: multievent.OpBookmark, Session: "S-" + evUpcoming}}, phoneB.BookmarksContext, phoneB.NotesContext)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"S-" + evPast, "S-" + evOpen, "S-" + evUpcoming}, itemIDs(b), cmpSorted); diff != "" {
		t.Errorf("merged (-want +got):\n%s", diff)
	}
}

// TestAgendaHidesWhatIsClosed: bookmarks stay, but the agenda shows only
// sessions the member may open now; overlaps are reported across events.
func TestAgendaHidesWhatIsClosed(t *testing.T) {
	w := newWorld(t)
	w.standard()
	w.session("S-OVERLAP", evOpen, "Overlapping", now.Add(-90*time.Minute))
	w.access.SetMember(app, "plain", memory.Member{Registered: []string{evCode}})
	a, err := w.svc.Sync(as("plain"), app, "", bookmark("S-"+evOpen, "S-"+evCode, "S-OVERLAP"), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Items) != 3 {
		t.Fatalf("agenda: %v", itemIDs(a))
	}
	// S-OVERLAP (-90 min, 1 h) overlaps both others (-60 min); they overlap each other.
	if len(a.Conflicts) != 3 {
		t.Errorf("conflicts: %+v, want 3 pairs", a.Conflicts)
	}
	// Unregistered from the code event: its session leaves the agenda.
	w.access.SetMember(app, "plain", memory.Member{})
	a, err = w.svc.GetAgenda(as("plain"), app, "")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"S-OVERLAP", "S-" + evOpen}, itemIDs(a)); diff != "" {
		t.Errorf("agenda after losing the code event (-want +got):\n%s", diff)
	}
	// The event turns hidden in hub: gone too.
	w.access.SetEvent(app, hub.EventInfo{ID: evOpen, Visibility: hub.VisibilityHidden, Access: hub.EventAccessOpen})
	if a, _ := w.svc.GetAgenda(as("plain"), app, ""); len(a.Items) != 0 {
		t.Errorf("agenda after the event turned hidden: %v", itemIDs(a))
	}
	ids, _, _ := w.agendas.Bookmarks(t.Context(), service.AgendaRef{App: app, Member: "plain"})
	if !slices.Contains(ids, "S-"+evCode) {
		t.Errorf("bookmarks lost: %v", ids)
	}
}

// TestEraseMember: member.deleted takes the agenda and the calendar link.
func TestEraseMember(t *testing.T) {
	w := newWorld(t)
	w.standard()
	if _, err := w.svc.Sync(as("plain"), app, "", append(bookmark("S-"+evOpen), service.Op{Op: multievent.OpNote, Session: "S-" + evOpen, Text: "x"}), nil, nil); err != nil {
		t.Fatal(err)
	}
	link, err := w.svc.IssueCalendarLink(as("plain"), app, "")
	if err != nil {
		t.Fatal(err)
	}
	w.publish(hub.EventMemberDeleted, "plain", hub.IDsPayload{AppID: app, ID: "plain"})
	ids, _, _ := w.agendas.Bookmarks(t.Context(), service.AgendaRef{App: app, Member: "plain"})
	notes, _, _ := w.agendas.Notes(t.Context(), service.AgendaRef{App: app, Member: "plain"})
	if len(ids) != 0 || len(notes) != 0 {
		t.Errorf("after member.deleted: %v %v", ids, notes)
	}
	if _, err := w.svc.Feed(t.Context(), token(link.URL)); !errors.Is(err, errs.NotFound) {
		t.Errorf("feed after member.deleted: %v", err)
	}
}

// TestDeleteApp: app.deleted drops the projection, the content databases,
// links and agendas.
func TestDeleteApp(t *testing.T) {
	w := newWorld(t)
	w.standard()
	if _, err := w.svc.Sync(as("plain"), app, "", bookmark("S-"+evOpen), nil, nil); err != nil {
		t.Fatal(err)
	}
	if len(w.content.Groups(app)) == 0 {
		t.Fatal("no content databases before the deletion")
	}
	w.publish(hub.EventAppDeleted, app, hub.IDsPayload{AppID: app, ID: app})
	if g := w.content.Groups(app); len(g) != 0 {
		t.Errorf("content databases after app.deleted: %v", g)
	}
	if ids, _, _ := w.agendas.Bookmarks(t.Context(), service.AgendaRef{App: app, Member: "plain"}); len(ids) != 0 {
		t.Errorf("bookmarks after app.deleted: %v", ids)
	}
	evs, _ := w.store.Events(t.Context(), app)
	if len(evs) != 0 {
		t.Errorf("events after app.deleted: %d", len(evs))
	}
}

// TestSpeakerBeforeEventStaysOutOfAll: hub's topics arrive in any
// order, so a session (and its speaker) may be projected before its event.
// A speaker who speaks only at a "listed" event must never reach the "all"
// database every member replicates, not even until the event arrives.
func TestSpeakerBeforeEventStaysOutOfAll(t *testing.T) {
	w := newWorld(t)
	w.speaker("P-SECRET", "Secret Speaker")
	w.session("S-SECRET", evListed, "Secret talk", now, "P-SECRET") // before its event
	if got := placement(w); slices.Contains(got[service.GroupAll], "speaker:P-SECRET") {
		t.Errorf("a speaker of a session whose event is not projected yet is in the \"all\" database: %v", got)
	}
	w.event(evListed, hub.VisibilityPublic, hub.EventAccessListed, now)
	want := map[string][]string{
		service.GroupAll:             {"event:" + evListed},
		service.EventGroup(evListed): {"session:S-SECRET", "speaker:P-SECRET"},
	}
	if diff := cmp.Diff(want, placement(w)); diff != "" {
		t.Errorf("placement once the event arrived (-want +got):\n%s", diff)
	}
	// A speaker with no session at all is still everyone's.
	w.speaker("P-NONE", "Lone")
	if got := placement(w); !slices.Contains(got[service.GroupAll], "speaker:P-NONE") {
		t.Errorf("a speaker of no session: %v", got)
	}
}

// TestRemovalWithoutContext: a phone that never saw the agenda sends
// no contexts ("empty when it saw none"); its removals saw nothing, so an
// add another device made stays (observed-remove semantics), both for
// bookmarks and for notes.
func TestRemovalWithoutContext(t *testing.T) {
	w := newWorld(t)
	w.standard()
	s := "S-" + evOpen
	// Phone A bookmarks the session and writes a note.
	if _, err := w.svc.Sync(as("plain"), app, "", []service.Op{{Op: multievent.OpBookmark, Session: s},
		{Op: multievent.OpNote, Session: s, Text: "from A"}}, nil, nil); err != nil {
		t.Fatal(err)
	}
	// Phone B, new and offline, bookmarked the same session, changed its
	// mind, and wrote and removed a note: its last operations are removals
	// of what it added itself, sent with the contexts it saw (none).
	for _, cc := range [][]byte{nil, {}} {
		b, err := w.svc.Sync(as("plain"), app, "", []service.Op{
			{Op: multievent.OpBookmark, Session: s}, {Op: multievent.OpUnbookmark, Session: s},
			{Op: multievent.OpNote, Session: s, Text: "from B"}, {Op: multievent.OpUnnote, Session: s}}, cc, cc)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{s}, itemIDs(b)); diff != "" {
			t.Errorf("context %v: A's bookmark, which B never saw (-want +got):\n%s", cc, diff)
		}
		if len(b.Items) == 1 && b.Items[0].Note != "from A" {
			t.Errorf("context %v: A's note, which B never saw: %q", cc, b.Items[0].Note)
		}
	}
	// With the context of an agenda that held them, the removals apply.
	a, err := w.svc.GetAgenda(as("plain"), app, "")
	if err != nil {
		t.Fatal(err)
	}
	a, err = w.svc.Sync(as("plain"), app, "", []service.Op{{Op: multievent.OpUnbookmark, Session: s}, {Op: multievent.OpUnnote, Session: s}},
		a.BookmarksContext, a.NotesContext)
	if err != nil || len(a.Items) != 0 {
		t.Errorf("removals with a context: %v, %v", itemIDs(a), err)
	}
	notes, _, _ := w.agendas.Notes(t.Context(), service.AgendaRef{App: app, Member: "plain"})
	if len(notes) != 0 {
		t.Errorf("notes after unnote with a context: %v", notes)
	}
}

// TestSyncRefusesForeignContextsWhole: a sync whose contexts are not
// ones handed out for this member's agenda is invalid, and applies none of
// its operations: not the bookmark removals before a forged notes
// context, nor adds sent beside a forged context.
func TestSyncRefusesForeignContextsWhole(t *testing.T) {
	w := newWorld(t)
	w.standard()
	w.access.SetMember(app, "other", memory.Member{})
	s, s2 := "S-"+evOpen, "S-"+evPast
	a, err := w.svc.Sync(as("plain"), app, "", append(bookmark(s), service.Op{Op: multievent.OpNote, Session: s, Text: "x"}), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := w.svc.GetAgenda(as("other"), app, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name     string
		ops      []service.Op
		bcc, ncc []byte
	}{
		{"a made-up notes context", []service.Op{{Op: multievent.OpUnbookmark, Session: s}, {Op: multievent.OpUnnote, Session: s}},
			a.BookmarksContext, []byte("forged")},
		{"another member's notes context", []service.Op{{Op: multievent.OpUnbookmark, Session: s}, {Op: multievent.OpUnnote, Session: s}},
			a.BookmarksContext, theirs.NotesContext},
		{"a made-up context with adds only", bookmark(s2), []byte("forged"), nil},
		{"a notes context as the bookmarks context", bookmark(s2), a.NotesContext, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := w.svc.Sync(as("plain"), app, "", tt.ops, tt.bcc, tt.ncc); !errors.Is(err, errs.Invalid) {
				t.Errorf("Sync = %v, want invalid", err)
			}
			got, err := w.svc.GetAgenda(as("plain"), app, "")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{s}, itemIDs(got)); diff != "" {
				t.Fatalf("the refused sync changed the bookmarks (-want +got):\n%s", diff)
			}
			if got.Items[0].Note != "x" {
				t.Errorf("the refused sync changed the note: %q", got.Items[0].Note)
			}
		})
	}
}
