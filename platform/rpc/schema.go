package rpc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	invopop "github.com/invopop/jsonschema"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"

	"github.com/attendify/platform/errs"
)

// reflector generates JSON Schemas from Go types: struct fields are required
// unless tagged omitempty, unknown properties are refused, constraints come
// from `jsonschema:"minLength=1,maxLength=80,format=email,enum=a,enum=b"`
// tags (see github.com/invopop/jsonschema).
var reflector = &invopop.Reflector{
	ExpandedStruct: true,
	DoNotReference: true,
	Anonymous:      true,
}

func schemaOf(t reflect.Type) *invopop.Schema {
	return reflector.ReflectFromType(t)
}

func schemaJSON(t reflect.Type) (json.RawMessage, error) {
	s := schemaOf(t)
	s.Version = ""
	return json.Marshal(s)
}

// paramsSchema validates and decodes the params of one method.
type paramsSchema struct {
	doc      json.RawMessage    // the schema, for discovery
	fields   []paramField       // in declaration order, for positional params
	compiled *jsonschema.Schema // the validator
	fast     *fastCheck         // a quick accept test; nil when the schema is beyond it
}

type paramField struct {
	name     string
	required bool
	schema   json.RawMessage
}

func newParamsSchema(t reflect.Type) (*paramsSchema, error) {
	s := schemaOf(t)
	required := map[string]bool{}
	for _, r := range s.Required {
		required[r] = true
	}
	ps := &paramsSchema{}
	if s.Properties != nil {
		for p := s.Properties.Oldest(); p != nil; p = p.Next() {
			b, err := json.Marshal(p.Value)
			if err != nil {
				return nil, err
			}
			ps.fields = append(ps.fields, paramField{name: p.Key, required: required[p.Key], schema: b})
		}
	}
	full, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(full))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	const url = "urn:attendify:params"
	if err := c.AddResource(url, doc); err != nil {
		return nil, err
	}
	if ps.compiled, err = c.Compile(url); err != nil {
		return nil, err
	}
	s.Version = ""
	if ps.doc, err = json.Marshal(s); err != nil {
		return nil, err
	}
	ps.fast = newFastCheck(ps.doc, t)
	return ps, nil
}

// decode validates raw params (an object, an array, or nil for none) and
// decodes them into p. Every schema violation is reported as a field error.
func (ps *paramsSchema) decode(raw []byte, p any) error {
	switch {
	case raw == nil:
		raw = []byte("{}")
	case raw[0] == '[':
		obj, err := ps.byPosition(raw)
		if err != nil {
			return err
		}
		raw = obj
	}
	if fd, isFD := p.(FastDecoder); isFD {
		if fd.DecodeFast(raw) {
			return nil
		}
		reflect.ValueOf(p).Elem().SetZero()
	}
	var ok, decoded bool
	if ps.fast != nil {
		ok, decoded = ps.fast.accepts(raw, reflect.ValueOf(p).Elem())
	}
	if decoded {
		return nil
	}
	if !ok {
		if err := ps.validate(raw); err != nil {
			return err
		}
	}
	if err := json.Unmarshal(raw, p); err != nil {
		// The schema accepted what Go cannot hold (an integer out of range,
		// say): still the caller's mistake.
		return invalidParams("invalid params", errs.FieldError{Field: "/", Message: err.Error()})
	}
	return nil
}

// validate runs the general validator and reports every violation.
func (ps *paramsSchema) validate(raw []byte) error {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return invalidParams("params are not valid JSON")
	}
	if err := ps.compiled.Validate(inst); err != nil {
		return invalidParams("invalid params", FieldErrors(err)...)
	}
	return nil
}

// byPosition turns positional params into the equivalent object, matching
// elements to fields in declaration order.
func (ps *paramsSchema) byPosition(raw []byte) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	n := 0
	elements(raw, func(el []byte) {
		if n < len(ps.fields) {
			if n > 0 {
				buf.WriteByte(',')
			}
			b, _ := json.Marshal(ps.fields[n].name)
			buf.Write(b)
			buf.WriteByte(':')
			buf.Write(el)
		}
		n++
	})
	if n > len(ps.fields) {
		return nil, invalidParams(fmt.Sprintf("too many positional params: %d given, the method takes %d", n, len(ps.fields)))
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// FieldErrors flattens a santhosh-tekuri/jsonschema validation error into
// one entry per failing leaf, located by JSON pointer into the params, as
// the server reports invalid params; clients that check params before
// sending (the attendify CLI) report them the same way.
func FieldErrors(err error) []errs.FieldError {
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok {
		return []errs.FieldError{{Field: "/", Message: err.Error()}}
	}
	var out []errs.FieldError
	var walk func(u []jsonschema.OutputUnit)
	walk = func(units []jsonschema.OutputUnit) {
		for _, u := range units {
			if len(u.Errors) > 0 {
				walk(u.Errors)
				continue
			}
			if u.Error == nil {
				continue
			}
			at := u.InstanceLocation
			switch k := u.Error.Kind.(type) {
			case *kind.Required:
				for _, name := range k.Missing {
					out = append(out, errs.FieldError{Field: at + "/" + pointerEscape(name), Message: "required"})
				}
			case *kind.AdditionalProperties:
				for _, name := range k.Properties {
					out = append(out, errs.FieldError{Field: at + "/" + pointerEscape(name), Message: "unknown field"})
				}
			default:
				if at == "" {
					at = "/"
				}
				out = append(out, errs.FieldError{Field: at, Message: u.Error.String()})
			}
		}
	}
	walk(ve.BasicOutput().Errors)
	if len(out) == 0 {
		out = append(out, errs.FieldError{Field: "/", Message: strings.TrimSpace(ve.Error())})
	}
	return out
}

var pointerEscaper = strings.NewReplacer("~", "~0", "/", "~1")

func pointerEscape(name string) string { return pointerEscaper.Replace(name) }
