package rpc_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/rpc"
)

// TestAnnotatedErrorsStayInTheLog: what errs.Annotate adds (the store
// method and its arguments) reaches the log of an internal error and never
// a client's message, whatever the error's kind.
func TestAnnotatedErrorsStayInTheLog(t *testing.T) {
	for _, tt := range []struct {
		fail    error
		message string // what the client reads
		logged  bool   // whether the annotation is logged
	}{
		{errors.New("conn reset"), "internal error", true},
		{errs.Wrap(errs.NotFound, errors.New("no rows"), "no such member"), "no such member", false},
		{errs.NotFound, errs.CodeNotFound.Doc(), false},
	} {
		var logged bytes.Buffer
		srv := rpc.NewServer(rpc.Options{Name: "greeter", Logger: slog.New(slog.NewTextHandler(&logged, nil))})
		rpc.Handle(srv, Greet, func(ctx context.Context, p GreetParams) (_ Greeting, err error) {
			defer errs.Annotate(&err, "store.MemberByEmail(%s)", p.Name)
			return Greeting{}, tt.fail
		})
		ts := httptest.NewServer(srv)
		client, _ := rpc.NewClient(rpc.ClientOptions{Endpoints: []string{ts.URL}})
		_, err := Greet.Call(context.Background(), client, GreetParams{Name: "ann@example.com"})
		ts.Close()
		e, ok := errs.As(err)
		if !ok || e.Msg != tt.message {
			t.Errorf("%v: the client reads %v; want %q", tt.fail, err, tt.message)
		}
		if strings.Contains(err.Error(), "store.MemberByEmail") {
			t.Errorf("%v: the client's error names the store: %v", tt.fail, err)
		}
		if got := strings.Contains(logged.String(), `error="store.MemberByEmail(ann@example.com): conn reset"`); got != tt.logged {
			t.Errorf("%v: annotation logged = %v, want %v; log:\n%s", tt.fail, got, tt.logged, logged.String())
		}
	}
}

// TestNoAccessLogKeepsErrors: without the access log, a call that succeeds
// or fails with an error of the caller's making logs nothing, and one that
// fails with an internal error, or panics, is logged all the same.
func TestNoAccessLogKeepsErrors(t *testing.T) {
	var logged bytes.Buffer
	srv := rpc.NewServer(rpc.Options{Name: "greeter", NoAccessLog: true, Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	rpc.Handle(srv, Greet, func(ctx context.Context, p GreetParams) (Greeting, error) {
		switch p.Name {
		case "broken":
			return Greeting{}, errors.New("conn reset")
		case "panics":
			panic("boom")
		case "unknown":
			return Greeting{}, errs.New(errs.NotFound, "no such member")
		}
		return Greeting{Text: "hello"}, nil
	})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	client, _ := rpc.NewClient(rpc.ClientOptions{Endpoints: []string{ts.URL}, MaxAttempts: 1})
	call := func(name string) string {
		logged.Reset()
		_, _ = Greet.Call(context.Background(), client, GreetParams{Name: name})
		return logged.String()
	}
	for _, quiet := range []string{"ann", "unknown"} {
		if l := call(quiet); l != "" {
			t.Errorf("a call for %q logged without the access log:\n%s", quiet, l)
		}
	}
	if l := call("broken"); !strings.Contains(l, "level=ERROR") || !strings.Contains(l, "conn reset") {
		t.Errorf("an internal error was not logged:\n%s", l)
	}
	if l := call("panics"); !strings.Contains(l, "panic in handler") {
		t.Errorf("a panic was not logged:\n%s", l)
	}
}
