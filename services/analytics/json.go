package analytics

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"
)

// A week by the hour is 169 buckets, each with its map of counters:
// encoding/json spends most of a series query reflecting over them and
// sorting their keys. A Series encodes itself instead (AppendJSON, which
// the server sends as it is), to the same bytes encoding/json writes for
// its fields (TestSeriesJSON holds it to them), and falls back to
// encoding/json for anything unusual (a counter name that needs escaping,
// a time RFC 3339 cannot write). The buckets of Live keep encoding/json:
// a MarshalJSON per bucket would cost encoding/json's check of each one's
// output.

// plainSeries is Series without its MarshalJSON, for the fallback.
type plainSeries Series

// MarshalJSON implements json.Marshaler.
func (s Series) MarshalJSON() ([]byte, error) {
	return s.AppendJSON(nil)
}

// AppendJSON implements rpc.JSONAppender: the server sends a series as
// encoded here, without encoding/json's second pass over a MarshalJSON's
// output.
func (s Series) AppendJSON(b []byte) ([]byte, error) {
	b = slices.Grow(b, 128+160*len(s.Buckets))
	out, ok := s.appendJSON(b)
	if !ok {
		enc, err := json.Marshal(plainSeries(s))
		if err != nil {
			return b, err
		}
		return append(b, enc...), nil
	}
	return out, nil
}

func (s Series) appendJSON(b []byte) ([]byte, bool) {
	ok := true
	b = append(b, `{"from":`...)
	b, ok = appendTime(b, s.From, ok)
	b = append(b, `,"to":`...)
	b, ok = appendTime(b, s.To, ok)
	b = append(b, `,"step":`...)
	b, ok = appendPlain(b, s.Step, ok)
	b = append(b, `,"buckets":`...)
	if s.Buckets == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, bk := range s.Buckets {
			if i > 0 {
				b = append(b, ',')
			}
			b, ok = bk.appendJSONOK(b, ok)
		}
		b = append(b, ']')
	}
	b = append(b, `,"totals":`...)
	b, ok = appendCounts(b, s.Totals, ok)
	return append(b, '}'), ok
}

func (bk Bucket) appendJSONOK(b []byte, ok bool) ([]byte, bool) {
	b = append(b, `{"start":`...)
	b, ok = appendTime(b, bk.Start, ok)
	b = append(b, `,"counts":`...)
	b, ok = appendCounts(b, bk.Counts, ok)
	b = append(b, `,"members":`...)
	b = strconv.AppendInt(b, bk.Members, 10)
	b = append(b, `,"installs":`...)
	b = strconv.AppendInt(b, bk.Installs, 10)
	return append(b, '}'), ok
}

// appendTime appends t as encoding/json does (time.Time.MarshalJSON: RFC
// 3339 with nanoseconds, quoted); ok turns false for a time it refuses.
func appendTime(b []byte, t time.Time, ok bool) ([]byte, bool) {
	out, err := t.AppendText(append(b, '"'))
	if err != nil {
		return b, false
	}
	return append(out, '"'), ok
}

// appendCounts appends m as encoding/json does: keys sorted, or null for
// a nil map.
func appendCounts(b []byte, m map[string]int64, ok bool) ([]byte, bool) {
	if m == nil {
		return append(b, "null"...), ok
	}
	type counter struct {
		name string
		n    int64
	}
	var arr [24]counter
	cs := arr[:0]
	for k, n := range m {
		cs = append(cs, counter{k, n})
	}
	slices.SortFunc(cs, func(a, b counter) int { return strings.Compare(a.name, b.name) })
	b = append(b, '{')
	for i, c := range cs {
		if i > 0 {
			b = append(b, ',')
		}
		b, ok = appendPlain(b, c.name, ok)
		b = append(b, ':')
		b = strconv.AppendInt(b, c.n, 10)
	}
	return append(b, '}'), ok
}

// appendPlain appends s quoted when it needs no escaping (the counter
// names, the steps); ok turns false otherwise.
func appendPlain(b []byte, s string, ok bool) ([]byte, bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return b, false
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"'), ok
}
