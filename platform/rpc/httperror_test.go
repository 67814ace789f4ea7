package rpc_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/rpc"
)

func TestWriteHTTPError(t *testing.T) {
	for _, tt := range []struct {
		err        error
		status     int
		code       errs.Code
		message    string
		retryAfter string
	}{
		{errs.InvalidFields("bad photo", errs.FieldError{Field: "/photo", Message: "not an image"}), 400, errs.CodeInvalid, "bad photo", ""},
		{errs.New(errs.NotFound, "no such post"), 404, errs.CodeNotFound, "no such post", ""},
		{errs.WithCode(errs.CodeTokenExpired, "token expired"), 401, errs.CodeTokenExpired, "token expired", ""},
		{errs.WithCode(errs.CodeForbidden, "not yours"), 403, errs.CodeForbidden, "not yours", ""},
		{&errs.Error{Code: errs.CodeRateLimited, Msg: "slow down", RetryAfter: 1500 * time.Millisecond}, 429, errs.CodeRateLimited, "slow down", "2"},
		{&errs.Error{Code: errs.CodeInvalid, Msg: "the photo is too large", Err: &http.MaxBytesError{Limit: 10}}, 413, errs.CodeInvalid, "the photo is too large", ""},
		{errors.New("pq: password authentication failed for secret"), 500, rpc.CodeInternalError, "internal error", ""},
	} {
		w := httptest.NewRecorder()
		var logged bytes.Buffer
		rpc.WriteHTTPError(w, httptest.NewRequest(http.MethodPost, "/upload", nil), slog.New(slog.NewTextHandler(&logged, nil)), tt.err)
		if internal := tt.code == rpc.CodeInternalError; internal != strings.Contains(logged.String(), "password authentication failed") {
			t.Errorf("%v: logged %q; want the internal error logged, and only it", tt.err, logged.String())
		}
		var body struct {
			Error struct {
				Code    errs.Code
				Message string
				Data    struct {
					Reason    string
					Retryable bool
					Fields    []errs.FieldError
				}
			}
		}
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
			t.Fatalf("%v: body %q: %v", tt.err, w.Body, err)
		}
		if w.Code != tt.status || body.Error.Code != tt.code || body.Error.Message != tt.message ||
			w.Header().Get("Retry-After") != tt.retryAfter {
			t.Errorf("%v: status %d, Retry-After %q, body %s; want %d, %q, code %d %q",
				tt.err, w.Code, w.Header().Get("Retry-After"), w.Body, tt.status, tt.retryAfter, tt.code, tt.message)
		}
		if tt.code == errs.CodeRateLimited && (!body.Error.Data.Retryable || body.Error.Data.Reason != "rate_limited") {
			t.Errorf("rate limit data = %+v", body.Error.Data)
		}
	}
}
