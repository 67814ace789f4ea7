package rpc

import (
	"bytes"
	"encoding"
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// fastCheck is a quick accept test for the params of a method, run on the
// raw JSON before the general validator. Its one rule: it accepts only what
// the general validator accepts. Whenever it is not sure (an unusual keyword,
// a duplicate member, a number written 1.0) or finds a problem, the general
// validator runs and writes the error report. A differential fuzz test
// (FuzzFastCheck) holds it to that rule.
//
// It understands what the reflector emits for a struct: an object with
// properties, required names and additionalProperties false, whose
// properties are strings (length, enum), integers, numbers (bounds) and
// booleans. A property with any other keyword (format, pattern, nested
// objects, arrays) is checked by its own compiled subschema, on that value
// alone.
//
// For params structs of plain fields (strings, booleans, numbers) it also
// decodes while it checks, as encoding/json would (the fuzz test compares
// the two), which saves the reflection-heavy second pass.
type fastCheck struct {
	props    map[string]*fastProp
	required []string
	// decodable reports whether every property maps to a plain field of
	// the params struct (field set), so that accepts can also decode.
	decodable bool
}

type fastProp struct {
	index int   // in required order, or -1
	field []int // index path of the struct field it decodes into, or nil
	typ   string
	// string constraints
	minLen, maxLen int // -1 when absent
	enum           map[string]bool
	// numeric bounds; nil when absent
	min, max, exMin, exMax *float64
	// sub validates the value with the general validator instead, for
	// keywords this check does not implement.
	sub *jsonschema.Schema
}

// ignorable keywords do not affect validation.
var ignorable = map[string]bool{"title": true, "description": true, "default": true, "examples": true,
	"$comment": true, "deprecated": true, "readOnly": true, "writeOnly": true}

// newFastCheck builds the check from the params schema of type t; nil when
// the schema is not of the shape it understands.
func newFastCheck(doc []byte, t reflect.Type) *fastCheck {
	var s map[string]json.RawMessage
	if json.Unmarshal(doc, &s) != nil {
		return nil
	}
	fc := &fastCheck{props: map[string]*fastProp{}}
	for k, v := range s {
		switch k {
		case "type":
			if string(v) != `"object"` {
				return nil
			}
		case "additionalProperties":
			if string(v) != "false" {
				return nil
			}
		case "required":
			if json.Unmarshal(v, &fc.required) != nil {
				return nil
			}
		case "properties":
			var props map[string]json.RawMessage
			if json.Unmarshal(v, &props) != nil {
				return nil
			}
			for name, ps := range props {
				p := newFastProp(ps)
				if p == nil {
					return nil
				}
				fc.props[name] = p
			}
		default:
			if !ignorable[k] && k != "$schema" && k != "$id" {
				return nil
			}
		}
	}
	if _, ok := s["additionalProperties"]; !ok {
		return nil
	}
	for _, p := range fc.props {
		p.index = -1
	}
	for i, r := range fc.required {
		p, ok := fc.props[r]
		if !ok {
			return nil // required but undeclared: leave it to the validator
		}
		p.index = i
	}
	fc.decodable = fc.mapFields(t)
	return fc
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// mapFields matches each property to a plain struct field that
// encoding/json would fill the same way (a string, bool, integer or float
// kind, without custom unmarshalers or the ",string" option), looking
// through embedded structs (rpc.AppRef) as encoding/json does. It reports
// whether every property found one.
func (fc *fastCheck) mapFields(t reflect.Type) bool {
	for _, p := range fc.props {
		p.field = nil
	}
	if t.Kind() != reflect.Struct {
		return false
	}
	fields, ok := plainFields(t, nil, map[reflect.Type]bool{})
	if !ok {
		return false
	}
	for name, f := range fields {
		p, ok := fc.props[name]
		if !ok {
			continue
		}
		if strings.Contains(f.opts, "string") ||
			reflect.PointerTo(f.typ).Implements(jsonUnmarshaler) || reflect.PointerTo(f.typ).Implements(textUnmarshaler) {
			return false
		}
		switch k := f.typ.Kind(); {
		case k == reflect.String && p.typ == "string":
		case k == reflect.Bool && p.typ == "boolean":
		case k >= reflect.Int && k <= reflect.Uint64 && p.typ == "integer":
		case (k == reflect.Float32 || k == reflect.Float64) && (p.typ == "number" || p.typ == "integer"):
		default:
			return false
		}
		p.field = f.index
	}
	for _, p := range fc.props {
		if p.field == nil {
			return false
		}
	}
	return true
}

// plainField is a struct field as encoding/json names it.
type plainField struct {
	index []int // for reflect.Value.FieldByIndex
	typ   reflect.Type
	opts  string // the json tag's options
}

// plainFields lists the JSON members of struct t by name, embedded
// structs' fields included. It gives up (false) where encoding/json's
// rules get subtle: an embedded pointer, a struct embedded twice, or two
// fields of one name (encoding/json then picks by depth and tags, or drops
// both), so that the fast path never decodes differently.
func plainFields(t reflect.Type, at []int, seen map[reflect.Type]bool) (map[string]plainField, bool) {
	if seen[t] {
		return nil, false
	}
	seen[t] = true
	out := map[string]plainField{}
	add := func(name string, f plainField) bool {
		if _, dup := out[name]; dup {
			return false
		}
		out[name] = f
		return true
	}
	for i := range t.NumField() {
		f := t.Field(i)
		index := append(append([]int(nil), at...), i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" && opts == "" {
			continue
		}
		if f.Anonymous && !f.IsExported() && name != "" {
			return nil, false // encoding/json's handling of these is its own
		}
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				return nil, false
			}
			if ft.Kind() == reflect.Struct {
				inner, ok := plainFields(ft, index, seen)
				if !ok {
					return nil, false
				}
				for n, g := range inner {
					if !add(n, g) {
						return nil, false
					}
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if !add(name, plainField{index: index, typ: f.Type, opts: opts}) {
			return nil, false
		}
	}
	return out, true
}

func newFastProp(raw []byte) *fastProp {
	var s map[string]json.RawMessage
	if json.Unmarshal(raw, &s) != nil {
		return nil
	}
	p := &fastProp{minLen: -1, maxLen: -1}
	general := false
	num := func(v json.RawMessage) *float64 {
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil {
			general = true
			return nil
		}
		return &f
	}
	count := func(v json.RawMessage) int {
		n, err := strconv.Atoi(string(v))
		if err != nil || n < 0 {
			general = true
		}
		return n
	}
	for k, v := range s {
		switch k {
		case "type":
			if json.Unmarshal(v, &p.typ) != nil {
				general = true
			}
		case "minLength":
			p.minLen = count(v)
		case "maxLength":
			p.maxLen = count(v)
		case "minimum":
			p.min = num(v)
		case "maximum":
			p.max = num(v)
		case "exclusiveMinimum":
			p.exMin = num(v)
		case "exclusiveMaximum":
			p.exMax = num(v)
		case "enum":
			var vals []string
			if json.Unmarshal(v, &vals) != nil {
				general = true
				break
			}
			p.enum = map[string]bool{}
			for _, e := range vals {
				p.enum[e] = true
			}
		default:
			if !ignorable[k] {
				general = true
			}
		}
	}
	switch p.typ {
	case "string", "integer", "number", "boolean":
	default:
		general = true
	}
	if general {
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			return nil
		}
		if c.AddResource("urn:attendify:param", doc) != nil {
			return nil
		}
		if p.sub, err = c.Compile("urn:attendify:param"); err != nil {
			return nil
		}
	}
	return p
}

// accepts reports whether raw (a JSON object, already validated as JSON) is
// surely valid. When dst is a settable struct value and the check is
// decodable, it also decodes raw into dst and reports decoded; on a false
// answer dst is left zero.
func (fc *fastCheck) accepts(raw []byte, dst reflect.Value) (ok, decoded bool) {
	decode := fc.decodable && dst.IsValid()
	ok = fc.scan(raw, dst, decode)
	if !ok && decode {
		dst.SetZero()
	}
	return ok, ok && decode
}

func (fc *fastCheck) scan(raw []byte, dst reflect.Value, decode bool) bool {
	var seenReq uint64
	var seen map[string]bool // only for params with more than 64 required fields
	ok := true
	n := 0
	members(raw, func(name, value []byte) bool {
		var p *fastProp
		var known bool
		key := ""
		if inner, simple := plainString(name); simple {
			p, known = fc.props[string(inner)] // no copy of the name for the lookup
			if known && p.index >= 64 {
				key = string(inner)
			}
		} else {
			var good bool
			if key, good = unquote(name); !good {
				ok = false
				return false
			}
			p, known = fc.props[key]
		}
		if !known || !p.accepts(value) || (decode && !p.set(dst.FieldByIndex(p.field), value)) {
			ok = false
			return false
		}
		n++
		if p.index >= 0 {
			if p.index < 64 {
				bit := uint64(1) << p.index
				if seenReq&bit != 0 {
					ok = false // a duplicate member: not sure which one counts
					return false
				}
				seenReq |= bit
			} else {
				if seen == nil {
					seen = map[string]bool{}
				}
				if seen[key] {
					ok = false
					return false
				}
				seen[key] = true
			}
		}
		return true
	})
	if !ok {
		return false
	}
	req := len(fc.required)
	if req <= 64 {
		return seenReq == (uint64(1)<<req)-1 || (req == 64 && seenReq == math.MaxUint64)
	}
	return len(seen)+64 == req && seenReq == math.MaxUint64
}

func (p *fastProp) accepts(v []byte) bool {
	if p.sub != nil {
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(v))
		return err == nil && p.sub.Validate(inst) == nil
	}
	switch p.typ {
	case "boolean":
		return string(v) == "true" || string(v) == "false"
	case "string":
		if v[0] != '"' {
			return false
		}
		if inner, simple := plainString(v); simple { // checked without a copy
			if p.minLen >= 0 || p.maxLen >= 0 {
				n := utf8.RuneCount(inner)
				if (p.minLen >= 0 && n < p.minLen) || (p.maxLen >= 0 && n > p.maxLen) {
					return false
				}
			}
			return p.enum == nil || p.enum[string(inner)]
		}
		s, ok := unquote(v)
		if !ok {
			return false
		}
		if p.minLen >= 0 || p.maxLen >= 0 {
			n := utf8.RuneCountInString(s)
			if (p.minLen >= 0 && n < p.minLen) || (p.maxLen >= 0 && n > p.maxLen) {
				return false
			}
		}
		return p.enum == nil || p.enum[s]
	case "integer", "number":
		if p.enum != nil {
			return false
		}
		var f float64
		if p.typ == "integer" {
			i, err := strconv.ParseInt(string(v), 10, 64) // only plain digits: 1.0 and 1e3 go the long way
			if err != nil || i > 1<<53 || i < -(1<<53) {
				return false
			}
			f = float64(i)
		} else {
			var err error
			if f, err = strconv.ParseFloat(string(v), 64); err != nil || math.IsInf(f, 0) {
				return false
			}
		}
		return (p.min == nil || f >= *p.min) && (p.max == nil || f <= *p.max) &&
			(p.exMin == nil || f > *p.exMin) && (p.exMax == nil || f < *p.exMax)
	}
	return false
}

// set decodes the accepted value v into field f, as encoding/json would;
// false when it cannot (an integer that overflows the field).
func (p *fastProp) set(f reflect.Value, v []byte) bool {
	switch f.Kind() {
	case reflect.String:
		str, ok := unquote(v)
		f.SetString(str)
		return ok
	case reflect.Bool:
		f.SetBool(v[0] == 't')
		return true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil || f.OverflowInt(i) {
			return false
		}
		f.SetInt(i)
		return true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		u, err := strconv.ParseUint(string(v), 10, 64)
		if err != nil || f.OverflowUint(u) {
			return false
		}
		f.SetUint(u)
		return true
	case reflect.Float32, reflect.Float64:
		x, err := strconv.ParseFloat(string(v), f.Type().Bits())
		if err != nil || f.OverflowFloat(x) {
			return false
		}
		f.SetFloat(x)
		return true
	}
	return false
}
