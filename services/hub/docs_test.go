package hub_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/attendify/hub"
	"github.com/attendify/hub/internal/rpcapi"
	"github.com/attendify/platform/rpc"
)

var update = flag.Bool("update", false, "rewrite docs/methods.md and the README's generated parts")

// discovery is the part of the OpenRPC document the docs use.
type discovery struct {
	Methods []struct {
		Name        string `json:"name"`
		Summary     string `json:"summary"`
		Description string `json:"description"`
		Auth        string `json:"x-auth"`
		Idempotent  bool   `json:"x-idempotent"`
		TimeoutMS   int64  `json:"x-timeout-ms"`
		Params      []struct {
			Name     string         `json:"name"`
			Required bool           `json:"required"`
			Schema   map[string]any `json:"schema"`
		} `json:"params"`
		Errors []struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"errors"`
	} `json:"methods"`
}

// TestMethodsDoc keeps docs/methods.md equal to what rpc.discover says:
// run `go test -run TestMethodsDoc -update` after changing a method.
func TestMethodsDoc(t *testing.T) {
	srv := rpc.NewServer(rpc.Options{Name: "hub"})
	rpcapi.Register(srv, nil)
	var doc discovery
	if err := json.Unmarshal(srv.Discover(), &doc); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	b.WriteString("# hub methods\n\n")
	b.WriteString("Generated from `rpc.discover` by `TestMethodsDoc` (`go test -run TestMethodsDoc -update` rewrites it; the test fails when it is stale). ")
	b.WriteString("Every call is `POST /rpc` with a JSON-RPC 2.0 body; user tokens go in `Authorization: Bearer <token>`, service calls are HMAC-signed (platform/auth). ")
	b.WriteString("Errors every method may return (invalid params, internal, deadline, overload, and for non-public methods the auth codes) are listed in the discovery document.\n\n")
	b.WriteString("| method | auth | idempotent | summary |\n|---|---|---|---|\n")
	for _, m := range doc.Methods {
		fmt.Fprintf(&b, "| [`%s`](#%s) | %s | %s | %s |\n", m.Name, anchor(m.Name), m.Auth, yesNo(m.Idempotent), m.Summary)
	}
	for _, m := range doc.Methods {
		fmt.Fprintf(&b, "\n## %s\n\n%s", m.Name, m.Summary)
		if m.Description != "" {
			b.WriteString(" " + m.Description)
		}
		fmt.Fprintf(&b, "\n\nAuth: **%s** · idempotent: %s · timeout: %s\n\n", m.Auth, yesNo(m.Idempotent), time.Duration(m.TimeoutMS)*time.Millisecond)
		if len(m.Params) > 0 {
			b.WriteString("| param | type | required | constraints |\n|---|---|---|---|\n")
			for _, p := range m.Params {
				fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", p.Name, typeOf(p.Schema), yesNo(p.Required), constraints(p.Schema))
			}
			b.WriteString("\n")
		}
		example := map[string]any{}
		for _, p := range m.Params {
			if p.Required {
				example[p.Name] = sample(p.Name, p.Schema)
			}
		}
		if len(example) <= 1 { // only ids: show the first optional param too
			for _, p := range m.Params {
				if !p.Required && p.Name != "cursor" {
					example[p.Name] = sample(p.Name, p.Schema)
					break
				}
			}
		}
		req, _ := json.MarshalIndent(map[string]any{"jsonrpc": "2.0", "method": m.Name, "params": example, "id": 1}, "", "  ")
		fmt.Fprintf(&b, "```json\n%s\n```\n", req)
		var codes []string
		for _, e := range m.Errors {
			if e.Code > 0 && e.Code != 1401 && e.Code != 1402 && e.Code != 1403 && e.Code != 1405 && e.Code != 1406 && e.Code != 1407 && e.Code != 1408 {
				codes = append(codes, fmt.Sprintf("%d", e.Code))
			}
		}
		if len(codes) > 0 {
			fmt.Fprintf(&b, "\nApplication errors: %s.\n", strings.Join(codes, ", "))
		}
	}
	checkGenerated(t, "docs/methods.md", b.Bytes())
}

// TestReadmeMatrix keeps the permission matrix in README.md equal to the
// one hub enforces (hub.Matrix).
func TestReadmeMatrix(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("| action | " + strings.Join(hub.MatrixRoles, " | ") + " | attendee |\n")
	b.WriteString("|---|" + strings.Repeat("---|", len(hub.MatrixRoles)+1) + "\n")
	actions := make([]hub.Action, 0, len(hub.ActionNames))
	for a := range hub.ActionNames {
		actions = append(actions, a)
	}
	slices.Sort(actions)
	for _, a := range actions {
		b.WriteString("| " + hub.ActionNames[a] + " |")
		for _, r := range hub.MatrixRoles {
			b.WriteString(" " + map[bool]string{true: "✓", false: "–"}[hub.Allowed(r, a)] + " |")
		}
		b.WriteString(" – |\n")
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- matrix:begin -->\n", "<!-- matrix:end -->"
	i, j := bytes.Index(readme, []byte(begin)), bytes.Index(readme, []byte(end))
	if i < 0 || j < i {
		t.Fatalf("README.md lacks the %q ... %q markers", begin, end)
	}
	want := append(append(append([]byte{}, readme[:i+len(begin)]...), b.Bytes()...), readme[j:]...)
	checkGenerated(t, "README.md", want)
}

func checkGenerated(t *testing.T, path string, want []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("%s is stale: run `go test -run 'TestMethodsDoc|TestReadmeMatrix' -update` in services/hub", path)
	}
}

func anchor(name string) string { return strings.ToLower(strings.ReplaceAll(name, ".", "")) }

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func typeOf(s map[string]any) string {
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
	return strings.ReplaceAll(strings.Join(out, "; "), "|", "\\|")
}

// sample is an example value for a param, by name and schema.
func sample(name string, s map[string]any) any {
	if e, ok := s["enum"].([]any); ok && len(e) > 0 {
		return e[0]
	}
	byName := map[string]any{
		"app_id": "01JD4Q8Z6X3V9K2M5N7P0R1S2T", "event_id": "01JD4QA1B2C3D4E5F6G7H8J9K0", "member_id": "01JD4QB5M6N7P8Q9R0S1T2V3W4",
		"organizer_id": "01JD4QC7X8Y9Z0A1B2C3D4E5F6", "session_id": "", "id": "01JD4QD9S0T1U2V3W4X5Y6Z7A8",
		"email": "ada@example.com", "password": "correct horse battery", "old_password": "correct horse battery",
		"new_password": "battery staple horse", "name": "Attendify Demo Conf", "slug": "demo-conf", "time_zone": "Europe/Paris",
		"start": "2026-06-11T09:00", "end": "2026-06-11T10:00", "code": "123456", "passcode": "letmein", "query": "elo",
		"title": "Opening keynote", "day": "2026-06-11", "member_ids": []string{"01JD4QB5M6N7P8Q9R0S1T2V3W4"},
		"speaker_ids": []string{"01JD4QE1F2G3H4J5K6M7N8P9Q0"},
	}
	if v, ok := byName[name]; ok && v != "" {
		return v
	}
	switch typeOf(s) {
	case "integer":
		return 50
	case "boolean":
		return true
	case "object[]":
		return []any{exampleObject(name)}
	case "string[]":
		return []string{"sp-1"}
	}
	return "…"
}

func exampleObject(name string) any {
	switch name {
	case "members":
		return hub.MemberInput{Email: "ada@example.com", ExternalID: "REG-0001", Name: "Ada Lovelace", Company: "Analytical Engines"}
	case "speakers":
		return hub.SpeakerInput{ExternalID: "SPK-01", Email: "grace@example.com", Name: "Grace Hopper"}
	case "sessions":
		return hub.BulkSessionInput{ExternalID: "S-01", Title: "Opening keynote", Start: "2026-06-11T09:30", End: "2026-06-11T10:30",
			Room: "Grand Hall", Track: "Engineering", Speakers: []string{"SPK-01"}}
	case "links":
		return hub.Link{Label: "Website", URL: "https://example.com"}
	}
	return map[string]any{}
}
