package rpcdoc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/attendify/platform/errs"
)

// Doc is what Render needs for a service's method reference.
type Doc struct {
	Service   string          // the service's name, for the title
	Discovery json.RawMessage // its OpenRPC document (rpc.discover, /openrpc.json)
	Recorder  *Recorder       // the example calls
	// NoExample gives, for a method without a recorded example, why it has
	// none. Render fails for a method with neither.
	NoExample map[string]string
	// Vary lists JSON member names whose values change from run to run
	// in ways the automatic rules miss (counters of concurrent work,
	// durations): their values become <varies>.
	Vary []string
	// Regenerate is the command that rewrites the file, for its header
	// and the failure message.
	Regenerate string
}

type discovery struct {
	Methods []method `json:"methods"`
}

type method struct {
	Name        string       `json:"name"`
	Summary     string       `json:"summary"`
	Description string       `json:"description"`
	Auth        string       `json:"x-auth"`
	Idempotent  bool         `json:"x-idempotent"`
	TimeoutMS   int64        `json:"x-timeout-ms"`
	NoBatch     bool         `json:"x-no-batch"`
	Params      []descriptor `json:"params"`
	Result      descriptor   `json:"result"`
	Errors      []struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"errors"`
}

type descriptor struct {
	Name     string         `json:"name"`
	Required bool           `json:"required"`
	Schema   map[string]any `json:"schema"`
}

// Errors every method's document lists and the header explains once.
var common = map[int]bool{
	-32602: true, -32603: true,
	int(errs.CodeDeadlineExceeded): true, int(errs.CodeInsufficientBudget): true, int(errs.CodeOverloaded): true,
	int(errs.CodeUnauthenticated): true, int(errs.CodeTokenExpired): true, int(errs.CodeTokenInvalid): true,
	int(errs.CodeSignatureInvalid): true, int(errs.CodeSignatureExpired): true, int(errs.CodeNonceReplayed): true,
	int(errs.CodeSignatureStale): true,
}

// Render returns the Markdown reference of every method in the discovery
// document, each with its params, result, errors and recorded example.
func Render(d Doc) ([]byte, error) {
	var disc discovery
	if err := json.Unmarshal(d.Discovery, &disc); err != nil {
		return nil, fmt.Errorf("rpcdoc: discovery document: %w", err)
	}
	examples := d.Recorder.Examples()
	known := map[string]bool{}
	var problems []string
	for _, m := range disc.Methods {
		known[m.Name] = true
		_, ok := examples[m.Name]
		reason, skipped := d.NoExample[m.Name]
		switch {
		case ok && skipped:
			problems = append(problems, fmt.Sprintf("%s has an example and a reason to have none (%q)", m.Name, reason))
		case !ok && !skipped:
			problems = append(problems, m.Name+" has no example (call it in the test, or say in NoExample why it cannot be)")
		}
	}
	for name := range d.NoExample {
		if !known[name] {
			problems = append(problems, "NoExample names "+name+", which the service does not have")
		}
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return nil, fmt.Errorf("rpcdoc: %s", strings.Join(problems, "; "))
	}

	d.Recorder.mu.Lock()
	masks := make(map[string]string, len(d.Recorder.masks))
	for k, v := range d.Recorder.masks {
		masks[k] = v
	}
	from, to := d.Recorder.start, d.Recorder.end
	d.Recorder.mu.Unlock()
	vary := map[string]bool{}
	for _, k := range d.Vary {
		vary[k] = true
	}

	var b bytes.Buffer
	fmt.Fprintf(&b, "# %s methods\n\n", d.Service)
	fmt.Fprintf(&b, "Generated from `rpc.discover` and calls made to a running %s by `TestMethodsDoc` "+
		"(`%s` rewrites it; the test fails when it is stale). ", d.Service, d.Regenerate)
	b.WriteString("Every call is `POST /rpc` with a JSON-RPC 2.0 body; user tokens go in `Authorization: Bearer <token>`, " +
		"service calls are HMAC-signed (platform/auth). In the examples, ids, tokens, secrets and the times of the run " +
		"are replaced by placeholders (`<id-1>`, `<token-1>`, `<secret-1>`, `<time>`); the same value is the same placeholder within an example.\n\n")
	b.WriteString("Every method may also answer invalid params (-32602: `data.reason` is `invalid`, as for 1001, and `data.fields` lists every bad field), internal error (-32603), " +
		"`deadline_exceeded` (1504), `insufficient_budget` (1505) and `overloaded` (1529); " +
		"every method above `public` also the authentication errors 1401–1408 (see the error table in the repository's README).\n\n")
	b.WriteString("| method | auth | idempotent | summary |\n|---|---|---|---|\n")
	for _, m := range disc.Methods {
		fmt.Fprintf(&b, "| [`%s`](#%s) | %s | %s | %s |\n", m.Name, anchor(m.Name), m.Auth, yesNo(m.Idempotent), cell(m.Summary))
	}
	for _, m := range disc.Methods {
		fmt.Fprintf(&b, "\n## %s\n\n%s", m.Name, m.Summary)
		if m.Description != "" {
			b.WriteString(" " + m.Description)
		}
		fmt.Fprintf(&b, "\n\nAuth: **%s** · idempotent: %s · timeout: %s", m.Auth, yesNo(m.Idempotent), time.Duration(m.TimeoutMS)*time.Millisecond)
		if m.NoBatch {
			b.WriteString(" · not in a batch")
		}
		b.WriteString("\n\n")
		if len(m.Params) > 0 {
			b.WriteString("| param | type | required | constraints |\n|---|---|---|---|\n")
			for _, p := range m.Params {
				fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", p.Name, typeOf(p.Schema), yesNo(p.Required), constraints(p.Schema))
			}
			b.WriteString("\n")
		} else {
			b.WriteString("No params.\n\n")
		}
		writeResult(&b, m.Result.Schema)
		var errors []string
		for _, e := range m.Errors {
			if !common[e.Code] {
				errors = append(errors, fmt.Sprintf("- %d %s", e.Code, e.Message))
			}
		}
		if len(errors) > 0 {
			b.WriteString("Errors:\n\n" + strings.Join(errors, "\n") + "\n\n")
		}
		ex, ok := examples[m.Name]
		if !ok {
			fmt.Fprintf(&b, "No example: %s\n", d.NoExample[m.Name])
			continue
		}
		n := &normalizer{masks: masks, vary: vary, from: from, to: to, seen: map[string]string{}, counts: map[string]int{}}
		req, err := n.normalize(withID(ex.Request))
		if err != nil {
			return nil, fmt.Errorf("rpcdoc: %s's example request: %w", m.Name, err)
		}
		resp, err := n.normalize(withID(ex.Response))
		if err != nil {
			return nil, fmt.Errorf("rpcdoc: %s's example answer: %w", m.Name, err)
		}
		fmt.Fprintf(&b, "Example (%s):\n\n```json\n%s\n```\n\n", ex.Caller, req)
		if ex.Failed {
			b.WriteString("Answer (an error):\n\n")
		} else {
			b.WriteString("Answer:\n\n")
		}
		fmt.Fprintf(&b, "```json\n%s\n```\n", resp)
	}
	return b.Bytes(), nil
}

// writeResult lists the result's members, one level deep.
func writeResult(b *bytes.Buffer, s map[string]any) {
	props, _ := s["properties"].(map[string]any)
	if len(props) == 0 {
		fmt.Fprintf(b, "Result: %s.\n\n", typeOf(s))
		return
	}
	required := map[string]bool{}
	if rs, ok := s["required"].([]any); ok {
		for _, r := range rs {
			required[fmt.Sprint(r)] = true
		}
	}
	names := make([]string, 0, len(props))
	for k := range props {
		names = append(names, k)
	}
	slices.Sort(names)
	b.WriteString("| result member | type | always present |\n|---|---|---|\n")
	for _, k := range names {
		ps, _ := props[k].(map[string]any)
		fmt.Fprintf(b, "| `%s` | %s | %s |\n", k, typeOf(ps), yesNo(required[k]))
	}
	b.WriteString("\n")
}

// Generate renders d and checks the file at path against it (Check), and
// the service's OpenRPC document against openrpc.json beside it (the
// committed contract the SDK generator reads: see OpenRPC).
func Generate(t testing.TB, d Doc, path string, update bool) {
	t.Helper()
	out, err := Render(d)
	if err != nil {
		t.Fatal(err)
	}
	Check(t, path, out, update, d.Regenerate)
	doc, err := OpenRPC(d.Discovery)
	if err != nil {
		t.Fatal(err)
	}
	Check(t, filepath.Join(filepath.Dir(path), "openrpc.json"), doc, update, d.Regenerate)
}

// OpenRPC returns a discovery document as it is committed: indented by two
// spaces, ending with a newline, and without the service's version (which
// the environment sets, SERVICE_VERSION), so that the file changes only
// when a contract does. Methods are in name order and members in
// declaration order already (rpc.Server.Discover).
func OpenRPC(discovery json.RawMessage) ([]byte, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(discovery, &doc); err != nil {
		return nil, fmt.Errorf("rpcdoc: discovery document: %w", err)
	}
	var info map[string]json.RawMessage
	if err := json.Unmarshal(doc["info"], &info); err != nil {
		return nil, fmt.Errorf("rpcdoc: discovery document's info: %w", err)
	}
	if _, ok := info["version"]; ok {
		info["version"] = json.RawMessage(`"dev"`)
		b, _ := json.Marshal(info) // info members are plain strings
		doc["info"] = b
	}
	// Re-encoding the top level sorts its members (info, methods,
	// openrpc); what is under them keeps its order.
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// Check compares the file at path with want; with update it writes want
// there instead. how says how to rewrite it, for the failure message.
func Check(t testing.TB, path string, want []byte, update bool, how string) {
	t.Helper()
	if update {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("%s is stale: run `%s`%s", path, how, firstDifference(got, want))
	}
}

// firstDifference shows the first line that differs.
func firstDifference(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("; line %d is\n\t%s\nand would be\n\t%s", i+1, gl, wl)
		}
	}
	return ""
}

func anchor(name string) string { return strings.ToLower(strings.ReplaceAll(name, ".", "")) }

func cell(s string) string { return strings.ReplaceAll(s, "|", "\\|") }

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func typeOf(s map[string]any) string {
	if shape, ok := s["x-shape"].(map[string]any); ok { // rpc.Unchecked: any value, checked by the method
		return typeOf(shape) + " (unchecked)"
	}
	t, _ := s["type"].(string)
	if t == "array" {
		if items, ok := s["items"].(map[string]any); ok {
			return typeOf(items) + "[]"
		}
	}
	if t == "" {
		return "object"
	}
	return t
}

func constraints(s map[string]any) string {
	var out []string
	for _, k := range []string{"format", "minLength", "maxLength", "minimum", "maximum", "minItems", "maxItems", "pattern"} {
		if v, ok := s[k]; ok {
			out = append(out, fmt.Sprintf("%s %v", k, v))
		}
	}
	if e, ok := s["enum"].([]any); ok {
		var vs []string
		for _, v := range e {
			vs = append(vs, fmt.Sprint(v))
		}
		out = append(out, "one of "+strings.Join(vs, ", "))
	}
	return cell(strings.Join(out, "; "))
}
