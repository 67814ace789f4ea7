package pg_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/pg"
	"github.com/attendify/platform/testkit"
)

func TestOpenUnreachableNamesServerNotPassword(t *testing.T) {
	ctx := testkit.Context(t)
	// Port 1 on loopback: nothing listens there, the connection is refused at once.
	_, err := pg.Open(ctx, pg.Config{URL: "postgres://app:s3cret@127.0.0.1:1/appdb?sslmode=disable"}, "hub")
	if !errors.Is(err, errs.Unavailable) {
		t.Fatalf("err = %v, want kind unavailable", err)
	}
	msg := err.Error()
	for _, want := range []string{"127.0.0.1:1", "appdb"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not name %q", msg, want)
		}
	}
	if strings.Contains(msg, "s3cret") {
		t.Errorf("error %q shows the password", msg)
	}
}

func TestOpenRejectsBadSchemaName(t *testing.T) {
	_, err := pg.Open(testkit.Context(t), pg.Config{URL: "postgres://127.0.0.1/x"}, `hub"; DROP`)
	if !errors.Is(err, errs.Invalid) {
		t.Fatalf("err = %v, want kind invalid", err)
	}
}

func TestOpenSetsSearchPath(t *testing.T) {
	ctx := testkit.Context(t)
	url := testkit.PostgresURL(t, "")
	pool, err := pg.Open(ctx, pg.Config{URL: url, MaxConns: 2}, "hub")
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var path string
	if err := pool.QueryRow(ctx, `SHOW search_path`).Scan(&path); err != nil {
		t.Fatal(err)
	}
	if path != "hub, public" {
		t.Errorf("search_path = %q, want %q", path, "hub, public")
	}
	if got := pool.Config().MaxConns; got != 2 {
		t.Errorf("MaxConns = %d, want 2", got)
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"postgres://app:s3cret@db:5432/hub?sslmode=disable", "postgres://app:xxxxx@db:5432/hub?sslmode=disable"},
		{"postgres://app@db/hub", "postgres://app@db/hub"},
		{"postgres://db/hub?password=s3cret&sslmode=require", "postgres://db/hub?password=xxxxx&sslmode=require"},
		{"host=db user=app password=s3cret dbname=hub", "host=db user=app password=xxxxx dbname=hub"},
		{"host=db password='s3 cret' dbname=hub", "host=db password=xxxxx dbname=hub"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := pg.Redact(tt.in); got != tt.want {
				t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestReady(t *testing.T) {
	ctx := testkit.Context(t)
	pool, err := pg.Open(ctx, pg.Config{URL: testkit.PostgresURL(t, "")}, "")
	if err != nil {
		t.Fatal(err)
	}
	ready := pg.Ready(pool)
	if err := ready(ctx); err != nil {
		t.Fatalf("ready on a live pool: %v", err)
	}
	pool.Close()
	if err := ready(ctx); !errors.Is(err, errs.Unavailable) {
		t.Errorf("ready on a closed pool = %v, want kind unavailable", err)
	}
}

func TestEnsureDatabase(t *testing.T) {
	ctx := testkit.Context(t)
	name := fmt.Sprintf("pgtest_ensure_%x", rand.Uint64())
	url := "postgres://postgres@127.0.0.1:5432/" + name + "?sslmode=disable"
	admin, err := pg.Open(ctx, pg.Config{URL: "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"}, "")
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	t.Cleanup(func() {
		_, _ = admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+pg.QuoteIdent(name)+" WITH (FORCE)")
	})
	// Several processes starting at once on a fresh server all ensure it.
	errc := make(chan error, 4)
	for range 4 {
		go func() { errc <- pg.EnsureDatabase(ctx, url) }()
	}
	for range 4 {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	if err := pg.EnsureDatabase(ctx, url); err != nil { // and again: idempotent
		t.Fatal(err)
	}
	pool, err := pg.Open(ctx, pg.Config{URL: url}, "")
	if err != nil {
		t.Fatalf("open the ensured database: %v", err)
	}
	pool.Close()
}
