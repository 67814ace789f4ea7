package rpc

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
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
		b, err := json.Marshal(r)
		if err != nil {
			return nil, fmt.Errorf("encode result of %s: %w", e.name, err)
		}
		return b, nil
	}
	s.register(e)
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
