// Package auth decides who is calling and what they may do: user tokens
// issued by hub and verified locally by every service (Ed25519-signed JWS,
// key id, rotation), HMAC-signed service-to-service calls with a replay
// window, and the coarse per-method auth levels the rpc layer enforces.
//
// Error codes (see platform/errs): no credentials CodeUnauthenticated; an
// expired user token CodeTokenExpired; a malformed, tampered, wrongly signed
// or unknown-key token CodeTokenInvalid; a token of another app
// CodeTokenWrongApp; a bad service signature or unknown service key
// CodeSignatureInvalid; a service timestamp outside the window
// CodeSignatureExpired; a service call signed before the nonce store's
// epoch CodeSignatureStale (retryable: sign it again); a replayed nonce
// CodeNonceReplayed; a caller whose role is not enough CodeForbidden.
package auth

import (
	"fmt"
	"strings"
)

// Level is the coarse authorization a method requires. Finer rules (a
// moderator may hide posts, only an owner may delete the app) belong to the
// service that owns the data.
type Level uint8

// The levels, from the most open to the most closed.
const (
	Public  Level = iota // anyone, no credentials
	User                 // any signed-in user (organizer account actions)
	Member               // a member of the app addressed, or a service
	Admin                // an organizer of the app addressed, or a service
	Service              // a signed service call only
)

var levelNames = [...]string{
	Public:  "public",
	User:    "user",
	Member:  "member",
	Admin:   "admin",
	Service: "service",
}

// String is the level's name as used in docs and the OpenRPC document.
func (l Level) String() string {
	if int(l) < len(levelNames) {
		return levelNames[l]
	}
	return fmt.Sprintf("level(%d)", l)
}

// ParseLevel parses a level name ("public", "user", "member", "admin",
// "service"), case-insensitively.
func ParseLevel(s string) (Level, error) {
	for l, name := range levelNames {
		if strings.EqualFold(s, name) {
			return Level(l), nil
		}
	}
	return 0, fmt.Errorf("auth: unknown level %q", s)
}

// MarshalText encodes the level as its name.
func (l Level) MarshalText() ([]byte, error) {
	if int(l) >= len(levelNames) {
		return nil, fmt.Errorf("auth: unknown level %d", l)
	}
	return []byte(l.String()), nil
}

// UnmarshalText decodes a level name.
func (l *Level) UnmarshalText(b []byte) error {
	v, err := ParseLevel(string(b))
	if err != nil {
		return err
	}
	*l = v
	return nil
}
