package placement

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"strings"
	"sync"

	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
)

// DevLinkKey is the development key of SPONSORED_LINK_KEYS: fine on a
// laptop, a hole anywhere else.
const DevLinkKey = "dev:Q2hhbmdlIG1lOiBzcG9uc29yZWQgbGlua3MgZGV2IGtleQ"

// Signer signs and verifies the links that grant something by being known
// (click redirects, sponsors' report pages): an HMAC-SHA256 truncated to
// 128 bits over a purpose and the link's parts, with a key id so that keys
// rotate (the first key signs, every key verifies). Social (placement) and
// sponsored share the keys (SPONSORED_LINK_KEYS).
type Signer struct {
	keys auth.ServiceKeys
	macs sync.Pool // HMAC states of the signing key, reset between uses
}

// NewSigner returns a signer with keys; it is an error to give none.
func NewSigner(keys auth.ServiceKeys) (*Signer, error) {
	if len(keys) == 0 {
		return nil, errs.New(errs.Invalid, "sponsored: no link keys (SPONSORED_LINK_KEYS)")
	}
	k := keys[0].Secret
	return &Signer{keys: keys, macs: sync.Pool{New: func() any { return hmac.New(sha256.New, k) }}}, nil
}

// Dev reports whether the development key is in use.
func (s *Signer) Dev() bool {
	var dev auth.ServiceKeys
	_ = dev.UnmarshalText([]byte(DevLinkKey))
	for _, k := range s.keys {
		if hmac.Equal(k.Secret, dev[0].Secret) {
			return true
		}
	}
	return false
}

const macBytes = 16 // 128 bits

// Sign returns "<kid>.<parts>.<mac>", every piece base64url: the parts
// joined by a NUL (which no part may contain).
func (s *Signer) Sign(purpose string, parts ...string) string {
	k := s.keys[0]
	payload := strings.Join(parts, "\x00")
	h := s.macs.Get().(hash.Hash)
	defer s.macs.Put(h)
	h.Reset()
	var sum [sha256.Size]byte
	return k.ID + "." + b64.EncodeToString([]byte(payload)) + "." + b64.EncodeToString(macWith(h, purpose, payload, sum[:0]))
}

// Verify checks a token Sign made for purpose and returns its parts, or
// errs.NotFound (the caller answers 404: a bad link and a revoked one look
// the same).
func (s *Signer) Verify(purpose, token string, nparts int) ([]string, error) {
	bad := errs.New(errs.NotFound, "link not found")
	kid, rest, ok := strings.Cut(token, ".")
	if !ok || len(token) > 2048 {
		return nil, bad
	}
	enc, sig, ok := strings.Cut(rest, ".")
	if !ok {
		return nil, bad
	}
	payload, err1 := b64.DecodeString(enc)
	got, err2 := b64.DecodeString(sig)
	if err1 != nil || err2 != nil || len(got) != macBytes {
		return nil, bad
	}
	// One spelling per token: the decoder ignores line breaks and the
	// unused low bits of the last character, which would let one link be
	// written many ways.
	if b64.EncodeToString(payload) != enc || b64.EncodeToString(got) != sig {
		return nil, bad
	}
	for _, k := range s.keys {
		if k.ID == kid && hmac.Equal(got, mac(k.Secret, purpose, string(payload))) {
			parts := strings.Split(string(payload), "\x00")
			if len(parts) != nparts {
				return nil, bad
			}
			return parts, nil
		}
	}
	return nil, bad
}

func mac(secret []byte, purpose, payload string) []byte {
	return macWith(hmac.New(sha256.New, secret), purpose, payload, nil)
}

// macWith is the link MAC with h, a fresh or reset HMAC state of the key.
func macWith(h hash.Hash, purpose, payload string, sum []byte) []byte {
	h.Write([]byte(purpose))
	h.Write([]byte{0})
	h.Write([]byte(payload))
	return h.Sum(sum)[:macBytes]
}

var b64 = base64.RawURLEncoding

// NewSecret returns 128 random bits, base64url: impression ids and the
// nonces of report links, which grant access by being known.
func NewSecret() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return b64.EncodeToString(b[:])
}

// Click link purpose and parts: app, campaign, impression, member.
const purposeClick = "click"

// ClickToken signs a click on an impression of a campaign, shown to a
// member: the click that VerifyClick returns.
func (s *Signer) ClickToken(ref ClickRef) string {
	return s.Sign(purposeClick, ref.App, ref.Campaign, ref.Impression, ref.Member)
}

// ClickRef is what a verified click token names.
type ClickRef struct {
	App, Campaign, Impression, Member string
}

// VerifyClick checks a click token.
func (s *Signer) VerifyClick(token string) (ClickRef, error) {
	p, err := s.Verify(purposeClick, token, 4)
	if err != nil {
		return ClickRef{}, err
	}
	return ClickRef{App: p[0], Campaign: p[1], Impression: p[2], Member: p[3]}, nil
}
