package rpcapi

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"sync"

	"github.com/attendify/platform/rpc"
	"github.com/attendify/social"
	"github.com/attendify/social/internal/service"
)

// feedResult is feed.get's result: a social.FeedPage, whose fields give the
// method's schema, written from raw, the page already encoded. Encoding 20
// posts with encoding/json was about half of a feed page's CPU; most of a
// post's wire form depends only on its document, which does not change
// within a revision, so pageWriter keeps it encoded and splices in the
// parts of each reader (the author's profile, the counters, my reaction),
// and the server sends the page without encoding or scanning it again
// (rpc.JSONAppender).
type feedResult struct {
	social.FeedPage
	raw []byte
}

// AppendJSON implements rpc.JSONAppender: the server sends the page as
// written.
func (r feedResult) AppendJSON(b []byte) ([]byte, error) {
	return rpc.AppendEncoded(b, r.raw, r.FeedPage)
}

// MarshalJSON implements json.Marshaler, for any other encoder.
func (r feedResult) MarshalJSON() ([]byte, error) {
	return rpc.AppendEncoded(nil, r.raw, r.FeedPage)
}

// pageWriter writes feed pages in the wire form of json.Marshal(
// social.FeedPage{...PostOf(item)...}), byte for byte, from pre-encoded
// parts: each post's document parts per revision, each author's object per
// profile. It is safe for concurrent use.
type pageWriter struct {
	mu      sync.Mutex
	posts   map[[2]string]postParts // app, post -> parts of one revision
	authors map[authorKey][]byte
	max     int // entries per map before it is cleared
}

func newPageWriter() *pageWriter {
	return &pageWriter{posts: map[[2]string]postParts{}, authors: map[authorKey][]byte{}, max: 50_000}
}

// postParts is a post's wire form without the reader's parts: head ends
// with `"author":`, mid with `"reactions":`, tail is the rest after
// "my_reaction"'s value.
type postParts struct {
	rev             string
	head, mid, tail []byte
}

type authorKey struct {
	id      string
	p       service.Profile
	deleted bool
}

// Markers of the reader's parts in a post encoded with empty ones. No
// string value can hold them: encoding/json escapes every quote inside a
// string, and these begin with `,"`.
var (
	authorMark = []byte(`,"author":{"name":""}`)
	countsMark = []byte(`,"reactions":{},"reaction_count":0,"like_count":0,"comment_count":0,"my_reaction":""`)
)

// parts returns the document parts of d, from the cache when it holds d's
// revision; ok is false when they cannot be made (then the caller encodes
// the item whole).
func (w *pageWriter) parts(d *service.Post) (postParts, bool) {
	key := [2]string{d.App, d.ID}
	if d.Rev != "" {
		w.mu.Lock()
		pp, hit := w.posts[key]
		w.mu.Unlock()
		if hit && pp.rev == d.Rev {
			return pp, true
		}
	}
	p := PostOf(service.Item{Doc: d})
	p.Author = social.Author{}
	p.Reactions, p.ReactionCount, p.LikeCount, p.CommentCount, p.MyReaction = map[string]int64{}, 0, 0, 0, "" //lint:ignore SA1019 the deprecated alias is still sent
	b, err := json.Marshal(p)
	if err != nil {
		return postParts{}, false
	}
	i := bytes.Index(b, authorMark)
	j := bytes.LastIndex(b, countsMark)
	if i < 0 || j < i+len(authorMark) {
		return postParts{}, false
	}
	const author, reactions = len(`,"author":`), len(`,"reactions":`)
	pp := postParts{
		rev:  d.Rev,
		head: b[:i+author],
		mid:  append(b[i+len(authorMark):j:j], countsMark[:reactions]...),
		tail: b[j+len(countsMark):],
	}
	if d.Rev != "" {
		w.mu.Lock()
		if len(w.posts) >= w.max {
			clear(w.posts)
		}
		w.posts[key] = pp
		w.mu.Unlock()
	}
	return pp, true
}

// author returns the wire form of a post's author.
func (w *pageWriter) author(id string, p service.Profile, deleted bool) []byte {
	k := authorKey{id: id, p: p, deleted: deleted}
	w.mu.Lock()
	b, ok := w.authors[k]
	w.mu.Unlock()
	if ok {
		return b
	}
	b, err := json.Marshal(AuthorOf(id, p, deleted))
	if err != nil {
		return nil
	}
	w.mu.Lock()
	if len(w.authors) >= w.max {
		clear(w.authors)
	}
	w.authors[k] = b
	w.mu.Unlock()
	return b
}

// Page returns the wire form of a feed page of items.
func (w *pageWriter) Page(items []service.Item, next string) ([]byte, error) {
	buf := make([]byte, 0, 1024*len(items)+64)
	buf = append(buf, `{"items":[`...)
	for i, it := range items {
		if i > 0 {
			buf = append(buf, ',')
		}
		var err error
		if buf, err = w.appendItem(buf, it); err != nil {
			return nil, err
		}
	}
	buf = append(buf, ']')
	if next != "" {
		buf = append(buf, `,"next_cursor":`...)
		buf = appendString(buf, next)
	}
	return append(buf, '}'), nil
}

func (w *pageWriter) appendItem(buf []byte, it service.Item) ([]byte, error) {
	if it.Sponsored == nil && it.Doc != nil {
		d := it.Doc
		pp, ok := w.parts(d)
		author := w.author(d.Author, it.Author, d.AuthorDeleted)
		if ok && author != nil {
			buf = append(buf, pp.head...)
			buf = append(buf, author...)
			buf = append(buf, pp.mid...)
			buf = appendCounts(buf, it.Counts, it.MyReaction)
			return append(buf, pp.tail...), nil
		}
	}
	b, err := json.Marshal(PostOf(it))
	if err != nil {
		return nil, err
	}
	return append(buf, b...), nil
}

// appendCounts writes the value of "reactions" up to that of "my_reaction",
// as json.Marshal writes social.Post's (map keys sorted).
func appendCounts(buf []byte, c service.Counts, mine string) []byte {
	buf = append(buf, '{')
	var small [8]string
	kinds := small[:0]
	for k := range c.Reactions {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	for i, k := range kinds {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendString(buf, k)
		buf = append(buf, ':')
		buf = strconv.AppendInt(buf, c.Reactions[k], 10)
	}
	total := c.Total()
	buf = append(buf, `},"reaction_count":`...)
	buf = strconv.AppendInt(buf, total, 10)
	buf = append(buf, `,"like_count":`...)
	buf = strconv.AppendInt(buf, total, 10)
	buf = append(buf, `,"comment_count":`...)
	buf = strconv.AppendInt(buf, c.Comments, 10)
	buf = append(buf, `,"my_reaction":`...)
	return appendString(buf, mine)
}

// appendString writes s as a JSON string, as encoding/json does: plain
// printable ASCII directly, anything else through encoding/json.
func appendString(buf []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(s)
			return append(buf, b...)
		}
	}
	buf = append(buf, '"')
	buf = append(buf, s...)
	return append(buf, '"')
}
