package events_test

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"testing"

	"github.com/attendify/platform/events"
	"github.com/attendify/platform/pg"
	"github.com/attendify/platform/redisx"
	"github.com/attendify/platform/testkit"
)

// The kill test runs the relay in a child process: this test binary,
// started again with relayChildEnv set. The child relays until SIGTERM, or
// exits with status 1 at the failpoint named in relayFailpointEnv.
const (
	relayChildEnv     = "EVENTS_TEST_RELAY_CHILD"
	relayFailpointEnv = "EVENTS_TEST_RELAY_FAILPOINT"
	relayDSNEnv       = "EVENTS_TEST_RELAY_DATABASE_URL"
	relaySchemaEnv    = "EVENTS_TEST_RELAY_SCHEMA"
	relayNamespaceEnv = "EVENTS_TEST_RELAY_NAMESPACE"
	relayBatchEnv     = "EVENTS_TEST_RELAY_BATCH"
)

func TestMain(m *testing.M) {
	if os.Getenv(relayChildEnv) == "1" {
		if err := relayChild(); err != nil {
			fmt.Fprintln(os.Stderr, "relay child:", err)
			os.Exit(2)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// relayChild is the child process's main.
func relayChild() error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	pool, err := pg.Open(ctx, pg.Config{URL: os.Getenv(relayDSNEnv)}, os.Getenv(relaySchemaEnv))
	if err != nil {
		return err
	}
	defer pool.Close()
	rdb, err := redisx.Open(ctx, testkit.RedisConfig())
	if err != nil {
		return err
	}
	defer rdb.Close()

	var batch int
	fmt.Sscan(os.Getenv(relayBatchEnv), &batch)
	r := &events.Relay{
		Pool:      pool,
		Publisher: events.NewPublisher(rdb, events.NewStreams(os.Getenv(relayNamespaceEnv)), events.PublisherConfig{}),
		BatchSize: batch,
	}
	if fp := os.Getenv(relayFailpointEnv); fp != "" {
		events.SetRelayHook(r, func(point string) {
			if point == fp {
				fmt.Fprintln(os.Stderr, "relay child: dying at failpoint", fp)
				os.Exit(1) // no deferred cleanup, no rollback sent: like a kill
			}
		})
	}
	return r.Run(ctx)
}
