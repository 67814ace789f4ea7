package postgres_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/attendify/hub/internal/service"
	"github.com/attendify/hub/internal/store/postgres"
	"github.com/attendify/hub/internal/store/storetest"
	"github.com/attendify/hub/migrations"
	"github.com/attendify/platform/testkit"
)

// TestContract runs the contract of every store port on Postgres, a
// database per port.
func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) service.Store {
		pool := testkit.Postgres(t, migrations.Schema, migrations.All...)
		return recording{postgres.New(pool), pool}
	})
}

// recording is the store with storetest.CollisionRecorder: rows inserted
// into email_collisions as migration 13 inserts them.
type recording struct {
	*postgres.Store
	pool *pgxpool.Pool
}

func (s recording) AddEmailCollisions(cs ...service.EmailCollision) error {
	for _, c := range cs {
		if _, err := s.pool.Exec(context.Background(), `
			INSERT INTO email_collisions (tab, app_id, email, kept_id, other_id, other_email, tokens_revoked)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, c.Table, c.App, c.Email, c.KeptID, c.OtherID, c.DottedEmail, c.TokensRevoked); err != nil {
			return err
		}
	}
	return nil
}
