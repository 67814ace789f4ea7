package rpc

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

type fastFlat struct {
	Text  string  `json:"text" jsonschema:"minLength=2,maxLength=5"`
	N     int     `json:"n" jsonschema:"minimum=-3,maximum=7"`
	F     float64 `json:"f,omitempty" jsonschema:"exclusiveMinimum=0,exclusiveMaximum=1"`
	Role  string  `json:"role,omitempty" jsonschema:"enum=a,enum=b"`
	On    bool    `json:"on,omitempty"`
	Email string  `json:"email,omitempty" jsonschema:"format=email"`
}

type fastNested struct {
	Tags  []string          `json:"tags,omitempty" jsonschema:"maxItems=2"`
	Inner struct{ A int }   `json:"inner"`
	Map   map[string]string `json:"map,omitempty"`
}

// FastPage is a struct params types embed, beside AppRef.
type FastPage struct {
	Limit  int    `json:"limit,omitempty" jsonschema:"minimum=1,maximum=50"`
	Cursor string `json:"cursor,omitempty" jsonschema:"maxLength=8"`
}

type fastEmbedded struct {
	AppRef
	FastPage
	Text string `json:"text" jsonschema:"minLength=1,maxLength=5"`
}

var fastTypes = []reflect.Type{reflect.TypeFor[fastFlat](), reflect.TypeFor[fastNested](), reflect.TypeFor[validated](),
	reflect.TypeFor[fastEmbedded]()}

// fastSchemas are the params shapes the differential tests use.
func fastSchemas(t testing.TB) []*paramsSchema {
	var out []*paramsSchema
	for _, typ := range fastTypes {
		ps, err := newParamsSchema(typ)
		if err != nil {
			t.Fatal(err)
		}
		if ps.fast == nil {
			t.Fatalf("no fast check for %v", typ)
		}
		out = append(out, ps)
	}
	return out
}

func generalAccepts(ps *paramsSchema, raw []byte) bool {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	return err == nil && ps.compiled.Validate(inst) == nil
}

func TestFastCheckAgreesOnExamples(t *testing.T) {
	flat := fastSchemas(t)[0]
	tests := []struct {
		raw  string
		want bool // what the general validator says
	}{
		{`{"text":"ab","n":1}`, true},
		{`{"text":"héllo","n":7,"f":0.5,"role":"b","on":true,"email":"a@b.co"}`, true},
		{`{"text":"a","n":1}`, false},
		{`{"text":"abcdef","n":1}`, false},
		{`{"text":"ab","n":8}`, false},
		{`{"text":"ab","n":-4}`, false},
		{`{"text":"ab","n":1.0}`, true}, // an integer in JSON Schema's sense: the fast check defers
		{`{"text":"ab","n":1.5}`, false},
		{`{"text":"ab","n":1,"f":1}`, false},
		{`{"text":"ab","n":1,"f":0}`, false},
		{`{"text":"ab","n":1,"role":"c"}`, false},
		{`{"text":"ab","n":1,"email":"nope"}`, false},
		{`{"text":"ab"}`, false},
		{`{"text":"ab","n":1,"x":1}`, false},
		{`{"text":null,"n":1}`, false},
		{`{"text":"ab","n":"1"}`, false},
		{`{"text":"ab","n":1,"text":"abcdefgh"}`, false},
		{`{"text":"a\u00e9","n":1}`, true},
	}
	for _, tt := range tests {
		if got := generalAccepts(flat, []byte(tt.raw)); got != tt.want {
			t.Fatalf("general validator on %s = %v; the example is wrong", tt.raw, got)
		}
		if ok, _ := flat.fast.accepts([]byte(tt.raw), reflect.Value{}); ok && !tt.want {
			t.Errorf("fast check accepts %s, which is invalid", tt.raw)
		}
	}
	// The common case must take the fast path, and decode, or it is pointless.
	var got fastFlat
	ok, decoded := flat.fast.accepts([]byte(`{"text":"a\u00e9","n":-3,"f":0.25,"on":true,"role":"a"}`), reflect.ValueOf(&got).Elem())
	if !ok || !decoded {
		t.Fatalf("fast check refuses plain valid params (ok=%v decoded=%v)", ok, decoded)
	}
	if want := (fastFlat{Text: "aé", N: -3, F: 0.25, On: true, Role: "a"}); got != want {
		t.Errorf("decoded %+v, want %+v", got, want)
	}
	if fastSchemas(t)[2].fast.decodable {
		t.Error("a struct with a time.Time field must not be decoded by the fast path")
	}
}

// TestFastCheckDecodesEmbeddedFields: params that embed structs (AppRef,
// a page) take the fast path and decode as encoding/json does, and the
// params decoder answers every example exactly as the general path does.
func TestFastCheckDecodesEmbeddedFields(t *testing.T) {
	ps := fastSchemas(t)[3]
	if !ps.fast.decodable {
		t.Fatal("params embedding structs take the slow path")
	}
	var got fastEmbedded
	ok, decoded := ps.fast.accepts([]byte(`{"app_id":"a1","text":"hi","limit":5,"cursor":"c"}`), reflect.ValueOf(&got).Elem())
	if !ok || !decoded {
		t.Fatalf("fast check refuses plain valid params (ok=%v decoded=%v)", ok, decoded)
	}
	if want := (fastEmbedded{AppRef: AppRef{App: "a1"}, FastPage: FastPage{Limit: 5, Cursor: "c"}, Text: "hi"}); got != want {
		t.Errorf("decoded %+v, want %+v", got, want)
	}
	slow := *ps
	slow.fast = nil
	for _, raw := range []string{
		`{"app_id":"a1","text":"hi"}`,
		`{"app_id":"a1","text":"hi","limit":50,"cursor":""}`,
		`{"text":"hi"}`,                           // required, from the embedded AppRef
		`{"app_id":"","text":"hi"}`,               // minLength of the embedded field
		`{"app_id":"a1","text":"hi","limit":0}`,   // bounds of the embedded field
		`{"app_id":"a1","text":"hi","limit":1.0}`, // an integer the fast check leaves to the validator
		`{"app_id":"a1","text":"hi","AppRef":{}}`, // unknown: embedded structs have no member of their own
		`{"app_id":"a1","text":"hi","App":"x"}`,   // unknown: the Go name is not the member's
		`{"app_id":"a1","text":"hi","x":1}`,
		`{"app_id":"a1","app_id":"a2","text":"hi"}`,
		`{"app_id":7,"text":"hi"}`,
		`["a1",5,"c","hi"]`,
		`null`,
	} {
		var fast, general fastEmbedded
		var rawb []byte
		if raw != "null" {
			rawb = []byte(raw)
		}
		errFast := ps.decode(rawb, &fast)
		errGeneral := slow.decode(rawb, &general)
		if !reflect.DeepEqual(errFast, errGeneral) {
			t.Errorf("%s: fast path error %v, general path %v", raw, errFast, errGeneral)
		}
		if fast != general {
			t.Errorf("%s: fast path decoded %+v, general path %+v", raw, fast, general)
		}
	}
}

// FuzzFastCheck holds the fast check to its rule: it never accepts params
// the general validator refuses.
func FuzzFastCheck(f *testing.F) {
	for _, seed := range []string{
		`{"text":"ab","n":1}`, `{"text":"héllo","n":7,"f":0.5,"role":"b","on":true,"email":"a@b.co"}`,
		`{"inner":{"A":1},"tags":["x","y"]}`, `{"inner":{"A":1},"tags":["x","y","z"],"map":{"k":"v"}}`,
		`{"email":"ann@example.com","name":"Ann","age":30,"role":"speaker","id":"0b9e2f5c-7c52-4a52-9a4d-2b9f0c1c0e11","at":"2026-11-29T10:00:00Z","code":"ABC"}`,
		`{"text":"ab","n":1,"text":"abcdefgh"}`, `{"text":"ab","n":9007199254740993}`,
		`{"app_id":"a1","text":"hi","limit":5,"cursor":"c"}`, `{"app_id":"a1","text":"hi","App":"x"}`,
	} {
		f.Add([]byte(seed))
	}
	schemas := fastSchemas(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		if validate(raw, 32) != nil || trimWS(raw)[0] != '{' {
			return
		}
		for i, ps := range schemas {
			typ := fastTypes[i]
			fast := reflect.New(typ)
			ok, decoded := ps.fast.accepts(trimWS(raw), fast.Elem())
			if !ok {
				if !fast.Elem().IsZero() {
					t.Fatalf("refused %s but left the params half-decoded", raw)
				}
				continue
			}
			if !generalAccepts(ps, raw) {
				t.Fatalf("fast check accepts %s, the general validator refuses it", raw)
			}
			if decoded {
				std := reflect.New(typ)
				if err := json.Unmarshal(raw, std.Interface()); err != nil {
					t.Fatalf("fast path decoded %s, encoding/json refuses it: %v", raw, err)
				}
				if !reflect.DeepEqual(fast.Interface(), std.Interface()) {
					t.Fatalf("decoded %s as %+v, encoding/json as %+v", raw, fast.Elem(), std.Elem())
				}
			}
		}
	})
}
