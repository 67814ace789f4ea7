package kv_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/kv"
	"github.com/google/go-cmp/cmp"
)

func TestMapOpsValidate(t *testing.T) {
	for _, tc := range []struct {
		name       string
		ops        kv.MapOps
		wantFields []string // the fields of the errs.Invalid error; nil: valid
	}{
		{name: "empty", ops: kv.MapOps{}},
		{name: "every kind of op", ops: kv.MapOps{
			SetRegisters:   map[string]string{"name": "Ada", "blank": ""},
			IncrCounters:   map[string]int64{"n": -1},
			AddToSets:      map[string][]string{"s": {"a"}},
			RemoveFromSets: map[string][]string{"s": {"b"}},
			RemoveFields:   []string{"gone"},
		}},
		{name: "register written and removed", ops: kv.MapOps{
			SetRegisters: map[string]string{"a": "1"}, RemoveFields: []string{"a"},
		}, wantFields: []string{"RemoveFields"}},
		{name: "member added and removed", ops: kv.MapOps{
			AddToSets: map[string][]string{"s": {"x", "y"}}, RemoveFromSets: map[string][]string{"s": {"y"}},
		}, wantFields: []string{"RemoveFromSets/s"}},
		{name: "bad names and values", ops: kv.MapOps{
			SetRegisters: map[string]string{"": "v", "nul": "a\x00b"},
			IncrCounters: map[string]int64{strings.Repeat("k", kv.MaxKeyLen+1): 1},
			AddToSets:    map[string][]string{"s": {"\xff"}},
		}, wantFields: []string{"AddToSets/s", "IncrCounters/" + strings.Repeat("k", kv.MaxKeyLen+1), "SetRegisters/", "SetRegisters/nul"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.ops.Validate()
			if tc.wantFields == nil {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if !errors.Is(err, errs.Invalid) {
				t.Fatalf("Validate = %v, want kind invalid", err)
			}
			e, _ := errs.As(err)
			var got []string
			for _, f := range e.Fields {
				got = append(got, f.Field)
			}
			if diff := cmp.Diff(tc.wantFields, got); diff != "" {
				t.Errorf("invalid fields (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMapOpsEmpty(t *testing.T) {
	for _, tc := range []struct {
		ops  kv.MapOps
		want bool
	}{
		{kv.MapOps{}, true},
		{kv.MapOps{AddToSets: map[string][]string{"s": nil}, RemoveFromSets: map[string][]string{"s": {}}}, true},
		{kv.MapOps{IncrCounters: map[string]int64{"n": 0}}, false},
		{kv.MapOps{RemoveFields: []string{"f"}}, false},
	} {
		if got := tc.ops.Empty(); got != tc.want {
			t.Errorf("%+v.Empty() = %v, want %v", tc.ops, got, tc.want)
		}
	}
}

func TestCheckKey(t *testing.T) {
	for _, tc := range []struct {
		bucket, key string
		valid       bool
	}{
		{"likes", "post:01HX", true},
		{"b", "ünïcode key with spaces", true},
		{strings.Repeat("b", kv.MaxBucketLen), strings.Repeat("k", kv.MaxKeyLen), true},
		{"", "k", false},
		{"b", "", false},
		{"b", "a\x00", false},
		{"b", "\xc3", false},
		{strings.Repeat("b", kv.MaxBucketLen+1), "k", false},
		{"b", strings.Repeat("k", kv.MaxKeyLen+1), false},
	} {
		err := kv.CheckKey(tc.bucket, tc.key)
		if (err == nil) != tc.valid || (err != nil && !errors.Is(err, errs.Invalid)) {
			t.Errorf("CheckKey(%.20q, %.20q) = %v, want valid=%v", tc.bucket, tc.key, err, tc.valid)
		}
	}
}
