package rpc

import (
	"encoding/json"
	"reflect"

	invopop "github.com/invopop/jsonschema"
)

// Unchecked is a part of a method's params that the params' schema takes
// as any JSON value: the method reads and checks it itself, so that when
// it breaks the rules the error is that part's, not the whole call's. A
// phone's queue of operations recorded offline is the case: refused whole
// for one bad operation, it would be refused again on every sync, and its
// other operations would never arrive.
//
// T is the part's documented shape. The params' schema gives T's schema
// as the value's "x-shape", which validators ignore and the OpenRPC
// document keeps, so that generated clients type the value as T; Of
// encodes a T, and Decode reads one back as encoding/json would, failing
// where the value does not fit T.
type Unchecked[T any] json.RawMessage

// Of encodes v as an Unchecked[T].
func Of[T any](v T) (Unchecked[T], error) {
	b, err := json.Marshal(v)
	return Unchecked[T](b), err
}

// Decode reads the value as a T.
func (u Unchecked[T]) Decode() (T, error) {
	var v T
	err := json.Unmarshal(u, &v)
	return v, err
}

// MarshalJSON writes the value as it is (null when empty).
func (u Unchecked[T]) MarshalJSON() ([]byte, error) {
	return json.RawMessage(u).MarshalJSON()
}

// UnmarshalJSON keeps a copy of the value.
func (u *Unchecked[T]) UnmarshalJSON(b []byte) error {
	*u = append((*u)[:0], b...)
	return nil
}

// JSONSchema is the value's schema: any value, T's schema as "x-shape".
func (Unchecked[T]) JSONSchema() *invopop.Schema {
	shape := schemaOf(reflect.TypeFor[T]())
	shape.Version = ""
	return &invopop.Schema{Extras: map[string]any{"x-shape": shape}}
}
