package rpc_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/rpc"
)

// GreetParams are the params of greet: validated against the JSON Schema
// generated from this type before the handler runs.
type GreetParams struct {
	Name  string `json:"name" jsonschema:"minLength=1,maxLength=40"`
	Shout bool   `json:"shout,omitempty"`
}

// Greeting is greet's result.
type Greeting struct {
	Text string `json:"text"`
}

// Greet is the method's contract; it lives in the service's api.go, shared
// by the server and its clients.
var Greet = rpc.Method[GreetParams, Greeting]{
	Name:       "greet",
	Summary:    "Greets someone.",
	Auth:       auth.Public,
	Idempotent: true,
	Errors:     []errs.Code{errs.CodeInvalid},
}

func Example() {
	srv := rpc.NewServer(rpc.Options{Name: "greeter"})
	rpc.Handle(srv, Greet, func(ctx context.Context, p GreetParams) (Greeting, error) {
		if p.Name == "nobody" {
			return Greeting{}, errs.InvalidFields("who?", errs.FieldError{Field: "/name", Message: "must be somebody"})
		}
		g := Greeting{Text: "Hello, " + p.Name}
		if p.Shout {
			g.Text += "!"
		}
		return g, nil
	})
	ts := httptest.NewServer(srv)
	defer ts.Close()

	client, _ := rpc.NewClient(rpc.ClientOptions{Endpoints: []string{ts.URL}})
	g, err := Greet.Call(context.Background(), client, GreetParams{Name: "Ada", Shout: true})
	fmt.Println(g.Text, err)
	_, err = Greet.Call(context.Background(), client, GreetParams{Name: ""})
	e, _ := errs.As(err)
	fmt.Println(e.Code.Name(), e.Fields[0].Field)
	// Output:
	// Hello, Ada! <nil>
	// invalid /name
}
