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
	// the largest call accepted, whether a batch may carry it, whether it
	// only reads.
	Auth         string `json:"x-auth"`
	Idempotent   bool   `json:"x-idempotent"`
	ReadOnly     bool   `json:"x-read-only"`
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
	Code    int               `json:"code"`
	Message string            `json:"message"`
	Data    *openrpcErrorData `json:"data,omitempty"`
}

// openrpcErrorData describes an application error as its error.data will:
// the stable reason and whether a call failing so may be retried. Protocol
// errors (-32xxx) have none, but for invalid params (-32602), which carry
// errs.CodeInvalid's ("invalid").
type openrpcErrorData struct {
	Reason    string `json:"reason"`
	Retryable bool   `json:"retryable"`
}

// appError describes application error c.
func appError(c errs.Code) openrpcError {
	return openrpcError{Code: int(c), Message: c.Name() + ": " + c.Doc(), Data: &openrpcErrorData{Reason: c.Name(), Retryable: c.Retryable()}}
}

// Errors every method may return, listed in each method's document.
var commonErrors = []openrpcError{
	{Code: CodeInvalidParams, Message: "invalid params: data.fields lists every bad field",
		Data: &openrpcErrorData{Reason: errs.CodeInvalid.Name(), Retryable: errs.CodeInvalid.Retryable()}},
	{Code: CodeInternalError, Message: "internal error: data.request_id identifies the log lines"},
	{Code: int(errs.CodeDeadlineExceeded), Message: errs.CodeDeadlineExceeded.Doc(), Data: appError(errs.CodeDeadlineExceeded).Data},
	{Code: int(errs.CodeInsufficientBudget), Message: errs.CodeInsufficientBudget.Doc(), Data: appError(errs.CodeInsufficientBudget).Data},
	{Code: int(errs.CodeOverloaded), Message: errs.CodeOverloaded.Doc(), Data: appError(errs.CodeOverloaded).Data},
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
			ReadOnly:       e.readOnly,
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
			m.Errors = append(m.Errors, appError(c))
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
		ReadOnly:   true,
	}, func(context.Context, discoverParams) (json.RawMessage, error) {
		return s.Discover(), nil
	})
}

// ServeOpenRPC serves the discovery document (GET /openrpc.json).
func (s *Server) ServeOpenRPC(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(s.Discover())
}
