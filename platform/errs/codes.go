package errs

import "slices"

// Code is a stable application error code sent to clients as the JSON-RPC
// error code. Codes never change meaning once published; the table below is
// the documentation (README "Error codes" is generated from it by tests).
//
// The JSON-RPC protocol codes (-32700 .. -32603) belong to the rpc package;
// application codes are positive and grouped by kind.
type Code int

// The application codes.
const (
	CodeInternal Code = 1000 // unexpected failure; details only in the server log

	CodeInvalid  Code = 1001 // the request is well-formed but its content is not acceptable
	CodeNotFound Code = 1004 // the addressed object does not exist (or is not visible to the caller)
	CodeConflict Code = 1009 // a concurrent change or a uniqueness rule prevents the write

	CodeUnauthenticated  Code = 1401 // no credentials were presented
	CodeTokenExpired     Code = 1402 // the user token has expired: sign in again
	CodeTokenInvalid     Code = 1403 // the user token is malformed, tampered with or signed by an unknown key
	CodeTokenWrongApp    Code = 1404 // the user token is not one of the app addressed (another app's, or an organizer's account token)
	CodeSignatureInvalid Code = 1405 // a service call's HMAC signature does not verify (or unknown key id)
	CodeSignatureExpired Code = 1406 // a service call's timestamp is outside the ±5 minute window
	CodeNonceReplayed    Code = 1407 // a service call's nonce was already used
	CodeSignatureStale   Code = 1408 // retryable: a service call was signed before the receiver's nonce store started; sign it again

	CodeForbidden Code = 1410 // authenticated, but the caller may not do this

	CodeRateLimited Code = 1429 // retryable: too many calls from this caller; honour retry_after_ms

	CodeUnavailable        Code = 1503 // retryable: a dependency is unavailable
	CodeDeadlineExceeded   Code = 1504 // the call ran out of time
	CodeInsufficientBudget Code = 1505 // retryable: the caller's remaining deadline is shorter than the method needs
	CodeOverloaded         Code = 1529 // retryable: the server is shedding load; honour retry_after_ms
	CodeCanceled           Code = 1499 // the caller went away
)

type codeInfo struct {
	name      string
	kind      Kind
	retryable bool
	doc       string
}

var codes = map[Code]codeInfo{
	CodeInternal:           {"internal", Internal, false, "unexpected failure; details only in the server log"},
	CodeInvalid:            {"invalid", Invalid, false, "the request is well-formed but its content is not acceptable"},
	CodeNotFound:           {"not_found", NotFound, false, "the addressed object does not exist or is not visible to the caller"},
	CodeConflict:           {"conflict", Conflict, false, "a concurrent change or a uniqueness rule prevents the write"},
	CodeUnauthenticated:    {"unauthenticated", Unauthenticated, false, "no credentials were presented (a user token goes in `Authorization: Bearer <token>`)"},
	CodeTokenExpired:       {"token_expired", Unauthenticated, false, "the user token has expired"},
	CodeTokenInvalid:       {"token_invalid", Unauthenticated, false, "the user token is malformed, tampered with or signed by an unknown key"},
	CodeTokenWrongApp:      {"token_wrong_app", Forbidden, false, "the user token is not one of the app addressed: another app's, or an organizer's account token (exchange it with auth.appToken)"},
	CodeSignatureInvalid:   {"signature_invalid", Unauthenticated, false, "a service call's signature does not verify"},
	CodeSignatureExpired:   {"signature_expired", Unauthenticated, false, "a service call's timestamp is outside the allowed window"},
	CodeNonceReplayed:      {"nonce_replayed", Unauthenticated, false, "a service call's nonce was already used"},
	CodeSignatureStale:     {"signature_stale", Unauthenticated, true, "a service call was signed before the receiver's nonce store started; sign it again"},
	CodeForbidden:          {"forbidden", Forbidden, false, "the caller may not do this"},
	CodeRateLimited:        {"rate_limited", RateLimited, true, "too many calls; retry after retry_after_ms"},
	CodeUnavailable:        {"unavailable", Unavailable, true, "a dependency is unavailable"},
	CodeDeadlineExceeded:   {"deadline_exceeded", DeadlineExceeded, false, "the call ran out of time"},
	CodeInsufficientBudget: {"insufficient_budget", DeadlineExceeded, true, "the caller's remaining deadline is shorter than the method needs"},
	CodeOverloaded:         {"overloaded", Overloaded, true, "the server is shedding load; retry after retry_after_ms"},
	CodeCanceled:           {"canceled", Canceled, false, "the caller went away"},
}

var kindCodes = [...]Code{
	Internal:         CodeInternal,
	Invalid:          CodeInvalid,
	NotFound:         CodeNotFound,
	Conflict:         CodeConflict,
	Unauthenticated:  CodeUnauthenticated,
	Forbidden:        CodeForbidden,
	RateLimited:      CodeRateLimited,
	Unavailable:      CodeUnavailable,
	Overloaded:       CodeOverloaded,
	DeadlineExceeded: CodeDeadlineExceeded,
	Canceled:         CodeCanceled,
}

// Code is the kind's default application code.
func (k Kind) Code() Code {
	if int(k) < len(kindCodes) {
		return kindCodes[k]
	}
	return CodeInternal
}

// Kind is the class the code belongs to; unknown codes are Internal.
func (c Code) Kind() Kind { return codes[c].kind }

// Name is the code's stable snake_case name ("token_expired").
func (c Code) Name() string {
	if i, ok := codes[c]; ok {
		return i.name
	}
	return "unknown"
}

// Retryable reports whether a caller may retry the same call after this code.
func (c Code) Retryable() bool { return codes[c].retryable }

// Doc is the one-line documentation of the code.
func (c Code) Doc() string { return codes[c].doc }

// Known reports whether c is in the table.
func (c Code) Known() bool { _, ok := codes[c]; return ok }

// Codes lists every application code in ascending order, for documentation.
func Codes() []Code {
	out := make([]Code, 0, len(codes))
	for c := range codes {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}
