package storetest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/attendify/hub/internal/service"
	"github.com/attendify/platform/errs"
)

func places(t *testing.T, ctx context.Context, s service.Store) {
	newApp(t, ctx, s, "p1")
	newEvent(t, ctx, s, "p1", "pe", 1)
	inTx(t, ctx, s, func(q service.Queries) error {
		for _, r := range []service.Room{{ID: "r2", Name: "B", Capacity: 10}, {ID: "r1", Name: "A"}} {
			r.AppID, r.EventID = "p1", "pe"
			if err := q.SaveRoom(ctx, r, true); err != nil {
				return err
			}
		}
		for _, tr := range []service.Track{{ID: "t2", Name: "Y", Color: "#fff"}, {ID: "t1", Name: "X"}} {
			tr.AppID, tr.EventID = "p1", "pe"
			if err := q.SaveTrack(ctx, tr, true); err != nil {
				return err
			}
		}
		return nil
	})
	diff(t, "Rooms by name", []service.Room{{ID: "r1", AppID: "p1", EventID: "pe", Name: "A"}, {ID: "r2", AppID: "p1", EventID: "pe", Name: "B", Capacity: 10}},
		must[[]service.Room](t)(s.Rooms(ctx, "p1", "pe")))
	diff(t, "Tracks by name", []service.Track{{ID: "t1", AppID: "p1", EventID: "pe", Name: "X"}, {ID: "t2", AppID: "p1", EventID: "pe", Name: "Y", Color: "#fff"}},
		must[[]service.Track](t)(s.Tracks(ctx, "p1", "pe")))
	if err := s.SaveRoom(ctx, service.Room{ID: "r1", AppID: "p1", EventID: "pe", Name: "A2", Capacity: 5}, false); err != nil {
		t.Fatal(err)
	}
	diff(t, "Room after an update", service.Room{ID: "r1", AppID: "p1", EventID: "pe", Name: "A2", Capacity: 5}, must[service.Room](t)(s.Room(ctx, "p1", "r1")))
	isKind(t, "SaveRoom update of none", s.SaveRoom(ctx, service.Room{ID: "r9", AppID: "p1", EventID: "pe", Name: "N"}, false), errs.NotFound)
	if err := s.SaveTrack(ctx, service.Track{ID: "t1", AppID: "p1", EventID: "pe", Name: "X2"}, false); err != nil {
		t.Fatal(err)
	}
	if got := must[service.Track](t)(s.Track(ctx, "p1", "t1")); got.Name != "X2" {
		t.Errorf("Track after an update = %+v", got)
	}
	if err := s.DeleteRoom(ctx, "p1", "r2"); err != nil {
		t.Fatal(err)
	}
	isKind(t, "DeleteRoom twice", s.DeleteRoom(ctx, "p1", "r2"), errs.NotFound)
	if err := s.DeleteTrack(ctx, "p1", "t2"); err != nil {
		t.Fatal(err)
	}
	_, err := s.Track(ctx, "p1", "t2")
	isKind(t, "Track after DeleteTrack", err, errs.NotFound)
}

func speakers(t *testing.T, ctx context.Context, s service.Store) {
	newApp(t, ctx, s, "s1")
	newMember(t, ctx, s, "s1", "sm", "Member")
	a := must[service.Speaker](t)(s.SaveSpeaker(ctx, service.Speaker{ID: "sa", AppID: "s1", Name: "Bea", Email: "sm@x.io", ExternalID: "xa"}, true))
	if a.MemberID != "sm" {
		t.Errorf("SaveSpeaker did not link the member of its email: %+v", a)
	}
	must[service.Speaker](t)(s.SaveSpeaker(ctx, service.Speaker{ID: "sb", AppID: "s1", Name: "Al"}, true))
	_, err := s.SaveSpeaker(ctx, service.Speaker{ID: "sc", AppID: "s1", Name: "Dup", ExternalID: "xa"}, true)
	isKind(t, "same external id", err, errs.Conflict)
	u := must[service.Speaker](t)(s.SaveSpeaker(ctx, service.Speaker{ID: "sa", AppID: "s1", Name: "Bea B", Email: "other@x.io"}, false))
	if u.Name != "Bea B" || u.MemberID != "" || u.ExternalID != "" {
		t.Errorf("SaveSpeaker update = %+v", u)
	}
	_, err = s.SaveSpeaker(ctx, service.Speaker{ID: "s9", AppID: "s1", Name: "N"}, false)
	isKind(t, "SaveSpeaker update of none", err, errs.NotFound)
	var names []string
	for _, x := range must[[]service.Speaker](t)(s.Speakers(ctx, "s1", nil)) {
		names = append(names, x.Name)
	}
	diff(t, "Speakers by name", []string{"Al", "Bea B"}, names)
	if got := must[[]service.Speaker](t)(s.Speakers(ctx, "s1", []string{"sb"})); len(got) != 1 || got[0].ID != "sb" {
		t.Errorf("Speakers of ids = %+v", got)
	}
	if err := s.DeleteSpeaker(ctx, "s1", "sb"); err != nil {
		t.Fatal(err)
	}
	isKind(t, "DeleteSpeaker twice", s.DeleteSpeaker(ctx, "s1", "sb"), errs.NotFound)
}

func sessions(t *testing.T, ctx context.Context, s service.Store) {
	newApp(t, ctx, s, "x1")
	newEvent(t, ctx, s, "x1", "xe", 1)
	at := func(h int) time.Time { return base.Add(time.Duration(h) * time.Hour) }
	inTx(t, ctx, s, func(q service.Queries) error {
		if err := q.SaveRoom(ctx, service.Room{ID: "room", AppID: "x1", EventID: "xe", Name: "R"}, true); err != nil {
			return err
		}
		if err := q.SaveTrack(ctx, service.Track{ID: "tr", AppID: "x1", EventID: "xe", Name: "T"}, true); err != nil {
			return err
		}
		for _, id := range []string{"sp1", "sp2"} {
			if _, err := q.SaveSpeaker(ctx, service.Speaker{ID: id, AppID: "x1", Name: id}, true); err != nil {
				return err
			}
		}
		return nil
	})
	a := service.Session{ID: "a", AppID: "x1", EventID: "xe", ExternalID: "ea", Title: "A", Start: at(2), End: at(3), RoomID: "room",
		TrackID: "tr", Capacity: 30, SpeakerIDs: []string{"sp2", "sp1"}}
	b := service.Session{ID: "b", AppID: "x1", EventID: "xe", Title: "B", Start: at(1), End: at(2), RoomID: "room", SpeakerIDs: []string{}}
	inTx(t, ctx, s, func(q service.Queries) error {
		if err := q.SaveSession(ctx, a, true); err != nil {
			return err
		}
		return q.SaveSession(ctx, b, true)
	})
	diff(t, "Session (speakers in order)", a, must[service.Session](t)(s.Session(ctx, "x1", "a")))
	diff(t, "Sessions by start", []service.Session{b, a}, must[[]service.Session](t)(s.Sessions(ctx, "x1", "xe", "", time.Time{}, time.Time{})))
	diff(t, "SpeakerEvents", map[string][]string{"sp1": {"xe"}, "sp2": {"xe"}}, must[map[string][]string](t)(s.SpeakerEvents(ctx, "x1")))
	if got := must[map[string][]string](t)(s.SpeakerEvents(ctx, "other")); len(got) != 0 {
		t.Errorf("SpeakerEvents of another app = %v", got)
	}
	diff(t, "Sessions of a track", []service.Session{a}, must[[]service.Session](t)(s.Sessions(ctx, "x1", "xe", "tr", time.Time{}, time.Time{})))
	diff(t, "Sessions in a window", []service.Session{a}, must[[]service.Session](t)(s.Sessions(ctx, "x1", "xe", "", at(2), at(3))))
	err := s.InTx(ctx, func(q service.Queries) error {
		return q.SaveSession(ctx, service.Session{ID: "c", AppID: "x1", EventID: "xe", Title: "C", Start: at(2).Add(30 * time.Minute),
			End: at(4), RoomID: "room"}, true)
	})
	isKind(t, "an overlap in one room", err, errs.Conflict)
	err = s.InTx(ctx, func(q service.Queries) error {
		return q.SaveSession(ctx, service.Session{ID: "c", AppID: "x1", EventID: "xe", ExternalID: "ea", Title: "C", Start: at(5), End: at(6)}, true)
	})
	isKind(t, "same external id", err, errs.Conflict)
	a.Title, a.SpeakerIDs = "A2", []string{"sp1"}
	inTx(t, ctx, s, func(q service.Queries) error { return q.SaveSession(ctx, a, false) })
	diff(t, "Session after an update", a, must[service.Session](t)(s.Session(ctx, "x1", "a")))
	if err := s.DeleteSession(ctx, "x1", "b"); err != nil {
		t.Fatal(err)
	}
	isKind(t, "DeleteSession twice", s.DeleteSession(ctx, "x1", "b"), errs.NotFound)
}

func tokens(t *testing.T, ctx context.Context, s service.Store) {
	newApp(t, ctx, s, "t1")
	s1 := must[int64](t)(s.NextTokenSeq(ctx))
	s2 := must[int64](t)(s.NextTokenSeq(ctx))
	if s2 <= s1 {
		t.Errorf("NextTokenSeq: %d then %d", s1, s2)
	}
	marks := must[[]service.Revocation](t)(s.RevokeTokens(ctx, "t1", "member"))
	if len(marks) != 1 || marks[0].App != "t1" || marks[0].User != "member" || marks[0].Seq <= s2 {
		t.Fatalf("RevokeTokens = %+v, want one mark of t1's member above the tokens issued (%d)", marks, s2)
	}
	m := marks[0].Seq
	// Several users at once, one named twice: a mark each, above the last.
	marks = must[[]service.Revocation](t)(s.RevokeTokens(ctx, "t1", "b", "a", "b"))
	slices.SortFunc(marks, func(x, y service.Revocation) int { return strings.Compare(x.User, y.User) })
	if len(marks) != 2 || marks[0].User != "a" || marks[1].User != "b" || marks[0].Seq <= m || marks[1].Seq <= m ||
		marks[0].Seq == marks[1].Seq {
		t.Errorf("RevokeTokens of a, b, b = %+v, want one mark each above %d", marks, m)
	}
	m = must[[]service.Revocation](t)(s.RevokeTokens(ctx, "t1", "member"))[0].Seq
	o := must[int64](t)(s.RevokeOrganizerTokens(ctx, "t1-owner"))
	if o <= m {
		t.Errorf("RevokeOrganizerTokens mark %d not above %d", o, m)
	}
	_, err := s.RevokeOrganizerTokens(ctx, "nobody")
	isKind(t, "RevokeOrganizerTokens of nobody", err, errs.NotFound)
	want := []service.Revocation{{App: "t1", User: "a", Seq: marks[0].Seq}, {App: "t1", User: "b", Seq: marks[1].Seq},
		{App: "t1", User: "member", Seq: m}, {App: "t1", User: "t1-owner", Seq: o}}
	diff(t, "Revocations", want, must[[]service.Revocation](t)(s.Revocations(ctx, "t1")), cmpSortFunc(func(a, b service.Revocation) bool { return a.User < b.User }))
	if got := must[[]service.Revocation](t)(s.Revocations(ctx, "other")); len(got) != 0 {
		t.Errorf("Revocations of another app = %+v", got)
	}
	if got := must[[]service.Revocation](t)(s.Revocations(ctx, "")); len(got) < 2 {
		t.Errorf("Revocations of every app = %+v", got)
	}
	if err := s.RecordGuess(ctx, service.Guess{At: base, Kind: "passcode", App: "t1", Target: "t1", Actor: "a", Addr: "1.2.3.4", Delay: time.Second}); err != nil {
		t.Fatal(err)
	}
}

func readModelSource(t *testing.T, ctx context.Context, s service.Store) {
	snap := must[service.Snapshot](t)(s.ReadModelSnapshot(ctx, "none"))
	if snap.Found {
		t.Errorf("snapshot of no app: %+v", snap)
	}
	newApp(t, ctx, s, "rm1")
	newApp(t, ctx, s, "rm2")
	newEvent(t, ctx, s, "rm1", "rme", 1)
	m := newMember(t, ctx, s, "rm1", "rmm", "M")
	must[[]string](t)(s.Register(ctx, "rm1", "rme", []string{m.ID}))
	v := must[int64](t)(s.TouchEvents(ctx, "rm1"))
	inTx(t, ctx, s, func(q service.Queries) error {
		_, err := q.RevokeTokens(ctx, "rm1", m.ID)
		return err
	})
	snap = must[service.Snapshot](t)(s.ReadModelSnapshot(ctx, "rm1"))
	if !snap.Found || snap.App.ID != "rm1" || snap.EventsVersion != v || len(snap.Events) != 1 || len(snap.Collaborators) != 1 ||
		len(snap.Revocations) != 1 {
		t.Errorf("ReadModelSnapshot = %+v", snap)
	}
	diff(t, "snapshot members", []service.MemberState{{ID: m.ID, Role: "attendee", Version: m.Version, Registered: []string{"rme"}}}, snap.Members)
	diff(t, "Users", []string{"rm1-owner", "rmm"}, sorted(must[[]string](t)(s.Users(ctx, "rm1", []string{"rmm", "rm1-owner", "rm2-owner", "x"}))))
	ids := must[[]string](t)(s.AppIDs(ctx, "", 1))
	diff(t, "AppIDs, first page", []string{"rm1"}, ids)
	diff(t, "AppIDs, next page", []string{"rm2"}, must[[]string](t)(s.AppIDs(ctx, "rm1", 5)))

	if err := s.MarkRepair(ctx, "rm1"); err != nil {
		t.Fatal(err)
	}
	q := must[[]service.Repair](t)(s.RepairQueue(ctx, 10))
	if len(q) != 1 || q[0].App != "rm1" {
		t.Fatalf("RepairQueue = %+v", q)
	}
	if err := s.ClearRepair(ctx, "rm1", q[0].MarkedAt.Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if got := must[[]service.Repair](t)(s.RepairQueue(ctx, 10)); len(got) != 1 {
		t.Errorf("ClearRepair before the mark dequeued: %+v", got)
	}
	if err := s.ClearRepair(ctx, "rm1", q[0].MarkedAt); err != nil {
		t.Fatal(err)
	}
	if got := must[[]service.Repair](t)(s.RepairQueue(ctx, 10)); len(got) != 0 {
		t.Errorf("ClearRepair left %+v", got)
	}
}

func upkeep(t *testing.T, ctx context.Context, s service.Store) {
	newApp(t, ctx, s, "u1")
	old := service.SignUp{ID: "old", Email: "o@x.io", TokenHash: "to", ExpiresAt: base, CreatedAt: base.Add(-time.Hour)}
	fresh := service.SignUp{ID: "new", Email: "n@x.io", TokenHash: "tn", ExpiresAt: base.Add(48 * time.Hour), CreatedAt: base}
	for _, su := range []service.SignUp{old, fresh} {
		if err := s.AddSignUp(ctx, su); err != nil {
			t.Fatal(err)
		}
	}
	for _, inv := range []service.Invitation{
		{ID: "gone", Email: "g@x.io", TokenHash: "tg", CreatedAt: base.Add(-2 * time.Hour), ExpiresAt: base.Add(-time.Hour)},
		{ID: "kept", Email: "k@x.io", TokenHash: "tk", CreatedAt: base, ExpiresAt: base.Add(48 * time.Hour)},
	} {
		inv.AppID, inv.Role, inv.InvitedBy = "u1", "moderator", "u1-owner"
		if err := s.AddInvitation(ctx, inv); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PruneInvitations(ctx, base.Add(time.Minute), base); err != nil {
		t.Fatal(err)
	}
	_, err := s.SignUpByToken(ctx, "tn", base, false)
	if err != nil {
		t.Errorf("a live sign-up was pruned: %v", err)
	}
	if err := s.DeleteSignUp(ctx, "old"); !errors.Is(err, errs.NotFound) {
		t.Errorf("an expired sign-up was kept: %v", err)
	}
	var ids []string
	for _, i := range must[[]service.Invitation](t)(s.Invitations(ctx, "u1", time.Time{})) {
		ids = append(ids, i.ID)
	}
	diff(t, "invitations after PruneInvitations", []string{"kept"}, ids)
	if err := s.Prune(ctx, time.Now().Add(time.Hour), time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.Analyze(ctx); err != nil {
		t.Fatal(err)
	}
}

// transactions: a failed InTx leaves nothing behind.
func transactions(t *testing.T, ctx context.Context, s service.Store) {
	boom := errors.New("boom")
	err := s.InTx(ctx, func(q service.Queries) error {
		if _, err := q.CreateApp(ctx, service.App{ID: "tx1", Slug: "tx1", Name: "T", Status: "unpublished", Access: "open"}); err != nil {
			return err
		}
		if err := q.CreateEvent(ctx, service.Event{ID: "txe", AppID: "tx1", Name: "E", TimeZone: "UTC", Start: base, End: base,
			Visibility: "public", Access: "open"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx = %v, want fn's error", err)
	}
	_, err = s.App(ctx, "tx1", false)
	isKind(t, "an app of a failed transaction", err, errs.NotFound)
	inTx(t, ctx, s, func(q service.Queries) error {
		if _, err := q.CreateApp(ctx, service.App{ID: "tx2", Slug: "tx2", Name: "T", Status: "unpublished", Access: "open"}); err != nil {
			return err
		}
		_, err := q.App(ctx, "tx2", true) // the transaction sees its own write
		return err
	})
	must[service.App](t)(s.App(ctx, "tx2", false))
}

func speakerBulk(t *testing.T, ctx context.Context, s service.Store) {
	newApp(t, ctx, s, "sb")
	stored := []service.Speaker{
		{ID: "k1", AppID: "sb", ExternalID: "x1", Email: "k1@x.io", Name: "K"},
		{ID: "k2", AppID: "sb", Email: "k2@x.io", Name: "L", Company: "C"},
	}
	for _, x := range stored {
		must[service.Speaker](t)(s.SaveSpeaker(ctx, x, true))
	}
	upsert := func(rows ...service.Speaker) (service.BulkCounts, []service.RowError) {
		t.Helper()
		var counts service.BulkCounts
		var rowErrs []service.RowError
		inTx(t, ctx, s, func(q service.Queries) error {
			var err error
			counts, rowErrs, err = q.UpsertSpeakers(ctx, "sb", rows)
			return err
		})
		return counts, rowErrs
	}

	// A row matches by external id, else by email; empty keys keep the
	// stored ones; a row that matches nothing creates a speaker.
	counts, rowErrs := upsert(
		service.Speaker{ID: "n0", ExternalID: "x1", Name: "K renamed"},
		service.Speaker{ID: "n1", Email: "k2@x.io", Name: "L", Company: "C"},
		service.Speaker{ID: "n2", ExternalID: "x3", Email: "new@x.io", Name: "New", Title: "Dr"},
	)
	diff(t, "UpsertSpeakers row errors", []service.RowError(nil), rowErrs)
	diff(t, "UpsertSpeakers", service.BulkCounts{Created: 1, Updated: 1, Unchanged: 1, IDs: []string{"k1", "k2", "n2"},
		Rows: []string{"updated", "unchanged", "created"}}, counts)
	diff(t, "speakers after UpsertSpeakers", []service.Speaker{
		{ID: "k1", AppID: "sb", ExternalID: "x1", Email: "k1@x.io", Name: "K renamed"},
		stored[1],
		{ID: "n2", AppID: "sb", ExternalID: "x3", Email: "new@x.io", Name: "New", Title: "Dr"},
	}, must[[]service.Speaker](t)(s.Speakers(ctx, "sb", nil)), cmpSortFunc(func(a, b service.Speaker) bool { return a.ID < b.ID }))

	// Rows that match two speakers, or a speaker another row matches, are
	// refused, and nothing is written.
	counts, rowErrs = upsert(
		service.Speaker{ID: "m0", ExternalID: "x1", Email: "k2@x.io", Name: "Two"},
		service.Speaker{ID: "m1", ExternalID: "x1", Name: "Again"},
	)
	diff(t, "UpsertSpeakers refused rows", []service.RowError{
		{Row: 0, Field: "email", Message: "belongs to another speaker than the external id"},
		{Row: 1, Field: "external_id", Message: "matches the same speaker as another row"},
	}, rowErrs)
	diff(t, "UpsertSpeakers counts of refused rows", service.BulkCounts{}, counts)
	if got := must[service.Speaker](t)(s.Speaker(ctx, "sb", "k1")); got.Name != "K renamed" {
		t.Errorf("refused rows wrote: %+v", got)
	}
}

func sessionBulk(t *testing.T, ctx context.Context, s service.Store) {
	newApp(t, ctx, s, "xb")
	newEvent(t, ctx, s, "xb", "xe", 1)
	newEvent(t, ctx, s, "xb", "other", 2)
	at := func(h int) time.Time { return base.Add(time.Duration(h) * time.Hour) }
	old := service.Session{ID: "old", AppID: "xb", EventID: "xe", ExternalID: "e-old", Title: "Old", Start: at(1), End: at(2), RoomID: "r1",
		SpeakerIDs: []string{}}
	inTx(t, ctx, s, func(q service.Queries) error {
		if err := q.SaveRoom(ctx, service.Room{ID: "r1", AppID: "xb", EventID: "xe", Name: "R"}, true); err != nil {
			return err
		}
		if _, err := q.SaveSpeaker(ctx, service.Speaker{ID: "sp", AppID: "xb", ExternalID: "spx", Email: "sp@x.io", Name: "Sp"}, true); err != nil {
			return err
		}
		if err := q.SaveSession(ctx, old, true); err != nil {
			return err
		}
		return q.SaveSession(ctx, service.Session{ID: "far", AppID: "xb", EventID: "other", ExternalID: "e-far", Title: "Far",
			Start: at(1), End: at(2)}, true)
	})
	type result struct {
		Counts  service.BulkCounts
		Errors  []service.RowError
		Changed []service.Upserted[service.Session]
	}
	upsert := func(rows ...service.BulkSession) result {
		t.Helper()
		var r result
		inTx(t, ctx, s, func(q service.Queries) error {
			var err error
			r.Counts, r.Errors, r.Changed, err = q.UpsertSessions(ctx, "xb", "xe", rows)
			return err
		})
		return r
	}
	row := func(id, ext, title string, from, to int) service.BulkSession {
		return service.BulkSession{Session: service.Session{ID: id, ExternalID: ext, Title: title, Start: at(from), End: at(to)}}
	}

	// Rooms and tracks by name (created when missing), speakers by
	// external id or email; an unchanged row writes nothing.
	same := row("n0", "e-old", "Old", 1, 2)
	same.RoomName = "R"
	fresh := row("n1", "e-new", "New", 3, 4)
	fresh.RoomName, fresh.TrackName, fresh.Speakers = "R2", "T", []string{" SP@x.io"}
	got := upsert(same, fresh)
	rooms := map[string]string{}
	for _, r := range must[[]service.Room](t)(s.Rooms(ctx, "xb", "xe")) {
		rooms[r.Name] = r.ID
	}
	tracks := must[[]service.Track](t)(s.Tracks(ctx, "xb", "xe"))
	if rooms["R"] != "r1" || rooms["R2"] == "" || len(tracks) != 1 || tracks[0].Name != "T" {
		t.Fatalf("rooms %v and tracks %+v after UpsertSessions", rooms, tracks)
	}
	created := service.Session{ID: "n1", AppID: "xb", EventID: "xe", ExternalID: "e-new", Title: "New", Start: at(3), End: at(4),
		RoomID: rooms["R2"], TrackID: tracks[0].ID, SpeakerIDs: []string{"sp"}}
	diff(t, "UpsertSessions", result{
		Counts:  service.BulkCounts{Created: 1, Unchanged: 1, IDs: []string{"old", "n1"}, Rows: []string{"unchanged", "created"}},
		Changed: []service.Upserted[service.Session]{{Row: created, Created: true}},
	}, got)
	diff(t, "the created session", created, must[service.Session](t)(s.Session(ctx, "xb", "n1")))

	changed := row("n2", "e-old", "Old 2", 1, 2)
	changed.RoomName = "R"
	old.Title = "Old 2"
	diff(t, "UpsertSessions of a change", result{
		Counts:  service.BulkCounts{Updated: 1, IDs: []string{"old"}, Rows: []string{"updated"}},
		Changed: []service.Upserted[service.Session]{{Row: old}},
	}, upsert(changed))
	diff(t, "the updated session", old, must[service.Session](t)(s.Session(ctx, "xb", "old")))

	// Refused rows: a speaker that does not exist (checked first), a
	// session of another event, overlaps in one room.
	unknown := row("q", "e-q", "Q", 7, 8)
	unknown.Speakers = []string{"nobody"}
	diff(t, "UpsertSessions of an unknown speaker", result{Errors: []service.RowError{{Row: 0, Field: "speakers", Message: `no speaker "nobody"`}}},
		upsert(unknown))
	overlapStored := row("m1", "e-m1", "M1", 3, 5)
	overlapStored.RoomName = "R2"
	overlapRow := row("m2", "e-m2", "M2", 4, 6)
	overlapRow.RoomName = "R2"
	diff(t, "UpsertSessions of refused rows", result{Errors: []service.RowError{
		{Row: 0, Field: "external_id", Message: "is a session of another event"},
		{Row: 1, Field: "room", Message: `overlaps the session "New" in the same room`},
		{Row: 2, Field: "room", Message: "overlaps row 1 in the same room"},
	}}, upsert(row("m0", "e-far", "M0", 7, 8), overlapStored, overlapRow))
	if _, err := s.Session(ctx, "xb", "m1"); !errors.Is(err, errs.NotFound) {
		t.Errorf("a refused row was written: %v", err)
	}
}
