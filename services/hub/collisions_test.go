package hub_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/attendify/hub/internal/hubtest"
	"github.com/attendify/hub/internal/service"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/testkit"
)

// collisionRow is an entry of app.emailCollisions as the wire has it.
type collisionRow struct {
	Table      string `json:"table"`
	Email      string `json:"email"`
	KeptID     string `json:"kept_id"`
	KeptName   string `json:"kept_name"`
	OtherID    string `json:"other_id"`
	OtherName  string `json:"other_name"`
	Dotted     string `json:"dotted_email"`
	OtherEmail string `json:"other_email"`
	Revoked    bool   `json:"tokens_revoked"`
	Open       bool   `json:"open"`
	Resolution string `json:"resolution"`
}

type collisionPage struct {
	Collisions []collisionRow `json:"collisions"`
	NextCursor string         `json:"next_cursor"`
}

// TestEmailCollisions lists what migration 13 left in email_collisions
// (rows inserted here as the migration writes them) to the organizers of
// one app: that app's members, speakers and invitations, and the
// organizers' rows where one of the two accounts collaborates on it; the
// open ones by default, every one with include_resolved, paged; never
// another app's, whoever asks.
func TestEmailCollisions(t *testing.T) {
	env := startWorld(t)
	w := newWorld(t, env)
	f := w.fixture(t)
	ctx := testkit.Context(t)
	a, b := f.app.ID, w.appB.ID
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := env.Pool.Exec(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	collision := func(tab, app, email, kept, other, otherEmail string, revoked bool) {
		t.Helper()
		exec(`INSERT INTO email_collisions (tab, app_id, email, kept_id, other_id, other_email, tokens_revoked)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, tab, app, email, kept, other, otherEmail, revoked)
	}
	d := env.Hub.Domain
	sctx := serviceCtx(ctx)

	// Members of A: Tom keeps a dotted spelling of Mia's address; Rex's
	// twin was blocked since; a twin of Gus was deleted.
	exec(`UPDATE members SET email = 'm@example.com.' WHERE id = $1`, f.target.ID)
	collision("members", a, "m@example.com", f.member.ID, f.target.ID, "m@example.com.", true)
	rex := must(d.CreateMember(sctx, service.Member{AppID: a, Email: "r@example.com", Name: "Rex"}))(t)
	rex2 := must(d.CreateMember(sctx, service.Member{AppID: a, Email: "r2@example.com", Name: "Rex Two"}))(t)
	exec(`UPDATE members SET email = 'r@example.com.' WHERE id = $1`, rex2.ID)
	must(d.SetBlocked(sctx, a, rex2.ID, true))(t)
	collision("members", a, "r@example.com", rex.ID, rex2.ID, "r@example.com.", false)
	collision("members", a, "g@example.com", "gus", "gus-twin", "g@example.com.", false)
	// A speaker and an open invitation of A.
	exec(`INSERT INTO speakers (id, app_id, email, name) VALUES ('sp-dotted', $1, 'grace@example.com.', 'Grace Too')`, a)
	collision("speakers", a, "grace@example.com", f.speaker.ID, "sp-dotted", "grace@example.com.", false)
	exec(`INSERT INTO invitations (id, app_id, email, role, invited_by, token_hash, expires_at)
		VALUES ('inv-dotted', $1, 'z@example.com.', 'admin', $2, 'h', now() + interval '1 day')`, a, w.owner.ID)
	collision("invitations", a, "z@example.com", "inv-kept", "inv-dotted", "z@example.com.", false)
	// Organizers: A's admin beside a stranger's dotted account; a dotted
	// collaborator of A beside a stranger; two strangers.
	exec(`INSERT INTO organizers (id, email, name, password_hash) VALUES ('org-dotted', $1, 'Stranger', '')`, w.admin.Email+".")
	collision("organizers", "", w.admin.Email, w.admin.ID, "org-dotted", w.admin.Email+".", false)
	exec(`INSERT INTO organizers (id, email, name, password_hash) VALUES ('coll-kept', 'coll@x.io', 'Stranger', ''),
		('coll-dotted', 'coll@x.io.', 'Colin', ''), ('far', 'far@x.io', 'Far', ''), ('far-dotted', 'far@x.io.', 'Far Too', '')`)
	exec(`INSERT INTO collaborators (app_id, organizer_id, role) VALUES ($1, 'coll-dotted', 'member')`, a)
	collision("organizers", "", "coll@x.io", "coll-kept", "coll-dotted", "coll@x.io.", false)
	collision("organizers", "", "far@x.io", "far", "far-dotted", "far@x.io.", false)
	// B's member, whom nobody of A may see.
	exec(`INSERT INTO members (id, app_id, email, name) VALUES ('b-dotted', $1, 'b@example.com.', 'Bea Too')`, b)
	collision("members", b, "b@example.com", w.memberB.ID, "b-dotted", "b@example.com.", false)

	ownerA := hubtest.As(ctx, f.token(t, owner))
	list := func(ctx context.Context, client *rpc.Client, params map[string]any) (collisionPage, error) {
		var out collisionPage
		err := client.Call(ctx, "app.emailCollisions", false, params, &out)
		return out, err
	}

	open := []collisionRow{
		{"invitations", "z@example.com", "inv-kept", "", "inv-dotted", "", "z@example.com.", "z@example.com.", false, true, ""},
		{"members", "m@example.com", f.member.ID, "Mia", f.target.ID, "Tom", "m@example.com.", "m@example.com.", true, true, ""},
		{"organizers", "coll@x.io", "coll-kept", "", "coll-dotted", "Colin", "coll@x.io.", "coll@x.io.", false, true, ""},
		{"organizers", w.admin.Email, w.admin.ID, "Organizer", "org-dotted", "", w.admin.Email + ".", w.admin.Email + ".", false, true, ""},
		{"speakers", "grace@example.com", f.speaker.ID, "Grace", "sp-dotted", "Grace Too", "grace@example.com.", "grace@example.com.", false, true, ""},
	}
	got := must(list(ownerA, env.Client, map[string]any{"app_id": a}))(t)
	if diff := cmp.Diff(collisionPage{Collisions: open}, got); diff != "" {
		t.Errorf("open collisions of A (-want +got):\n%s", diff)
	}

	all := []collisionRow{
		open[0],
		{"members", "g@example.com", "gus", "", "gus-twin", "", "g@example.com.", "", false, false, "deleted"},
		open[1],
		{"members", "r@example.com", rex.ID, "Rex", rex2.ID, "Rex Two", "r@example.com.", "r@example.com.", false, false, "blocked"},
		open[2], open[3], open[4],
	}
	got = must(list(ownerA, env.Client, map[string]any{"app_id": a, "include_resolved": true}))(t)
	if diff := cmp.Diff(collisionPage{Collisions: all}, got); diff != "" {
		t.Errorf("every collision of A (-want +got):\n%s", diff)
	}
	got = must(list(ownerA, env.Client, map[string]any{"app_id": a, "include_resolved": true, "table": "members"}))(t)
	if diff := cmp.Diff(collisionPage{Collisions: all[1:4]}, got); diff != "" {
		t.Errorf("A's members' collisions (-want +got):\n%s", diff)
	}

	// Paged, two at a time.
	var paged []collisionRow
	cursor := ""
	for range len(all) {
		p := map[string]any{"app_id": a, "include_resolved": true, "limit": 2}
		if cursor != "" {
			p["cursor"] = cursor
		}
		page := must(list(ownerA, env.Client, p))(t)
		if len(page.Collisions) > 2 {
			t.Fatalf("a page of limit 2 has %d", len(page.Collisions))
		}
		paged = append(paged, page.Collisions...)
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	if diff := cmp.Diff(all, paged); diff != "" {
		t.Errorf("every collision of A, two at a time (-want +got):\n%s", diff)
	}

	// Organizers fix one: a new email resolves it.
	email := "tom@example.com"
	must(d.UpdateMember(sctx, a, f.target.ID, &email, nil, service.ProfileChanges{}))(t)
	got = must(list(ownerA, env.Client, map[string]any{"app_id": a, "table": "members", "include_resolved": true}))(t)
	if len(got.Collisions) != 3 || got.Collisions[1].OtherID != f.target.ID || got.Collisions[1].Open ||
		got.Collisions[1].Resolution != "email_changed" || got.Collisions[1].OtherEmail != email {
		t.Errorf("after Tom's new email: %+v", got.Collisions)
	}
	if got := must(list(ownerA, env.Client, map[string]any{"app_id": a, "table": "members"}))(t); len(got.Collisions) != 0 {
		t.Errorf("open members' collisions after the fixes: %+v", got.Collisions)
	}

	// Every organizer role of A reads them; a member does not.
	for _, caller := range []string{collab, mod, admin} {
		if _, err := list(hubtest.As(ctx, f.token(t, caller)), env.Client, map[string]any{"app_id": a}); err != nil {
			t.Errorf("as %s of A: %v", caller, err)
		}
	}
	if _, err := list(hubtest.As(ctx, f.token(t, member)), env.Client, map[string]any{"app_id": a}); errs.CodeOf(err) != errs.CodeForbidden {
		t.Errorf("as a member of A: %v, want forbidden", err)
	}

	// Params are checked, with the field named.
	for field, p := range map[string]map[string]any{
		"/cursor": {"app_id": a, "cursor": "not-a-cursor"},
		"/limit":  {"app_id": a, "limit": 500},
		"/table":  {"app_id": a, "table": "sign_ups"},
	} {
		_, err := list(ownerA, env.Client, p)
		var e *errs.Error
		if !errors.As(err, &e) || e.Code.Kind() != errs.Invalid || len(e.Fields) == 0 || e.Fields[0].Field != field {
			t.Errorf("%v: %v, want invalid on %s", p, err, field)
		}
	}

	// An organizer account that does not collaborate on A and has another
	// address now: A's organizers see that it changed, not the address.
	exec(`UPDATE organizers SET email = 'stranger@elsewhere.example' WHERE id = 'org-dotted'`)
	got = must(list(ownerA, env.Client, map[string]any{"app_id": a, "include_resolved": true, "table": "organizers"}))(t)
	moved := collisionRow{"organizers", w.admin.Email, w.admin.ID, "Organizer", "org-dotted", "", w.admin.Email + ".", "", false, false, "email_changed"}
	if diff := cmp.Diff(collisionPage{Collisions: []collisionRow{open[2], moved}}, got); diff != "" {
		t.Errorf("A's organizers' collisions once a stranger's address changed (-want +got):\n%s", diff)
	}
}

// TestEmailCollisionsStayInTheirApp: an organizer of app A never reads
// app B's collisions, whether they ask for B with A's token, with a token
// claiming B, or for A (B's rows are not among A's); B's owner reads B's
// and nothing of A's.
func TestEmailCollisionsStayInTheirApp(t *testing.T) {
	env := startWorld(t)
	w := newWorld(t, env)
	f := w.fixture(t)
	ctx := testkit.Context(t)
	a, b := f.app.ID, w.appB.ID
	for _, x := range []struct{ app, kept, other string }{{a, f.member.ID, f.target.ID}, {b, w.memberB.ID, "b-dotted"}} {
		if _, err := env.Pool.Exec(ctx, `INSERT INTO email_collisions (tab, app_id, email, kept_id, other_id, other_email)
			VALUES ('members', $1, 'x@x.io', $2, $3, 'x@x.io.')`, x.app, x.kept, x.other); err != nil {
			t.Fatal(err)
		}
	}
	list := func(token, app string) (collisionPage, error) {
		var out collisionPage
		err := env.Client.Call(hubtest.As(ctx, token), "app.emailCollisions", false,
			map[string]any{"app_id": app, "include_resolved": true}, &out)
		return out, err
	}

	// A's admin collaborates on A only, A's owner on both.
	adminOfA := f.token(t, admin)
	adminClaimingB := env.Token(t, auth.Claims{User: w.admin.ID, App: b, Role: auth.RoleAdmin})
	ownerOfA := f.token(t, owner)
	ownerOfB := env.Token(t, auth.Claims{User: w.owner.ID, App: b, Role: auth.RoleOwner})
	for _, c := range []struct {
		what, token string
		want        errs.Code
	}{
		{"A's admin with A's token", adminOfA, errs.CodeTokenWrongApp},
		{"A's owner with A's token", ownerOfA, errs.CodeTokenWrongApp},
		{"A's admin with a token claiming B", adminClaimingB, errs.CodeForbidden},
	} {
		page, err := list(c.token, b)
		if errs.CodeOf(err) != c.want || len(page.Collisions) != 0 {
			t.Errorf("%s asks for B: %v %+v, want %s", c.what, err, page, c.want.Name())
		}
	}
	for _, c := range []struct{ what, token, app, other string }{
		{"A's admin", adminOfA, a, f.target.ID},
		{"A's owner", ownerOfA, a, f.target.ID},
		{"B's owner", ownerOfB, b, "b-dotted"},
	} {
		page, err := list(c.token, c.app)
		if err != nil || len(page.Collisions) != 1 || page.Collisions[0].OtherID != c.other {
			t.Errorf("%s asks for their app: %v %+v, want only %s", c.what, err, page, c.other)
		}
	}
}
