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

// Links signs and checks dashboard links: "<app>.<expiry>.<nonce>.<mac>",
// the app base64url-encoded, the expiry in Unix seconds, 128 random bits,
// and an HMAC-SHA256 of the rest under the service's link key. A link
// works for one app, read-only, until it expires.
type Links struct {
	key []byte
	now func() time.Time
}

// NewLinks returns links signed with key (at least 32 bytes).
func NewLinks(key []byte) (*Links, error) {
	if len(key) < 32 {
		return nil, errs.New(errs.Invalid, "the dashboard link key needs at least 32 bytes")
	}
	return &Links{key: key, now: time.Now}, nil
}

// New signs a link to app's dashboard that works for ttl.
func (l *Links) New(app string, ttl time.Duration) (string, time.Time, error) {
	exp := l.now().Add(ttl).Truncate(time.Second)
	nonce := make([]byte, 16)
	if _, err := rand.Read(nonce); err != nil {
		return "", time.Time{}, err
	}
	body := base64.RawURLEncoding.EncodeToString([]byte(app)) + "." + strconv.FormatInt(exp.Unix(), 10) + "." + hex.EncodeToString(nonce)
	return body + "." + l.mac(body), exp.UTC(), nil
}

func (l *Links) mac(body string) string {
	m := hmac.New(sha256.New, l.key)
	m.Write([]byte(body))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Check verifies a link token for app.
func (l *Links) Check(token, app string) error {
	i := strings.LastIndexByte(token, '.')
	if i < 0 {
		return errs.WithCode(errs.CodeTokenInvalid, "not a dashboard link")
	}
	body, mac := token[:i], token[i+1:]
	if !hmac.Equal([]byte(mac), []byte(l.mac(body))) {
		return errs.WithCode(errs.CodeTokenInvalid, "the dashboard link is not valid")
	}
	parts := strings.Split(body, ".")
	if len(parts) != 3 {
		return errs.WithCode(errs.CodeTokenInvalid, "not a dashboard link")
	}
	a, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil || string(a) != app {
		return errs.WithCode(errs.CodeTokenWrongApp, "the dashboard link is for another app")
	}
	exp, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || l.now().Unix() >= exp {
		return errs.WithCode(errs.CodeTokenExpired, "the dashboard link has expired")
	}
	return nil
}
