package pg

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/attendify/platform/errs"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Err translates an error from pgx into an errs kind, keeping it as the
// cause so that errors.As still finds the *pgconn.PgError:
//
//   - pgx.ErrNoRows: errs.NotFound
//   - unique (23505) and exclusion (23P01) violations, serialization failures
//     (40001), deadlocks (40P01) and lock_not_available (55P03): errs.Conflict,
//     the last three with errs.ErrConcurrentChange in the chain
//   - foreign key (23503), check (23514) and not-null (23502) violations and
//     data exceptions (class 22, such as a malformed uuid): errs.Invalid
//   - connection failures (a connection the driver closed under its user
//     included), a closed pool, server shutdown, too many connections:
//     errs.Unavailable
//   - statement timeout (57014): errs.DeadlineExceeded
//
// Context errors and anything else are returned unchanged (errs.KindOf
// classifies them as Canceled, DeadlineExceeded or Internal). Err(nil) is nil.
func Err(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := errs.As(err); ok {
		return err // already translated
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return errs.Wrap(errs.NotFound, err, "not found")
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return translatePgError(err, pgErr)
	}
	if isConnError(err) {
		return errs.Wrap(errs.Unavailable, err, "database unavailable")
	}
	return err
}

func translatePgError(err error, e *pgconn.PgError) error {
	switch code := e.Code; {
	case code == "23505":
		return errs.Wrap(errs.Conflict, err, "already exists")
	case code == "23P01":
		return errs.Wrap(errs.Conflict, err, "conflicts with an existing entry")
	case code == "40001", code == "40P01":
		return errs.Wrap(errs.Conflict, fmt.Errorf("%w: %w", errs.ErrConcurrentChange, err), "conflicting concurrent change; retry")
	case code == "55P03":
		return errs.Wrap(errs.Conflict, fmt.Errorf("%w: %w", errs.ErrConcurrentChange, err), "locked by a concurrent change; retry")
	case code == "23503":
		return errs.Wrap(errs.Invalid, err, "refers to something that does not exist or is still referenced")
	case code == "23514", code == "23502":
		return errs.Wrap(errs.Invalid, err, "violates a data rule")
	case strings.HasPrefix(code, "22"):
		return errs.Wrap(errs.Invalid, err, "invalid value")
	case code == "57014":
		return errs.Wrap(errs.DeadlineExceeded, err, "query timed out")
	case strings.HasPrefix(code, "08"), // connection exception
		strings.HasPrefix(code, "53"),                     // insufficient resources (too many connections, disk full)
		code == "57P01", code == "57P02", code == "57P03", // shutdown, crash, cannot connect now
		code == "25006": // read-only transaction: a standby answered
		return errs.Wrap(errs.Unavailable, err, "database unavailable")
	}
	return err
}

// isConnError reports errors of the connection rather than of the query.
func isConnError(err error) bool {
	var ce *pgconn.ConnectError
	var ne net.Error
	switch {
	case errors.As(err, &ce), errors.As(err, &ne),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed),
		errors.Is(err, pgconn.ErrConnClosed): // a statement on a connection whose socket went away
		return true
	}
	// pgxpool reports a closed pool with a plain error.
	return strings.Contains(err.Error(), "closed pool")
}

// sqlState is the SQLSTATE of a Postgres error in err's chain, or "".
func sqlState(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}

// retryable reports whether a transaction that failed with err may succeed
// when run again from the start: a serialization failure or a deadlock.
func retryable(err error) bool {
	switch sqlState(err) {
	case "40001", "40P01":
		return true
	}
	return false
}
