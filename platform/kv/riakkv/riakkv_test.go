package riakkv

// Unit tests that run without Riak: configuration, error translation,
// sibling resolution, and the commands each call sends, checked against a
// scripted runner that plays Riak's part by filling in the commands'
// responses. The contract suite against a real cluster is in
// contract_test.go (build tag riak).

import (
	"context"
	"errors"
	"io"
	"net"
	"reflect"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	riak "github.com/basho/riak-go-client"
	"github.com/caarlos0/env/v11"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/kv"
)

// script is a runner that expects the given steps, one per command, in order.
type script struct {
	t     *testing.T
	steps []func(cmd riak.Command) error
	calls int
}

func (s *script) run(_ context.Context, cmd riak.Command) error {
	s.t.Helper()
	if s.calls >= len(s.steps) {
		s.t.Fatalf("unexpected command %s (call %d, script has %d steps)", cmd.Name(), s.calls+1, len(s.steps))
	}
	step := s.steps[s.calls]
	s.calls++
	return step(cmd)
}

func (s *script) done() {
	s.t.Helper()
	if s.calls != len(s.steps) {
		s.t.Errorf("Riak got %d commands, the script expected %d", s.calls, len(s.steps))
	}
}

func testConfig() Config {
	return Config{
		Hosts: []string{"riak:8087"}, ObjectsType: "objects", CountersType: "counters",
		SetsType: "sets", MapsType: "maps", RequestTimeout: time.Second, StartupWait: time.Second,
	}
}

// newScripted returns a store whose Riak is the script.
func newScripted(t *testing.T, opts []Option, steps ...func(riak.Command) error) (*adapter, *script) {
	sc := &script{t: t, steps: steps}
	t.Cleanup(sc.done)
	return newStore(testConfig(), sc.run, func() error { return nil }, opts...), sc
}

// request returns the protocol buffers request a command will send. The
// client keeps it unexported; reading it through reflect ties these tests
// to riak-go-client v1.7.0, which is pinned.
func request(t *testing.T, cmd riak.Command) reflect.Value {
	t.Helper()
	v := reflect.ValueOf(cmd).Elem().FieldByName("protobuf")
	for v.IsValid() && (v.Kind() == reflect.Interface || v.Kind() == reflect.Pointer) {
		v = v.Elem()
	}
	if !v.IsValid() {
		t.Fatalf("%s has no protobuf request", cmd.Name())
	}
	return v
}

func field(v reflect.Value, name string) reflect.Value {
	f := v.FieldByName(name)
	if f.Kind() == reflect.Pointer {
		if f.IsNil() {
			return reflect.Value{}
		}
		f = f.Elem()
	}
	return f
}

func bytesField(v reflect.Value, name string) string {
	f := field(v, name)
	if !f.IsValid() {
		return ""
	}
	return string(f.Bytes())
}

func boolField(v reflect.Value, name string) bool {
	f := field(v, name)
	return f.IsValid() && f.Bool()
}

// location is where a request is addressed.
type location struct{ Type, Bucket, Key string }

func locationOf(t *testing.T, cmd riak.Command) location {
	v := request(t, cmd)
	return location{bytesField(v, "Type"), bytesField(v, "Bucket"), bytesField(v, "Key")}
}

func TestConfigFromEnvironment(t *testing.T) {
	t.Setenv("RIAK_HOSTS", "riak1,riak2:9087,[::1]")
	cfg, err := env.ParseAs[Config]()
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Enabled() {
		t.Error("Enabled() = false with RIAK_HOSTS set")
	}
	if err := cfg.validate(); err != nil {
		t.Errorf("validate: %v", err)
	}
	if diff := cmp.Diff([]string{"riak1:8087", "riak2:9087", "[::1]:8087"}, cfg.addresses()); diff != "" {
		t.Errorf("addresses (-want +got):\n%s", diff)
	}
	want := Config{
		Hosts: cfg.Hosts, ObjectsType: "objects", CountersType: "counters", SetsType: "sets", MapsType: "maps",
		ConnectTimeout: 3 * time.Second, RequestTimeout: 5 * time.Second, StartupWait: 30 * time.Second, MaxConnections: 256,
		ContextKeys: kv.DefaultContextKeys(),
	}
	if diff := cmp.Diff(want, cfg); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		modify func(*Config)
	}{
		{"no hosts", func(c *Config) { c.Hosts = nil }},
		{"empty objects type", func(c *Config) { c.ObjectsType = "" }},
		{"counters in the default type", func(c *Config) { c.CountersType = "default" }},
		{"maps in the default type", func(c *Config) { c.MapsType = "default" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			tc.modify(&cfg)
			if err := cfg.validate(); !errors.Is(err, errs.Invalid) {
				t.Errorf("validate = %v, want kind invalid", err)
			}
			if _, err := Open(cfg); !errors.Is(err, errs.Invalid) {
				t.Errorf("Open = %v, want kind invalid", err)
			}
		})
	}
}

func TestTranslate(t *testing.T) {
	riakErr := func(msg string) error { return riak.RiakError{Errcode: 0, Errmsg: msg} }
	// What the cluster returns after its one attempt: the cause wrapped.
	exhausted := func(inner error) error {
		return riak.ClientError{Errmsg: riak.ErrClusterNoNodesAvailable, InnerError: inner}
	}
	for _, tc := range []struct {
		name string
		err  error
		want errs.Kind
	}{
		{"all_nodes_down", exhausted(riakErr("all_nodes_down")), errs.Unavailable},
		{"overload", exhausted(riakErr("overload")), errs.Unavailable},
		{"timeout", riakErr("timeout"), errs.Unavailable},
		{"insufficient vnodes", exhausted(riakErr("{insufficient_vnodes,0,need,2}")), errs.Unavailable},
		{"w unsatisfied", exhausted(riakErr("{w_val_unsatisfied,1,2}")), errs.Unavailable},
		{"no node reachable", exhausted(nil), errs.Unavailable},
		{"dial error", exhausted(&net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}), errs.Unavailable},
		{"other Riak error", exhausted(riakErr("{badarg,[]}")), errs.Internal},
		{"canceled", context.Canceled, errs.Canceled},
		{"deadline", context.DeadlineExceeded, errs.DeadlineExceeded},
		{"already translated", errs.New(errs.NotFound, "gone"), errs.NotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := translate(tc.err, "op %s", "x")
			if k := errs.KindOf(got); k != tc.want {
				t.Errorf("translate(%v) = %v (kind %v), want kind %v", tc.err, got, k, tc.want)
			}
		})
	}
	if translate(nil, "op") != nil {
		t.Error("translate(nil) != nil")
	}
}

// A bucket type that is missing or of the wrong kind is a deployment
// error: errs.Internal, with a message that points at the bucket types of
// the package comment. The texts are the ones Riak KV 3.x sends, as
// riak_kv_pb_crdt.erl (fetch_type/3, update_type/3, maybe_fetch/3,
// maybe_update/3) and riak_kv_pb_object.erl ({error, {format, Reason}},
// printed with ~p) format them.
func TestTranslateMisconfiguredBucketTypes(t *testing.T) {
	for _, msg := range []string{
		"Error no bucket type `<<\"sets\">>`",                 // data-type request, type not created or not active
		"`undefined` is not a supported type",                 // data-type fetch from a type without a datatype
		"Bucket datatype `undefined` is not a supported type", // data-type update there
		"Operation type is `set` but  bucket type is `map`.",  // the type holds another datatype (two spaces: Riak's)
		"Bucket must be allow_mult=true",                      // a type created with allow_mult false
		"no_type",                                             // object request on a missing type
	} {
		err := riak.ClientError{Errmsg: riak.ErrClusterNoNodesAvailable, InnerError: riak.RiakError{Errmsg: msg}}
		got := translate(err, "fetch set %s/%s", "b", "s")
		if !errors.Is(got, errs.Internal) {
			t.Errorf("translate(%q) = %v, want kind internal", msg, got)
		}
		if !strings.Contains(got.Error(), "bucket type missing or of the wrong kind") {
			t.Errorf("translate(%q) = %q, want the bucket-type hint", msg, got)
		}
	}
}

func TestSiblingResolution(t *testing.T) {
	vclock := []byte("\x83vclock")
	live := func(v string) *riak.Object { return &riak.Object{Value: []byte(v)} }
	tomb := &riak.Object{IsTombstone: true}
	byteOrder := func(_, _ string, sibs [][]byte) ([]byte, error) {
		vs := sortedStrings(sibs)
		return []byte(vs[len(vs)-1]), nil
	}
	for _, tc := range []struct {
		name     string
		resp     *riak.FetchValueResponse
		resolver kv.Resolver
		want     kv.Object
		wantKind errs.Kind // nonzero when Get should fail with this kind
		wantSibs *kv.Siblings
	}{
		{name: "not found", resp: &riak.FetchValueResponse{IsNotFound: true}, wantKind: errs.NotFound},
		{name: "tombstone only", resp: &riak.FetchValueResponse{VClock: vclock, Values: []*riak.Object{tomb}}, wantKind: errs.NotFound},
		{name: "one value", resp: &riak.FetchValueResponse{VClock: vclock, Values: []*riak.Object{live("a")}},
			want: kv.Object{Value: []byte("a"), Context: vclock}},
		{name: "value and tombstone: the write wins", resp: &riak.FetchValueResponse{VClock: vclock, Values: []*riak.Object{tomb, live("a")}},
			want: kv.Object{Value: []byte("a"), Context: vclock}},
		{name: "siblings without a resolver are a conflict", resp: &riak.FetchValueResponse{VClock: vclock, Values: []*riak.Object{live("a"), live("b"), tomb}},
			wantKind: errs.Conflict, wantSibs: &kv.Siblings{Values: [][]byte{[]byte("a"), []byte("b")}, Context: vclock}},
		{name: "siblings with a resolver", resp: &riak.FetchValueResponse{VClock: vclock, Values: []*riak.Object{live("b"), live("c"), live("a")}},
			resolver: byteOrder, want: kv.Object{Value: []byte("c"), Context: vclock}},
		{name: "failing resolver", resp: &riak.FetchValueResponse{VClock: vclock, Values: []*riak.Object{live("a"), live("b")}},
			resolver: func(string, string, [][]byte) ([]byte, error) { return nil, errs.New(errs.Invalid, "cannot merge") },
			wantKind: errs.Invalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var opts []Option
			if tc.resolver != nil {
				opts = append(opts, WithResolver(tc.resolver))
			}
			s, _ := newScripted(t, opts, func(cmd riak.Command) error {
				if diff := cmp.Diff(location{"objects", "b", "k"}, locationOf(t, cmd)); diff != "" {
					t.Errorf("fetch location (-want +got):\n%s", diff)
				}
				cmd.(*riak.FetchValueCommand).Response = tc.resp
				return nil
			})
			got, err := s.Get(t.Context(), "b", "k")
			if tc.wantKind != 0 {
				if !errors.Is(err, tc.wantKind) {
					t.Fatalf("Get error = %v, want kind %v", err, tc.wantKind)
				}
				var sib *kv.Siblings
				if errors.As(err, &sib) != (tc.wantSibs != nil) {
					t.Fatalf("Get error %v: wraps siblings = %v, want %v", err, sib != nil, tc.wantSibs != nil)
				}
				if diff := cmp.Diff(tc.wantSibs, sib); diff != "" {
					t.Errorf("siblings (-want +got):\n%s", diff)
				}
				return
			}
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Get (-want +got):\n%s", diff)
			}
		})
	}
}

// The answers to conditional puts are riak_kv_pb_object.erl's (the
// process/2 clause for if_not_modified or if_none_match, riak_kv 3.x): it
// reads the object, then replies {error, "match_found"} when
// if_none_match finds one, {error, "modified"} when the clock it read is
// not the one sent, {error, "notfound"} when if_not_modified finds none;
// riak_api_pb_server sends those strings as the error message, verbatim.
func TestPutConditions(t *testing.T) {
	newClock := []byte("\x83new")
	for _, tc := range []struct {
		name         string
		cc           []byte
		riakErr      string // Riak's answer; "" stores
		wantNoneMtch bool
		wantNotMod   bool
		wantKind     errs.Kind
	}{
		{name: "create sends if_none_match", wantNoneMtch: true},
		{name: "create over an existing object", riakErr: "match_found", wantNoneMtch: true, wantKind: errs.Conflict},
		{name: "replace sends the clock with if_not_modified", cc: []byte("\x83old"), wantNotMod: true},
		{name: "stale clock", cc: []byte("\x83old"), riakErr: "modified", wantNotMod: true, wantKind: errs.Conflict},
		{name: "deleted since the read", cc: []byte("\x83old"), riakErr: "notfound", wantNotMod: true, wantKind: errs.Conflict},
		{name: "overload", cc: []byte("\x83old"), riakErr: "overload", wantNotMod: true, wantKind: errs.Unavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newScripted(t, nil, func(cmd riak.Command) error {
				req := request(t, cmd)
				if diff := cmp.Diff(location{"objects", "b", "k"}, locationOf(t, cmd)); diff != "" {
					t.Errorf("store location (-want +got):\n%s", diff)
				}
				if got := bytesField(req, "Vclock"); got != string(tc.cc) {
					t.Errorf("vclock sent = %q, want %q", got, tc.cc)
				}
				if got := boolField(req, "IfNoneMatch"); got != tc.wantNoneMtch {
					t.Errorf("if_none_match = %v, want %v", got, tc.wantNoneMtch)
				}
				if got := boolField(req, "IfNotModified"); got != tc.wantNotMod {
					t.Errorf("if_not_modified = %v, want %v", got, tc.wantNotMod)
				}
				if !boolField(req, "ReturnHead") {
					t.Error("return_head not set: the new clock would not come back")
				}
				if tc.riakErr != "" {
					return riak.ClientError{Errmsg: riak.ErrClusterNoNodesAvailable, InnerError: riak.RiakError{Errmsg: tc.riakErr}}
				}
				cmd.(*riak.StoreValueCommand).Response = &riak.StoreValueResponse{VClock: newClock}
				return nil
			})
			got, err := s.Put(t.Context(), "b", "k", []byte("v"), tc.cc)
			if tc.riakErr != "" {
				if !errors.Is(err, tc.wantKind) {
					t.Errorf("Put error = %v, want kind %v", err, tc.wantKind)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(newClock, got); diff != "" {
				t.Errorf("returned context (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPutBesideASiblingReturnsNoContext: when a concurrent write
// survived beside the Put (Riak answers two sibling heads, and a clock
// that covers both), Put returns no context, so that its caller cannot
// write over the other write without reading it.
func TestPutBesideASiblingReturnsNoContext(t *testing.T) {
	s, _ := newScripted(t, nil, func(cmd riak.Command) error {
		cmd.(*riak.StoreValueCommand).Response = &riak.StoreValueResponse{VClock: []byte("\x83both"),
			Values: []*riak.Object{{VTag: "mine"}, {VTag: "theirs"}}}
		return nil
	})
	got, err := s.Put(t.Context(), "b", "k", []byte("v"), []byte("\x83old"))
	if err != nil || got != nil {
		t.Errorf("Put beside a sibling = %q, %v; want no context, no error", got, err)
	}
}

func TestDeleteComparesTheClock(t *testing.T) {
	current := []byte("\x83current")
	head := func(resp *riak.FetchValueResponse) func(riak.Command) error {
		return func(cmd riak.Command) error {
			if !boolField(request(t, cmd), "Head") {
				t.Error("the clock check should fetch the head only")
			}
			cmd.(*riak.FetchValueCommand).Response = resp
			return nil
		}
	}
	del := func(wantClock []byte) func(riak.Command) error {
		return func(cmd riak.Command) error {
			if _, ok := cmd.(*riak.DeleteValueCommand); !ok {
				t.Fatalf("got %s, want a delete", cmd.Name())
			}
			if got := bytesField(request(t, cmd), "Vclock"); got != string(wantClock) {
				t.Errorf("delete vclock = %q, want %q", got, wantClock)
			}
			return nil
		}
	}
	found := &riak.FetchValueResponse{VClock: current, Values: []*riak.Object{{}}}

	t.Run("current clock", func(t *testing.T) {
		s, _ := newScripted(t, nil, head(found), del(current))
		if err := s.Delete(t.Context(), "b", "k", current); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("stale clock", func(t *testing.T) {
		s, _ := newScripted(t, nil, head(found))
		if err := s.Delete(t.Context(), "b", "k", []byte("\x83old")); !errors.Is(err, errs.Conflict) {
			t.Errorf("Delete = %v, want kind conflict", err)
		}
	})
	t.Run("gone", func(t *testing.T) {
		s, _ := newScripted(t, nil, head(&riak.FetchValueResponse{IsNotFound: true}))
		if err := s.Delete(t.Context(), "b", "k", current); !errors.Is(err, errs.NotFound) {
			t.Errorf("Delete = %v, want kind not found", err)
		}
	})
	t.Run("without a context", func(t *testing.T) {
		// Riak answers rpbdelresp even when there is nothing to delete
		// (riak_kv_pb_object.erl: {error, notfound} from the delete is a
		// success), so the script's plain success stands for both cases.
		s, _ := newScripted(t, nil, del(nil))
		if err := s.Delete(t.Context(), "b", "k", nil); err != nil {
			t.Fatal(err)
		}
	})
}

func TestCounters(t *testing.T) {
	s, _ := newScripted(t, nil,
		func(cmd riak.Command) error {
			if diff := cmp.Diff(location{"counters", "b", "c"}, locationOf(t, cmd)); diff != "" {
				t.Errorf("location (-want +got):\n%s", diff)
			}
			req := request(t, cmd)
			if got := field(field(field(req, "Op"), "CounterOp"), "Increment").Int(); got != -3 {
				t.Errorf("increment = %d, want -3", got)
			}
			for _, q := range []string{"W", "Dw", "Pw"} {
				if got := uint32(field(req, q).Uint()); got != rwDefault {
					t.Errorf("%s = %d, want the bucket default (%d)", q, got, rwDefault)
				}
			}
			if !boolField(req, "ReturnBody") {
				t.Error("return_body not set")
			}
			cmd.(*riak.UpdateCounterCommand).Response = &riak.UpdateCounterResponse{CounterValue: 39}
			return nil
		},
		func(cmd riak.Command) error {
			// A counter never incremented: Riak sends the type alone
			// (riak_kv_pb_crdt.erl, process_fetch_response of
			// {error, notfound}), which the client reports as not found.
			cmd.(*riak.FetchCounterCommand).Response = &riak.FetchCounterResponse{IsNotFound: true}
			return nil
		},
		func(cmd riak.Command) error {
			cmd.(*riak.FetchCounterCommand).Response = &riak.FetchCounterResponse{CounterValue: 39}
			return nil
		},
	)
	ctx := t.Context()
	if n, err := s.Incr(ctx, "b", "c", -3); err != nil || n != 39 {
		t.Errorf("Incr = %d, %v; want 39", n, err)
	}
	if n, err := s.Counter(ctx, "b", "c"); err != nil || n != 0 {
		t.Errorf("Counter of an absent counter = %d, %v; want 0", n, err)
	}
	if n, err := s.Counter(ctx, "b", "c"); err != nil || n != 39 {
		t.Errorf("Counter = %d, %v; want 39", n, err)
	}
}

func setUpdate(t *testing.T, wantCtx string, wantAdds, wantRemoves []string) func(riak.Command) error {
	return func(cmd riak.Command) error {
		if diff := cmp.Diff(location{"sets", "b", "s"}, locationOf(t, cmd)); diff != "" {
			t.Errorf("location (-want +got):\n%s", diff)
		}
		req := request(t, cmd)
		if got := bytesField(req, "Context"); got != wantCtx {
			t.Errorf("context sent = %q, want %q", got, wantCtx)
		}
		setOp := field(field(req, "Op"), "SetOp")
		strs := func(name string) []string {
			var out []string
			if !setOp.IsValid() {
				return out
			}
			f := setOp.FieldByName(name)
			for i := range f.Len() {
				out = append(out, string(f.Index(i).Bytes()))
			}
			return out
		}
		if diff := cmp.Diff(wantAdds, strs("Adds"), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("adds (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(wantRemoves, strs("Removes"), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("removes (-want +got):\n%s", diff)
		}
		return nil
	}
}

// setFetch answers a set fetch as Riak KV 3.x does, decoded by the
// client. A set never written: riak_kv_pb_crdt.erl,
// process_fetch_response({error, notfound}, _), sends
// riak_pb_dt_codec:encode_fetch_response(Type, undefined, undefined), a
// DtFetchResp with the type only, which the client reports as IsNotFound
// with no context. A set that exists, even emptied by removals, comes with
// its context (riak_kv_crdt:value/2, the clock of the set) and its members.
func setFetch(ctx string, members ...string) func(riak.Command) error {
	return func(cmd riak.Command) error {
		if ctx == "" {
			cmd.(*riak.FetchSetCommand).Response = &riak.FetchSetResponse{IsNotFound: true}
			return nil
		}
		cmd.(*riak.FetchSetCommand).Response = &riak.FetchSetResponse{Context: []byte(ctx), SetValue: toBytes(members)}
		return nil
	}
}

func TestSets(t *testing.T) {
	t.Run("add", func(t *testing.T) {
		s, _ := newScripted(t, nil, setUpdate(t, "", []string{"a", "b"}, nil))
		if err := s.SetAdd(t.Context(), "b", "s", "a", "b"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("members are sorted and come with the context", func(t *testing.T) {
		s, _ := newScripted(t, nil, setFetch("\x83ctx", "b", "a"))
		ms, cc, err := s.SetMembers(t.Context(), "b", "s")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"a", "b"}, ms); diff != "" {
			t.Errorf("members (-want +got):\n%s", diff)
		}
		if string(cc) != "\x83ctx" {
			t.Errorf("context = %q", cc)
		}
	})
	t.Run("absent set: empty, with the observe-nothing context", func(t *testing.T) {
		s, _ := newScripted(t, nil, setFetch(""))
		ms, cc, err := s.SetMembers(t.Context(), "b", "s")
		if err != nil || len(ms) != 0 || !isEmptyContext(cc) {
			t.Errorf("SetMembers = %q, %q, %v; want empty, the empty context, nil", ms, cc, err)
		}
	})
	t.Run("a set emptied by removals keeps Riak's context", func(t *testing.T) {
		// Its members are gone but the set is there, with the clock of
		// what was added and removed: a removal with that context must
		// reach Riak (a member added concurrently by another replica's
		// client is then kept, one it saw is removed).
		s, _ := newScripted(t, nil, setFetch("\x83emptied"), setUpdate(t, "\x83emptied", nil, []string{"x"}))
		ms, cc, err := s.SetMembers(t.Context(), "b", "s")
		if err != nil || len(ms) != 0 || string(cc) != "\x83emptied" {
			t.Fatalf("SetMembers = %q, %q, %v; want empty, Riak's context", ms, cc, err)
		}
		if err := s.SetRemove(t.Context(), "b", "s", cc, "x"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("remove sends the caller's context", func(t *testing.T) {
		// Whether or not x is still there: with a context, Riak removes
		// what the context saw of x and never fails for an absent member
		// (riak_dt_orswot.erl, update/4 for {remove, Elem}: the clause for
		// a missing element returns ok). Only context-free removals of an
		// absent member fail ({precondition, {not_present, x}}), and the
		// adapter never sends one.
		s, _ := newScripted(t, nil, setUpdate(t, "\x83seen", nil, []string{"x"}))
		if err := s.SetRemove(t.Context(), "b", "s", []byte("\x83seen"), "x"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("remove without a context fetches the current one", func(t *testing.T) {
		s, _ := newScripted(t, nil, setFetch("\x83now", "x"), setUpdate(t, "\x83now", nil, []string{"x", "y"}))
		if err := s.SetRemove(t.Context(), "b", "s", nil, "x", "y"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("remove without a context from an absent set", func(t *testing.T) {
		s, _ := newScripted(t, nil, setFetch(""))
		if err := s.SetRemove(t.Context(), "b", "s", nil, "x"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("remove with the context of an absent set does nothing", func(t *testing.T) {
		s, _ := newScripted(t, nil)
		if err := s.SetRemove(t.Context(), "b", "s", emptyContext, "x"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("contains", func(t *testing.T) {
		s, _ := newScripted(t, nil, setFetch("\x83c", "a", "b"), setFetch("\x83c", "a", "b"))
		for member, want := range map[string]bool{"a": true, "z": false} {
			if got, err := s.SetContains(t.Context(), "b", "s", member); err != nil || got != want {
				t.Errorf("SetContains(%q) = %v, %v; want %v", member, got, err, want)
			}
		}
	})
}

// mapOpSummary reads a client map operation back into kv.MapOps terms.
type mapOpSummary struct {
	Registers       map[string]string
	Counters        map[string]int64
	Adds, Removes   map[string][]string
	RemovedRegister []string
	RemovedCounters []string
	RemovedSets     []string
}

func summarize(op *riak.MapOperation) mapOpSummary {
	v := reflect.ValueOf(op).Elem()
	var s mapOpSummary
	keys := func(name string) []string {
		var out []string
		for _, k := range v.FieldByName(name).MapKeys() {
			out = append(out, k.String())
		}
		sort.Strings(out)
		return out
	}
	sets := func(name string) map[string][]string {
		out := map[string][]string{}
		it := v.FieldByName(name).MapRange()
		for it.Next() {
			for i := range it.Value().Len() {
				out[it.Key().String()] = append(out[it.Key().String()], string(it.Value().Index(i).Bytes()))
			}
			slices.Sort(out[it.Key().String()])
		}
		return out
	}
	s.Registers = map[string]string{}
	it := v.FieldByName("registersToSet").MapRange()
	for it.Next() {
		s.Registers[it.Key().String()] = string(it.Value().Bytes())
	}
	s.Counters = map[string]int64{}
	it = v.FieldByName("incrementCounters").MapRange()
	for it.Next() {
		s.Counters[it.Key().String()] = it.Value().Int()
	}
	s.Adds, s.Removes = sets("addToSets"), sets("removeFromSets")
	s.RemovedRegister, s.RemovedCounters, s.RemovedSets = keys("removeRegisters"), keys("removeCounters"), keys("removeSets")
	return s
}

func TestMapOperation(t *testing.T) {
	ops := kv.MapOps{
		SetRegisters:   map[string]string{"name": "Ada"},
		IncrCounters:   map[string]int64{"visits": 2},
		AddToSets:      map[string][]string{"tags": {"b", "a"}},
		RemoveFromSets: map[string][]string{"tags": {"c"}},
		RemoveFields:   []string{"old"},
	}
	op, empty := mapOperation(ops, true)
	if empty {
		t.Fatal("mapOperation reported empty")
	}
	want := mapOpSummary{
		Registers: map[string]string{"name": "Ada"}, Counters: map[string]int64{"visits": 2},
		Adds: map[string][]string{"tags": {"a", "b"}}, Removes: map[string][]string{"tags": {"c"}},
		RemovedRegister: []string{"old"}, RemovedCounters: []string{"old"}, RemovedSets: []string{"old"},
	}
	if diff := cmp.Diff(want, summarize(op), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("map operation (-want +got):\n%s", diff)
	}
	op, _ = mapOperation(ops, false)
	want.Removes, want.RemovedRegister, want.RemovedCounters, want.RemovedSets = nil, nil, nil, nil
	if diff := cmp.Diff(want, summarize(op), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("map operation without removals (-want +got):\n%s", diff)
	}
	if _, empty := mapOperation(kv.MapOps{RemoveFields: []string{"x"}}, false); !empty {
		t.Error("removals only, left out: want empty")
	}
}

func TestMapUpdate(t *testing.T) {
	update := func(wantCtx string) func(riak.Command) error {
		return func(cmd riak.Command) error {
			if diff := cmp.Diff(location{"maps", "b", "m"}, locationOf(t, cmd)); diff != "" {
				t.Errorf("location (-want +got):\n%s", diff)
			}
			if got := bytesField(request(t, cmd), "Context"); got != wantCtx {
				t.Errorf("context sent = %q, want %q", got, wantCtx)
			}
			return nil
		}
	}
	fetch := func(ctx string) func(riak.Command) error { return mapFetch(ctx, false) }
	emptied := func(ctx string) func(riak.Command) error { return mapFetch(ctx, true) }
	removal := kv.MapOps{SetRegisters: map[string]string{"a": "1"}, RemoveFields: []string{"b"}}
	for _, tc := range []struct {
		name  string
		cc    []byte
		ops   kv.MapOps
		steps []func(riak.Command) error
	}{
		{"updates only: no context needed", nil, kv.MapOps{IncrCounters: map[string]int64{"n": 1}}, []func(riak.Command) error{update("")}},
		{"removal with the caller's context", []byte("\x83seen"), removal, []func(riak.Command) error{update("\x83seen")}},
		{"removal without a context fetches one", nil, removal, []func(riak.Command) error{fetch("\x83now"), update("\x83now")}},
		{"removal without a context on an absent map", nil, removal, []func(riak.Command) error{fetch(""), update("")}},
		{"removal without a context on a map emptied by removals", nil, removal, []func(riak.Command) error{emptied("\x83gone"), update("\x83gone")}},
		{"removal with the context of an absent map", emptyContext, removal, []func(riak.Command) error{update("")}},
		{"only removals, nothing observed", emptyContext, kv.MapOps{RemoveFields: []string{"b"}}, nil},
		{"nothing to do", nil, kv.MapOps{AddToSets: map[string][]string{"s": {}}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newScripted(t, nil, tc.steps...)
			if err := s.MapUpdate(t.Context(), "b", "m", tc.cc, tc.ops); err != nil {
				t.Fatal(err)
			}
		})
	}
	t.Run("invalid ops send nothing", func(t *testing.T) {
		s, _ := newScripted(t, nil)
		err := s.MapUpdate(t.Context(), "b", "m", nil, kv.MapOps{SetRegisters: map[string]string{"a": "1"}, RemoveFields: []string{"a"}})
		if !errors.Is(err, errs.Invalid) {
			t.Errorf("MapUpdate = %v, want kind invalid", err)
		}
	})
}

// mapFetch answers a map fetch as Riak KV 3.x does, decoded by the
// client. A map never written comes as its type alone, without value or
// context (riak_kv_pb_crdt.erl, process_fetch_response of {error,
// notfound}); the client reports IsNotFound. A map whose fields were all
// removed comes with an empty field list and its context
// (riak_pb_dt_codec:encode_fetch_response/4 with map_value []): the client
// cannot tell that list from a missing one and reports IsNotFound too, with
// the context. Any other map comes with its fields and context.
func mapFetch(ctx string, emptied bool) func(riak.Command) error {
	return func(cmd riak.Command) error {
		resp := &riak.FetchMapResponse{IsNotFound: true}
		switch {
		case ctx == "":
		case emptied:
			resp.Context = []byte(ctx)
		default:
			resp = &riak.FetchMapResponse{Context: []byte(ctx), Map: &riak.Map{Registers: map[string][]byte{"b": []byte("2")}}}
		}
		cmd.(*riak.FetchMapCommand).Response = resp
		return nil
	}
}

func TestMapGet(t *testing.T) {
	for _, tc := range []struct {
		name    string
		step    func(riak.Command) error
		want    kv.Map
		wantCtx string // "" for the observe-nothing context
	}{
		{"absent map: empty, with the observe-nothing context", mapFetch("", false), kv.Map{}, ""},
		{"map emptied by removals: empty, with Riak's context", mapFetch("\x83gone", true), kv.Map{}, "\x83gone"},
		{"map with fields", mapFetch("\x83ctx", false), kv.Map{Registers: map[string]string{"b": "2"}}, "\x83ctx"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newScripted(t, nil, tc.step)
			m, cc, err := s.MapGet(t.Context(), "b", "m")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, m, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("map (-want +got):\n%s", diff)
			}
			if tc.wantCtx == "" && !isEmptyContext(cc) || tc.wantCtx != "" && string(cc) != tc.wantCtx {
				t.Errorf("context = %q, want %q (empty: the observe-nothing context)", cc, tc.wantCtx)
			}
		})
	}
}

func TestFromRiakMap(t *testing.T) {
	got := fromRiakMap(&riak.Map{
		Registers: map[string][]byte{"name": []byte("Ada"), "empty": {}},
		Counters:  map[string]int64{"n": -1},
		Sets:      map[string][][]byte{"tags": toBytes([]string{"b", "a"}), "emptied": {}},
		Flags:     map[string]bool{"ignored": true},
	})
	want := kv.Map{
		Registers: map[string]string{"name": "Ada", "empty": ""},
		Counters:  map[string]int64{"n": -1},
		Sets:      map[string][]string{"tags": {"a", "b"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("fromRiakMap (-want +got):\n%s", diff)
	}
}

func TestStartupRetry(t *testing.T) {
	down := func(riak.Command) error {
		return riak.ClientError{Errmsg: riak.ErrClusterNoNodesAvailable, InnerError: riak.RiakError{Errmsg: "all_nodes_down"}}
	}
	t.Run("retries all_nodes_down until Riak is up", func(t *testing.T) {
		s, _ := newScripted(t, nil, down, down, func(cmd riak.Command) error {
			cmd.(*riak.UpdateCounterCommand).Response = &riak.UpdateCounterResponse{CounterValue: 1}
			return nil
		})
		if n, err := s.Incr(t.Context(), "b", "c", 1); err != nil || n != 1 {
			t.Errorf("Incr = %d, %v; want 1, nil", n, err)
		}
	})
	t.Run("gives up after StartupWait", func(t *testing.T) {
		sc := &script{t: t}
		for range 100 {
			sc.steps = append(sc.steps, down)
		}
		cfg := testConfig()
		cfg.StartupWait = 200 * time.Millisecond
		s := newStore(cfg, sc.run, nil)
		if _, err := s.Incr(t.Context(), "b", "c", 1); !errors.Is(err, errs.Unavailable) {
			t.Errorf("Incr = %v, want kind unavailable", err)
		}
		if sc.calls == len(sc.steps) {
			t.Errorf("%d attempts: it never gave up", sc.calls)
		}
	})
	t.Run("stops when the caller gives up", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		s, _ := newScripted(t, nil, func(cmd riak.Command) error { cancel(); return down(cmd) })
		if _, err := s.Incr(ctx, "b", "c", 1); !errors.Is(err, context.Canceled) {
			t.Errorf("Incr = %v, want context.Canceled", err)
		}
	})
	t.Run("other errors are not retried", func(t *testing.T) {
		s, _ := newScripted(t, nil, func(riak.Command) error { return riak.RiakError{Errmsg: "timeout"} })
		if _, err := s.Incr(t.Context(), "b", "c", 1); !errors.Is(err, errs.Unavailable) {
			t.Errorf("Incr = %v, want kind unavailable", err)
		}
	})
}

func TestInvalidInputSendsNothing(t *testing.T) {
	s, _ := newScripted(t, nil)
	ctx := t.Context()
	for name, err := range map[string]error{
		"Get empty key":     func() error { _, err := s.Get(ctx, "b", ""); return err }(),
		"Put NUL bucket":    func() error { _, err := s.Put(ctx, "b\x00", "k", nil, nil); return err }(),
		"SetAdd bad member": s.SetAdd(ctx, "b", "s", "\xff"),
		"SetContains empty": func() error { _, err := s.SetContains(ctx, "b", "s", ""); return err }(),
		"MapGet empty":      func() error { _, _, err := s.MapGet(ctx, "", "m"); return err }(),
	} {
		if !errors.Is(err, errs.Invalid) {
			t.Errorf("%s = %v, want kind invalid", name, err)
		}
	}
}

// Until a first command went through, the store checks that a node is
// reachable rather than hand a command to the client's node manager, which
// would spin on it (see the package comment).
func TestProbeBeforeTheFirstCommand(t *testing.T) {
	probes := 0
	reachable := false
	ping := func(riak.Command) error { return nil }
	s, _ := newScripted(t, nil, ping, ping)
	s.typesChecked.Store(true) // Ping sends a ping only
	s.probe = func(context.Context) error {
		probes++
		if !reachable {
			return errs.New(errs.Unavailable, "no node")
		}
		return nil
	}
	ctx := t.Context()
	if err := s.ping(ctx); !errors.Is(err, errs.Unavailable) {
		t.Fatalf("Ping with no node reachable = %v, want kind unavailable", err)
	}
	reachable = true
	for range 2 {
		if err := s.ping(ctx); err != nil {
			t.Fatalf("Ping: %v", err)
		}
	}
	if probes != 2 {
		t.Errorf("probed %d times, want 2 (until the first command went through)", probes)
	}
}

func TestDialAny(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	closed.Close()

	cfg := testConfig()
	cfg.ConnectTimeout = time.Second
	cfg.Hosts = []string{closedAddr, ln.Addr().String()}
	if err := dialAny(cfg)(t.Context()); err != nil {
		t.Errorf("dialAny with one listening node: %v", err)
	}
	cfg.Hosts = []string{closedAddr}
	if err := dialAny(cfg)(t.Context()); !errors.Is(err, errs.Unavailable) {
		t.Errorf("dialAny with no listening node = %v, want kind unavailable", err)
	}
}

// The retries of exec: a command no node took is retried until one takes
// it; one whose connection broke is repeated once if repeating it changes
// nothing, never if it may count twice.
func TestRetryPolicy(t *testing.T) {
	noNode := func(riak.Command) error { return riak.ClientError{Errmsg: riak.ErrClusterNoNodesAvailable} }
	refused := func(riak.Command) error {
		return riak.ClientError{Errmsg: riak.ErrClusterNoNodesAvailable, InnerError: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}}
	}
	drop := func(riak.Command) error {
		return riak.ClientError{Errmsg: riak.ErrClusterNoNodesAvailable, InnerError: io.EOF}
	}
	reset := func(riak.Command) error {
		return riak.ClientError{Errmsg: riak.ErrClusterNoNodesAvailable, InnerError: &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}}
	}
	counted := func(cmd riak.Command) error {
		switch c := cmd.(type) {
		case *riak.FetchCounterCommand:
			c.Response = &riak.FetchCounterResponse{CounterValue: 3}
		case *riak.UpdateCounterCommand:
			c.Response = &riak.UpdateCounterResponse{CounterValue: 3}
		}
		return nil
	}
	read := func(s *adapter) error { _, err := s.Counter(t.Context(), "b", "c"); return err }
	incr := func(s *adapter) error { _, err := s.Incr(t.Context(), "b", "c", 1); return err }
	for _, tc := range []struct {
		name  string
		call  func(*adapter) error
		steps []func(riak.Command) error
		want  errs.Kind // 0: success
	}{
		{"no node in service, then one", read, []func(riak.Command) error{noNode, noNode, counted}, 0},
		{"no connection, then one", incr, []func(riak.Command) error{refused, counted}, 0},
		{"a read over a dropped connection is repeated", read, []func(riak.Command) error{drop, counted}, 0},
		{"a read over a reset connection is repeated", read, []func(riak.Command) error{reset, counted}, 0},
		{"a read is repeated once only", read, []func(riak.Command) error{drop, drop}, errs.Unavailable},
		{"an increment is never repeated", incr, []func(riak.Command) error{drop}, errs.Unavailable},
		{"a bad answer is not retried", read, []func(riak.Command) error{func(riak.Command) error {
			return riak.ClientError{Errmsg: riak.ErrClusterNoNodesAvailable, InnerError: riak.ErrZeroLength}
		}}, errs.Unavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newScripted(t, nil, tc.steps...)
			err := tc.call(s)
			if tc.want == 0 && err != nil {
				t.Fatalf("got %v, want success", err)
			}
			if tc.want != 0 && !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want kind %v", err, tc.want)
			}
		})
	}
}
