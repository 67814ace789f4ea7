package hub_test

import (
	"testing"

	"github.com/attendify/hub"
)

func TestPhoneE164(t *testing.T) {
	for in, want := range map[string]string{
		"+33 6 12 34 56 78":   "+33612345678",
		"0044 20 7946 0018":   "+442079460018",
		"+44 (0)20 7946 0018": "+442079460018",
		"+1 (202) 555-0143":   "+12025550143",
		"+39 06 1234 5678":    "+390612345678", // Italy keeps its leading zero
		"(202) 555-0143":      "",              // no country
		"06 12 34 56 78":      "",
		"+99 123 456 789":     "", // no country 99, 991 or 999...
		"+33 6 12":            "", // too short for France
		"":                    "",
	} {
		if got := hub.PhoneE164(in); got != want {
			t.Errorf("PhoneE164(%q) = %q, want %q", in, got, want)
		}
	}
}
