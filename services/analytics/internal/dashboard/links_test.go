package dashboard

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/attendify/platform/errs"
)

func TestLinks(t *testing.T) {
	key := []byte(strings.Repeat("k", 32))
	l, err := NewLinks(key)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)
	l.now = func() time.Time { return now }
	tok, exp, err := l.New("app1", "org1", 7, time.Hour)
	if err != nil || !exp.Equal(now.Add(time.Hour)) {
		t.Fatalf("New = %v, %v", exp, err)
	}
	other, _ := NewLinks([]byte(strings.Repeat("o", 32)))
	otherTok, _, _ := other.New("app1", "org1", 7, time.Hour)
	b64 := base64.RawURLEncoding.EncodeToString
	parts := strings.Split(tok, ".")
	// Another organizer's id (say one who was never removed) in place of
	// the creator's, the MAC kept: the signature covers the creator.
	forged := strings.Join(append([]string{parts[0], b64([]byte("org2"))}, parts[2:]...), ".")
	// A higher token sequence number (one not revoked yet), MAC kept.
	laterSeq := strings.Join(append(parts[:2:2], append([]string{"99"}, parts[3:]...)...), ".")
	// A link of before: "<app>.<expiry>.<nonce>.<mac>", MAC'd without purpose.
	oldBody := b64([]byte("app1")) + "." + "1773486000" + "." + strings.Repeat("ab", 16)
	m := hmac.New(sha256.New, key)
	m.Write([]byte(oldBody))
	legacy := oldBody + "." + b64(m.Sum(nil))
	tests := []struct {
		name  string
		token string
		app   string
		after time.Duration
		code  errs.Code
		msg   string
	}{
		{"the link", tok, "app1", 0, 0, ""},
		{"another app", tok, "app2", 0, errs.CodeTokenWrongApp, ""},
		{"expired", tok, "app1", time.Hour, errs.CodeTokenExpired, ""},
		{"another key", otherTok, "app1", 0, errs.CodeTokenInvalid, "not valid"},
		{"tampered", strings.Replace(tok, ".", ".9", 1), "app1", 0, errs.CodeTokenInvalid, "not valid"},
		{"a forged creator", forged, "app1", 0, errs.CodeTokenInvalid, "not valid"},
		{"a forged token sequence", laterSeq, "app1", 0, errs.CodeTokenInvalid, "not valid"},
		{"a link of before, naming no creator", legacy, "app1", 0, errs.CodeTokenInvalid, "made before links named their creator"},
		{"garbage", "nope", "app1", 0, errs.CodeTokenInvalid, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l.now = func() time.Time { return now.Add(tt.after) }
			got, err := l.Check(tt.token, tt.app)
			if tt.code == 0 && err != nil || tt.code != 0 && errs.CodeOf(err) != tt.code || err != nil && !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("Check = %v, want code %v (%q)", err, tt.code, tt.msg)
			}
			if tt.code == 0 && (got.Creator != "org1" || got.Seq != 7 || got.App != "app1" || !got.Expires.Equal(exp)) {
				t.Errorf("Check = %+v, want org1's link with seq 7", got)
			}
		})
	}
	if _, err := NewLinks([]byte("short")); err == nil {
		t.Error("a short key was taken")
	}
	l.now = func() time.Time { return now }
	a, _, _ := l.New("app1", "org1", 7, time.Hour)
	if a == tok {
		t.Error("two links are the same: no random part")
	}
	if _, _, err := l.New("app1", "", 0, time.Hour); err == nil {
		t.Error("a link without a creator was signed")
	}
}
