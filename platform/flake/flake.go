// Package flake generates k-sortable 128-bit ids: 48 bits of Unix
// milliseconds, a 16-bit sequence and a 64-bit worker id. Ids from one
// Generator are strictly increasing; ids from different processes differ in
// the worker id, which is random per process unless the caller pins it
// (New with a non-zero worker).
//
// The string form is 26 characters of Crockford base32, so that ids sort as
// strings in the same order as they sort as numbers (and roughly by time).
package flake

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"sync"
	"time"
)

// ID is a 128-bit flake id.
type ID [16]byte

// Generator makes ids for one worker. The zero value is not usable; use New.
type Generator struct {
	worker uint64
	now    func() time.Time

	mu     sync.Mutex
	lastMS uint64
	seq    uint32
}

const (
	maxMS  = 1<<48 - 1
	maxSeq = 1<<16 - 1
)

// New returns a generator with the given worker id. A zero worker id draws a
// random one from crypto/rand, which keeps separate processes apart with
// overwhelming probability (2^64 worker ids).
func New(worker uint64) *Generator {
	for worker == 0 {
		var b [8]byte
		_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
		worker = binary.BigEndian.Uint64(b[:])
	}
	return &Generator{worker: worker, now: time.Now}
}

// Next returns the next id. It is monotonic even when the wall clock steps
// back or more than 65,536 ids are made in one millisecond: the generator then
// runs on its own logical clock until the wall clock catches up.
func (g *Generator) Next() ID {
	ms := uint64(g.now().UnixMilli()) & maxMS
	g.mu.Lock()
	if ms > g.lastMS {
		g.lastMS, g.seq = ms, 0
	} else if g.seq == maxSeq {
		g.lastMS, g.seq = g.lastMS+1, 0
	} else {
		g.seq++
	}
	ms, seq := g.lastMS, g.seq
	g.mu.Unlock()

	var id ID
	binary.BigEndian.PutUint64(id[0:8], ms<<16|uint64(seq))
	binary.BigEndian.PutUint64(id[8:16], g.worker)
	return id
}

// Worker is the generator's worker id.
func (g *Generator) Worker() uint64 { return g.worker }

// Time is the millisecond timestamp embedded in the id.
func (id ID) Time() time.Time {
	return time.UnixMilli(int64(binary.BigEndian.Uint64(id[0:8]) >> 16))
}

// IsZero reports whether id is the zero id.
func (id ID) IsZero() bool { return id == ID{} }

const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ" // Crockford base32

// String encodes the id as 26 characters of Crockford base32.
func (id ID) String() string {
	var b [26]byte
	id.encode(b[:])
	return string(b[:])
}

// AppendText appends the string form to dst without allocating a string.
func (id ID) AppendText(dst []byte) ([]byte, error) {
	var b [26]byte
	id.encode(b[:])
	return append(dst, b[:]...), nil
}

// MarshalText implements encoding.TextMarshaler.
func (id ID) MarshalText() ([]byte, error) { return id.AppendText(nil) }

// UnmarshalText implements encoding.TextUnmarshaler.
func (id *ID) UnmarshalText(b []byte) error {
	p, err := Parse(string(b))
	if err != nil {
		return err
	}
	*id = p
	return nil
}

// encode writes 26 base32 digits: 128 bits padded to 130 with two leading
// zero bits, most significant digit first.
func (id ID) encode(b []byte) {
	hi := binary.BigEndian.Uint64(id[0:8])
	lo := binary.BigEndian.Uint64(id[8:16])
	for i := 25; i >= 0; i-- {
		b[i] = alphabet[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
}

// ErrSyntax is returned by Parse for a string that is not a flake id.
var ErrSyntax = errors.New("flake: not a 26-character Crockford base32 id")

var decodeTable = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xFF
	}
	for i := 0; i < len(alphabet); i++ {
		t[alphabet[i]] = byte(i)
		t[alphabet[i]|0x20] = byte(i) // lower case
	}
	for c, v := range map[byte]byte{'O': 0, 'o': 0, 'I': 1, 'i': 1, 'L': 1, 'l': 1} {
		t[c] = v
	}
	return t
}()

// Parse decodes the string form (case-insensitive, with Crockford's
// substitutions for O, I and L).
func Parse(s string) (ID, error) {
	if len(s) != 26 {
		return ID{}, ErrSyntax
	}
	var hi, lo uint64
	for i := 0; i < 26; i++ {
		v := decodeTable[s[i]]
		if v == 0xFF || (i == 0 && v > 3) { // the first digit holds only 3 bits
			return ID{}, ErrSyntax
		}
		hi = hi<<5 | lo>>59
		lo = lo<<5 | uint64(v)
	}
	var id ID
	binary.BigEndian.PutUint64(id[0:8], hi)
	binary.BigEndian.PutUint64(id[8:16], lo)
	return id, nil
}
