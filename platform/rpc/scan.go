package rpc

import (
	"bytes"
	"encoding/json"
	"errors"
	"unicode/utf8"
)

// A scanner validates JSON text and finds the extent of values in one pass,
// without building a tree. The JSON-RPC envelope is taken apart with it so
// that ids are echoed byte for byte, member names match exactly (encoding/json
// would match "JSONRPC" to "jsonrpc"), duplicate members are seen, and the
// nesting depth is bounded before any decoder runs.
type scanner struct {
	data     []byte
	pos      int
	maxDepth int
}

var (
	errSyntax = errors.New("invalid JSON")
	errDepth  = errors.New("nesting too deep")
)

func (s *scanner) skipWS() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// value validates and skips one JSON value starting at s.pos (after
// whitespace). depth is the nesting depth of the enclosing container.
func (s *scanner) value(depth int) error {
	s.skipWS()
	if s.pos >= len(s.data) {
		return errSyntax
	}
	switch c := s.data[s.pos]; {
	case c == '{':
		return s.object(depth + 1)
	case c == '[':
		return s.array(depth + 1)
	case c == '"':
		_, err := s.str()
		return err
	case c == '-' || (c >= '0' && c <= '9'):
		return s.number()
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	}
	return errSyntax
}

func (s *scanner) object(depth int) error {
	if depth > s.maxDepth {
		return errDepth
	}
	s.pos++ // '{'
	s.skipWS()
	if s.pos < len(s.data) && s.data[s.pos] == '}' {
		s.pos++
		return nil
	}
	for {
		s.skipWS()
		if s.pos >= len(s.data) || s.data[s.pos] != '"' {
			return errSyntax
		}
		if _, err := s.str(); err != nil {
			return err
		}
		s.skipWS()
		if s.pos >= len(s.data) || s.data[s.pos] != ':' {
			return errSyntax
		}
		s.pos++
		if err := s.value(depth); err != nil {
			return err
		}
		s.skipWS()
		if s.pos >= len(s.data) {
			return errSyntax
		}
		switch s.data[s.pos] {
		case ',':
			s.pos++
		case '}':
			s.pos++
			return nil
		default:
			return errSyntax
		}
	}
}

func (s *scanner) array(depth int) error {
	if depth > s.maxDepth {
		return errDepth
	}
	s.pos++ // '['
	s.skipWS()
	if s.pos < len(s.data) && s.data[s.pos] == ']' {
		s.pos++
		return nil
	}
	for {
		if err := s.value(depth); err != nil {
			return err
		}
		s.skipWS()
		if s.pos >= len(s.data) {
			return errSyntax
		}
		switch s.data[s.pos] {
		case ',':
			s.pos++
		case ']':
			s.pos++
			return nil
		default:
			return errSyntax
		}
	}
}

// str validates a string starting at the opening quote and reports whether
// it contains escapes (and so needs decoding before use).
func (s *scanner) str() (escaped bool, err error) {
	s.pos++ // opening quote
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		switch {
		case c == '"':
			s.pos++
			return escaped, nil
		case c == '\\':
			escaped = true
			s.pos++
			if s.pos >= len(s.data) {
				return false, errSyntax
			}
			switch s.data[s.pos] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.pos++
			case 'u':
				if s.pos+5 > len(s.data) {
					return false, errSyntax
				}
				for _, h := range s.data[s.pos+1 : s.pos+5] {
					if !isHex(h) {
						return false, errSyntax
					}
				}
				s.pos += 5
			default:
				return false, errSyntax
			}
		case c < 0x20:
			return false, errSyntax
		case c < utf8.RuneSelf:
			s.pos++
		default:
			r, size := utf8.DecodeRune(s.data[s.pos:])
			if r == utf8.RuneError && size == 1 {
				return false, errSyntax
			}
			s.pos += size
		}
	}
	return false, errSyntax
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// number validates a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) number() error {
	d := s.data
	if d[s.pos] == '-' {
		s.pos++
	}
	switch {
	case s.pos < len(d) && d[s.pos] == '0':
		s.pos++
	case s.pos < len(d) && isDigit(d[s.pos]):
		for s.pos < len(d) && isDigit(d[s.pos]) {
			s.pos++
		}
	default:
		return errSyntax
	}
	if s.pos < len(d) && d[s.pos] == '.' {
		s.pos++
		if s.pos >= len(d) || !isDigit(d[s.pos]) {
			return errSyntax
		}
		for s.pos < len(d) && isDigit(d[s.pos]) {
			s.pos++
		}
	}
	if s.pos < len(d) && (d[s.pos] == 'e' || d[s.pos] == 'E') {
		s.pos++
		if s.pos < len(d) && (d[s.pos] == '+' || d[s.pos] == '-') {
			s.pos++
		}
		if s.pos >= len(d) || !isDigit(d[s.pos]) {
			return errSyntax
		}
		for s.pos < len(d) && isDigit(d[s.pos]) {
			s.pos++
		}
	}
	return nil
}

func (s *scanner) literal(lit string) error {
	if len(s.data)-s.pos < len(lit) || string(s.data[s.pos:s.pos+len(lit)]) != lit {
		return errSyntax
	}
	s.pos += len(lit)
	return nil
}

// validate checks that data is exactly one JSON value (with surrounding
// whitespace) no deeper than maxDepth.
func validate(data []byte, maxDepth int) error {
	s := scanner{data: data, maxDepth: maxDepth}
	if err := s.value(0); err != nil {
		return err
	}
	s.skipWS()
	if s.pos != len(data) {
		return errSyntax
	}
	return nil
}

// elements calls fn with the raw bytes of each element of the valid JSON
// array in data.
func elements(data []byte, fn func(raw []byte)) {
	s := scanner{data: data, maxDepth: 1 << 30}
	s.skipWS()
	s.pos++ // '['
	for {
		s.skipWS()
		if s.data[s.pos] == ']' {
			return
		}
		start := s.pos
		_ = s.value(0) // already validated
		fn(s.data[start:s.pos])
		s.skipWS()
		if s.data[s.pos] == ',' {
			s.pos++
		}
	}
}

// members calls fn with the raw name (quotes included) and raw value of each
// member of the valid JSON object in data, stopping early when fn returns
// false.
func members(data []byte, fn func(name, value []byte) bool) {
	s := scanner{data: data, maxDepth: 1 << 30}
	s.skipWS()
	s.pos++ // '{'
	for {
		s.skipWS()
		if s.data[s.pos] == '}' {
			return
		}
		start := s.pos
		_, _ = s.str()
		name := s.data[start:s.pos]
		s.skipWS()
		s.pos++ // ':'
		s.skipWS()
		vstart := s.pos
		_ = s.value(0)
		if !fn(name, s.data[vstart:s.pos]) {
			return
		}
		s.skipWS()
		if s.data[s.pos] == ',' {
			s.pos++
		}
	}
}

// unquote returns the Go string of a raw JSON string (quotes included).
// plainString returns the bytes between the quotes of the JSON string raw
// and true when it has no escapes (its bytes are its value), else false.
func plainString(raw []byte) ([]byte, bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return nil, false
	}
	inner := raw[1 : len(raw)-1]
	if bytes.IndexByte(inner, '\\') >= 0 {
		return nil, false
	}
	return inner, true
}

func unquote(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", false
	}
	inner := raw[1 : len(raw)-1]
	simple := true
	for _, c := range inner {
		if c == '\\' {
			simple = false
			break
		}
	}
	if simple {
		return string(inner), true
	}
	var out string
	if err := json.Unmarshal(raw, &out); err != nil {
		return "", false
	}
	return out, true
}
