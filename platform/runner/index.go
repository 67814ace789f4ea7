package runner

import (
	"context"
	"encoding/json"
	"html/template"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// Index is what GET / answers: the service, its version, its health, and
// where its methods are described. A browser (Accept: text/html) gets it
// as a small page, anything else as JSON.
type Index struct {
	Service string `json:"service"`
	Version string `json:"version"`
	// Status is the readiness: "ok", "unavailable" (a check fails) or
	// "shutting down"; Checks is each readiness check's outcome.
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
	// Links are the service's own routes, by what they are: rpc (POST
	// JSON-RPC 2.0), openrpc (the discovery document, every method with
	// its parameters, result and errors), health and ready. Metrics are
	// not on this port: they are on the admin listener (ADMIN_ADDR).
	Links map[string]string `json:"links"`
	// Methods is the method reference in the repository
	// (services/<service>/docs/methods.md), a link under DocsURL when it
	// is set.
	Methods string `json:"methods"`
}

// methodsPath is where a service's method reference is in the repository.
func methodsPath(name string) string { return "services/" + name + "/docs/methods.md" }

func (s *Service) index(ctx context.Context) Index {
	status, checks := s.readiness(ctx)
	methods := methodsPath(s.Name)
	if s.cfg.DocsURL != "" {
		methods = strings.TrimRight(s.cfg.DocsURL, "/") + "/" + methods
	}
	return Index{
		Service: s.Name, Version: version(), Status: status, Checks: checks, Methods: methods,
		Links: map[string]string{
			"rpc": "/rpc", "openrpc": "/openrpc.json", "health": "/healthz", "ready": "/readyz",
		},
	}
}

func (s *Service) serveIndex(w http.ResponseWriter, r *http.Request) {
	ix := s.index(r.Context())
	code := http.StatusOK
	if ix.Status != "ok" {
		code = http.StatusServiceUnavailable
	}
	// Added, not set: the CORS middleware's Vary: Origin stays (this
	// answer differs by origin too, for shared caches).
	w.Header().Add("Vary", "Accept")
	if !strings.Contains(r.Header.Get("Accept"), "text/html") {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(ix)
		return
	}
	type check struct{ Name, Result string }
	page := struct {
		Index
		CheckList    []check
		MethodsIsURL bool
	}{Index: ix, MethodsIsURL: strings.HasPrefix(ix.Methods, "http")}
	for name, res := range ix.Checks {
		page.CheckList = append(page.CheckList, check{name, res})
	}
	sort.Slice(page.CheckList, func(i, j int) bool { return page.CheckList[i].Name < page.CheckList[j].Name })
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	_ = indexPage.Execute(w, page)
}

var indexPage = template.Must(template.New("index").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Service}}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem}code{background:#f3f4f6;padding:0 .25rem}.ok{color:#15803d}.bad{color:#b91c1c}</style>
</head><body>
<h1>{{.Service}}</h1>
<p>Version <code>{{.Version}}</code>. Health: <strong class="{{if eq .Status "ok"}}ok{{else}}bad{{end}}">{{.Status}}</strong>{{range .CheckList}}, {{.Name}} {{.Result}}{{end}}.</p>
<h2>Methods</h2>
<ul>
<li>JSON-RPC 2.0: <code>POST {{.Links.rpc}}</code></li>
<li><a href="{{.Links.openrpc}}">openrpc.json</a>: every method with its parameters, result and errors (OpenRPC)</li>
<li>Method reference: {{if .MethodsIsURL}}<a href="{{.Methods}}">{{.Methods}}</a>{{else}}<code>{{.Methods}}</code> in the repository{{end}}</li>
</ul>
<h2>Operations</h2>
<ul>
<li><a href="{{.Links.health}}">{{.Links.health}}</a> (alive), <a href="{{.Links.ready}}">{{.Links.ready}}</a> (ready, each check); metrics are served on the admin listener (<code>ADMIN_ADDR</code>), not here</li>
</ul>
</body></html>
`))

// readiness runs every readiness check (concurrently, 2 s each) and returns
// the status ("ok", "unavailable" when a check fails, "shutting down") and
// each check's outcome.
func (s *Service) readiness(ctx context.Context) (string, map[string]string) {
	s.mu.Lock()
	ready := s.ready
	checks := make(map[string]func(context.Context) error, len(s.checks))
	for k, v := range s.checks {
		checks[k] = v
	}
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	results := make(map[string]string, len(checks))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for name, check := range checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := "ok"
			if err := check(ctx); err != nil {
				res = err.Error()
			}
			mu.Lock()
			results[name] = res
			mu.Unlock()
		}()
	}
	wg.Wait()
	status := "ok"
	if !ready {
		status = "shutting down"
	}
	for _, res := range results {
		if res != "ok" {
			status = "unavailable"
		}
	}
	return status, results
}
