package postgres_test

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/attendify/hub"
	"github.com/attendify/hub/internal/service"
	"github.com/attendify/hub/internal/store/postgres"
	"github.com/attendify/hub/migrations"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/testkit"
)

// TestInvitationTokensMigration takes migration 11 down and up again over
// an invitation made before tokens: it becomes an expired record that
// nothing accepts, listed, and replaced by the next invitation.
func TestInvitationTokensMigration(t *testing.T) {
	ctx := testkit.Context(t)
	pool := testkit.Postgres(t, migrations.Schema, migrations.All...)
	s := postgres.New(pool)
	seed(t, ctx, s, "a")
	b, err := fs.ReadFile(migrations.Source.FS, "00011_invitation_tokens_sign_up_confirmation.sql")
	if err != nil {
		t.Fatal(err)
	}
	up, down, _ := strings.Cut(string(b), "-- +goose Down")
	if _, err := pool.Exec(ctx, down); err != nil {
		t.Fatalf("down: %v", err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO invitations (app_id, email, role, invited_by) VALUES ('a', 'old@x.io', 'admin', 'o1')`); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, up); err != nil {
		t.Fatalf("up: %v", err)
	}
	now := time.Now()
	invs, err := s.Invitations(ctx, "a", now.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(invs) != 1 || invs[0].Email != "old@x.io" || invs[0].TokenHash != "" || invs[0].Status(now) != hub.InvitationExpired {
		t.Fatalf("invitations after the migration: %+v", invs)
	}
	if _, err := s.InvitationByToken(ctx, ""); !errors.Is(err, errs.NotFound) {
		t.Errorf("an invitation without token found by the empty hash: %v", err)
	}
	if n, err := s.CountCollaborators(ctx, "a", now); err != nil || n != 0 {
		t.Errorf("counted %d (%v), want 0: an invitation without token is not pending", n, err)
	}
	// The next invitation of the address revokes it (the unique index of
	// open invitations).
	old, err := s.OpenInvitation(ctx, "a", "old@x.io")
	if err != nil {
		t.Fatal(err)
	}
	err = s.InTx(ctx, func(q service.Queries) error {
		if err := q.RevokeInvitation(ctx, "a", old.ID, "o2", now); err != nil {
			return err
		}
		return q.AddInvitation(ctx, service.Invitation{ID: "new", AppID: "a", Email: "old@x.io", Role: "admin", InvitedBy: "o2",
			TokenHash: "h", CreatedAt: now, ExpiresAt: now.Add(hub.InvitationTTL)})
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddInvitation(ctx, service.Invitation{ID: "twin", AppID: "a", Email: "old@x.io", Role: "admin", InvitedBy: "o2",
		TokenHash: "h2", CreatedAt: now, ExpiresAt: now.Add(hub.InvitationTTL)}); !errors.Is(err, errs.Conflict) {
		t.Errorf("a second open invitation of one address: %v, want conflict", err)
	}
}
