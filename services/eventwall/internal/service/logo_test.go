package service

import (
	"strings"
	"testing"
)

// TestValidLogo: a wall's logo is an http(s) URL with a host, a path on
// eventwall or a data:image URL; nothing a browser would run or send
// elsewhere by surprise.
func TestValidLogo(t *testing.T) {
	for _, tt := range []struct {
		logo string
		ok   bool
	}{
		{"https://cdn.example.com/logo.png", true},
		{"http://example.com/l.svg?v=2", true},
		{"/wall-assets/logo.png", true},
		{"data:image/png;base64,iVBORw0KGgo=", true},
		{"javascript:alert(1)", false},
		{"JavaScript:alert(1)", false},
		{" https://example.com/l.png", false},
		{"data:text/html,<script>alert(1)</script>", false},
		{"vbscript:msgbox(1)", false},
		{"//evil.example/x.png", false},
		{"/\\evil.example/x.png", false}, // a browser reads /\ as //
		{"file:///etc/passwd", false},
		{"http://", false},
		{"https://user:pw@example.com/l.png", false},
		{"https://example.com/a b.png", false},
		{"https://example.com/\"onerror=\"alert(1)", false},
		{"https://example.com/l.png\n", false},
		{"data:image/png;base64," + strings.Repeat("A", 64<<10), false},
	} {
		if got := validLogo(tt.logo); got != tt.ok {
			t.Errorf("validLogo(%.60q) = %v, want %v", tt.logo, got, tt.ok)
		}
	}
}
