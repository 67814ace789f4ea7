package screen

import (
	"bytes"
	"cmp"
	"crypto/subtle"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/attendify/eventwall"
	"github.com/attendify/eventwall/internal/service"
)

type item struct {
	seq     uint64
	created int64 // the post's creation time (unix ms): a wall's order
	json    []byte
}

// newItem reads a stored screen item's creation time.
func newItem(seq uint64, js []byte) item {
	var it struct {
		CreatedAt time.Time `json:"created_at"`
	}
	_ = json.Unmarshal(js, &it) // the board stores what Render made
	return item{seq: seq, created: it.CreatedAt.UnixMilli(), json: js}
}

// newerFirst compares two items of s by id for sorting newest first: by
// creation time, then by id. Never by arrival: CouchDB's _changes feed
// interleaves its shards, so posts arrive in no particular order.
func (s *snapshot) newerFirst(a, b string) int {
	if c := cmp.Compare(s.items[b].created, s.items[a].created); c != 0 {
		return c
	}
	return strings.Compare(b, a)
}

// snapshot is one state of a wall, immutable once published except for
// its cache of encoded answers. When a newer state replaces it, changed is
// closed: long polls and streams wait on it.
type snapshot struct {
	wall        string
	epoch       string
	head, floor uint64
	cursor      string   // epoch.head: what a screen up to date sends
	etag        []string // the ETag header value, `"<cursor>"`, ready to assign
	rec         service.ScreenRecord
	key         []byte
	token       []byte
	cfgSeq      uint64
	items       map[string]item
	removed     map[string]uint64 // post -> sequence of its removal
	newest      []string          // ids of items, newest first (by creation time)
	changed     chan struct{}

	fullOnce sync.Once
	full     []byte
	mu       sync.Mutex
	answers  map[string][]byte // by the cursor asked from
}

// maxAnswers bounds a snapshot's cache of encoded answers; screens are all
// at one of a few cursors, so a handful is plenty.
const maxAnswers = 64

func newSnapshot(wall string, st State, rec service.ScreenRecord) *snapshot {
	s := &snapshot{
		wall: wall, epoch: st.Epoch, head: st.Head, floor: st.Floor, rec: rec,
		items: make(map[string]item, len(st.Items)), removed: map[string]uint64{},
		cfgSeq: st.Seqs[ConfigMember],
	}
	for post, js := range st.Items {
		seq, ok := st.Seqs[post]
		if !ok {
			seq = st.Floor // its change was trimmed from the log
		}
		s.items[post] = newItem(seq, js)
	}
	for m, seq := range st.Seqs {
		if _, shown := s.items[m]; !shown && m != ConfigMember {
			s.removed[m] = seq
		}
	}
	s.finish()
	return s
}

// next returns the snapshot after d.
func (s *snapshot) next(d Delta, rec service.ScreenRecord) *snapshot {
	n := &snapshot{
		wall: s.wall, epoch: s.epoch, head: d.Head, floor: d.Floor, rec: rec, cfgSeq: s.cfgSeq,
		items: maps.Clone(s.items), removed: maps.Clone(s.removed),
	}
	if d.Config != nil {
		n.cfgSeq = d.ConfigSeq
	}
	for _, c := range d.Changes {
		if c.Item != nil {
			n.items[c.Post] = newItem(c.Seq, c.Item)
			delete(n.removed, c.Post)
		} else {
			delete(n.items, c.Post)
			n.removed[c.Post] = c.Seq
		}
	}
	for p, seq := range n.removed {
		if seq <= n.floor {
			delete(n.removed, p)
		}
	}
	n.finish()
	return n
}

func (s *snapshot) finish() {
	s.cursor = s.epoch + "." + strconv.FormatUint(s.head, 10)
	s.etag = []string{`"` + s.cursor + `"`}
	s.key = []byte(s.rec.Key)
	s.token = []byte(s.rec.Token)
	s.newest = slices.Collect(maps.Keys(s.items))
	slices.SortFunc(s.newest, s.newerFirst)
	s.changed = make(chan struct{})
	s.answers = map[string][]byte{}
}

// tokenOK reports whether token is the wall's screen token.
func (s *snapshot) tokenOK(token string) bool {
	return len(s.token) > 0 && subtle.ConstantTimeCompare([]byte(token), s.token) == 1
}

// keyOK reports whether key opens the wall.
func (s *snapshot) keyOK(key string) bool {
	if s.rec.Public {
		return true
	}
	return len(s.key) > 0 && subtle.ConstantTimeCompare([]byte(key), s.key) == 1
}

// parseCursor splits "epoch.seq".
func parseCursor(c string) (epoch string, seq uint64, ok bool) {
	i := strings.LastIndexByte(c, '.')
	if i < 0 {
		return "", 0, false
	}
	n, err := strconv.ParseUint(c[i+1:], 10, 64)
	if err != nil {
		return "", 0, false
	}
	return c[:i], n, true
}

// answer is the encoded Changes from the cursor a screen sent (empty: none)
// to this snapshot.
func (s *snapshot) answer(from string) []byte {
	epoch, seq, ok := parseCursor(from)
	if !ok || epoch != s.epoch || seq < s.floor || seq > s.head {
		return s.fullAnswer()
	}
	s.mu.Lock()
	b, ok := s.answers[from]
	s.mu.Unlock()
	if ok {
		return b
	}
	b = s.delta(seq)
	s.mu.Lock()
	if len(s.answers) >= maxAnswers {
		clear(s.answers)
	}
	s.answers[from] = b
	s.mu.Unlock()
	return b
}

func (s *snapshot) fullAnswer() []byte {
	s.fullOnce.Do(func() {
		ids := s.newest
		if len(ids) > eventwall.MaxScreenItems {
			ids = ids[:eventwall.MaxScreenItems]
		}
		raws := make([][]byte, len(ids))
		for i, id := range ids {
			raws[i] = s.items[id].json
		}
		s.full = s.encode(true, true, raws, nil)
	})
	return s.full
}

// delta encodes what changed after seq: the items oldest first (by
// creation time), so that a screen showing each as it comes ends with the
// newest in front.
func (s *snapshot) delta(seq uint64) []byte {
	var changed []string
	for id, it := range s.items {
		if it.seq > seq {
			changed = append(changed, id)
		}
	}
	slices.SortFunc(changed, func(a, b string) int { return s.newerFirst(b, a) })
	raws := make([][]byte, len(changed))
	for i, id := range changed {
		raws[i] = s.items[id].json
	}
	var removed []string
	for p, rs := range s.removed {
		if rs > seq {
			removed = append(removed, p)
		}
	}
	slices.Sort(removed)
	return s.encode(false, s.cfgSeq > seq, raws, removed)
}

// encode writes a Changes document.
func (s *snapshot) encode(reset, withConfig bool, items [][]byte, removed []string) []byte {
	var b bytes.Buffer
	b.WriteString(`{"cursor":`)
	writeString(&b, s.cursor)
	if reset {
		b.WriteString(`,"reset":true`)
	} else {
		b.WriteString(`,"reset":false`)
	}
	if withConfig && len(s.rec.Screen) > 0 {
		b.WriteString(`,"config":`)
		b.Write(s.rec.Screen)
	}
	b.WriteString(`,"items":[`)
	for i, raw := range items {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(raw)
	}
	b.WriteString(`],"removed":[`)
	for i, p := range removed {
		if i > 0 {
			b.WriteByte(',')
		}
		writeString(&b, p)
	}
	b.WriteString("]}")
	return b.Bytes()
}

func writeString(b *bytes.Buffer, s string) {
	q, _ := json.Marshal(s)
	b.Write(q)
}
