// Package riakkv is the Riak KV adapter of the kv port, used when RIAK_HOSTS
// is set (github.com/basho/riak-go-client v1.7.0, protocol buffers API).
//
// # Riak setup
//
// The adapter needs four bucket types, created and activated once per
// cluster, on any one node (names configurable, see Config). On Riak KV 3.x
// (riak-admin instead of riak admin on 2.x):
//
//	riak admin bucket-type create objects  '{"props":{"allow_mult":true}}'
//	riak admin bucket-type create counters '{"props":{"datatype":"counter"}}'
//	riak admin bucket-type create sets     '{"props":{"datatype":"set"}}'
//	riak admin bucket-type create maps     '{"props":{"datatype":"map"}}'
//	riak admin bucket-type activate objects
//	riak admin bucket-type activate counters
//	riak admin bucket-type activate sets
//	riak admin bucket-type activate maps
//
// On a cluster, activate answers "not ready" until the creation has
// reached every node: repeat it. riak admin bucket-type status NAME shows
// a type's properties. Every other property keeps Riak's default for
// bucket types (n_val 3, allow_mult true, last_write_wins false,
// dotted version vectors); the adapter needs nothing else of them.
//
// Until it has succeeded once, Ping reads the four types' properties
// (RpbGetBucketTypeReq) and fails with errs.Internal naming every type that
// is missing or not active (Riak cannot tell the two apart: it hides
// inactive types), holds another datatype (or one where plain objects are
// expected), is strongly consistent, or has allow_mult false or
// last_write_wins true (a write would silently overwrite a concurrent
// one), with the riak admin command that fixes it. A command on such a
// type fails the same way. The client v1.7.0 does not decode write_once,
// so a write_once objects type is not detected: do not use one.
//
// # Objects, contexts and siblings
//
// The causal context of an object is its vector clock. Put with a context
// sends it with if_not_modified, Put without one sends if_none_match.
// riak_kv_pb_object checks them by reading the object first: it answers
// "match_found" when if_none_match finds a live object, "modified" when
// the clock it read is not the one sent (an exact comparison of the two
// clocks) and "notfound" when if_not_modified finds no live object (it was
// deleted since); the adapter reports all three as errs.Conflict. An
// object that is only a tombstone counts as absent for both checks.
// Riak has no conditional delete: Delete with a context reads the clock
// first and refuses a different one the same way. A delete that finds
// nothing is a success for Riak, so Delete without a context is too.
//
// Riak checks those conditions with a read before the write, not under a
// lock, so two writers racing with the same context can both pass. The
// objects bucket type keeps both writes then (allow_mult, with the dotted
// version vectors that bucket types enable by default): never a silent
// overwrite. The next Get sees the siblings and, unless a Resolver was given
// (WithResolver), fails with errs.Conflict wrapping a *kv.Siblings that holds
// every value and the merged context; writing the merged value with that
// context supersedes them all. With a Resolver, Get returns its merge and the
// merged context, and the next Put with that context replaces the siblings.
// Tombstones among siblings are ignored (a write racing a delete wins).
//
// # Data types
//
// Counters, sets and maps are Riak data types. Their contexts are Riak's
// opaque data-type contexts (the set's or map's clock), so set and map
// removals are observed-removes exactly as Riak defines them: with a
// context, removing a member or field that is not there is a no-op, never
// an error (riak_dt_orswot and riak_dt_map, update/4). Without a context
// riak_dt refuses to remove what is absent ({precondition, {not_present,
// ...}}) and the client refuses any map removal, so a removal without a
// context fetches the current context first. A fetch of a set, map or
// counter that was never written is no error: Riak sends the type alone,
// with neither value nor context. The context of an absent set or map is
// therefore a marker of the adapter's that observes nothing: a removal
// with it is a no-op. Riak ignores the timeout of a data-type fetch (its
// own is 60 s); the client still stops waiting at the command's timeout.
//
// # Causal contexts
//
// Store hands out Riak's contexts sealed (kv.Sealed, keys KV_CONTEXT_KEYS)
// and unseals the ones it is given; any other is errs.Invalid and never
// sent. Riak trusts a context completely: a put whose vector clock Riak
// cannot decode (random bytes, checked on a Riak KV 3.2 node) makes the
// node's protocol buffers server crash that connection (its log: a zlib
// data_error in riak_object:decode_vclock).
//
// # Retries and errors
//
// The cluster executes each command once (no blind retries: a retried counter
// increment could count twice) and the node manager fails over between
// hosts. The store retries what is safe:
//
//   - a command no node took (no client node in service, or no connection
//     could be opened) did nothing: it is retried with backoff for up to
//     RequestTimeout;
//   - right after a node starts, Riak answers "all_nodes_down" until its KV
//     service is up: those commands, which did nothing either, are retried
//     with backoff for up to Config.StartupWait;
//   - a command whose connection the node closed or reset under it may or
//     may not have been applied: it is sent once more, at once, on another
//     connection, when sending it twice leaves the same state (reads, set
//     adds and removes, register writes and removals, deletes), and reported
//     as errs.Unavailable otherwise (counter increments, in a map or not,
//     and conditional puts).
//
// Riak's errors are translated into errs kinds: conflicts as above,
// overload, timeouts and unreachable nodes as errs.Unavailable, a missing
// or wrong bucket type as errs.Internal naming it and its setup command.
//
// # Dropped connections
//
// riak-go-client v1.7.0 takes a node out of service on any connection error
// that is not a timeout (Node.execute calls doHealthCheck; nothing in
// NodeOptions or ClusterOptions turns that off: TempNetErrorRetries covers
// timeouts only, ExecutionAttempts retries every command, increments
// included). Until its health check succeeds (a ping on a new connection
// every HealthCheckInterval, 125ms) the node takes no command. So the store
// opens two client nodes ("lanes", each with half of MaxConnections) to
// every Riak node: one connection dropped by the server takes one lane out
// of service for a moment, the repeat above goes out on the other lane,
// and the calls that follow are served by it without waiting.
//
// The client's node manager (v1.7.0) spins on the first command it is given
// while no node is reachable: its round robin never comes back to the index
// it started from. Until a first command has gone through, the store
// therefore checks that some node accepts a TCP connection, and fails fast
// with errs.Unavailable otherwise.
//
// # Tests
//
// There is no Riak on a developer machine by default. The unit tests run
// without one; the contract suite (kv/kvtest) runs against a real cluster
// with the build tag riak:
//
//	RIAK_HOSTS=127.0.0.1:8087 go test -tags riak ./kv/riakkv
package riakkv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	riak "github.com/basho/riak-go-client"

	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/kv"
)

// Config is the Riak part of a service's configuration.
type Config struct {
	// Hosts are the nodes' protocol buffers endpoints, host or host:port
	// (port 8087 by default). Empty means "no Riak": use pgkv.
	Hosts []string `env:"RIAK_HOSTS" envSeparator:","`

	ObjectsType  string `env:"RIAK_OBJECTS_TYPE" envDefault:"objects"`   // allow_mult: true
	CountersType string `env:"RIAK_COUNTERS_TYPE" envDefault:"counters"` // datatype: counter
	SetsType     string `env:"RIAK_SETS_TYPE" envDefault:"sets"`         // datatype: set
	MapsType     string `env:"RIAK_MAPS_TYPE" envDefault:"maps"`         // datatype: map

	ConnectTimeout time.Duration `env:"RIAK_CONNECT_TIMEOUT" envDefault:"3s"`
	// RequestTimeout bounds a command when the caller's context has no
	// deadline.
	RequestTimeout time.Duration `env:"RIAK_REQUEST_TIMEOUT" envDefault:"5s"`
	// StartupWait is how long a command keeps retrying while Riak reports
	// all_nodes_down (a node whose KV service is still starting).
	StartupWait    time.Duration `env:"RIAK_STARTUP_WAIT" envDefault:"30s"`
	MaxConnections uint16        `env:"RIAK_MAX_CONNECTIONS" envDefault:"256"` // per node

	// ContextKeys seal the causal contexts the store hands out (see
	// kv.Sealed); the development key by default.
	ContextKeys auth.ServiceKeys `env:"KV_CONTEXT_KEYS" envDefault:"dev:3dVo8sbOedxyDTjVU8Xyz9alFPfHubgmTc_zn9QYec4"`
}

// scope is where the store's contexts are valid.
func (c Config) scope() kv.Scope {
	return kv.Scope{Adapter: "riak", Objects: c.ObjectsType, Sets: c.SetsType, Maps: c.MapsType}
}

// Enabled reports whether Riak is configured.
func (c Config) Enabled() bool { return len(c.Hosts) > 0 }

// DefaultPort is the Riak protocol buffers port.
const DefaultPort = "8087"

func (c Config) validate() error {
	if !c.Enabled() {
		return errs.New(errs.Invalid, "riakkv: RIAK_HOSTS is empty")
	}
	for what, t := range map[string]string{
		"RIAK_OBJECTS_TYPE": c.ObjectsType, "RIAK_COUNTERS_TYPE": c.CountersType,
		"RIAK_SETS_TYPE": c.SetsType, "RIAK_MAPS_TYPE": c.MapsType,
	} {
		if t == "" {
			return errs.New(errs.Invalid, "riakkv: %s is empty", what)
		}
	}
	for what, t := range map[string]string{"RIAK_COUNTERS_TYPE": c.CountersType, "RIAK_SETS_TYPE": c.SetsType, "RIAK_MAPS_TYPE": c.MapsType} {
		if t == "default" {
			return errs.New(errs.Invalid, "riakkv: %s cannot be the default bucket type: data types need their own", what)
		}
	}
	return nil
}

// addresses returns Hosts as host:port.
func (c Config) addresses() []string {
	out := make([]string, 0, len(c.Hosts))
	for _, h := range c.Hosts {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(h); err != nil {
			h = net.JoinHostPort(strings.Trim(h, "[]"), DefaultPort)
		}
		out = append(out, h)
	}
	return out
}

// Option configures a Store.
type Option func(*adapter)

// WithResolver makes Get merge siblings with r instead of failing with a
// *kv.Siblings conflict.
func WithResolver(r kv.Resolver) Option { return func(s *adapter) { s.resolve = r } }

// Store implements kv.Store on Riak. Its causal contexts are sealed
// (kv.Sealed): Riak never sees a context that it did not issue for the
// same data.
type Store struct {
	*kv.Sealed
	a *adapter
}

var _ kv.Store = (*Store)(nil)

// adapter is the store with Riak's own contexts; Store seals them.
type adapter struct {
	cfg     Config
	types   bucketTypes
	run     runner
	stop    func() error
	resolve kv.Resolver

	// typesChecked records that the bucket types were found as the store
	// needs them (see Ping).
	typesChecked atomic.Bool

	// probe, when set, runs before commands until one has been executed
	// (see the package comment); primed records that one was.
	probe  func(ctx context.Context) error
	primed atomic.Bool
}

// lanes is how many client nodes (each with its own connection pool) the
// store opens to every Riak node; see "Dropped connections" in the package
// comment.
const lanes = 2

// runner executes one command, giving up when ctx ends.
type runner func(ctx context.Context, cmd riak.Command) error

// Open connects to the cluster. Nodes that cannot be reached yet are retried
// by the client in the background; use Ping to wait for readiness.
func Open(cfg Config, opts ...Option) (*Store, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	var nodes []*riak.Node
	for _, addr := range cfg.addresses() {
		for range lanes {
			n, err := riak.NewNode(&riak.NodeOptions{
				RemoteAddress:  addr,
				MinConnections: 1,
				MaxConnections: max(cfg.MaxConnections/lanes, 1),
				ConnectTimeout: cfg.ConnectTimeout,
				RequestTimeout: cfg.RequestTimeout,
			})
			if err != nil {
				return nil, errs.Wrap(errs.Invalid, err, "riakkv: bad Riak host %q", addr)
			}
			nodes = append(nodes, n)
		}
	}
	if len(nodes) == 0 {
		return nil, errs.New(errs.Invalid, "riakkv: RIAK_HOSTS names no host")
	}
	cluster, err := riak.NewCluster(&riak.ClusterOptions{
		Nodes:             nodes,
		NoDefaultNode:     true,
		ExecutionAttempts: 1,
	})
	if err != nil {
		return nil, errs.Wrap(errs.Internal, err, "riakkv: create cluster")
	}
	if err := cluster.Start(); err != nil {
		return nil, errs.Wrap(errs.Unavailable, err, "riakkv: start cluster")
	}
	a := newStore(cfg, clusterRunner(cluster), cluster.Stop, opts...)
	a.probe = dialAny(cfg)
	return &Store{Sealed: kv.Seal(a, cfg.scope(), cfg.ContextKeys), a: a}, nil
}

// dialAny returns a check that some node accepts TCP connections.
func dialAny(cfg Config) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		d := net.Dialer{Timeout: cfg.ConnectTimeout}
		var errList []error
		for _, addr := range cfg.addresses() {
			c, err := d.DialContext(ctx, "tcp", addr)
			if err == nil {
				c.Close()
				return nil
			}
			errList = append(errList, err)
		}
		return errs.Wrap(errs.Unavailable, errors.Join(errList...), "riakkv: no Riak node reachable at %v", cfg.Hosts)
	}
}

func newStore(cfg Config, run runner, stop func() error, opts ...Option) *adapter {
	s := &adapter{cfg: cfg, types: cfg.bucketTypes(), run: run, stop: stop}
	for _, o := range opts {
		o(s)
	}
	return s
}

// clusterRunner runs commands on the cluster asynchronously, so that a
// canceled context returns at once (the command finishes in the background).
func clusterRunner(c *riak.Cluster) runner {
	return func(ctx context.Context, cmd riak.Command) error {
		a := &riak.Async{Command: cmd, Done: make(chan riak.Command, 1)}
		if err := c.ExecuteAsync(a); err != nil {
			return err
		}
		select {
		case <-a.Done:
			if a.Error != nil {
				return a.Error
			}
			return cmd.Error()
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Close stops the connections to the cluster.
func (s *Store) Close() error { return s.a.stop() }

// Ping checks that a node answers, for readiness probes. Until it has
// succeeded once, it also checks the store's bucket types, and fails with
// errs.Internal naming each one that is missing, inactive or misconfigured
// and the riak admin command that fixes it.
func (s *Store) Ping(ctx context.Context) error { return s.a.ping(ctx) }

func (s *adapter) ping(ctx context.Context) error {
	if !s.typesChecked.Load() {
		if err := s.checkBucketTypes(ctx); err != nil {
			return err
		}
		s.typesChecked.Store(true)
		return nil
	}
	_, err := s.exec(ctx, repeatable, func(time.Duration) (riak.Command, error) {
		return (&riak.PingCommandBuilder{}).Build()
	})
	return translate(err, "ping")
}

// repeat says whether a command may run twice: whether running it again
// after a connection broke under it, when it may or may not have been
// applied, leaves the same state.
type repeat bool

const (
	// repeatable: reads, set adds and removes, register writes, deletes.
	repeatable repeat = true
	// once: counter increments (a repeat would count twice) and
	// conditional puts (a repeat of one that was applied is a conflict).
	once repeat = false
)

// exec builds and runs a command. build gets the time the command may
// take. A command that no node took (every client node of every host was
// out of service) is retried with backoff for up to RequestTimeout, one
// that hit a starting node ("all_nodes_down") for up to StartupWait, and a
// repeatable one whose connection broke under it once more at once, on
// another connection. Errors are returned as Riak or the client gave them
// (see translate).
func (s *adapter) exec(ctx context.Context, rep repeat, build func(timeout time.Duration) (riak.Command, error)) (riak.Command, error) {
	start := time.Now()
	wait := 50 * time.Millisecond
	retriedDrop := false
	for {
		timeout := s.cfg.RequestTimeout
		if d, ok := ctx.Deadline(); ok {
			timeout = max(time.Until(d), time.Millisecond)
		}
		cmd, err := build(timeout)
		if err != nil {
			return nil, errs.Wrap(errs.Internal, err, "riakkv: build command")
		}
		if s.probe != nil && !s.primed.Load() {
			if err := s.probe(ctx); err != nil {
				return nil, err
			}
		}
		err = s.run(ctx, cmd)
		if ctx.Err() == nil {
			s.primed.Store(true) // the command went through the node manager
		}
		if err == nil {
			return cmd, nil
		}
		var giveUp time.Time
		switch {
		case dropped(err):
			if rep == once || retriedDrop || ctx.Err() != nil {
				return nil, err
			}
			retriedDrop = true
			continue
		case notTaken(err):
			giveUp = start.Add(s.cfg.RequestTimeout)
		case startingUp(err):
			giveUp = start.Add(s.cfg.StartupWait)
		default:
			return nil, err
		}
		if time.Now().Add(wait).After(giveUp) {
			return nil, err
		}
		t := time.NewTimer(wait/2 + rand.N(wait/2))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("%w (while Riak was unavailable: %v)", ctx.Err(), err)
		case <-t.C:
		}
		wait = min(2*wait, time.Second)
	}
}

// clusterCause returns what made the cluster give up on a command: the
// error of its one attempt, nil when no node took it. ok is false for an
// error that is not the cluster's ("no nodes available").
func clusterCause(err error) (cause error, ok bool) {
	switch e := err.(type) {
	case riak.ClientError:
		return e.InnerError, e.Errmsg == riak.ErrClusterNoNodesAvailable
	case *riak.ClientError:
		return e.InnerError, e.Errmsg == riak.ErrClusterNoNodesAvailable
	}
	return nil, false
}

// notTaken reports an error of a command that reached no Riak node: the
// cluster found no client node in service, or the one it chose could not
// open a connection. Such a command did nothing.
func notTaken(err error) bool {
	c, ok := clusterCause(err)
	var op *net.OpError
	return ok && (c == nil || errors.Is(c, riak.ErrConnMgrAllConnectionsInUse) || (errors.As(c, &op) && op.Op == "dial"))
}

// dropped reports an error of a command whose connection broke after the
// command was sent (the node closed or reset it): it may or may not have
// been applied.
func dropped(err error) bool {
	c, ok := clusterCause(err)
	return ok && c != nil && (errors.Is(c, io.EOF) || errors.Is(c, io.ErrUnexpectedEOF) ||
		errors.Is(c, syscall.ECONNRESET) || errors.Is(c, syscall.EPIPE) || errors.Is(c, net.ErrClosed) ||
		errors.Is(c, riak.ErrCannotRead) || errors.Is(c, riak.ErrCannotWrite))
}

// riakMessage returns the message of the Riak error response in err's
// chain. The client's errors are values and ClientError has no Unwrap, so
// the chain is walked by hand.
func riakMessage(err error) (string, bool) {
	for err != nil {
		switch e := err.(type) {
		case riak.RiakError:
			return e.Errmsg, true
		case *riak.RiakError:
			return e.Errmsg, true
		case riak.ClientError:
			err = e.InnerError
		case *riak.ClientError:
			err = e.InnerError
		default:
			err = errors.Unwrap(err)
		}
	}
	return "", false
}

// startingUp reports the error of a node whose KV service is not up yet.
func startingUp(err error) bool {
	msg, ok := riakMessage(err)
	return ok && strings.Contains(msg, "all_nodes_down")
}

// translate turns what exec returned into an errs kind; what names the
// operation for the message.
func translate(err error, what string, args ...any) error {
	if err == nil {
		return nil
	}
	what = fmt.Sprintf(what, args...)
	if _, ok := errs.As(err); ok {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("riakkv: %s: %w", what, err)
	}
	msg, isRiak := riakMessage(err)
	if !isRiak {
		// Everything else the cluster reports is about reaching a node:
		// no node available, a dial error, a closed connection.
		return errs.Wrap(errs.Unavailable, err, "riakkv: %s: Riak unavailable", what)
	}
	switch {
	case strings.Contains(msg, "all_nodes_down"), strings.Contains(msg, "insufficient_vnodes"),
		strings.Contains(msg, "overload"), strings.Contains(msg, "timeout"),
		strings.Contains(msg, "_val_unsatisfied"):
		return errs.Wrap(errs.Unavailable, err, "riakkv: %s: Riak unavailable (%s)", what, msg)
	case misconfigured(msg):
		return errs.Wrap(errs.Internal, err, "riakkv: %s: bucket type missing or of the wrong kind (see package riakkv): %s", what, msg)
	}
	return errs.Wrap(errs.Internal, err, "riakkv: %s", what)
}

// misconfigured reports the errors Riak KV gives for a bucket type that is
// missing or of the wrong kind. The texts are those of riak_kv 3.x:
// riak_kv_pb_crdt answers a data-type request with "Error no bucket type
// `<<\"sets\">>`" (the type printed with ~p), "`undefined` is not a
// supported type" (a fetch from a type without a datatype), "Bucket
// datatype `undefined` is not a supported type" (an update there),
// "Operation type is `set` but  bucket type is `map`." (a type of another
// datatype) or "Bucket must be allow_mult=true". For objects,
// riak_core_bucket reports a missing type as {error, no_type}, which
// riak_kv_pb_object prints with ~p: "no_type".
func misconfigured(msg string) bool {
	msg = strings.ToLower(msg)
	for _, s := range []string{"bucket type", "datatype", "no_type", "is not a supported type", "allow_mult"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// Get implements kv.Objects.
func (s *adapter) Get(ctx context.Context, bucket, key string) (kv.Object, error) {
	if err := kv.CheckKey(bucket, key); err != nil {
		return kv.Object{}, err
	}
	cmd, err := s.exec(ctx, repeatable, func(timeout time.Duration) (riak.Command, error) {
		return riak.NewFetchValueCommandBuilder().
			WithBucketType(s.cfg.ObjectsType).WithBucket(bucket).WithKey(key).
			WithTimeout(timeout).Build()
	})
	if err != nil {
		return kv.Object{}, s.types.objects.translate(err, "get %s/%s", bucket, key)
	}
	return s.object(bucket, key, cmd.(*riak.FetchValueCommand).Response)
}

// object turns a fetch response into an Object, resolving siblings.
func (s *adapter) object(bucket, key string, resp *riak.FetchValueResponse) (kv.Object, error) {
	values := liveValues(resp)
	switch {
	case len(values) == 0:
		return kv.Object{}, errs.New(errs.NotFound, "kv: object %s/%s not found", bucket, key)
	case len(values) == 1:
		return kv.Object{Value: values[0], Context: resp.VClock}, nil
	case s.resolve != nil:
		v, err := s.resolve(bucket, key, values)
		if err != nil {
			return kv.Object{}, fmt.Errorf("riakkv: resolve siblings of %s/%s: %w", bucket, key, err)
		}
		return kv.Object{Value: v, Context: resp.VClock}, nil
	}
	return kv.Object{}, errs.Wrap(errs.Conflict, &kv.Siblings{Values: values, Context: resp.VClock},
		"kv: object %s/%s has %d concurrent versions to resolve", bucket, key, len(values))
}

// liveValues returns the values of the non-tombstone siblings in resp.
func liveValues(resp *riak.FetchValueResponse) [][]byte {
	if resp == nil || resp.IsNotFound {
		return nil
	}
	var out [][]byte
	for _, o := range resp.Values {
		if o != nil && !o.IsTombstone {
			v := o.Value
			if v == nil {
				v = []byte{}
			}
			out = append(out, v)
		}
	}
	return out
}

// Put implements kv.Objects.
func (s *adapter) Put(ctx context.Context, bucket, key string, value, cc []byte) ([]byte, error) {
	if err := kv.CheckKey(bucket, key); err != nil {
		return nil, err
	}
	if err := kv.CheckValue(value); err != nil {
		return nil, err
	}
	if value == nil {
		value = []byte{} // the protocol's content value is required
	}
	cmd, err := s.exec(ctx, once, func(timeout time.Duration) (riak.Command, error) {
		b := riak.NewStoreValueCommandBuilder().
			WithBucketType(s.cfg.ObjectsType).WithBucket(bucket).WithKey(key).
			WithContent(&riak.Object{ContentType: "application/octet-stream", Value: value}).
			WithReturnHead(true).WithTimeout(timeout)
		if len(cc) == 0 {
			b.WithIfNoneMatch(true)
		} else {
			b.WithVClock(cc).WithIfNotModified(true)
		}
		return b.Build()
	})
	if msg, _ := riakMessage(err); err != nil {
		switch msg {
		case "match_found":
			return nil, errs.Wrap(errs.Conflict, err, "kv: object %s/%s already exists (read it and write with its context)", bucket, key)
		case "modified", "notfound":
			return nil, errs.Wrap(errs.Conflict, err, "kv: object %s/%s changed since its context was read", bucket, key)
		}
		return nil, s.types.objects.translate(err, "put %s/%s", bucket, key)
	}
	resp := cmd.(*riak.StoreValueCommand).Response
	if resp == nil || len(resp.VClock) == 0 {
		return nil, errs.New(errs.Internal, "riakkv: put %s/%s: Riak returned no vector clock", bucket, key)
	}
	if len(resp.Values) > 1 {
		// A concurrent write (or delete) survived beside this one: the
		// returned clock covers both siblings, and a Put with it would
		// overwrite the other write unseen. No context, so that the
		// next write reads first, and Get answers the siblings.
		return nil, nil
	}
	return resp.VClock, nil
}

// Delete implements kv.Objects.
func (s *adapter) Delete(ctx context.Context, bucket, key string, cc []byte) error {
	if err := kv.CheckKey(bucket, key); err != nil {
		return err
	}
	if len(cc) > 0 {
		// Riak has no conditional delete: compare the clock first.
		cmd, err := s.exec(ctx, repeatable, func(timeout time.Duration) (riak.Command, error) {
			return riak.NewFetchValueCommandBuilder().
				WithBucketType(s.cfg.ObjectsType).WithBucket(bucket).WithKey(key).
				WithHeadOnly(true).WithTimeout(timeout).Build()
		})
		if err != nil {
			return s.types.objects.translate(err, "delete %s/%s", bucket, key)
		}
		resp := cmd.(*riak.FetchValueCommand).Response
		if len(liveValues(resp)) == 0 {
			return errs.New(errs.NotFound, "kv: object %s/%s not found", bucket, key)
		}
		if !bytes.Equal(resp.VClock, cc) {
			return errs.New(errs.Conflict, "kv: object %s/%s changed since its context was read", bucket, key)
		}
	}
	_, err := s.exec(ctx, repeatable, func(timeout time.Duration) (riak.Command, error) {
		b := riak.NewDeleteValueCommandBuilder().
			WithBucketType(s.cfg.ObjectsType).WithBucket(bucket).WithKey(key).WithTimeout(timeout)
		if len(cc) > 0 {
			b.WithVClock(cc)
		}
		return b.Build()
	})
	return s.types.objects.translate(err, "delete %s/%s", bucket, key)
}

// rwDefault is the protocol's symbolic "bucket default" quorum. The counter
// builder sends its w, dw and pw even when unset (as 0), so they are set to
// this explicitly.
const rwDefault = ^uint32(0) - 4

// Incr implements kv.Counters.
func (s *adapter) Incr(ctx context.Context, bucket, key string, delta int64) (int64, error) {
	if err := kv.CheckKey(bucket, key); err != nil {
		return 0, err
	}
	cmd, err := s.exec(ctx, once, func(timeout time.Duration) (riak.Command, error) {
		return riak.NewUpdateCounterCommandBuilder().
			WithBucketType(s.cfg.CountersType).WithBucket(bucket).WithKey(key).
			WithIncrement(delta).WithReturnBody(true).
			WithW(rwDefault).WithDw(rwDefault).WithPw(rwDefault).
			WithTimeout(timeout).Build()
	})
	if err != nil {
		return 0, s.types.counters.translate(err, "increment counter %s/%s", bucket, key)
	}
	resp := cmd.(*riak.UpdateCounterCommand).Response
	if resp == nil {
		return 0, errs.New(errs.Internal, "riakkv: increment counter %s/%s: Riak returned no value", bucket, key)
	}
	return resp.CounterValue, nil
}

// Counter implements kv.Counters.
func (s *adapter) Counter(ctx context.Context, bucket, key string) (int64, error) {
	if err := kv.CheckKey(bucket, key); err != nil {
		return 0, err
	}
	cmd, err := s.exec(ctx, repeatable, func(timeout time.Duration) (riak.Command, error) {
		return riak.NewFetchCounterCommandBuilder().
			WithBucketType(s.cfg.CountersType).WithBucket(bucket).WithKey(key).
			WithTimeout(timeout).Build()
	})
	if err != nil {
		return 0, s.types.counters.translate(err, "fetch counter %s/%s", bucket, key)
	}
	resp := cmd.(*riak.FetchCounterCommand).Response
	if resp == nil || resp.IsNotFound {
		return 0, nil
	}
	return resp.CounterValue, nil
}

// emptyContext is the context of an absent set or map: it observes nothing.
// Riak's own contexts are Erlang external terms, which start with byte 131.
var emptyContext = []byte("\x00riakkv:empty")

func isEmptyContext(cc []byte) bool { return bytes.Equal(cc, emptyContext) }

func toBytes(ss []string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

// sortedStrings returns members as sorted strings, or an empty slice.
func sortedStrings(members [][]byte) []string {
	out := make([]string, len(members))
	for i, m := range members {
		out[i] = string(m)
	}
	slices.Sort(out)
	return out
}

// SetAdd implements kv.Sets.
func (s *adapter) SetAdd(ctx context.Context, bucket, key string, members ...string) error {
	if err := kv.CheckKey(bucket, key); err != nil {
		return err
	}
	if err := kv.CheckMembers(members); err != nil {
		return err
	}
	if len(members) == 0 {
		return nil
	}
	_, err := s.exec(ctx, repeatable, func(timeout time.Duration) (riak.Command, error) {
		return riak.NewUpdateSetCommandBuilder().
			WithBucketType(s.cfg.SetsType).WithBucket(bucket).WithKey(key).
			WithAdditions(toBytes(members)...).WithTimeout(timeout).Build()
	})
	return s.types.sets.translate(err, "add to set %s/%s", bucket, key)
}

// SetRemove implements kv.Sets.
func (s *adapter) SetRemove(ctx context.Context, bucket, key string, cc []byte, members ...string) error {
	if err := kv.CheckKey(bucket, key); err != nil {
		return err
	}
	if err := kv.CheckMembers(members); err != nil {
		return err
	}
	if len(members) == 0 || isEmptyContext(cc) {
		return nil
	}
	if len(cc) == 0 {
		// Without a context Riak refuses to remove an absent member:
		// remove what the current state has.
		_, current, err := s.SetMembers(ctx, bucket, key)
		if err != nil {
			return err
		}
		if isEmptyContext(current) {
			return nil
		}
		cc = current
	}
	_, err := s.exec(ctx, repeatable, func(timeout time.Duration) (riak.Command, error) {
		return riak.NewUpdateSetCommandBuilder().
			WithBucketType(s.cfg.SetsType).WithBucket(bucket).WithKey(key).
			WithContext(cc).WithRemovals(toBytes(members)...).WithTimeout(timeout).Build()
	})
	return s.types.sets.translate(err, "remove from set %s/%s", bucket, key)
}

// SetMembers implements kv.Sets.
func (s *adapter) SetMembers(ctx context.Context, bucket, key string) ([]string, []byte, error) {
	resp, err := s.fetchSet(ctx, bucket, key)
	if err != nil {
		return nil, nil, err
	}
	// Riak answers a fetch of a set that was never written with its type
	// only: no value, no context (riak_kv_pb_crdt, process_fetch_response
	// of {error, notfound}). A set emptied by removals still exists: it
	// comes with an empty value and the context of its removals, which
	// must be kept (a removal with it still removes what it saw).
	if resp == nil || len(resp.Context) == 0 {
		return []string{}, emptyContext, nil
	}
	return sortedStrings(resp.SetValue), resp.Context, nil
}

func (s *adapter) fetchSet(ctx context.Context, bucket, key string) (*riak.FetchSetResponse, error) {
	if err := kv.CheckKey(bucket, key); err != nil {
		return nil, err
	}
	cmd, err := s.exec(ctx, repeatable, func(timeout time.Duration) (riak.Command, error) {
		return riak.NewFetchSetCommandBuilder().
			WithBucketType(s.cfg.SetsType).WithBucket(bucket).WithKey(key).
			WithTimeout(timeout).Build()
	})
	if err != nil {
		return nil, s.types.sets.translate(err, "fetch set %s/%s", bucket, key)
	}
	return cmd.(*riak.FetchSetCommand).Response, nil
}

// SetContains implements kv.Sets. Riak has no membership query: the set is
// fetched.
func (s *adapter) SetContains(ctx context.Context, bucket, key, member string) (bool, error) {
	if err := kv.CheckMembers([]string{member}); err != nil {
		return false, err
	}
	resp, err := s.fetchSet(ctx, bucket, key)
	if err != nil || resp == nil {
		return false, err
	}
	return slices.ContainsFunc(resp.SetValue, func(m []byte) bool { return string(m) == member }), nil
}

// mapOperation converts ops into the client's map operation; removals are
// left out when withRemovals is false.
func mapOperation(ops kv.MapOps, withRemovals bool) (op *riak.MapOperation, empty bool) {
	op = &riak.MapOperation{}
	empty = true
	for f, v := range ops.SetRegisters {
		op.SetRegister(f, []byte(v))
		empty = false
	}
	for f, d := range ops.IncrCounters {
		op.IncrementCounter(f, d)
		empty = false
	}
	for f, ms := range ops.AddToSets {
		for _, m := range ms {
			op.AddToSet(f, []byte(m))
			empty = false
		}
	}
	if !withRemovals {
		return op, empty
	}
	for f, ms := range ops.RemoveFromSets {
		for _, m := range ms {
			op.RemoveFromSet(f, []byte(m))
			empty = false
		}
	}
	for _, f := range ops.RemoveFields {
		op.RemoveRegister(f)
		op.RemoveCounter(f)
		op.RemoveSet(f)
		empty = false
	}
	return op, empty
}

func hasRemovals(ops kv.MapOps) bool {
	if len(ops.RemoveFields) > 0 {
		return true
	}
	for _, ms := range ops.RemoveFromSets {
		if len(ms) > 0 {
			return true
		}
	}
	return false
}

// MapUpdate implements kv.Maps.
func (s *adapter) MapUpdate(ctx context.Context, bucket, key string, cc []byte, ops kv.MapOps) error {
	if err := kv.CheckKey(bucket, key); err != nil {
		return err
	}
	if err := ops.Validate(); err != nil {
		return err
	}
	removals := hasRemovals(ops)
	if removals && len(cc) == 0 {
		// Removals need a context: take the current one.
		_, current, err := s.MapGet(ctx, bucket, key)
		if err != nil {
			return err
		}
		cc = current
	}
	if isEmptyContext(cc) {
		removals = false // nothing was observed, nothing to remove
		cc = nil
	}
	op, empty := mapOperation(ops, removals)
	if empty {
		return nil
	}
	rep := repeatable
	if len(ops.IncrCounters) > 0 {
		rep = once
	}
	_, err := s.exec(ctx, rep, func(timeout time.Duration) (riak.Command, error) {
		b := riak.NewUpdateMapCommandBuilder().
			WithBucketType(s.cfg.MapsType).WithBucket(bucket).WithKey(key).
			WithMapOperation(op).WithTimeout(timeout)
		if removals {
			b.WithContext(cc)
		}
		return b.Build()
	})
	return s.types.maps.translate(err, "update map %s/%s", bucket, key)
}

// MapGet implements kv.Maps.
func (s *adapter) MapGet(ctx context.Context, bucket, key string) (kv.Map, []byte, error) {
	if err := kv.CheckKey(bucket, key); err != nil {
		return kv.Map{}, nil, err
	}
	cmd, err := s.exec(ctx, repeatable, func(timeout time.Duration) (riak.Command, error) {
		return riak.NewFetchMapCommandBuilder().
			WithBucketType(s.cfg.MapsType).WithBucket(bucket).WithKey(key).
			WithTimeout(timeout).Build()
	})
	if err != nil {
		return kv.Map{}, nil, s.types.maps.translate(err, "fetch map %s/%s", bucket, key)
	}
	resp := cmd.(*riak.FetchMapCommand).Response
	// As for sets, an absent map comes without a context. A map whose
	// fields were all removed comes with an empty field list and its
	// context; the client cannot tell an empty list from none and reports
	// IsNotFound for it, so the context decides.
	if resp == nil || len(resp.Context) == 0 {
		return fromRiakMap(nil), emptyContext, nil
	}
	return fromRiakMap(resp.Map), resp.Context, nil
}

// fromRiakMap converts a Riak map into a kv.Map: registers as strings, set
// members sorted, empty sets left out (Riak keeps a set field after its last
// member is removed; the port reports a set while it has members). Flags and
// nested maps are not part of the port and are ignored.
func fromRiakMap(m *riak.Map) kv.Map {
	out := kv.Map{Registers: map[string]string{}, Counters: map[string]int64{}, Sets: map[string][]string{}}
	if m == nil {
		return out
	}
	for f, v := range m.Registers {
		out.Registers[f] = string(v)
	}
	for f, n := range m.Counters {
		out.Counters[f] = n
	}
	for f, ms := range m.Sets {
		if len(ms) > 0 {
			out.Sets[f] = sortedStrings(ms)
		}
	}
	return out
}
