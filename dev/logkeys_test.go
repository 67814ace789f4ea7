package dev_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// errAlias is "err" used as a structured-log key. Every service logs an
// error under "error" (as the rpc access log does), so one query finds
// every failure.
var errAlias = regexp.MustCompile(`"err",\s*\S`)

// TestOneLogKeyForErrors refuses "err" as a log key anywhere in the
// repository's Go code: errors are logged under "error".
func TestOneLogKeyForErrors(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && skipDirs[d.Name()] {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(d.Name(), ".go") || strings.HasSuffix(d.Name(), "logkeys_test.go") {
			return nil
		}
		n++
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			if errAlias.MatchString(line) {
				rel, _ := filepath.Rel(root, path)
				t.Errorf("%s:%d: log the error under \"error\", not \"err\": %s", rel, i+1, strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 100 {
		t.Fatalf("found only %d Go files under %s", n, root)
	}
}
