// Package errs is the small set of error kinds every service and store adapter
// speaks, and the stable application codes that the JSON-RPC layer sends to
// clients.
//
// A store adapter translates its backend's "not found" or "conflict" into a
// kind at its boundary; service code adds context with fmt.Errorf("...: %w");
// the rpc layer maps whatever comes out to a wire code with CodeOf. Check kinds
// with errors.Is(err, errs.NotFound), never with a type assertion.
package errs

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Kind is the coarse class of an error. A Kind is itself an error, so
// errors.Is(err, errs.NotFound) reports whether err is of that kind.
type Kind uint8

// The kinds. Internal is the zero value: anything unclassified is internal.
const (
	Internal Kind = iota
	Invalid
	NotFound
	Conflict
	Unauthenticated
	Forbidden
	RateLimited
	Unavailable
	Overloaded
	DeadlineExceeded
	Canceled
)

var kindNames = [...]string{
	Internal:         "internal",
	Invalid:          "invalid",
	NotFound:         "not_found",
	Conflict:         "conflict",
	Unauthenticated:  "unauthenticated",
	Forbidden:        "forbidden",
	RateLimited:      "rate_limited",
	Unavailable:      "unavailable",
	Overloaded:       "overloaded",
	DeadlineExceeded: "deadline_exceeded",
	Canceled:         "canceled",
}

// ErrConcurrentChange is in the chain of a Conflict that two concurrent
// transactions caused (a serialization failure, a deadlock, a lock not
// available), as opposed to one the caller's data caused (a duplicate
// name, email or slug). Code that turns a Conflict into a message about
// the caller's data must leave these as they are: pg.InTx runs their
// transaction again, and a caller may retry.
var ErrConcurrentChange = errors.New("conflicting concurrent change")

func (k Kind) Error() string { return k.String() }

// String is the kind's stable snake_case name, used in logs and error data.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// Error is an error with a kind, a stable code, a message safe to show to
// the caller, optional per-field problems and an optional cause that is
// logged but never sent to clients.
type Error struct {
	Code       Code
	Msg        string
	Fields     []FieldError
	RetryAfter time.Duration // a hint for retryable codes; zero means none
	Err        error
}

// FieldError names one bad input field (a JSON pointer such as "/email" or a
// spreadsheet cell) and what is wrong with it.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (e *Error) Error() string {
	msg := e.Msg
	if msg == "" {
		msg = e.Code.Name()
	}
	if e.Err != nil {
		return msg + ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is this error's Kind, so that errors.Is works
// with the Kind constants.
func (e *Error) Is(target error) bool {
	k, ok := target.(Kind)
	return ok && k == e.Code.Kind()
}

// Kind is the error's coarse class.
func (e *Error) Kind() Kind { return e.Code.Kind() }

// New returns an error of kind k with the kind's default code.
func New(k Kind, format string, args ...any) error {
	return &Error{Code: k.Code(), Msg: sprintf(format, args)}
}

// Wrap returns an error of kind k whose cause is err. The message is for the
// caller; err is kept for logs. Wrap returns nil when err is nil.
func Wrap(k Kind, err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return &Error{Code: k.Code(), Msg: sprintf(format, args), Err: err}
}

// Annotate adds where an error happened to *errp, in the manner of pkgsite's
// derrors.Wrap: deferred at the entry of a store method,
//
//	defer errs.Annotate(&err, "store.MemberByEmail(%s, %s)", app, email)
//
// it turns a failure into "store.MemberByEmail(a1, ann@example.com): ..." in
// the logs. The error stays what it was for errors.Is, errors.As, KindOf and
// CodeOf, and the message a client sees (an *Error's Msg, or "internal
// error") does not change. Annotate does nothing when *errp is nil.
func Annotate(errp *error, format string, args ...any) {
	if *errp != nil {
		*errp = fmt.Errorf("%s: %w", sprintf(format, args), *errp)
	}
}

// WithCode returns an error with a specific application code (for example
// CodeTokenExpired); its kind is the code's kind.
func WithCode(c Code, format string, args ...any) error {
	return &Error{Code: c, Msg: sprintf(format, args)}
}

// InvalidFields returns an Invalid error listing every bad field.
func InvalidFields(msg string, fields ...FieldError) error {
	return &Error{Code: CodeInvalid, Msg: msg, Fields: fields}
}

func sprintf(format string, args []any) string {
	if len(args) == 0 {
		return format
	}
	return fmt.Sprintf(format, args...)
}

// KindOf classifies any error: an *Error's kind, a bare Kind, context errors
// as DeadlineExceeded or Canceled, and Internal for everything else.
func KindOf(err error) Kind {
	if err == nil {
		return Internal
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Kind()
	}
	var k Kind
	if errors.As(err, &k) {
		return k
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return DeadlineExceeded
	case errors.Is(err, context.Canceled):
		return Canceled
	}
	return Internal
}

// CodeOf returns the application code of err (the code of an *Error, or the
// default code of its kind).
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return KindOf(err).Code()
}

// As returns err's *Error, if it has one.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
