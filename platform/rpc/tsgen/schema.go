package tsgen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// tsType is the TypeScript type of a JSON Schema, written at indent (the
// indentation of the line it starts on).
func tsType(s any, indent string) string {
	o, ok := s.(*object)
	if !ok {
		return "unknown" // true, or no schema
	}
	if shape, ok := o.get("x-shape"); ok {
		return tsType(shape, indent) // rpc.Unchecked: the method checks it, clients send its documented shape
	}
	if c, ok := o.get("const"); ok {
		return literal(c)
	}
	if e := o.list("enum"); len(e) > 0 {
		lits := make([]string, len(e))
		for i, v := range e {
			lits[i] = literal(v)
		}
		return strings.Join(lits, " | ")
	}
	for _, k := range []string{"anyOf", "oneOf"} {
		if alts := o.list(k); len(alts) > 0 {
			return union(alts, indent)
		}
	}
	if types := o.list("type"); len(types) > 0 { // "type": ["string", "null"]
		var parts []string
		for _, t := range types {
			ts, _ := t.(string)
			parts = append(parts, typeOfKind(o, ts, indent))
		}
		return strings.Join(dedupe(parts), " | ")
	}
	kind := o.str("type")
	if kind == "" && o.obj("properties") != nil {
		kind = "object"
	}
	return typeOfKind(o, kind, indent)
}

func typeOfKind(o *object, kind, indent string) string {
	switch kind {
	case "string":
		return "string"
	case "integer", "number":
		return "number"
	case "boolean":
		return "boolean"
	case "null":
		return "null"
	case "array":
		items, ok := o.get("items")
		if !ok {
			return "unknown[]"
		}
		t := tsType(items, indent)
		if strings.Contains(t, " | ") && !strings.HasPrefix(t, "{") {
			t = "(" + t + ")"
		}
		return t + "[]"
	case "object":
		if props := o.obj("properties"); props != nil && len(props.keys) > 0 {
			return objectType(props, o.list("required"), indent)
		}
		switch ap, _ := o.get("additionalProperties"); ap := ap.(type) {
		case *object:
			return "Record<string, " + tsType(ap, indent) + ">"
		case bool:
			if !ap {
				return "Record<string, never>"
			}
		}
		return "Record<string, unknown>"
	}
	return "unknown"
}

// objectType writes an object literal type, one documented member a line.
func objectType(props *object, required []any, indent string) string {
	req := map[string]bool{}
	for _, r := range required {
		if s, ok := r.(string); ok {
			req[s] = true
		}
	}
	inner := indent + "\t"
	var b bytes.Buffer
	b.WriteString("{\n")
	for _, k := range props.keys {
		ps := props.vals[k]
		writeDoc(&b, inner, propertyDoc(ps))
		name := k
		if !isIdent(k) {
			name = jsString(k)
		}
		opt := ""
		if !req[k] {
			opt = "?"
		}
		fmt.Fprintf(&b, "%s%s%s: %s;\n", inner, name, opt, tsType(ps, inner))
	}
	b.WriteString(indent + "}")
	return b.String()
}

// propertyDoc is what a schema says beyond its type: its description,
// format, limits and default.
func propertyDoc(s any) string {
	o, ok := s.(*object)
	if !ok {
		return ""
	}
	var parts []string
	if d := o.str("description"); d != "" {
		parts = append(parts, d)
	}
	var tags []string
	if f := o.str("format"); f != "" {
		tags = append(tags, "@format "+f)
	}
	for _, k := range []string{"minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minItems", "maxItems", "pattern", "default"} {
		if v, ok := o.get(k); ok {
			tags = append(tags, fmt.Sprintf("@%s %s", k, compact(v)))
		}
	}
	if items := o.obj("items"); items != nil { // an array's elements' limits
		if f := items.str("format"); f != "" {
			tags = append(tags, "@format "+f+" (each element)")
		}
		for _, k := range []string{"minLength", "maxLength", "pattern"} {
			if v, ok := items.get(k); ok {
				tags = append(tags, fmt.Sprintf("@%s %s (each element)", k, compact(v)))
			}
		}
	}
	if len(tags) > 0 {
		parts = append(parts, strings.Join(tags, "\n"))
	}
	return strings.Join(parts, "\n\n")
}

func union(alts []any, indent string) string {
	var parts []string
	for _, a := range alts {
		t := tsType(a, indent)
		if strings.Contains(t, " | ") || strings.HasSuffix(t, "[]") && strings.HasPrefix(t, "(") {
			t = "(" + t + ")"
		}
		parts = append(parts, t)
	}
	return strings.Join(dedupe(parts), " | ")
}

func dedupe(parts []string) []string {
	var out []string
	for _, p := range parts {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// literal is a JSON value as a TypeScript literal type.
func literal(v any) string {
	switch v.(type) {
	case string, json.Number, bool, nil:
		return compact(v)
	}
	return "unknown"
}

// compact writes a value of a schema keyword back as JSON.
func compact(v any) string {
	switch v := v.(type) {
	case string:
		return jsString(v)
	case json.Number:
		return v.String()
	case bool:
		return fmt.Sprint(v)
	case nil:
		return "null"
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = compact(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case *object:
		parts := make([]string, len(v.keys))
		for i, k := range v.keys {
			parts[i] = jsString(k) + ": " + compact(v.vals[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return ""
}
