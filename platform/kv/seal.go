package kv

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"hash"
	"sync"

	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
)

// DevContextKeys is the development key that seals causal contexts where
// KV_CONTEXT_KEYS is not set: public (it is in this file), fine on a laptop,
// a hole anywhere else. The environment form is the one of
// auth.ServiceKeys: "kid:base64-secret,..."; the first key seals, every
// listed key opens, so a key is rotated by listing the new one first and
// dropping the old one once the contexts it sealed are no longer in use.
const DevContextKeys = "dev:3dVo8sbOedxyDTjVU8Xyz9alFPfHubgmTc_zn9QYec4"

// DefaultContextKeys returns DevContextKeys parsed.
func DefaultContextKeys() auth.ServiceKeys { return devKeys() }

var devKeys = sync.OnceValue(func() auth.ServiceKeys {
	var k auth.ServiceKeys
	if err := k.UnmarshalText([]byte(DevContextKeys)); err != nil {
		panic(err) // a constant, valid key: cannot happen
	}
	return k
})

// Scope names where an adapter's contexts are valid: the adapter and the
// bucket type (or table family) of each kind of data. A context sealed in
// one scope opens in no other.
type Scope struct {
	Adapter             string // "pg", "riak"
	Objects, Sets, Maps string // the bucket types
}

// Sealed is the port's face of an adapter: every causal context it hands
// out is sealed (an HMAC-SHA256 over the adapter, the bucket type, the
// bucket, the key and the adapter's own context, under the first key), and
// every context it is given must be one it sealed for the same data, with a
// key it still holds. Anything else (bytes a client made up, a context of
// another key, bucket or kind, a truncated or altered one) is errs.Invalid
// and never reaches the adapter. Contexts travel through clients (phones
// send them back), and Riak crashes the connection on a context it did not
// issue.
type Sealed struct {
	store Store
	scope Scope
	keys  auth.ServiceKeys
}

var _ Store = (*Sealed)(nil)

// Seal wraps an adapter whose contexts are raw. With no keys it seals with
// DefaultContextKeys.
func Seal(store Store, scope Scope, keys auth.ServiceKeys) *Sealed {
	if len(keys) == 0 {
		keys = DefaultContextKeys()
	}
	return &Sealed{store: store, scope: scope, keys: keys}
}

// sealVersion starts every sealed context.
const sealVersion byte = 0xA1

// macOf returns the MAC of raw for (bucketType, bucket, key) under key k.
func (s *Sealed) macOf(k auth.ServiceKey, bucketType, bucket, key string, raw []byte) []byte {
	m := hmac.New(sha256.New, k.Secret)
	for _, part := range []string{"attendify kv context v1", s.scope.Adapter, bucketType, bucket, key, k.ID} {
		writeField(m, []byte(part))
	}
	writeField(m, raw)
	return m.Sum(nil)
}

// writeField writes b with its length, so that fields cannot run into
// each other.
func writeField(h hash.Hash, b []byte) {
	var n [binary.MaxVarintLen64]byte
	h.Write(n[:binary.PutUvarint(n[:], uint64(len(b)))])
	h.Write(b)
}

// seal returns the sealed form of the adapter's context raw: version, key
// id (length-prefixed), raw, MAC. A nil raw stays nil.
func (s *Sealed) seal(bucketType, bucket, key string, raw []byte) []byte {
	if raw == nil {
		return nil
	}
	k := s.keys[0]
	out := make([]byte, 0, 1+binary.MaxVarintLen64+len(k.ID)+len(raw)+sha256.Size)
	out = append(out, sealVersion)
	out = binary.AppendUvarint(out, uint64(len(k.ID)))
	out = append(out, k.ID...)
	out = append(out, raw...)
	return append(out, s.macOf(k, bucketType, bucket, key, raw)...)
}

var errNotSealed = errors.New("not a causal context this store issued")

// open returns the adapter's context in cc, sealed for (bucketType,
// bucket, key). An empty cc is "no context" and stays nil.
func (s *Sealed) open(bucketType, bucket, key string, cc []byte) ([]byte, error) {
	if len(cc) == 0 {
		return nil, nil
	}
	raw, err := s.unseal(bucketType, bucket, key, cc)
	if err != nil {
		return nil, errs.Wrap(errs.Invalid, err, "kv: the causal context is not one issued for %s/%s (made up, altered or of other data)", bucket, key)
	}
	return raw, nil
}

func (s *Sealed) unseal(bucketType, bucket, key string, cc []byte) ([]byte, error) {
	if len(cc) < 1+sha256.Size || cc[0] != sealVersion {
		return nil, errNotSealed
	}
	body := cc[1 : len(cc)-sha256.Size]
	idLen, n := binary.Uvarint(body)
	if n <= 0 || idLen > uint64(len(body)-n) {
		return nil, errNotSealed
	}
	id := string(body[n : n+int(idLen)])
	raw := body[n+int(idLen):]
	mac := cc[len(cc)-sha256.Size:]
	for _, k := range s.keys {
		if k.ID == id && hmac.Equal(mac, s.macOf(k, bucketType, bucket, key, raw)) {
			return raw, nil
		}
	}
	return nil, errNotSealed
}

// Get implements Objects.
func (s *Sealed) Get(ctx context.Context, bucket, key string) (Object, error) {
	o, err := s.store.Get(ctx, bucket, key)
	var sib *Siblings
	if errors.As(err, &sib) {
		sib.Context = s.seal(s.scope.Objects, bucket, key, sib.Context)
	}
	o.Context = s.seal(s.scope.Objects, bucket, key, o.Context)
	return o, err
}

// Put implements Objects.
func (s *Sealed) Put(ctx context.Context, bucket, key string, value, cc []byte) ([]byte, error) {
	raw, err := s.open(s.scope.Objects, bucket, key, cc)
	if err != nil {
		return nil, err
	}
	next, err := s.store.Put(ctx, bucket, key, value, raw)
	return s.seal(s.scope.Objects, bucket, key, next), err
}

// Delete implements Objects.
func (s *Sealed) Delete(ctx context.Context, bucket, key string, cc []byte) error {
	raw, err := s.open(s.scope.Objects, bucket, key, cc)
	if err != nil {
		return err
	}
	return s.store.Delete(ctx, bucket, key, raw)
}

// Incr implements Counters.
func (s *Sealed) Incr(ctx context.Context, bucket, key string, delta int64) (int64, error) {
	return s.store.Incr(ctx, bucket, key, delta)
}

// Counter implements Counters.
func (s *Sealed) Counter(ctx context.Context, bucket, key string) (int64, error) {
	return s.store.Counter(ctx, bucket, key)
}

// SetAdd implements Sets.
func (s *Sealed) SetAdd(ctx context.Context, bucket, key string, members ...string) error {
	return s.store.SetAdd(ctx, bucket, key, members...)
}

// SetRemove implements Sets.
func (s *Sealed) SetRemove(ctx context.Context, bucket, key string, cc []byte, members ...string) error {
	raw, err := s.open(s.scope.Sets, bucket, key, cc)
	if err != nil {
		return err
	}
	return s.store.SetRemove(ctx, bucket, key, raw, members...)
}

// SetMembers implements Sets.
func (s *Sealed) SetMembers(ctx context.Context, bucket, key string) ([]string, []byte, error) {
	ms, cc, err := s.store.SetMembers(ctx, bucket, key)
	return ms, s.seal(s.scope.Sets, bucket, key, cc), err
}

// SetContains implements Sets.
func (s *Sealed) SetContains(ctx context.Context, bucket, key, member string) (bool, error) {
	return s.store.SetContains(ctx, bucket, key, member)
}

// MapUpdate implements Maps.
func (s *Sealed) MapUpdate(ctx context.Context, bucket, key string, cc []byte, ops MapOps) error {
	raw, err := s.open(s.scope.Maps, bucket, key, cc)
	if err != nil {
		return err
	}
	return s.store.MapUpdate(ctx, bucket, key, raw, ops)
}

// MapGet implements Maps.
func (s *Sealed) MapGet(ctx context.Context, bucket, key string) (Map, []byte, error) {
	m, cc, err := s.store.MapGet(ctx, bucket, key)
	return m, s.seal(s.scope.Maps, bucket, key, cc), err
}
