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
	"github.com/redis/go-redis/v9"

	"github.com/attendify/platform/pg"
	"github.com/attendify/platform/redisx"
	"github.com/attendify/platform/testkit"
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

// Scratch is a run's own stores: a database on the Postgres server of a
// DATABASE_URL and a namespace in Redis, named after the run
// (bench_<name>_<suffix> and bench-<name>-<suffix>), so that the servers a
// load generator starts never meet other data. Close drops both.
type Scratch struct {
	Suffix      string
	DatabaseURL string
	Namespace   string
	Redis       redis.UniversalClient
	dropDB      func()
}

// OpenScratch creates the run's database and opens Redis.
func OpenScratch(ctx context.Context, name, databaseURL string, rcfg redisx.Config) (*Scratch, error) {
	s := &Scratch{Suffix: Suffix()}
	s.Namespace = "bench-" + name + "-" + s.Suffix
	var err error
	if s.DatabaseURL, s.dropDB, err = scratchDatabase(ctx, databaseURL, "bench_"+name+"_"+s.Suffix); err != nil {
		return nil, err
	}
	if s.Redis, err = redisx.Open(ctx, rcfg); err != nil {
		s.dropDB()
		return nil, err
	}
	return s, nil
}

// Close deletes the namespace's keys and drops the database, with whatever
// is still connected to it.
func (s *Scratch) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = testkit.DeleteKeys(ctx, s.Redis, s.Namespace+":")
	_ = s.Redis.Close()
	s.dropDB()
}

// scratchDatabase creates the database name on the Postgres server of dsn
// (a postgres:// URL) and returns its URL and a function that drops it.
func scratchDatabase(ctx context.Context, dsn, name string) (string, func(), error) {
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
