package service

import (
	"encoding/base64"
	"encoding/json"

	"github.com/attendify/platform/errs"
)

// encodeCursor is the opaque cursor of a listing's next page: its keyset
// position c, as URL-safe base64 of JSON.
func encodeCursor(c any) string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor reads a cursor encodeCursor made into c; ok says whether c
// names a position (ok(c) false, or a cursor that does not decode, is an
// invalid /cursor).
func decodeCursor[T any](s string, ok func(T) bool) (T, error) {
	var c T
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &c) != nil || !ok(c) {
		var zero T
		return zero, errs.InvalidFields("bad cursor", errs.FieldError{Field: "/cursor", Message: "not a cursor of this listing"})
	}
	return c, nil
}
