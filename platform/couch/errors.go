package couch

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"

	"github.com/attendify/platform/errs"
	kivik "github.com/go-kivik/kivik/v4"
)

// Err translates a kivik error into an errs kind, keeping it as the cause:
//
//   - 404 (missing document or database): errs.NotFound
//   - 409 (document update conflict) and 412 (database exists): errs.Conflict
//   - 401: errs.Unauthenticated; 403: errs.Forbidden
//   - 400, 413, 415 (bad request, document too large): errs.Invalid
//   - 429: errs.RateLimited
//   - network errors and 502, 503, 504: errs.Unavailable
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
	}
	var ne net.Error
	var ue *url.Error
	if errors.As(err, &ne) || errors.As(err, &ue) {
		return errs.Wrap(errs.Unavailable, err, "couchdb unavailable")
	}
	return err
}
