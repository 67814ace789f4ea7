package service_test

import (
	"io/fs"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/attendify/hub"
	"github.com/attendify/hub/internal/service"
	"github.com/attendify/hub/internal/store/postgres"
	"github.com/attendify/hub/migrations"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/testkit"
)

// TestTrailingDotsMigration stores emails as hub did before NormalizeEmail
// dropped the trailing dots of the domain, runs migration 13 over them
// (down, then up again), and then signs in, asks for codes and imports by
// the plain addresses: each finds the member the migration's rule keeps
// (blocked first, then the row that had the plain address, then the
// oldest), never a second member, and a blocked mailbox stays blocked.
func TestTrailingDotsMigration(t *testing.T) {
	s := newSignIn(t)
	ctx := testkit.Context(t)
	store := postgres.New(s.pool)
	b, err := fs.ReadFile(migrations.Source.FS, "00013_email_trailing_dots.sql")
	if err != nil {
		t.Fatal(err)
	}
	up, down, _ := strings.Cut(string(b), "-- +goose Down")
	if _, err := s.pool.Exec(ctx, down); err != nil {
		t.Fatalf("down: %v", err)
	}

	now := s.clock.Now()
	t0, t1, t2 := now.Add(-3*time.Hour), now.Add(-2*time.Hour), now.Add(-time.Hour)
	type member struct {
		id, app, email string
		blocked        bool
		created        time.Time
	}
	members := []member{
		{"dot", "app", "dot@x.io.", false, t0},
		{"dots", "app", "dots@x.io...", false, t0},
		{"local", "app", "local.@x.io", false, t0},
		{"nodomain", "app", "nodomain.", false, t0},
		// The same mailbox twice, neither blocked: the plain one stays.
		{"twin-old", "app", "twin@x.io.", false, t0},
		{"twin", "app", "twin@x.io", false, t1},
		// Blocked with the dot, back without it: the blocked one takes the
		// plain address.
		{"esc-blocked", "app", "esc@x.io.", true, t0},
		{"esc", "app", "esc@x.io", false, t1},
		// Blocked without the dot, back with it.
		{"back-blocked", "app", "back@x.io", true, t0},
		{"back", "app", "back@x.io.", false, t1},
		{"tri", "app", "tri@x.io", false, t0},
		{"tri-1", "app", "tri@x.io.", false, t1},
		{"tri-2", "app", "tri@x.io..", true, t2},
		// Only dotted spellings: the oldest takes the plain address.
		{"old-2", "app", "old@x.io..", false, t0},
		{"old-1", "app", "old@x.io.", false, t1},
		// Another app's member of a colliding address collides with nobody.
		{"other-twin", "other", "twin@x.io.", false, t0},
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := s.pool.Exec(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`INSERT INTO apps (id, slug, name, status) VALUES ('other', 'other', 'Other', 'published')`)
	for _, m := range members {
		exec(`INSERT INTO members (id, app_id, email, name, blocked, created_at) VALUES ($1, $2, $3, $1, $4, $5)`,
			m.id, m.app, m.email, m.blocked, m.created)
	}
	for _, x := range []struct {
		id, email string
		created   time.Time
	}{{"sp-dot", "dot@x.io.", t0}, {"sp-twin-old", "twin@x.io.", t0}, {"sp-twin", "twin@x.io", t1}} {
		exec(`INSERT INTO speakers (id, app_id, email, name, created_at) VALUES ($1, 'app', $2, $1, $3)`, x.id, x.email, x.created)
	}
	for _, x := range []struct {
		id, email string
		created   time.Time
	}{{"o-dot", "o@x.io.", t0}, {"o-twin-old", "p@x.io.", t0}, {"o-twin", "p@x.io", t1}} {
		exec(`INSERT INTO organizers (id, email, name, password_hash, created_at) VALUES ($1, $2, $1, '', $3)`, x.id, x.email, x.created)
	}
	for _, x := range []struct {
		id, email string
		created   time.Time
		accepted  bool
	}{{"inv", "inv@x.io.", t1, false}, {"inv-closed", "inv@x.io.", t0, true}, {"inv-twin-old", "twin@x.io.", t0, false}, {"inv-twin", "twin@x.io", t1, false}} {
		accepted := (*time.Time)(nil)
		if x.accepted {
			accepted = &t1
		}
		exec(`INSERT INTO invitations (id, app_id, email, role, invited_by, token_hash, created_at, expires_at, accepted_at)
			VALUES ($1, 'app', $2, 'admin', 'o-twin', $1, $3, $4, $5)`, x.id, x.email, x.created, now.Add(hub.InvitationTTL), accepted)
	}
	exec(`INSERT INTO sign_in_codes (id, app_id, email, code_hash, expires_at, created_at) VALUES ('c', 'app', 'code@x.io.', 'h', $1, $2)`,
		now.Add(service.CodeTTL), now)
	exec(`INSERT INTO sign_ups (id, email, token_hash, expires_at) VALUES ('su', 'su@x.io.', 'h', $1)`, now.Add(hub.SignUpTTL))

	if _, err := s.pool.Exec(ctx, up); err != nil {
		t.Fatalf("up: %v", err)
	}

	// Every email is NormalizeEmail's form of what was stored, but those
	// of the rows that lost the plain address to another.
	want := map[string]string{}
	for _, m := range members {
		want[m.id] = service.NormalizeEmail(m.email)
	}
	want["twin-old"] = "twin@x.io."
	want["esc"] = "esc@x.io." // the blocked member's old spelling
	want["back"] = "back@x.io."
	want["tri"], want["tri-1"] = "tri@x.io..", "tri@x.io."
	want["old-1"] = "old@x.io."
	got := map[string]string{}
	for _, m := range members {
		stored, err := store.Member(ctx, m.app, m.id, false)
		if err != nil {
			t.Fatal(err)
		}
		got[m.id] = stored.Email
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("members' emails after the migration (-want +got):\n%s", diff)
	}

	// Sign-in by the plain address finds the member the rule keeps.
	for email, id := range map[string]string{"dot@x.io": "dot", "dots@x.io": "dots", "twin@x.io": "twin", "old@x.io": "old-2"} {
		code := s.request(t, email)
		m, _, err := s.svc.VerifyCode(ctx, s.app, email, code)
		if err != nil || m.ID != id {
			t.Errorf("signed in as %s: member %q (%v), want %q", email, m.ID, err, id)
		}
	}
	// A blocked mailbox is not mailed a code, whatever spelling was blocked.
	for _, email := range []string{"esc@x.io", "back@x.io", "tri@x.io"} {
		if _, err := s.svc.RequestCode(ctx, s.app, email, ""); err != nil {
			t.Fatal(err)
		}
		if ms := s.mails(t, email); len(ms) != 0 {
			t.Errorf("%s, blocked, was mailed a code", email)
		}
	}
	// The code asked for with the dot counts for the address.
	if _, err := s.svc.RequestCode(ctx, s.app, "code@x.io", ""); errs.CodeOf(err) != errs.CodeRateLimited {
		t.Errorf("a second code within a minute of one asked for as code@x.io.: %v, want rate limited", err)
	}

	// The members who took the blocked one's way back in are signed out;
	// a duplicate beside a member who is not blocked is left alone.
	for id, want := range map[string]errs.Code{"esc": errs.CodeTokenInvalid, "back": errs.CodeTokenInvalid, "tri": errs.CodeTokenInvalid,
		"tri-1": errs.CodeTokenInvalid, "twin-old": 0, "old-1": 0} {
		caller := auth.Caller{Kind: auth.CallerUser, User: id, App: s.app, Role: auth.RoleAttendee, TokenSeq: 1}
		if _, err := s.svc.MemberMe(auth.WithCaller(ctx, caller), s.app); refusal(err) != want {
			t.Errorf("a token of %s issued before the migration: %v, want %v", id, refusal(err), want)
		}
	}
	if q, err := store.RepairQueue(ctx, 10); err != nil || len(q) != 1 || q[0].App != s.app {
		t.Errorf("repair queue (the revocations' marks for the read model): %+v, %v", q, err)
	}

	// An import by the plain addresses updates the kept members.
	out, err := s.svc.UpsertMembers(auth.WithCaller(ctx, auth.Caller{Kind: auth.CallerService, Service: "test"}), service.BulkMembers{
		App: s.app, Rows: []service.Member{{Email: "dots@x.io", Name: "Dots"}, {Email: "twin@x.io", Name: "Twin"}, {Email: "ESC@x.io", Name: "Esc"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.Created != 0 || !slices.Equal(out.IDs, []string{"dots", "twin", "esc-blocked"}) {
		t.Errorf("import by the plain addresses: created %d, ids %q, want the kept members", out.Created, out.IDs)
	}

	// Speakers, organizers, invitations, sign-ups.
	if sp, err := store.Speaker(ctx, s.app, "sp-dot"); err != nil || sp.Email != "dot@x.io" || sp.MemberID != "dot" {
		t.Errorf("speaker stored as dot@x.io.: %+v, %v", sp, err)
	}
	if sp, err := store.Speaker(ctx, s.app, "sp-twin-old"); err != nil || sp.Email != "twin@x.io." {
		t.Errorf("speaker beside one of the plain address: %+v, %v", sp, err)
	}
	for email, id := range map[string]string{"o@x.io": "o-dot", "p@x.io": "o-twin"} {
		if o, err := store.OrganizerByEmail(ctx, email); err != nil || o.ID != id {
			t.Errorf("organizer of %s: %q, %v, want %q", email, o.ID, err, id)
		}
	}
	for email, id := range map[string]string{"inv@x.io": "inv", "twin@x.io": "inv-twin"} {
		if inv, err := store.OpenInvitation(ctx, s.app, email); err != nil || inv.ID != id {
			t.Errorf("open invitation of %s: %q, %v, want %q", email, inv.ID, err, id)
		}
	}
	invs, err := store.Invitations(ctx, s.app, t0.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	for _, inv := range invs {
		if inv.ID == "inv-closed" && inv.Email != "inv@x.io" {
			t.Errorf("closed invitation's email %q, want inv@x.io", inv.Email)
		}
	}
	var suEmail string
	if err := s.pool.QueryRow(ctx, `SELECT email FROM sign_ups WHERE id = 'su'`).Scan(&suEmail); err != nil || suEmail != "su@x.io" {
		t.Errorf("sign-up's email %q, %v", suEmail, err)
	}

	// The collisions, listed for the organizers.
	type collision struct {
		Tab, App, Email, Kept, Other, OtherEmail string
		Revoked                                  bool
	}
	rows, err := s.pool.Query(ctx, `SELECT tab, app_id, email, kept_id, other_id, other_email, tokens_revoked
		FROM email_collisions ORDER BY tab, app_id, email, other_id`)
	if err != nil {
		t.Fatal(err)
	}
	var gotCollisions []collision
	for rows.Next() {
		var c collision
		if err := rows.Scan(&c.Tab, &c.App, &c.Email, &c.Kept, &c.Other, &c.OtherEmail, &c.Revoked); err != nil {
			t.Fatal(err)
		}
		gotCollisions = append(gotCollisions, c)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	wantCollisions := []collision{
		{"invitations", "app", "twin@x.io", "inv-twin", "inv-twin-old", "twin@x.io.", false},
		{"members", "app", "back@x.io", "back-blocked", "back", "back@x.io.", true},
		{"members", "app", "esc@x.io", "esc-blocked", "esc", "esc@x.io.", true},
		{"members", "app", "old@x.io", "old-2", "old-1", "old@x.io.", false},
		{"members", "app", "tri@x.io", "tri-2", "tri", "tri@x.io..", true},
		{"members", "app", "tri@x.io", "tri-2", "tri-1", "tri@x.io.", true},
		{"members", "app", "twin@x.io", "twin", "twin-old", "twin@x.io.", false},
		{"organizers", "", "p@x.io", "o-twin", "o-twin-old", "p@x.io.", false},
		{"speakers", "app", "twin@x.io", "sp-twin", "sp-twin-old", "twin@x.io.", false},
	}
	if diff := cmp.Diff(wantCollisions, gotCollisions); diff != "" {
		t.Errorf("email_collisions (-want +got):\n%s", diff)
	}
}
