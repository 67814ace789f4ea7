// Command newservice writes a new service from the skeleton in template/:
// the contract (api.go), cmd/<name> on runner.Main, internal/app wiring,
// the domain (internal/service) on one narrow port with its in-memory fake
// and Postgres adapter, both held to one contract suite, migrations, the
// method reference's test and a README. docs/new-service.md is its manual.
// It writes no Dockerfile: every service's image comes from
// deploy/Dockerfile, given the service's name and port.
//
//	go run ./dev/cmd/newservice -name notes -port 8090
//
// It writes services/<name> (refusing an existing folder); then add the
// module to go.work, run `go mod tidy` and
// `go test -run TestMethodsDoc -update` in it, and add the service to the
// deployments (its port in the Makefile's IMAGE_PORTS, docker-compose.yml,
// deploy/kubernetes).
package main

import (
	"embed"
	"errors"
	"flag"
	"fmt"
	"go/format"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// The skeleton's files end in .tmpl (so that the go command does not take
// them for this module's), NAME in a path is the service's name, and the
// placeholders {{.Name}} and {{.Addr}} in a file are replaced.
//
//go:embed all:template
var skeleton embed.FS

func main() {
	name := flag.String("name", "", "the service's name: lower-case letters, its Go package and module name")
	port := flag.Int("port", 8090, "the port it listens on by default")
	dir := flag.String("dir", "services", "the folder the service's folder goes in")
	flag.Parse()
	if err := generate(filepath.Join(*dir, *name), *name, *port); err != nil {
		fmt.Fprintln(os.Stderr, "newservice:", err)
		os.Exit(1)
	}
}

var validName = regexp.MustCompile(`^[a-z][a-z0-9]{1,30}$`)

// generate writes the skeleton for service name into dst.
func generate(dst, name string, port int) error {
	if !validName.MatchString(name) {
		return fmt.Errorf("name %q: want 2 to 31 lower-case letters and digits, a letter first (it is a Go package name)", name)
	}
	if _, err := os.Stat(dst); err == nil {
		return fmt.Errorf("%s exists already", dst)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	// docs/ takes the method reference that TestMethodsDoc -update writes.
	if err := os.MkdirAll(filepath.Join(dst, "docs"), 0o755); err != nil {
		return err
	}
	return fs.WalkDir(skeleton, "template", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel("template", path)
		rel = strings.ReplaceAll(strings.TrimSuffix(rel, ".tmpl"), "NAME", name)
		src, err := skeleton.ReadFile(path)
		if err != nil {
			return err
		}
		out := strings.NewReplacer("{{.Name}}", name, "{{.Addr}}", "127.0.0.1:"+strconv.Itoa(port)).Replace(string(src))
		if i := strings.Index(out, "{{"); i >= 0 && strings.Contains(out[i:], "}}") && strings.HasPrefix(out[i:], "{{.") {
			return fmt.Errorf("%s: unknown placeholder at %q", path, out[i:min(len(out), i+20)])
		}
		b := []byte(out)
		if strings.HasSuffix(rel, ".go") { // imports sorted as gofmt wants them, whatever the name
			if b, err = format.Source(b); err != nil {
				return fmt.Errorf("%s: %w", rel, err)
			}
		}
		target := filepath.Join(dst, rel)
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
}
