package riakkv

import (
	"errors"
	"strings"
	"testing"

	riak "github.com/basho/riak-go-client"

	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/kv"
)

// typeProps answers an RpbGetBucketTypeReq for the type want as Riak KV
// does: riak_core_pb_bucket_type.erl (riak_api), process/2 for
// #rpbgetbuckettypereq{}, replies with every property of an active type
// (riak_pb_codec:encode_bucket_props/1, the datatype as the atom's name),
// and with the error "Invalid bucket type: <<\"name\">>" (~p of the type's
// binary) when riak_core_bucket_type:get/1 returns undefined: a type never
// created, or created and not activated (riak_core_claimant:
// get_bucket_type/2 hides inactive types).
func typeProps(t *testing.T, want string, props *riak.FetchBucketPropsResponse) func(riak.Command) error {
	return func(cmd riak.Command) error {
		c, ok := cmd.(*riak.FetchBucketTypePropsCommand)
		if !ok {
			t.Fatalf("got %s, want a FetchBucketTypeProps", cmd.Name())
		}
		if got := bytesField(request(t, cmd), "Type"); got != want {
			t.Errorf("properties asked of type %q, want %q", got, want)
		}
		if props == nil {
			return riak.ClientError{Errmsg: riak.ErrClusterNoNodesAvailable,
				InnerError: riak.RiakError{Errmsg: `Invalid bucket type: <<"` + want + `">>`}}
		}
		c.Response = props
		return nil
	}
}

// The properties of types created as the package comment says: the
// defaults of riak_core_bucket_type:defaults/0 (allow_mult true, n_val 3,
// last_write_wins false) plus the datatype.
func createdProps(datatype string) *riak.FetchBucketPropsResponse {
	return &riak.FetchBucketPropsResponse{NVal: 3, AllowMult: true, DataType: datatype}
}

func TestPingChecksTheBucketTypes(t *testing.T) {
	good := map[string]*riak.FetchBucketPropsResponse{
		"objects": createdProps(""), "counters": createdProps("counter"),
		"sets": createdProps("set"), "maps": createdProps("map"),
	}
	for _, tc := range []struct {
		name   string
		change func(map[string]*riak.FetchBucketPropsResponse)
		want   []string // in the error; none: Ping succeeds
	}{
		{name: "all four as created"},
		{
			name:   "sets type missing or not active",
			change: func(p map[string]*riak.FetchBucketPropsResponse) { p["sets"] = nil },
			want: []string{
				`bucket type "sets" (RIAK_SETS_TYPE) does not exist or is not active`,
				`riak admin bucket-type create sets '{"props":{"datatype":"set"}}' && riak admin bucket-type activate sets`,
			},
		},
		{
			name: "every missing type is named",
			change: func(p map[string]*riak.FetchBucketPropsResponse) {
				p["objects"], p["counters"], p["maps"] = nil, nil, nil
			},
			want: []string{
				`riak admin bucket-type create objects '{"props":{"allow_mult":true}}'`,
				`riak admin bucket-type create counters '{"props":{"datatype":"counter"}}'`,
				`riak admin bucket-type create maps '{"props":{"datatype":"map"}}'`,
			},
		},
		{
			name:   "sets type of another datatype",
			change: func(p map[string]*riak.FetchBucketPropsResponse) { p["sets"] = createdProps("map") },
			want:   []string{`bucket type "sets" (RIAK_SETS_TYPE) holds the data type "map", not "set"`, "point RIAK_SETS_TYPE at one"},
		},
		{
			name:   "a grow-only set is not a set",
			change: func(p map[string]*riak.FetchBucketPropsResponse) { p["sets"] = createdProps("gset") },
			want:   []string{`holds the data type "gset", not "set"`},
		},
		{
			name:   "counters type without a datatype",
			change: func(p map[string]*riak.FetchBucketPropsResponse) { p["counters"] = createdProps("") },
			want:   []string{`bucket type "counters" (RIAK_COUNTERS_TYPE) holds plain objects, not the data type "counter"`},
		},
		{
			name:   "objects type holding a data type",
			change: func(p map[string]*riak.FetchBucketPropsResponse) { p["objects"] = createdProps("set") },
			want:   []string{`bucket type "objects" (RIAK_OBJECTS_TYPE) holds the data type "set", not plain objects`},
		},
		{
			name:   "objects type without siblings",
			change: func(p map[string]*riak.FetchBucketPropsResponse) { p["objects"].AllowMult = false },
			want:   []string{`riak admin bucket-type update objects '{"props":{"allow_mult":true,"last_write_wins":false}}'`},
		},
		{
			name:   "objects type with last write wins",
			change: func(p map[string]*riak.FetchBucketPropsResponse) { p["objects"].LastWriteWins = true },
			want:   []string{"last_write_wins true"},
		},
		{
			name:   "strongly consistent objects type",
			change: func(p map[string]*riak.FetchBucketPropsResponse) { p["objects"].Consistent = true },
			want:   []string{"strongly consistent"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			props := map[string]*riak.FetchBucketPropsResponse{}
			for name, p := range good {
				c := *p
				props[name] = &c
			}
			if tc.change != nil {
				tc.change(props)
			}
			var steps []func(riak.Command) error
			for _, name := range []string{"objects", "counters", "sets", "maps"} {
				steps = append(steps, typeProps(t, name, props[name]))
			}
			if tc.want == nil {
				// Once the types are right, Ping only pings.
				steps = append(steps, func(cmd riak.Command) error {
					if _, ok := cmd.(*riak.PingCommand); !ok {
						t.Errorf("second Ping sent %s, want a ping", cmd.Name())
					}
					return nil
				})
			}
			s, _ := newScripted(t, nil, steps...)
			err := s.ping(t.Context())
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Ping: %v", err)
				}
				if err := s.ping(t.Context()); err != nil {
					t.Fatalf("second Ping: %v", err)
				}
				return
			}
			if !errors.Is(err, errs.Internal) {
				t.Fatalf("Ping = %v, want kind internal", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Ping error %q\ndoes not say %q", err, w)
				}
			}
		})
	}
}

// A node that cannot answer is no verdict on the types: Ping reports it
// unavailable and checks them again next time.
func TestPingChecksTheBucketTypesAgainAfterAnOutage(t *testing.T) {
	overload := func(riak.Command) error {
		return riak.ClientError{Errmsg: riak.ErrClusterNoNodesAvailable, InnerError: riak.RiakError{Errmsg: "overload"}}
	}
	s, _ := newScripted(t, nil, overload,
		typeProps(t, "objects", createdProps("")), typeProps(t, "counters", createdProps("counter")),
		typeProps(t, "sets", createdProps("set")), typeProps(t, "maps", createdProps("map")))
	if err := s.ping(t.Context()); !errors.Is(err, errs.Unavailable) {
		t.Fatalf("Ping during an overload = %v, want kind unavailable", err)
	}
	if err := s.ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

// A command on a missing or wrong type names the type, its setting and
// the commands that set it up. The answers are riak_kv_pb_crdt.erl's
// (fetch_type/3 and update_type/3 for {error, no_type}: "Error no bucket
// type `~p`"; maybe_update/3 for another datatype) and, for objects,
// riak_kv_pb_object.erl's {error, {format, no_type}}.
func TestCommandOnAMisconfiguredTypeNamesItsSetup(t *testing.T) {
	riakSays := func(msg string) func(riak.Command) error {
		return func(riak.Command) error {
			return riak.ClientError{Errmsg: riak.ErrClusterNoNodesAvailable, InnerError: riak.RiakError{Errmsg: msg}}
		}
	}
	for _, tc := range []struct {
		name string
		riak string
		call func(s *adapter) error
		want string
	}{
		{"set add, no type", "Error no bucket type `<<\"sets\">>`",
			func(s *adapter) error { return s.SetAdd(t.Context(), "b", "s", "x") },
			`bucket type "sets" (RIAK_SETS_TYPE) is missing or of the wrong kind (Riak: Error no bucket type ` + "`" + `<<"sets">>` + "`" + `); it is set up with: riak admin bucket-type create sets '{"props":{"datatype":"set"}}' && riak admin bucket-type activate sets`},
		{"map update on a type of sets", "Operation type is `map` but  bucket type is `set`.",
			func(s *adapter) error {
				return s.MapUpdate(t.Context(), "b", "m", nil, kv.MapOps{SetRegisters: map[string]string{"a": "1"}})
			},
			`riak admin bucket-type create maps '{"props":{"datatype":"map"}}'`},
		{"counter fetch, no type", "Error no bucket type `<<\"counters\">>`",
			func(s *adapter) error { _, err := s.Counter(t.Context(), "b", "c"); return err },
			`riak admin bucket-type create counters '{"props":{"datatype":"counter"}}'`},
		{"object get, no type", "no_type",
			func(s *adapter) error { _, err := s.Get(t.Context(), "b", "k"); return err },
			`riak admin bucket-type create objects '{"props":{"allow_mult":true}}'`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newScripted(t, nil, riakSays(tc.riak))
			err := tc.call(s)
			if !errors.Is(err, errs.Internal) {
				t.Fatalf("got %v, want kind internal", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q\ndoes not say %q", err, tc.want)
			}
		})
	}
}
