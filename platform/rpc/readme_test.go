package rpc_test

import (
	"os"
	"strings"
	"testing"
)

// TestReadmeShowsTheExample keeps the README's "define a method" code the
// same as example_test.go, which compiles and runs: the README's copy is the
// example from its first type on, without the top-level comments.
func TestReadmeShowsTheExample(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatalf("the repository's README: %v", err)
	}
	_, after, ok := strings.Cut(string(readme), "This is `platform/rpc/example_test.go`")
	if !ok {
		t.Fatal("README no longer introduces platform/rpc/example_test.go")
	}
	_, block, ok := strings.Cut(after, "```go\n")
	if ok {
		block, _, ok = strings.Cut(block, "```")
	}
	if !ok {
		t.Fatal("no ```go block after the README's mention of example_test.go")
	}

	src, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	_, body, _ := strings.Cut(string(src), "\ntype GreetParams")
	var want []string
	for _, line := range strings.Split("type GreetParams"+body, "\n") {
		if !strings.HasPrefix(line, "//") {
			want = append(want, line)
		}
	}
	if got, want := strings.TrimSpace(block), strings.TrimSpace(strings.Join(want, "\n")); got != want {
		t.Errorf("README's example differs from example_test.go; copy it again.\nREADME:\n%s\nexample_test.go:\n%s", got, want)
	}
}
