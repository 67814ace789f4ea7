// Command tsgen writes the generated part of the TypeScript SDK
// (sdk/typescript/src/generated) from the services' committed OpenRPC
// documents. Run from the repository root (make sdk does):
//
//	go run ./platform/rpc/tsgen/cmd/tsgen -out sdk/typescript/src/generated services/*/docs/openrpc.json
//
// It removes the .ts files of the output directory it did not write, so
// that a service's module goes when its document does.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/attendify/platform/rpc/tsgen"
)

func main() {
	out := flag.String("out", "sdk/typescript/src/generated", "the directory of the generated modules")
	flag.Parse()
	if err := run(*out, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "tsgen:", err)
		os.Exit(1)
	}
}

func run(out string, paths []string) error {
	if len(paths) == 0 {
		return fmt.Errorf("no OpenRPC documents named (services/*/docs/openrpc.json)")
	}
	var docs []tsgen.Document
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		docs = append(docs, tsgen.Document{Path: filepath.ToSlash(p), JSON: b})
	}
	files, err := tsgen.Generate(docs)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	old, err := filepath.Glob(filepath.Join(out, "*.ts"))
	if err != nil {
		return err
	}
	for _, p := range old {
		if _, keep := files[filepath.Base(p)]; !keep && strings.HasSuffix(p, ".ts") {
			if err := os.Remove(p); err != nil {
				return err
			}
		}
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(out, name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
