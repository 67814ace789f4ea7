package rpcdoc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// normalizer replaces what changes from run to run by placeholders, the
// same value by the same placeholder within one example:
//
//   - ids (26 characters of Crockford base32, as flake ids) and UUIDs: <id-N>;
//   - JWS tokens (three base64url parts): <token-N>;
//   - hex or base64url strings of 16 characters or more with letters and
//     digits (nonces, secrets, cursors), and the values of 16 characters
//     or more of members named token or secret (or ending in _token,
//     _secret): <secret-N>;
//   - date-times (RFC 3339 or local, as 2030-06-11T09:00) with a fraction
//     of a second, or within Window of when the calls were recorded, and
//     dates within Window: <time> and <date>;
//   - integers that read as Unix seconds or milliseconds within Window:
//     <unix-time>, and values under keys listed in Vary: <varies>;
//   - the same inside URLs and paths, long query values (signed links) whole, and
//     the port of a loopback address: <port>;
//   - the values the test masked (Recorder.Mask).
//
// Fixed dates a test uses therefore need to be further than Window from
// the day the test runs (2030 and later are safe for years).
type normalizer struct {
	masks    map[string]string
	vary     map[string]bool
	from, to time.Time
	seen     map[string]string
	counts   map[string]int
}

// Window is how far from the recording a date or time counts as "now":
// wide enough for expiry times (tokens for 30 days, invitations for 7).
const Window = 400 * 24 * time.Hour

var (
	jwsRe         = regexp.MustCompile(`^[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}$`)
	uuidRe        = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	secretRe      = regexp.MustCompile(`^[A-Za-z0-9_-]{16,}={0,2}$`)
	dateRe        = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	digitRe       = regexp.MustCompile(`[0-9]`)
	letterRe      = regexp.MustCompile(`[A-Za-z]`)
	upperRe       = regexp.MustCompile(`[A-Z]`)
	lowerRe       = regexp.MustCompile(`[a-z]`)
	idRe          = regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{26}$`)  // flake ids and the like
	queryRe       = regexp.MustCompile(`[?&][A-Za-z_]+=[^&#]{16,}`) // a long query value: a signed token
	portRe        = regexp.MustCompile(`(127\.0\.0\.1|localhost|\[::1\]):[0-9]+`)
	embedSecretRe = regexp.MustCompile(`[A-Za-z0-9_-]{20,}`)
	embedRe       = regexp.MustCompile(`(?i)[0-7][0-9A-HJKMNP-TV-Z]{25}\b`) // the same inside a longer string (URLs, CouchDB names)
)

func (n *normalizer) placeholder(kind, v string) string {
	if p, ok := n.seen[v]; ok {
		return p
	}
	n.counts[kind]++
	p := fmt.Sprintf("<%s-%d>", kind, n.counts[kind])
	n.seen[v] = p
	return p
}

func (n *normalizer) near(t time.Time) bool {
	return !t.Before(n.from.Add(-Window)) && !t.After(n.to.Add(Window))
}

func (n *normalizer) str(key, s string) string {
	if p, ok := n.masks[s]; ok {
		return p
	}
	if n.vary[key] && s != "" {
		return "<varies>"
	}
	secretKey := key == "token" || key == "secret" || strings.HasSuffix(key, "_token") || strings.HasSuffix(key, "_secret")
	if secretKey && len(s) >= 16 && !jwsRe.MatchString(s) { // a one-time or signed token
		return n.placeholder("secret", s)
	}
	if idRe.MatchString(s) || uuidRe.MatchString(s) {
		return n.placeholder("id", s)
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04", "2006-01-02 15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			if t.Nanosecond() != 0 || n.near(t) {
				return "<time>"
			}
			return s
		}
	}
	if dateRe.MatchString(s) {
		if t, err := time.Parse(time.DateOnly, s); err == nil && n.near(t) {
			return "<date>"
		}
		return s
	}
	if jwsRe.MatchString(s) && len(s) > 60 {
		return n.placeholder("token", s)
	}
	if secretRe.MatchString(s) && random(s) {
		return n.placeholder("secret", s)
	}
	// Ids, secrets and ports inside URLs and messages; masked values too.
	url := strings.Contains(s, "://") || strings.HasPrefix(s, "/")
	if url {
		s = queryRe.ReplaceAllStringFunc(s, func(m string) string {
			k, v, _ := strings.Cut(m, "=")
			return k + "=" + n.placeholder("secret", v)
		})
	}
	if url {
		s = n.tokenParts(s)
	}
	s = embedRe.ReplaceAllStringFunc(s, func(m string) string { return n.placeholder("id", strings.ToUpper(m)) })
	if url {
		s = portRe.ReplaceAllString(s, "${1}:<port>")
		s = embedSecretRe.ReplaceAllStringFunc(s, func(m string) string {
			if random(m) {
				return n.placeholder("secret", m)
			}
			return m
		})
	}
	masked := make([]string, 0, len(n.masks))
	for v := range n.masks {
		masked = append(masked, v)
	}
	slices.SortFunc(masked, func(a, b string) int { return len(b) - len(a) }) // the longest first
	for _, v := range masked {
		if len(v) >= 6 {
			s = strings.ReplaceAll(s, v, n.masks[v])
		}
	}
	return s
}

// random reports whether a token-shaped string reads as random rather than
// as words: letters with digits, or (20 characters and more) lower- and
// upper-case letters mixed. A random 32-character base64url token has no
// digit once in about 230 draws, so digits alone would let it through.
func random(s string) bool {
	if !letterRe.MatchString(s) {
		return false
	}
	return digitRe.MatchString(s) || len(s) >= 20 && upperRe.MatchString(s) && lowerRe.MatchString(s)
}

// tokenParts replaces each part of a URL's path (between slashes and
// dots) that is a random token, not an id, by a secret placeholder. It
// runs before ids are looked for inside strings, since a random token may
// hold a run of characters that reads as an id.
func (n *normalizer) tokenParts(s string) string {
	path, rest := s, ""
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		path, rest = s[:i], s[i:]
	}
	segs := strings.Split(path, "/")
	for i, seg := range segs {
		parts := strings.Split(seg, ".")
		for j, p := range parts {
			if len(p) >= 20 && secretRe.MatchString(p) && random(p) && !idRe.MatchString(strings.ToUpper(p)) {
				parts[j] = n.placeholder("secret", p)
			}
		}
		segs[i] = strings.Join(parts, ".")
	}
	return strings.Join(segs, "/") + rest
}

func (n *normalizer) number(key string, num json.Number) any {
	if n.vary[key] {
		return "<varies>"
	}
	if i, err := num.Int64(); err == nil && i > 1e9 {
		for _, t := range []time.Time{time.Unix(i, 0), time.UnixMilli(i)} {
			if n.near(t) {
				return "<unix-time>"
			}
		}
	}
	return num
}

// normalize rewrites a JSON value, keeping the order of object members,
// and indents it.
func (n *normalizer) normalize(raw json.RawMessage) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var out bytes.Buffer
	if err := n.value(dec, "", &out); err != nil {
		return nil, err
	}
	var ind bytes.Buffer
	if err := json.Indent(&ind, out.Bytes(), "", "  "); err != nil {
		return nil, err
	}
	return ind.Bytes(), nil
}

func (n *normalizer) value(dec *json.Decoder, key string, out *bytes.Buffer) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch v := tok.(type) {
	case json.Delim:
		switch v {
		case '{':
			out.WriteByte('{')
			for i := 0; dec.More(); i++ {
				k, err := dec.Token()
				if err != nil {
					return err
				}
				if i > 0 {
					out.WriteByte(',')
				}
				out.Write(marshal(k))
				out.WriteByte(':')
				if err := n.value(dec, k.(string), out); err != nil {
					return err
				}
			}
			out.WriteByte('}')
		case '[':
			out.WriteByte('[')
			for i := 0; dec.More(); i++ {
				if i > 0 {
					out.WriteByte(',')
				}
				if err := n.value(dec, key, out); err != nil {
					return err
				}
			}
			out.WriteByte(']')
		}
		if _, err := dec.Token(); err != nil && err != io.EOF { // the closing delimiter
			return err
		}
		return nil
	case string:
		out.Write(marshal(n.str(key, v)))
	case json.Number:
		out.Write(marshal(n.number(key, v)))
	default:
		out.Write(marshal(v))
	}
	return nil
}

// withID sets a JSON-RPC object's id to 1: the client numbers its calls.
func withID(raw json.RawMessage) json.RawMessage {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return raw
	}
	if _, ok := m["id"]; !ok {
		return raw
	}
	// Rewrite only the id, keeping the order of the other members.
	dec := json.NewDecoder(bytes.NewReader(raw))
	var out bytes.Buffer
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return raw
	}
	out.WriteByte('{')
	for i := 0; dec.More(); i++ {
		k, err := dec.Token()
		if err != nil {
			return raw
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return raw
		}
		if i > 0 {
			out.WriteByte(',')
		}
		out.Write(marshal(k))
		out.WriteByte(':')
		if k == "id" {
			v = json.RawMessage(strconv.Itoa(1))
		}
		out.Write(v)
	}
	out.WriteByte('}')
	return out.Bytes()
}

// marshal encodes a scalar without escaping <, > and &, which the
// placeholders use.
func marshal(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // scalars only: cannot fail
	return bytes.TrimRight(b.Bytes(), "\n")
}
