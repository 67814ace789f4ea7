package couch

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/attendify/platform/errs"
	kivik "github.com/go-kivik/kivik/v4"
	"github.com/go-kivik/kivik/v4/couchdb/chttp"
)

// Reasons of CouchDB errors that Err tells apart by their reason: kivik
// keeps the reason of CouchDB's {"error", "reason"} body, not the error's
// name.
const (
	// timeoutReason is CouchDB's 500 "timeout": a cluster that could not
	// gather its shards' answers within [fabric] request_timeout
	// (chttpd:error_info(timeout)). Busy or partitioned, worth retrying.
	timeoutReason = "The request could not be processed in a reasonable amount of time."
	// nodeDownReason is CouchDB's 412 "nodedown": nodes are down and some
	// shard range has no copy left to answer (fabric's
	// {nodedown, <<"progress not possible">>}, which
	// chttpd:error_info({error, {nodedown, Reason}}) answers with 412).
	nodeDownReason = "progress not possible"
	// malformedSinceReason is CouchDB's 400 "bad_request" to a _changes
	// request whose since it cannot decode: Apache CouchDB 3 answers it
	// (fabric_view_changes:validate_start_seq/2, whose {bad_request, Reason}
	// chttpd sends as 400) to any since but 0, "now" and its own opaque
	// "<n>-<base64>" sequences, numbers included; the dev server in sharded
	// mode answers the same. The plain dev server (PouchDB) takes any since.
	malformedSinceReason = "Malformed sequence supplied in 'since' parameter."
)

// Err translates a kivik error into an errs kind, keeping it as the cause:
//
//   - 404 (missing document or database): errs.NotFound
//   - 409 (document update conflict) and 412 (database exists): errs.Conflict
//   - 401: errs.Unauthenticated; 403: errs.Forbidden
//   - 400, 413, 415 (bad request, document too large): errs.Invalid
//   - 429: errs.RateLimited
//   - network errors, 502, 503, 504, and a cluster's 500 "timeout" and 412
//     "nodedown" (too busy to answer in time, or shards unreachable):
//     errs.Unavailable
//
// Context errors, errors that already have a kind and anything else
// (including a server's 500) are returned unchanged; errs.KindOf classifies
// them. Err(nil) is nil.
func Err(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := errs.As(err); ok {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	switch status := kivik.HTTPStatus(err); status {
	case http.StatusNotFound:
		return errs.Wrap(errs.NotFound, err, "not found")
	case http.StatusConflict:
		return errs.Wrap(errs.Conflict, err, "document update conflict")
	case http.StatusPreconditionFailed:
		if reason(err) == nodeDownReason {
			return errs.Wrap(errs.Unavailable, err, "couchdb: shards unreachable")
		}
		return errs.Wrap(errs.Conflict, err, "already exists")
	case http.StatusUnauthorized:
		return errs.Wrap(errs.Unauthenticated, err, "couchdb: not authenticated")
	case http.StatusForbidden:
		return errs.Wrap(errs.Forbidden, err, "couchdb: forbidden")
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType:
		return errs.Wrap(errs.Invalid, err, "couchdb: bad request")
	case http.StatusTooManyRequests:
		return errs.Wrap(errs.RateLimited, err, "couchdb: too many requests")
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return errs.Wrap(errs.Unavailable, err, "couchdb unavailable")
	case http.StatusInternalServerError:
		if reason(err) == timeoutReason {
			return errs.Wrap(errs.Unavailable, err, "couchdb timed out")
		}
	}
	var ne net.Error
	var ue *url.Error
	if errors.As(err, &ne) || errors.As(err, &ue) {
		return errs.Wrap(errs.Unavailable, err, "couchdb unavailable")
	}
	return err
}

// reason is the reason of CouchDB's error answer, or "".
func reason(err error) string {
	var he *chttp.HTTPError
	if errors.As(err, &he) {
		return he.Reason
	}
	return ""
}

// malformedSince reports whether err is the server refusing a _changes
// request's since as malformed: a 400 with malformedSinceReason (compared
// without case or the final period, which kivik's own test servers drop).
func malformedSince(err error) bool {
	want := strings.TrimSuffix(malformedSinceReason, ".")
	r := reason(err)
	return kivik.HTTPStatus(err) == http.StatusBadRequest && len(r) >= len(want) && strings.EqualFold(r[:len(want)], want)
}
