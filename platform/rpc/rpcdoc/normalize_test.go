package rpcdoc

import "testing"

// TestRandom: random tokens are told from words, digits or not (a wall's
// screen key without a digit once reached a committed reference unmasked).
func TestRandom(t *testing.T) {
	for s, want := range map[string]bool{
		"cABtS_alScZfnYZq-xRvxXgdYm-QqSrY": true, // 24 random bytes, no digit
		"k3Jq9_xVb2LmPq7RtY1zWcE4":         true,
		"abcdefghijklmnop1":                true,
		"attendify-demo-password":          false,
		"MULTIEVENT_SEARCH_CACHE":          false,
		"session_about_caches":             false,
		"Short_Mixed":                      false, // under 20 characters without a digit
		"12345678901234567890":             false, // no letter
	} {
		if got := random(s); got != want {
			t.Errorf("random(%q) = %v, want %v", s, got, want)
		}
	}
}
