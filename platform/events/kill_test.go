package events_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"

	"github.com/attendify/platform/events"
	"github.com/attendify/platform/pg"
	"github.com/attendify/platform/redisx"
	"github.com/attendify/platform/testkit"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// TestRelayKilled is the outbox's guarantee, shown with a real process
// death: the relay is killed (os.Exit at a failpoint, in a child process)
// between the service's commit and the publish, or between the publish and
// the deletion of the outbox rows; a new relay then takes over. Every event
// must arrive, and arrive once at each idempotent consumer (one in Redis,
// one in Postgres), even where the stream holds duplicates.
func TestRelayKilled(t *testing.T) {
	t.Parallel()
	const (
		total = 50
		batch = 20
	)
	tests := []struct {
		failpoint string
		// published is how many entries the stream holds after the kill.
		published int
	}{
		{failpoint: "claimed", published: 0},       // committed, not yet published
		{failpoint: "published", published: batch}, // published, rows not deleted
	}
	for _, tt := range tests {
		t.Run("after "+tt.failpoint, func(t *testing.T) {
			ctx := context.Background()
			dsn := testkit.PostgresURL(t, "hub", events.OutboxMigrations, events.ProcessedMigrations, seenMigrations)
			pool, err := pg.Open(ctx, pg.Config{URL: dsn}, "hub")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(pool.Close)
			rdb, ns := testkit.Redis(t)
			st := events.NewStreams(ns)
			stream := st.Stream("member")

			// Two consuming services, idempotent through each store.
			// The Postgres one counts in a table, in its transaction: an
			// effect outside the transaction could happen twice (a commit
			// that fails after the handler ran, then a retry).
			var viaRedis recorder
			store := events.NewRedisStore(rdb, redisx.NewKeys(ns, "social"), "social", events.RedisStoreConfig{})
			start(t, newConsumer(t, rdb, st, fastConfig(t, "social", "member"), events.Idempotent(store, viaRedis.handle)))
			start(t, newConsumer(t, rdb, st, fastConfig(t, "analytics", "member"),
				events.IdempotentTx(pool, "analytics", func(ctx context.Context, tx pgx.Tx, ev events.Event) error {
					const q = `INSERT INTO seen (event_id, n) VALUES ($1, 1) ON CONFLICT (event_id) DO UPDATE SET n = seen.n + 1`
					_, err := tx.Exec(ctx, q, ev.ID)
					return err
				})))

			// And one that is not idempotent, to show what the helpers prevent.
			var raw recorder
			start(t, newConsumer(t, rdb, st, fastConfig(t, "raw", "member"), raw.handle))

			// The service commits its events: ten transactions of five.
			var want []events.Event
			for range total / 5 {
				evs := makeEvents(5, "member.updated", "m1")
				addInTx(t, pool, evs...)
				want = append(want, evs...)
			}

			// A relay dies at the failpoint.
			child := relayProcess(t, dsn, ns, batch, tt.failpoint)
			err = child.Wait()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 1 {
				t.Fatalf("relay with failpoint %q: %v, want exit status 1\n%s", tt.failpoint, err, child.Stderr)
			}
			if !strings.Contains(fmt.Sprint(child.Stderr), "dying at failpoint "+tt.failpoint) {
				t.Fatalf("the relay did not die at the failpoint:\n%s", child.Stderr)
			}
			if n := outboxLen(t, pool); n != total {
				t.Fatalf("outbox holds %d rows after the kill, want all %d", n, total)
			}
			if n := rdb.XLen(ctx, stream).Val(); n != int64(tt.published) {
				t.Fatalf("stream holds %d entries after the kill, want %d", n, tt.published)
			}

			// A new relay takes over and drains the outbox.
			child = relayProcess(t, dsn, ns, batch, "")
			testkit.Eventually(t, "every event at both consumers", func() bool {
				return viaRedis.distinct() == total && len(seen(t, pool)) == total
			})
			testkit.Eventually(t, "the outbox to drain", func() bool { return outboxLen(t, pool) == 0 })
			if err := child.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			if err := child.Wait(); err != nil {
				t.Fatalf("relay stopped with %v, want a clean exit\n%s", err, child.Stderr)
			}

			// Both groups have seen the whole stream, duplicates included.
			testkit.Eventually(t, "social to settle", func() bool { return settled(t, rdb, stream, "social") })
			testkit.Eventually(t, "analytics to settle", func() bool { return settled(t, rdb, stream, "analytics") })
			testkit.Eventually(t, "raw to settle", func() bool { return settled(t, rdb, stream, "raw") })
			entries := rdb.XLen(ctx, stream).Val()
			if want := int64(total + tt.published); entries != want {
				t.Errorf("stream holds %d entries, want %d (%d events + %d republished)", entries, want, total, tt.published)
			}
			if dups := raw.twice(); len(dups) != tt.published {
				t.Errorf("the raw consumer saw %d events twice, want %d (the republished batch)", len(dups), tt.published)
			}
			if dups := viaRedis.twice(); len(dups) > 0 {
				t.Errorf("the Redis-idempotent consumer handled %d events twice: %v", len(dups), dups)
			}
			got := map[string]bool{}
			for _, ev := range viaRedis.events() {
				got[ev.ID] = true
			}
			inPostgres := seen(t, pool)
			for _, ev := range want {
				if !got[ev.ID] {
					t.Errorf("the Redis-idempotent consumer never saw event %s", ev.ID)
				}
				if n := inPostgres[ev.ID]; n != 1 {
					t.Errorf("the Postgres-idempotent consumer applied event %s %d times, want once", ev.ID, n)
				}
			}
		})
	}
}

// seenMigrations is the table in which the Postgres consumer counts events.
var seenMigrations = pg.Source{Name: "test_seen", FS: fstest.MapFS{
	"00001_seen.sql": {Data: []byte(`
-- +goose Up
CREATE TABLE seen (event_id text PRIMARY KEY, n int NOT NULL);
-- +goose Down
DROP TABLE seen;
`)},
}}

// seen returns the counts of the seen table.
func seen(t *testing.T, pool *pgxpool.Pool) map[string]int {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT event_id, n FROM seen`)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]int{}
	var (
		id string
		n  int
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &n}, func() error {
		m[id] = n
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// relayProcess starts the relay in a child process (see relayChild).
func relayProcess(t *testing.T, dsn, namespace string, batch int, failpoint string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(),
		relayChildEnv+"=1",
		relayFailpointEnv+"="+failpoint,
		relayDSNEnv+"="+dsn,
		relaySchemaEnv+"=hub",
		relayNamespaceEnv+"="+namespace,
		fmt.Sprintf("%s=%d", relayBatchEnv, batch),
	)
	cmd.Stderr = &bytes.Buffer{}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	return cmd
}
