package auth

import (
	"context"
	"net/http"

	"github.com/attendify/platform/errs"
)

// RouteCaller authenticates a request to a plain HTTP route (photos,
// uploads, exports: the routes beside the JSON-RPC endpoint) by the user
// token in its Authorization: Bearer header. It returns the caller and r's
// context carrying it (CallerFrom). Without a bearer token (no header, or
// one of another scheme) the error is NoCredentials; a token that does not
// verify gives Verify's error (CodeTokenExpired, CodeTokenInvalid: a
// malformed token, or one signed by a key the verifier does not know).
// Written by rpc.WriteHTTPError, each is a 401 with the WWW-Authenticate
// challenge of Challenge. Whether the caller may use the route (its app,
// its role) is the route's to check, with Caller.Allows.
func (v *Verifier) RouteCaller(r *http.Request) (context.Context, Caller, error) {
	token, ok := BearerToken(r)
	if !ok {
		return nil, Caller{}, NoCredentials()
	}
	claims, err := v.Verify(token)
	if err != nil {
		return nil, Caller{}, err
	}
	c := claims.Caller(token)
	return WithCaller(r.Context(), c), c, nil
}

// Challenge is the WWW-Authenticate header of a 401 answer caused by err
// (RFC 6750): the bearer scheme, with error="invalid_token" when a token
// was presented and refused.
func Challenge(err error) string {
	switch errs.CodeOf(err) {
	case errs.CodeTokenExpired:
		return `Bearer realm="attendify", error="invalid_token", error_description="the token has expired"`
	case errs.CodeTokenInvalid:
		return `Bearer realm="attendify", error="invalid_token"`
	}
	return `Bearer realm="attendify"`
}
