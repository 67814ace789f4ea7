package errs

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestREADMEListsEveryCode keeps the README's error-code table in sync with
// the code table: clients read the README.
func TestREADMEListsEveryCode(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for _, c := range Codes() {
		if c == CodeInternal {
			continue // never sent: internal errors go out as -32603
		}
		retry := "no"
		if c.Retryable() {
			retry = "yes"
		}
		row := fmt.Sprintf("| %d | %s | %s | %s |", c, c.Name(), retry, c.Doc())
		if !strings.Contains(readme, row) {
			t.Errorf("README.md lacks the row\n%s", row)
		}
	}
}

func TestKindsAndCodes(t *testing.T) {
	for _, c := range Codes() {
		if c.Name() == "unknown" || c.Doc() == "" {
			t.Errorf("code %d is undocumented", c)
		}
		if c != CodeInternal && c.Kind() == Internal {
			t.Errorf("code %d has no kind", c)
		}
	}
	err := fmt.Errorf("load: %w", WithCode(CodeTokenExpired, "expired"))
	if KindOf(err) != Unauthenticated || CodeOf(err) != CodeTokenExpired {
		t.Errorf("KindOf/CodeOf through wrapping: %v %v", KindOf(err), CodeOf(err))
	}
	if !isKind(err, Unauthenticated) || isKind(err, NotFound) {
		t.Error("errors.Is with kinds")
	}
}

func isKind(err error, k Kind) bool { return errors.Is(err, k) }
