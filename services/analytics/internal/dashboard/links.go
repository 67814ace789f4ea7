package dashboard

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/attendify/platform/errs"
)

// Links signs and checks dashboard links:
// "<app>.<creator>.<seq>.<expiry>.<nonce>.<mac>", the app and the creator
// (the organizer who asked for the link) base64url-encoded, seq the
// sequence number of the creator's token that asked, the expiry in Unix
// seconds, 128 random bits, and an HMAC-SHA256 under the service's link
// key of linkPurpose and the rest. A link works for one app, read-only,
// until it expires and while its creator may still see the app's
// analytics with that token (Gate.Authorize asks hub's read model): the
// link names its creator so that removing them, or revoking their tokens,
// revokes their links too.
type Links struct {
	key []byte
	now func() time.Time
}

// linkPurpose starts every signed string: a MAC made under the same key
// for anything else (or for the links of before, which named no creator)
// never verifies as a link.
const linkPurpose = "analytics.dashboard-link.v2\n"

// Link is what a verified link says.
type Link struct {
	App     string
	Creator string // the organizer's user id
	Seq     int64  // the sequence number of the creator's token (auth.Caller.TokenSeq)
	Expires time.Time
}

// NewLinks returns links signed with key (at least 32 bytes).
func NewLinks(key []byte) (*Links, error) {
	if len(key) < 32 {
		return nil, errs.New(errs.Invalid, "the dashboard link key needs at least 32 bytes")
	}
	return &Links{key: key, now: time.Now}, nil
}

// New signs a link to app's dashboard that works for ttl, for as long as
// creator may see the app's analytics with their token numbered seq.
func (l *Links) New(app, creator string, seq int64, ttl time.Duration) (string, time.Time, error) {
	if creator == "" {
		return "", time.Time{}, errs.New(errs.Internal, "a dashboard link needs its creator")
	}
	exp := l.now().Add(ttl).Truncate(time.Second)
	nonce := make([]byte, 16)
	if _, err := rand.Read(nonce); err != nil {
		return "", time.Time{}, err
	}
	body := strings.Join([]string{
		base64.RawURLEncoding.EncodeToString([]byte(app)),
		base64.RawURLEncoding.EncodeToString([]byte(creator)),
		strconv.FormatInt(seq, 10),
		strconv.FormatInt(exp.Unix(), 10),
		hex.EncodeToString(nonce),
	}, ".")
	return body + "." + l.mac(body), exp.UTC(), nil
}

func (l *Links) mac(body string) string {
	m := hmac.New(sha256.New, l.key)
	m.Write([]byte(linkPurpose))
	m.Write([]byte(body))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// legacyMAC is the MAC of the links of before (no purpose, no creator):
// only to tell their holders why they are refused.
func (l *Links) legacyMAC(body string) string {
	m := hmac.New(sha256.New, l.key)
	m.Write([]byte(body))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Check verifies a link token for app and returns what it says. Whether
// its creator may still see the app's analytics is for the caller to ask
// hub's read model (Gate.Authorize).
func (l *Links) Check(token, app string) (Link, error) {
	i := strings.LastIndexByte(token, '.')
	if i < 0 {
		return Link{}, errs.WithCode(errs.CodeTokenInvalid, "not a dashboard link")
	}
	body, mac := token[:i], token[i+1:]
	if !hmac.Equal([]byte(mac), []byte(l.mac(body))) {
		if strings.Count(body, ".") == 2 && hmac.Equal([]byte(mac), []byte(l.legacyMAC(body))) {
			return Link{}, errs.WithCode(errs.CodeTokenInvalid, "this dashboard link was made before links named their creator and no longer works: ask an organizer for a new one")
		}
		return Link{}, errs.WithCode(errs.CodeTokenInvalid, "the dashboard link is not valid")
	}
	parts := strings.Split(body, ".")
	if len(parts) != 5 {
		return Link{}, errs.WithCode(errs.CodeTokenInvalid, "not a dashboard link")
	}
	a, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil || string(a) != app {
		return Link{}, errs.WithCode(errs.CodeTokenWrongApp, "the dashboard link is for another app")
	}
	creator, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil || len(creator) == 0 {
		return Link{}, errs.WithCode(errs.CodeTokenInvalid, "not a dashboard link")
	}
	seq, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil {
		return Link{}, errs.WithCode(errs.CodeTokenInvalid, "not a dashboard link")
	}
	exp, err := strconv.ParseInt(parts[3], 10, 64)
	if err != nil || l.now().Unix() >= exp {
		return Link{}, errs.WithCode(errs.CodeTokenExpired, "the dashboard link has expired")
	}
	return Link{App: app, Creator: string(creator), Seq: seq, Expires: time.Unix(exp, 0).UTC()}, nil
}
