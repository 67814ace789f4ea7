package tsgen_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/rpc/tsgen"
)

type createParams struct {
	App   string   `json:"app" jsonschema:"minLength=1"`
	Kind  string   `json:"kind" jsonschema:"enum=talk,enum=workshop"`
	Email string   `json:"email,omitempty" jsonschema:"format=email"`
	Tags  []string `json:"tags,omitempty" jsonschema:"maxItems=3"`
	Note  *string  `json:"note,omitempty"`
	// Slots are checked by the method (rpc.Unchecked), typed by their shape.
	Slots []rpc.Unchecked[slot] `json:"slots,omitempty"`
}

type slot struct {
	Room string `json:"room"`
}

func (p createParams) AppID() string { return p.App }

type created struct {
	ID     string            `json:"id"`
	Counts map[string]int    `json:"counts"`
	Labels map[string]string `json:"labels,omitempty"`
}

type none struct{}

// discover is the OpenRPC document of a small service, as a service's
// rpc.discover answers it.
func discover(t *testing.T) []byte {
	t.Helper()
	s := rpc.NewServer(rpc.Options{Name: "talks"})
	rpc.Handle(s, rpc.Method[createParams, created]{Name: "talk.create", Summary: "Create a talk.", Auth: auth.Member,
		Errors: []errs.Code{errs.CodeConflict}}, func(context.Context, createParams) (created, error) { return created{}, nil })
	rpc.Handle(s, rpc.Method[none, []string]{Name: "talk.kinds", Summary: "The kinds.", Auth: auth.Public, Idempotent: true, NoBatch: true},
		func(context.Context, none) ([]string, error) { return nil, nil })
	rpc.Handle(s, rpc.Method[none, none]{Name: "talk.purge", Summary: "Only for services.", Auth: auth.Service},
		func(context.Context, none) (none, error) { return none{}, nil })
	return s.Discover()
}

func TestGenerate(t *testing.T) {
	files, err := tsgen.Generate([]tsgen.Document{{Path: "services/talks/docs/openrpc.json", JSON: discover(t)}})
	if err != nil {
		t.Fatal(err)
	}
	talks := string(files["talks.ts"])
	for _, want := range []string{
		"export interface TalkCreateParams {\n",
		"  app: string;\n",
		`  kind: "talk" | "workshop";` + "\n",
		"  /** @format email */\n  email?: string;\n",
		"  /** @maxItems 3 */\n  tags?: string[];\n",
		"  note?: string;\n",
		"  slots?: {\n    room: string;\n  }[];\n",
		"export interface TalkCreateResult {\n  id: string;\n  counts: Record<string, number>;\n  labels?: Record<string, string>;\n}\n",
		"export type TalkKindsResult = string[];\n",
		"export interface TalkKindsParams {}\n",
		`      create: method<TalkCreateParams, TalkCreateResult>(t, "talks", "talk.create", { idempotent: false, timeoutMs: 10000 }),`,
		`      kinds: method<TalkKindsParams, TalkKindsResult>(t, "talks", "talk.kinds", { idempotent: true, noBatch: true, timeoutMs: 10000 }),`,
		"Errors: `conflict` (1009), `token_wrong_app` (1404), `forbidden` (1410), and those every method may answer\n",
	} {
		if !strings.Contains(talks, want) {
			t.Errorf("talks.ts lacks %q:\n%s", want, talks)
		}
	}
	if strings.Contains(talks, "purge") {
		t.Errorf("talks.ts has the service-only method talk.purge:\n%s", talks)
	}
	index := string(files["index.ts"])
	if !strings.Contains(index, `export const serviceNames = ["talks"] as const;`) || !strings.Contains(index, "talks: talks.methods(t),") {
		t.Errorf("index.ts:\n%s", index)
	}
	codes := string(files["errors.ts"])
	for _, want := range []string{`1004: { reason: "not_found", retryable: false,`, `1529: { reason: "overloaded", retryable: true,`} {
		if !strings.Contains(codes, want) {
			t.Errorf("errors.ts lacks %q:\n%s", want, codes)
		}
	}
}

// TestGenerateTimeout: a method's time limit (its Timeout, else the
// server's default), as the OpenRPC document records it in x-timeout-ms,
// is in the method's metadata, so that the SDK's transport gives its
// calls that long when the caller sets no time limit.
func TestGenerateTimeout(t *testing.T) {
	s := rpc.NewServer(rpc.Options{Name: "reports", DefaultTimeout: 4 * time.Second})
	rpc.Handle(s, rpc.Method[none, []string]{Name: "report.build", Summary: "Build a report.", Auth: auth.Public, Idempotent: true,
		Timeout: 45 * time.Second}, func(context.Context, none) ([]string, error) { return nil, nil })
	rpc.Handle(s, rpc.Method[none, []string]{Name: "report.list", Summary: "The reports.", Auth: auth.Public, Idempotent: true},
		func(context.Context, none) ([]string, error) { return nil, nil })
	files, err := tsgen.Generate([]tsgen.Document{{Path: "services/reports/docs/openrpc.json", JSON: s.Discover()}})
	if err != nil {
		t.Fatal(err)
	}
	reports := string(files["reports.ts"])
	for _, want := range []string{
		`      build: method<ReportBuildParams, ReportBuildResult>(t, "reports", "report.build", { idempotent: true, timeoutMs: 45000 }),`,
		`      list: method<ReportListParams, ReportListResult>(t, "reports", "report.list", { idempotent: true, timeoutMs: 4000 }),`,
		"Auth: public · idempotent: yes · timeout: 45000 ms\n",
	} {
		if !strings.Contains(reports, want) {
			t.Errorf("reports.ts lacks %q:\n%s", want, reports)
		}
	}

	// A document without x-timeout-ms (an older one) leaves the limit to
	// the transport; one that is not a whole number of ms is refused.
	doc := string(s.Discover())
	without := strings.ReplaceAll(strings.ReplaceAll(doc, `"x-timeout-ms":45000,`, ""), `"x-timeout-ms":4000,`, "")
	if without == doc {
		t.Fatalf("the document has no x-timeout-ms: %s", doc)
	}
	files, err = tsgen.Generate([]tsgen.Document{{Path: "a", JSON: []byte(without)}})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(files["reports.ts"]); strings.Contains(got, "timeoutMs") || strings.Contains(got, "timeout:") {
		t.Errorf("reports.ts has a time limit the document does not give:\n%s", got)
	}
	bad := strings.Replace(doc, `"x-timeout-ms":45000`, `"x-timeout-ms":1.5`, 1)
	if _, err := tsgen.Generate([]tsgen.Document{{Path: "a", JSON: []byte(bad)}}); err == nil {
		t.Error("an x-timeout-ms of 1.5 was accepted")
	}
}

func TestGenerateRefusesAmbiguousInput(t *testing.T) {
	doc := discover(t)
	if _, err := tsgen.Generate([]tsgen.Document{{Path: "a", JSON: doc}, {Path: "b", JSON: doc}}); err == nil {
		t.Error("two documents of one service were accepted")
	}
	bad := strings.Replace(string(doc), `"talk.kinds"`, `"talk.kinds.all"`, 1)
	if _, err := tsgen.Generate([]tsgen.Document{{Path: "a", JSON: []byte(bad)}}); err == nil {
		t.Error("a method name of three parts was accepted")
	}
}

// TestCommittedSDKIsCurrent: the TypeScript SDK's generated modules are
// what the services' committed OpenRPC documents generate, so that `make
// test` fails too (not only `make lint`) when a contract changed without
// `make sdk`.
func TestCommittedSDKIsCurrent(t *testing.T) {
	const root = "../../../"
	paths, err := filepath.Glob(root + "services/*/docs/openrpc.json")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no services/*/docs/openrpc.json under the repository (%v)", err)
	}
	var docs []tsgen.Document
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, tsgen.Document{Path: strings.TrimPrefix(p, root), JSON: b})
	}
	files, err := tsgen.Generate(docs)
	if err != nil {
		t.Fatal(err)
	}
	dir := root + "sdk/typescript/src/generated/"
	committed, _ := filepath.Glob(dir + "*.ts")
	for _, p := range committed {
		if _, ok := files[filepath.Base(p)]; !ok {
			t.Errorf("%s is generated from no document: run `make sdk`", p)
		}
	}
	for name, want := range files {
		got, err := os.ReadFile(dir + name)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("sdk/typescript/src/generated/%s is stale: run `make sdk` (%v)", name, err)
		}
	}
}
