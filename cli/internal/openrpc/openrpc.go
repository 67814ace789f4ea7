// Package openrpc reads the services' rpc.discover documents for the CLI:
// which service has a method, who may call it, its params' JSON Schemas
// (to turn k=v arguments into params and check them before sending) and
// the names completion offers.
package openrpc

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/rpc"
)

// Param is one param of a method.
type Param struct {
	Name     string          `json:"name"`
	Required bool            `json:"required,omitempty"`
	Schema   json.RawMessage `json:"schema"`
}

// Method is a method as its discovery document describes it.
type Method struct {
	Name       string  `json:"name"`
	Summary    string  `json:"summary,omitempty"`
	Params     []Param `json:"params"`
	Auth       string  `json:"x-auth"`
	Idempotent bool    `json:"x-idempotent"`
	ReadOnly   bool    `json:"x-read-only"`
	// Service is the service that has it (not in the document).
	Service string `json:"service"`
}

// Doc is a service's discovery document, as far as the CLI reads it.
type Doc struct {
	Methods []Method `json:"methods"`
}

// Discover calls rpc.discover on a service.
func Discover(ctx context.Context, c *rpc.Client, service string) (Doc, error) {
	var d Doc
	if err := c.Call(ctx, "rpc.discover", true, struct{}{}, &d); err != nil {
		return d, err
	}
	for i := range d.Methods {
		d.Methods[i].Service = service
	}
	return d, nil
}

// Index is the methods of several services by name.
type Index map[string]Method

// Add adds a service's methods.
func (ix Index) Add(d Doc) {
	for _, m := range d.Methods {
		ix[m.Name] = m
	}
}

// Names are the methods' names, sorted.
func (ix Index) Names() []string {
	names := make([]string, 0, len(ix))
	for n := range ix {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Param returns the named param.
func (m Method) Param(name string) (Param, bool) {
	for _, p := range m.Params {
		if p.Name == name {
			return p, true
		}
	}
	return Param{}, false
}

// isString reports whether a param's schema takes a string and nothing
// else, so that its k=v value is taken as written.
func (p Param) isString() bool {
	var s struct {
		Type any `json:"type"`
	}
	_ = json.Unmarshal(p.Schema, &s)
	return s.Type == "string"
}

// ParseArgs turns k=v arguments into the method's params: a value is taken
// as written for a string param, else read as JSON (numbers, true, arrays,
// objects), falling back to the string when it is not JSON (the schema
// check then says what is wrong). k:=json forces JSON.
func (m Method) ParseArgs(args []string) (map[string]any, error) {
	out := map[string]any{}
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("argument %q is not name=value", a)
		}
		raw := strings.HasSuffix(k, ":")
		k = strings.TrimSuffix(k, ":")
		p, _ := m.Param(k) // an unknown name is left to Validate, which lists it with the rest
		switch {
		case raw:
			var x any
			if err := json.Unmarshal([]byte(v), &x); err != nil {
				return nil, fmt.Errorf("%s:= is not JSON: %v", k, err)
			}
			out[k] = x
		case p.isString():
			out[k] = v
		default:
			var x any
			if json.Unmarshal([]byte(v), &x) == nil {
				out[k] = x
			} else {
				out[k] = v
			}
		}
	}
	return out, nil
}

// ParamNames are the method's param names in declaration order.
func (m Method) ParamNames() []string {
	names := make([]string, 0, len(m.Params))
	for _, p := range m.Params {
		names = append(names, p.Name)
	}
	return names
}

// Validate checks params against the method's schema, as the server
// does (formats asserted, unknown params refused), and returns an invalid
// error listing every bad field as a JSON pointer.
func (m Method) Validate(params map[string]any) error {
	props := map[string]json.RawMessage{}
	required := []string{}
	for _, p := range m.Params {
		props[p.Name] = p.Schema
		if p.Required {
			required = append(required, p.Name)
		}
	}
	schema, err := json.Marshal(map[string]any{
		"type": "object", "properties": props, "required": required, "additionalProperties": false,
	})
	if err != nil {
		return err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
	if err != nil {
		return err
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	url := "urn:attendify:cli:" + m.Name
	if err := c.AddResource(url, doc); err != nil {
		return err
	}
	sch, err := c.Compile(url)
	if err != nil {
		return fmt.Errorf("schema of %s: %w", m.Name, err)
	}
	b, _ := json.Marshal(params)
	inst, _ := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	err = sch.Validate(inst)
	if err == nil {
		return nil
	}
	return &errs.Error{Code: errs.CodeInvalid, Msg: "invalid params of " + m.Name, Fields: rpc.FieldErrors(err)}
}
