package benchkit

import (
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/attendify/platform/pg"
)

// Suffix is a short random lower-case name part, for a run's own database,
// Redis namespace and app ids.
func Suffix() string { return strings.ToLower(rand.Text()[:8]) }

// FreeAddr is a loopback address whose port was free a moment ago, for a
// server the load generator starts.
func FreeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// WaitReady waits, for up to a minute, until the service at base (its
// http:// root) answers 200 to /readyz.
func WaitReady(ctx context.Context, base string) error {
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/readyz", nil)
		if err != nil {
			return err
		}
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s was not ready within a minute", base)
}

// ScratchDatabase creates the database name on the Postgres server of dsn
// (a postgres:// URL) and returns its URL and a function that drops it,
// with whatever is still connected to it.
func ScratchDatabase(ctx context.Context, dsn, name string) (string, func(), error) {
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", nil, fmt.Errorf("DATABASE_URL must be a postgres:// URL")
	}
	u.Path, u.RawPath = "/"+name, ""
	scratch := u.String()
	u.Path = "/postgres"
	admin := u.String()
	if err := pg.EnsureDatabase(ctx, scratch); err != nil {
		return "", nil, err
	}
	drop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			return
		}
		defer conn.Close(ctx)
		_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pg.QuoteIdent(name)+" WITH (FORCE)")
	}
	return scratch, drop, nil
}
