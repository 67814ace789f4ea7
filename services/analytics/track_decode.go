package analytics

import (
	"time"
	"unicode/utf8"
)

// DecodeFast implements rpc.FastDecoder: track.batch's params are checked
// and decoded in one pass over the JSON, for the batches apps send, instead
// of the schema validator building and walking a tree of every event (a
// fifth of the ingest's CPU). The schema stays the contract: DecodeFast
// reports true only for params the schema accepts, decoded as
// encoding/json decodes them (TestTrackDecodeFast holds it to both), and
// false for anything it does not handle, which the server then validates
// with the schema and decodes with encoding/json as for any method: JSON
// whitespace aside, plain strings only (no escapes), numbers without sign,
// fraction or exponent, no null, no props, no repeated member, member
// names spelled exactly.
func (p *TrackParams) DecodeFast(raw []byte) bool {
	d := fastDecoder{b: raw}
	var seen [4]bool
	ok := d.object(func(name []byte) bool {
		var i int
		switch string(name) {
		case "app_id":
			i = 0
			s, ok := d.str()
			if !ok || s == "" || utf8.RuneCountInString(s) > 64 {
				return false
			}
			p.App = s
		case "install_id":
			i = 1
			s, ok := d.str()
			if !ok || len(s) < 8 || len(s) > 64 || !installChars(s) {
				return false
			}
			p.Install = s
		case "sent_at":
			i = 2
			if !d.time(&p.SentAt) {
				return false
			}
		case "events":
			i = 3
			if !d.events(p) {
				return false
			}
		default:
			return false
		}
		if seen[i] {
			return false
		}
		seen[i] = true
		return true
	})
	return ok && d.end() && seen == [4]bool{true, true, true, true}
}

// installChars checks the schema's pattern of install ids,
// ^[A-Za-z0-9_-]+$.
func installChars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func (d *fastDecoder) events(p *TrackParams) bool {
	d.space()
	if !d.byte('[') {
		return false
	}
	p.Events = make([]TrackEvent, 0, 8)
	d.space()
	if d.byte(']') {
		return false // minItems 1
	}
	for {
		p.Events = append(p.Events, TrackEvent{})
		if len(p.Events) > MaxBatch || !d.event(&p.Events[len(p.Events)-1]) {
			return false
		}
		d.space()
		if d.byte(']') {
			return true
		}
		if !d.byte(',') {
			return false
		}
	}
}

// event decodes one event; its fields are those of the schema's items.
func (d *fastDecoder) event(e *TrackEvent) bool {
	var seen [10]bool
	ok := d.object(func(name []byte) bool {
		var i int
		var dst *string
		max := 64
		switch string(name) {
		case "id":
			i, dst = 0, &e.ID
		case "type":
			i = 1
			s, ok := d.str()
			if !ok {
				return false
			}
			switch s {
			case TypeScreenView, TypeAppOpen, TypeAppClose, TypeTap, TypeCustom:
			default:
				return false
			}
			e.Type = s
		case "at":
			i = 2
			if !d.time(&e.At) {
				return false
			}
		case "event_id":
			i, dst = 3, &e.Event
		case "session_id":
			i, dst = 4, &e.Session
		case "screen":
			i, dst = 5, &e.Screen
		case "target_type":
			i = 6
			s, ok := d.str()
			if !ok {
				return false
			}
			switch s {
			case "", TargetSession, TargetSpeaker, TargetSponsor, TargetLink, TargetPost:
			default:
				return false
			}
			e.TargetType = s
		case "target_id":
			i, dst, max = 7, &e.TargetID, 256
		case "duration_ms":
			i = 8
			n, ok := d.uint(86_400_000)
			if !ok {
				return false
			}
			e.DurationMs = n
		case "name":
			i, dst, max = 9, &e.Name, 40
		default:
			return false // props included: encoding/json and the schema decide
		}
		if dst != nil {
			s, ok := d.str()
			if !ok || utf8.RuneCountInString(s) > max {
				return false
			}
			*dst = s
		}
		if seen[i] {
			return false
		}
		seen[i] = true
		return true
	})
	return ok && seen[0] && seen[1] && seen[2] && e.ID != ""
}

// fastDecoder reads the JSON subset DecodeFast handles.
type fastDecoder struct {
	b []byte
	i int
}

func (d *fastDecoder) space() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// byte consumes c if it is next.
func (d *fastDecoder) byte(c byte) bool {
	if d.i < len(d.b) && d.b[d.i] == c {
		d.i++
		return true
	}
	return false
}

// end reports whether only whitespace is left.
func (d *fastDecoder) end() bool {
	d.space()
	return d.i == len(d.b)
}

// object reads an object, calling member with each member's name, the
// decoder positioned at its value; an empty object is refused (every
// object DecodeFast reads has required members).
func (d *fastDecoder) object(member func(name []byte) bool) bool {
	d.space()
	if !d.byte('{') {
		return false
	}
	for {
		d.space()
		name, ok := d.strBytes()
		if !ok {
			return false
		}
		d.space()
		if !d.byte(':') {
			return false
		}
		d.space()
		if !member(name) {
			return false
		}
		d.space()
		if d.byte('}') {
			return true
		}
		if !d.byte(',') {
			return false
		}
	}
}

// strBytes reads a string without escapes, of valid UTF-8 (what
// encoding/json would return unchanged).
func (d *fastDecoder) strBytes() ([]byte, bool) {
	if !d.byte('"') {
		return nil, false
	}
	start := d.i
	ascii := true
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			s := d.b[start:d.i]
			d.i++
			return s, ascii || utf8.Valid(s)
		case c == '\\' || c < 0x20:
			return nil, false
		case c >= 0x80:
			ascii = false
		}
		d.i++
	}
	return nil, false
}

func (d *fastDecoder) str() (string, bool) {
	b, ok := d.strBytes()
	return string(b), ok
}

// uint reads a number written as digits only (no sign, fraction or
// exponent), at most max.
func (d *fastDecoder) uint(max int64) (int64, bool) {
	start := d.i
	var n int64
	for d.i < len(d.b) && '0' <= d.b[d.i] && d.b[d.i] <= '9' {
		n = n*10 + int64(d.b[d.i]-'0')
		if n > max {
			return 0, false
		}
		d.i++
	}
	switch digits := d.i - start; {
	case digits == 0, digits > 1 && d.b[start] == '0':
		return 0, false
	}
	return n, true
}

// time reads a date-time as encoding/json does (time.Time.UnmarshalJSON),
// when it has the plain form both it and the schema's format accept:
// YYYY-MM-DDTHH:MM:SS, up to nine digits of fraction, then Z or ±HH:MM.
func (d *fastDecoder) time(t *time.Time) bool {
	start := d.i
	s, ok := d.strBytes()
	if !ok || !plainDateTime(s) {
		return false
	}
	return t.UnmarshalJSON(d.b[start:d.i]) == nil
}

// plainDateTime checks the form of a date-time (time.Time.UnmarshalJSON
// checks the ranges of its fields).
func plainDateTime(s []byte) bool {
	digits := func(from, to int) bool {
		for _, c := range s[from:to] {
			if c < '0' || c > '9' {
				return false
			}
		}
		return true
	}
	const base = len("2006-01-02T15:04:05")
	if len(s) < base+1 || !digits(0, 4) || s[4] != '-' || !digits(5, 7) || s[7] != '-' || !digits(8, 10) ||
		s[10] != 'T' || !digits(11, 13) || s[13] != ':' || !digits(14, 16) || s[16] != ':' || !digits(17, 19) {
		return false
	}
	rest := s[base:]
	if rest[0] == '.' {
		n := 1
		for n < len(rest) && '0' <= rest[n] && rest[n] <= '9' {
			n++
		}
		if n == 1 || n > 10 {
			return false
		}
		rest = rest[n:]
	}
	switch {
	case len(rest) == 1 && rest[0] == 'Z':
		return true
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		hh := int(rest[1]-'0')*10 + int(rest[2]-'0')
		mm := int(rest[4]-'0')*10 + int(rest[5]-'0')
		return '0' <= rest[1] && rest[1] <= '9' && '0' <= rest[2] && rest[2] <= '9' &&
			'0' <= rest[4] && rest[4] <= '9' && '0' <= rest[5] && rest[5] <= '9' && hh <= 23 && mm <= 59
	}
	return false
}
