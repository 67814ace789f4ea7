package rpc

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"time"

	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
)

// Method describes one JSON-RPC method: its contract, shared by the server
// that implements it and the clients that call it. A service declares its
// methods in its api.go:
//
//	var GetApp = rpc.Method[GetAppParams, App]{
//		Name: "app.get", Auth: auth.Member, Idempotent: true,
//		Summary: "Read an app's configuration.",
//	}
//
// P must be a struct: its exported fields are the params (by name, or by
// position in field order), and its JSON Schema, generated from the Go type
// and `jsonschema` struct tags, validates every call before the handler runs.
// Or P is json.RawMessage: the handler gets the params as sent (an object,
// an array, or nil when there are none), unchecked, and no schema is made;
// the method is then public or service-level (it cannot be AppScoped). R as
// json.RawMessage is sent as it is, once checked to be valid JSON. An R
// that implements JSONAppender is sent as it appends itself, unchecked.
// For Member and Admin methods P must also implement AppScoped, so that the
// caller's token can be checked against the app addressed.
type Method[P, R any] struct {
	Name        string
	Summary     string
	Description string
	Auth        auth.Level
	// Timeout bounds the handler; zero means the server's default. It is
	// the deadline of the handler's context (shortened to the caller's
	// budget): the stores and clients the handler calls with that context
	// give up when it passes. A handler that does not pass its context on,
	// or loops without checking it, is not stopped: its answer is sent when
	// it returns, late.
	Timeout time.Duration
	// MinBudget is the least time the method needs: a call arriving with a
	// shorter remaining deadline fails at once with a retryable
	// insufficient_budget error. Zero means one millisecond.
	MinBudget time.Duration
	// Idempotent methods may be retried by clients after any failure.
	Idempotent bool
	// ReadOnly methods change nothing a caller could observe (reads,
	// queries, exports). A server started with Options.RefuseWrites runs
	// only those and refuses every other before its handler runs.
	ReadOnly bool
	// MaxBody bounds one call of the method, in bytes: the whole body of a
	// lone call, the request object within a batch. Zero means the
	// server's default for the method's level: Options.PublicMaxBodyBytes
	// (64 KiB) for public methods, Options.MaxBodyBytes (1 MiB) for the
	// others. A larger MaxBody is for methods that take bulk data; the
	// server reads a body only as far as the largest MaxBody among the
	// methods the caller's credentials can reach (see Server).
	MaxBody int64
	// NoBatch refuses the method inside a batch: each such call in a batch
	// is answered with an invalid request error (the batch's other calls
	// run). For expensive methods a caller could otherwise multiply by a
	// hundred in one exchange, past the load shedder and the per-request
	// defences: password hashing, codes checked, emails sent.
	NoBatch bool
	// Errors lists the application codes the method may return, for
	// discovery documents.
	Errors []errs.Code
}

// AppScoped is implemented by params of methods addressed to one app.
type AppScoped interface {
	AppID() string
}

// FastDecoder is implemented (on the pointer) by params types that check
// and decode their usual calls faster than the schema validator: for bulk
// params (arrays of objects), which the validator checks by building and
// walking a tree. DecodeFast must report true only for raw params the
// params' schema accepts, once it has decoded them as encoding/json would;
// on false the server validates raw with the schema and decodes it with
// encoding/json, as for any params (DecodeFast's partial work is zeroed).
// The schema stays the contract: the type's tests hold DecodeFast to it.
type FastDecoder interface {
	DecodeFast(raw []byte) bool
}

// Handler implements a method.
type Handler[P, R any] func(ctx context.Context, params P) (R, error)

// entry is a registered method with its type-erased invoker.
type entry struct {
	name        string
	summary     string
	description string
	level       auth.Level
	timeout     time.Duration
	minBudget   time.Duration
	idempotent  bool
	readOnly    bool
	maxBody     int64 // resolved: the method's MaxBody or the server's default for its level
	noBatch     bool
	scoped      bool // params implement AppScoped
	errors      []errs.Code
	params      *paramsSchema
	result      json.RawMessage // result schema, for discovery
	invoke      func(ctx context.Context, c *call, params []byte) ([]byte, error)
	m           *methodMetrics
}

// Handle registers h as the implementation of m on s. It panics when the
// method table is misconfigured (a duplicate name, params that are not a
// struct, an app-level method whose params are not AppScoped): those are
// programming errors found at start-up, like http.ServeMux's.
func Handle[P, R any](s *Server, m Method[P, R], h Handler[P, R]) {
	pt := reflect.TypeFor[P]()
	if pt == rawType {
		handleRaw(s, m, any(h).(Handler[json.RawMessage, R]))
		return
	}
	if pt.Kind() != reflect.Struct {
		panic(fmt.Sprintf("rpc: params of %s must be a struct, not %s", m.Name, pt))
	}
	scoped := pt.Implements(reflect.TypeFor[AppScoped]()) || reflect.PointerTo(pt).Implements(reflect.TypeFor[AppScoped]())
	if (m.Auth == auth.Member || m.Auth == auth.Admin) && !scoped {
		panic(fmt.Sprintf("rpc: %s is %s-level, so its params %s must implement rpc.AppScoped", m.Name, m.Auth, pt))
	}
	ps, err := newParamsSchema(pt)
	if err != nil {
		panic(fmt.Sprintf("rpc: params schema of %s: %v", m.Name, err))
	}
	rs, err := schemaJSON(reflect.TypeFor[R]())
	if err != nil {
		panic(fmt.Sprintf("rpc: result schema of %s: %v", m.Name, err))
	}
	e := &entry{
		name:        m.Name,
		summary:     m.Summary,
		description: m.Description,
		level:       m.Auth,
		timeout:     m.Timeout,
		minBudget:   m.MinBudget,
		idempotent:  m.Idempotent,
		readOnly:    m.ReadOnly,
		maxBody:     m.MaxBody,
		noBatch:     m.NoBatch,
		scoped:      scoped,
		errors:      m.Errors,
		params:      ps,
		result:      rs,
	}
	e.invoke = func(ctx context.Context, c *call, raw []byte) ([]byte, error) {
		var p P
		if err := ps.decode(raw, &p); err != nil {
			return nil, err
		}
		if scoped {
			if err := c.caller.Allows(e.level, appOf(&p)); err != nil {
				return nil, err
			}
		}
		r, err := h(ctx, p)
		if err != nil {
			return nil, err
		}
		var b []byte
		if a, ok := any(r).(JSONAppender); ok {
			b, err = a.AppendJSON(nil)
		} else {
			b, err = json.Marshal(r)
		}
		if err != nil {
			return nil, fmt.Errorf("encode result of %s: %w", e.name, err)
		}
		return b, nil
	}
	s.register(e)
}

// JSONAppender is implemented by results that encode themselves: large
// results (a long time series) whose own encoder writes the same bytes as
// encoding/json faster, or hot answers kept encoded (a feed page from each
// post's cached bytes): the server sends what AppendJSON appends as it is,
// where encoding/json would check and compact a MarshalJSON's output once
// more. AppendJSON must append exactly one valid JSON value; the type's
// tests hold it to encoding/json's bytes.
type JSONAppender interface {
	AppendJSON(b []byte) ([]byte, error)
}

// AppendEncoded is the AppendJSON (and MarshalJSON, with a nil b) of a
// result that keeps its own encoding in raw: raw appended to b, or raw
// itself when b is nil (the server only reads it; it is clipped, so that
// an append to it copies first), or v encoded when there is no raw.
func AppendEncoded(b, raw []byte, v any) ([]byte, error) {
	switch {
	case raw == nil:
		m, err := json.Marshal(v)
		return append(b, m...), err
	case b == nil:
		return slices.Clip(raw), nil
	}
	return append(b, raw...), nil
}

func appOf(p any) string {
	if a, ok := p.(AppScoped); ok {
		return a.AppID()
	}
	if a, ok := reflect.ValueOf(p).Elem().Interface().(AppScoped); ok {
		return a.AppID()
	}
	return ""
}

var rawType = reflect.TypeFor[json.RawMessage]()

// handleRaw registers a method whose params are raw JSON: no schema is
// generated or checked, and a raw result is not encoded again.
func handleRaw[P, R any](s *Server, m Method[P, R], h Handler[json.RawMessage, R]) {
	if m.Auth == auth.Member || m.Auth == auth.Admin {
		panic(fmt.Sprintf("rpc: %s is %s-level, so its params must implement rpc.AppScoped, which raw params cannot", m.Name, m.Auth))
	}
	rawResult := reflect.TypeFor[R]() == rawType
	result := json.RawMessage(`{}`) // any JSON value
	if !rawResult {
		rs, err := schemaJSON(reflect.TypeFor[R]())
		if err != nil {
			panic(fmt.Sprintf("rpc: result schema of %s: %v", m.Name, err))
		}
		result = rs
	}
	e := &entry{
		name:        m.Name,
		summary:     m.Summary,
		description: m.Description,
		level:       m.Auth,
		timeout:     m.Timeout,
		minBudget:   m.MinBudget,
		idempotent:  m.Idempotent,
		maxBody:     m.MaxBody,
		noBatch:     m.NoBatch,
		errors:      m.Errors,
		params:      &paramsSchema{},
		result:      result,
	}
	e.invoke = func(ctx context.Context, _ *call, raw []byte) ([]byte, error) {
		// raw is part of a pooled buffer: the handler may keep its params.
		r, err := h(ctx, json.RawMessage(bytes.Clone(raw)))
		if err != nil {
			return nil, err
		}
		if rawResult {
			b := any(r).(json.RawMessage)
			if len(b) == 0 {
				return []byte("null"), nil
			}
			if !json.Valid(b) {
				return nil, fmt.Errorf("encode result of %s: not valid JSON", e.name)
			}
			return b, nil
		}
		b, err := json.Marshal(r)
		if err != nil {
			return nil, fmt.Errorf("encode result of %s: %w", e.name, err)
		}
		return b, nil
	}
	s.register(e)
}
