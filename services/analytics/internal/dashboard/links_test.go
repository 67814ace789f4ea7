package dashboard

import (
	"strings"
	"testing"
	"time"

	"github.com/attendify/platform/errs"
)

func TestLinks(t *testing.T) {
	l, err := NewLinks([]byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)
	l.now = func() time.Time { return now }
	tok, exp, err := l.New("app1", time.Hour)
	if err != nil || !exp.Equal(now.Add(time.Hour)) {
		t.Fatalf("New = %v, %v", exp, err)
	}
	other, _ := NewLinks([]byte(strings.Repeat("o", 32)))
	otherTok, _, _ := other.New("app1", time.Hour)
	tests := []struct {
		name  string
		token string
		app   string
		after time.Duration
		code  errs.Code
	}{
		{"the link", tok, "app1", 0, 0},
		{"another app", tok, "app2", 0, errs.CodeTokenWrongApp},
		{"expired", tok, "app1", time.Hour, errs.CodeTokenExpired},
		{"another key", otherTok, "app1", 0, errs.CodeTokenInvalid},
		{"tampered", strings.Replace(tok, ".", ".9", 1), "app1", 0, errs.CodeTokenInvalid},
		{"garbage", "nope", "app1", 0, errs.CodeTokenInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l.now = func() time.Time { return now.Add(tt.after) }
			err := l.Check(tt.token, tt.app)
			if tt.code == 0 && err != nil || tt.code != 0 && errs.CodeOf(err) != tt.code {
				t.Errorf("Check = %v, want code %v", err, tt.code)
			}
		})
	}
	if _, err := NewLinks([]byte("short")); err == nil {
		t.Error("a short key was taken")
	}
	a, _, _ := l.New("app1", time.Hour)
	if a == tok {
		t.Error("two links are the same: no random part")
	}
}
