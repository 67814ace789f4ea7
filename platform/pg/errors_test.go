package pg_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/pg"
	"github.com/attendify/platform/testkit"
	"github.com/jackc/pgx/v5/pgconn"
)

var errSchema = pg.Source{Name: "test", FS: sqlFS(map[string]string{
	"00001_tables.sql": `-- +goose Up
CREATE TABLE parents (id int PRIMARY KEY, name text NOT NULL UNIQUE, age int CHECK (age >= 0));
CREATE TABLE children (parent_id int NOT NULL REFERENCES parents (id));
INSERT INTO parents VALUES (1, 'ann', 40);
`,
})}

// Err on the errors Postgres really returns.
func TestErrTranslatesPostgresErrors(t *testing.T) {
	ctx := testkit.Context(t)
	pool := testkit.Postgres(t, "errs", errSchema)
	tests := []struct {
		name   string
		setup  string
		query  string
		want   errs.Kind
		pgCode string // the cause kept, when from the server
	}{
		{"no rows", "", `SELECT name FROM parents WHERE id = 99`, errs.NotFound, ""},
		{"unique", "", `INSERT INTO parents VALUES (2, 'ann', 1)`, errs.Conflict, "23505"},
		{"foreign key", "", `INSERT INTO children VALUES (99)`, errs.Invalid, "23503"},
		{"check", "", `INSERT INTO parents VALUES (3, 'bob', -1)`, errs.Invalid, "23514"},
		{"not null", "", `INSERT INTO parents VALUES (4, NULL, 1)`, errs.Invalid, "23502"},
		{"bad uuid", "", `SELECT 'not-a-uuid'::uuid::text`, errs.Invalid, "22P02"},
		{"statement timeout", `SET LOCAL statement_timeout = '1ms'`, `SELECT pg_sleep(1)::text`, errs.DeadlineExceeded, "57014"},
		{"syntax error is a bug", "", `SELEC 1`, errs.Internal, "42601"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tx, err := pool.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback(context.Background())
			if tt.setup != "" {
				if _, err := tx.Exec(ctx, tt.setup); err != nil {
					t.Fatal(err)
				}
			}
			var s string
			err = tx.QueryRow(ctx, tt.query).Scan(&s)
			if err == nil {
				t.Fatal("query succeeded")
			}
			got := pg.Err(err)
			if k := errs.KindOf(got); k != tt.want {
				t.Errorf("kind = %v, want %v (err %v)", k, tt.want, got)
			}
			var pgErr *pgconn.PgError
			if tt.pgCode != "" && (!errors.As(got, &pgErr) || pgErr.Code != tt.pgCode) {
				t.Errorf("translated error %v lost the Postgres error %s", got, tt.pgCode)
			}
		})
	}
}

func TestErrTranslatesConnectionAndContextErrors(t *testing.T) {
	ctx := testkit.Context(t)
	closed := testkit.Postgres(t, "")
	closed.Close()
	_, closedErr := closed.Exec(ctx, `SELECT 1`)

	canceled, cancel := context.WithCancel(ctx)
	cancel()
	live := testkit.Postgres(t, "")
	_, canceledErr := live.Exec(canceled, `SELECT 1`)

	// A connection the driver closed under its user (its socket went away):
	// the next statement says "conn closed".
	acquired, err := live.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_ = acquired.Conn().Close(ctx)
	_, connClosedErr := acquired.Exec(ctx, `SELECT 1`)
	acquired.Release()

	_, refusedErr := pg.Open(ctx, pg.Config{URL: "postgres://127.0.0.1:1/x"}, "")
	var ce *pgconn.ConnectError
	if !errors.As(refusedErr, &ce) {
		t.Fatalf("Open error %v does not keep the connect error", refusedErr)
	}

	tests := []struct {
		name string
		err  error
		want errs.Kind
	}{
		{"closed pool", closedErr, errs.Unavailable},
		{"refused", ce, errs.Unavailable},
		{"conn closed", connClosedErr, errs.Unavailable},
		{"canceled", canceledErr, errs.Canceled},
		{"deadline", fmt.Errorf("query: %w", context.DeadlineExceeded), errs.DeadlineExceeded},
		{"serialization", &pgconn.PgError{Code: "40001"}, errs.Conflict},
		{"too many connections", &pgconn.PgError{Code: "53300"}, errs.Unavailable},
		{"admin shutdown", &pgconn.PgError{Code: "57P01"}, errs.Unavailable},
		{"already translated", errs.New(errs.Forbidden, "no"), errs.Forbidden},
		{"other", errors.New("something else"), errs.Internal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.err == nil {
				t.Fatal("no error to translate")
			}
			got := pg.Err(tt.err)
			if k := errs.KindOf(got); k != tt.want {
				t.Errorf("Err(%v) kind = %v, want %v", tt.err, k, tt.want)
			}
			if !errors.Is(got, tt.err) {
				t.Errorf("Err(%v) = %v does not wrap the cause", tt.err, got)
			}
		})
	}
	if pg.Err(nil) != nil {
		t.Error("Err(nil) != nil")
	}
	// A conflict of concurrent transactions says so; a duplicate does not.
	for code, concurrent := range map[string]bool{"40001": true, "40P01": true, "55P03": true, "23505": false, "23P01": false} {
		if got := errors.Is(pg.Err(&pgconn.PgError{Code: code}), errs.ErrConcurrentChange); got != concurrent {
			t.Errorf("Err(%s) carries errs.ErrConcurrentChange: %v, want %v", code, got, concurrent)
		}
	}
}
