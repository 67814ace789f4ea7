package rpc

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
)

// OpenRPCVersion is the version of the OpenRPC specification the discovery
// document follows.
const OpenRPCVersion = "1.3.2"

// The discovery document (OpenRPC 1.3), generated from the method table.
type openrpcDoc struct {
	OpenRPC string          `json:"openrpc"`
	Info    openrpcInfo     `json:"info"`
	Methods []openrpcMethod `json:"methods"`
}

type openrpcInfo struct {
	Title       string `json:"title"`
	Version     string `json:"version"`
	Description string `json:"description,omitempty"`
}

type openrpcMethod struct {
	Name           string              `json:"name"`
	Summary        string              `json:"summary,omitempty"`
	Description    string              `json:"description,omitempty"`
	ParamStructure string              `json:"paramStructure"`
	Params         []openrpcDescriptor `json:"params"`
	Result         openrpcDescriptor   `json:"result"`
	Errors         []openrpcError      `json:"errors,omitempty"`
	// Extensions: who may call, whether retries are safe, the time limit,
	// the largest call accepted, whether a batch may carry it.
	Auth         string `json:"x-auth"`
	Idempotent   bool   `json:"x-idempotent"`
	TimeoutMS    int64  `json:"x-timeout-ms"`
	MaxBodyBytes int64  `json:"x-max-body-bytes"`
	NoBatch      bool   `json:"x-no-batch,omitempty"`
}

type openrpcDescriptor struct {
	Name     string          `json:"name"`
	Required bool            `json:"required,omitempty"`
	Schema   json.RawMessage `json:"schema"`
}

type openrpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// Errors every method may return, listed in each method's document.
var commonErrors = []openrpcError{
	{CodeInvalidParams, "invalid params: data.fields lists every bad field"},
	{CodeInternalError, "internal error: data.request_id identifies the log lines"},
	{int(errs.CodeDeadlineExceeded), errs.CodeDeadlineExceeded.Doc()},
	{int(errs.CodeInsufficientBudget), errs.CodeInsufficientBudget.Doc()},
	{int(errs.CodeOverloaded), errs.CodeOverloaded.Doc()},
}

// Errors methods above the public level may return.
var authErrors = []errs.Code{
	errs.CodeUnauthenticated, errs.CodeTokenExpired, errs.CodeTokenInvalid,
	errs.CodeSignatureInvalid, errs.CodeSignatureExpired, errs.CodeNonceReplayed,
	errs.CodeSignatureStale, errs.CodeForbidden,
}

// Discover returns the OpenRPC document of the server's methods.
func (s *Server) Discover() json.RawMessage {
	if d := s.openrpc.Load(); d != nil {
		return *d
	}
	methods := *s.methods.Load()
	doc := openrpcDoc{
		OpenRPC: OpenRPCVersion,
		Info:    openrpcInfo{Title: s.opts.Name, Version: s.opts.Version},
	}
	if doc.Info.Title == "" {
		doc.Info.Title = "attendify"
	}
	if doc.Info.Version == "" {
		doc.Info.Version = "dev"
	}
	for _, e := range methods {
		if e.name == discoverName {
			continue // rpc.discover is implied by the specification
		}
		m := openrpcMethod{
			Name:           e.name,
			Summary:        e.summary,
			Description:    e.description,
			ParamStructure: "either",
			Params:         []openrpcDescriptor{},
			Result:         openrpcDescriptor{Name: "result", Schema: e.result},
			Auth:           e.level.String(),
			Idempotent:     e.idempotent,
			TimeoutMS:      e.timeout.Milliseconds(),
			MaxBodyBytes:   e.maxBody,
			NoBatch:        e.noBatch,
		}
		if m.TimeoutMS == 0 {
			m.TimeoutMS = s.opts.DefaultTimeout.Milliseconds()
		}
		for _, f := range e.params.fields {
			m.Params = append(m.Params, openrpcDescriptor{Name: f.name, Required: f.required, Schema: f.schema})
		}
		codes := slices.Clone(e.errors)
		if e.level != auth.Public {
			codes = append(codes, authErrors...)
		}
		if e.scoped {
			codes = append(codes, errs.CodeTokenWrongApp)
		}
		slices.Sort(codes)
		for _, c := range slices.Compact(codes) {
			m.Errors = append(m.Errors, openrpcError{Code: int(c), Message: c.Name() + ": " + c.Doc()})
		}
		m.Errors = append(m.Errors, commonErrors...)
		doc.Methods = append(doc.Methods, m)
	}
	slices.SortFunc(doc.Methods, func(a, b openrpcMethod) int { return strings.Compare(a.Name, b.Name) })
	b, err := json.Marshal(doc)
	if err != nil {
		panic("rpc: discovery document: " + err.Error()) // only plain types: cannot fail
	}
	raw := json.RawMessage(b)
	s.openrpc.Store(&raw)
	return raw
}

const discoverName = "rpc.discover"

type discoverParams struct{}

func (s *Server) registerDiscover() {
	Handle(s, Method[discoverParams, json.RawMessage]{
		Name:       discoverName,
		Summary:    "The OpenRPC document of this service.",
		Auth:       auth.Public,
		Idempotent: true,
	}, func(context.Context, discoverParams) (json.RawMessage, error) {
		return s.Discover(), nil
	})
}

func (s *Server) serveOpenRPC(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(s.Discover())
}
