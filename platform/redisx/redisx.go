// Package redisx connects a service to Redis (a single server or a Redis
// Cluster) and builds its key names.
//
// # Key names
//
// Every key a service writes is built by its Keys value, in one file of the
// service (keys.go), never by string concatenation elsewhere:
//
//	[namespace:]service:part:part...
//
// The namespace is empty in production and unique per test (testkit.Redis),
// so that a test can delete exactly its own keys. The service segment names
// the owning service: every key family has one writer.
//
// Redis Cluster spreads keys over 16384 slots by a hash of the key, and a
// multi-key command, a MULTI/EXEC transaction or a Lua script may only touch
// keys of one slot. Keys that are used together are therefore built with
// Tagged, which wraps the shared part in a hash tag:
//
//	k.Tagged(appID, "feed")      // "social:{app42}:feed"
//	k.Tagged(appID, "feed:seen") // "social:{app42}:feed:seen", same slot
//
// Only the text between the first "{" and the next "}" is hashed, so the
// namespace, the service and the parts never contain "{" (Key and Tagged
// replace braces in them). Pick a tag that groups no more than what must be
// atomic together (an app, an event, a user), or one slot gets all the load.
package redisx

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/obs"
	"github.com/redis/go-redis/v9"
)

// Config is the Redis part of a service's configuration.
type Config struct {
	// URL is a redis:// (or rediss://) URL: server, credentials, database.
	// With ClusterAddrs set, only its credentials and TLS setting are used.
	URL string `env:"REDIS_URL" envDefault:"redis://127.0.0.1:6379/0"`
	// ClusterAddrs lists host:port seed nodes of a Redis Cluster,
	// comma-separated; when set, Open returns a cluster client.
	ClusterAddrs []string `env:"REDIS_CLUSTER_ADDRS"`
	// FailoverWait is how long a cluster client keeps sending again a
	// command that a node refused without running it while its slots change
	// hands (a dead primary's replica is promoted after the cluster's node
	// timeout; see failover.go), within the caller's deadline: 5 s when
	// zero; a negative wait leaves it to go-redis's few quick retries.
	FailoverWait time.Duration `env:"REDIS_FAILOVER_WAIT"`
}

// Redacted is the URL with its password masked, for logs and errors.
func (c Config) Redacted() string { return obs.RedactURL(c.URL) }

// Open returns a client for cfg (a cluster client when cfg.ClusterAddrs is
// set) after checking that Redis answers. When it does not, the error is of
// kind errs.Unavailable and names the server, never the password.
func Open(ctx context.Context, cfg Config) (redis.UniversalClient, error) {
	opt, err := redis.ParseURL(cfg.URL)
	if err != nil {
		return nil, errs.Wrap(errs.Invalid, err, "redisx: cannot parse REDIS_URL %s", cfg.Redacted())
	}
	var c redis.UniversalClient
	where := opt.Addr
	if len(cfg.ClusterAddrs) > 0 {
		where = "cluster " + strings.Join(cfg.ClusterAddrs, ",")
		cc := redis.NewClusterClient(&redis.ClusterOptions{
			Addrs:     cfg.ClusterAddrs,
			Username:  opt.Username,
			Password:  opt.Password,
			TLSConfig: opt.TLSConfig,
		})
		if wait := cmp.Or(cfg.FailoverWait, 5*time.Second); wait > 0 {
			cc.AddHook(failoverHook{client: cc, wait: wait})
		}
		c = cc
	} else {
		c = redis.NewClient(opt)
	}
	if err := c.Ping(ctx).Err(); err != nil {
		_ = c.Close()
		return nil, errs.Wrap(errs.Unavailable, err, "redisx: redis at %s is not reachable", where)
	}
	return c, nil
}

// Ready returns a readiness check for the service runner: it fails while
// Redis cannot be reached.
func Ready(c redis.UniversalClient) func(context.Context) error {
	return func(ctx context.Context) error {
		return Err(c.Ping(ctx).Err())
	}
}

// Err translates a go-redis error into an errs kind, keeping it as the
// cause:
//
//   - redis.Nil (no such key): errs.NotFound
//   - redis.TxFailedErr (a WATCHed key changed): errs.Conflict
//   - network errors, a closed client or exhausted pool, and servers that
//     cannot serve now (LOADING, CLUSTERDOWN, TRYAGAIN, MASTERDOWN, a
//     read-only replica, max clients, and a cluster's MOVED or ASK that
//     outlasted the client's redirects while slots change hands):
//     errs.Unavailable
//
// Context errors and anything else are returned unchanged (errs.KindOf
// classifies them). Err(nil) is nil.
func Err(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := errs.As(err); ok {
		return err
	}
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.Is(err, redis.Nil):
		return errs.Wrap(errs.NotFound, err, "not found")
	case errors.Is(err, redis.TxFailedErr):
		return errs.Wrap(errs.Conflict, err, "conflicting concurrent change; retry")
	case unavailable(err):
		return errs.Wrap(errs.Unavailable, err, "redis unavailable")
	}
	return err
}

func unavailable(err error) bool {
	var ne net.Error
	switch {
	case errors.As(err, &ne),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed),
		errors.Is(err, redis.ErrClosed), errors.Is(err, redis.ErrPoolTimeout), errors.Is(err, redis.ErrPoolExhausted),
		redis.IsLoadingError(err), redis.IsClusterDownError(err), redis.IsTryAgainError(err),
		redis.IsMasterDownError(err), redis.IsReadOnlyError(err), redis.IsMaxClientsError(err):
		return true
	}
	msg := err.Error()
	return strings.HasPrefix(msg, "MOVED ") || strings.HasPrefix(msg, "ASK ")
}

// Keys builds the key names of one service. The zero value is not useful:
// use NewKeys.
type Keys struct {
	prefix string // "ns:service:" or "service:"
}

// NewKeys returns the key builder for service, under namespace (empty in
// production; testkit.Redis gives each test its own). It panics when service
// is empty: that is a programming error, not a runtime condition.
func NewKeys(namespace, service string) Keys {
	if service == "" {
		panic("redisx: NewKeys needs a service name")
	}
	p := clean(service) + ":"
	if namespace != "" {
		p = clean(namespace) + ":" + p
	}
	return Keys{prefix: p}
}

// Key returns "[ns:]service:part1:part2...". Use it for keys that are never
// used together with other keys in one command, transaction or script.
func (k Keys) Key(parts ...string) string {
	if len(parts) == 0 {
		return strings.TrimSuffix(k.prefix, ":")
	}
	var b strings.Builder
	b.WriteString(k.prefix)
	for i, p := range parts {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(clean(p))
	}
	return b.String()
}

// Tagged returns "[ns:]service:{tag}:part1:part2...": every key with the same
// tag lands in the same Redis Cluster slot, so that they can be used together
// in one multi-key command, MULTI/EXEC or Lua script.
func (k Keys) Tagged(tag string, parts ...string) string {
	var b strings.Builder
	b.WriteString(k.prefix)
	b.WriteByte('{')
	b.WriteString(cleanTag(tag))
	b.WriteByte('}')
	for _, p := range parts {
		b.WriteByte(':')
		b.WriteString(clean(p))
	}
	return b.String()
}

// Prefix is the start every key of this builder shares ("[ns:]service:"),
// for SCAN MATCH patterns (escape it with ScanPattern).
func (k Keys) Prefix() string { return k.prefix }

// ScanPattern returns a SCAN MATCH pattern for every key that starts with
// prefix, escaping the glob characters in it.
func ScanPattern(prefix string) string {
	r := strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`, `]`, `\]`)
	return r.Replace(prefix) + "*"
}

// clean replaces hash-tag braces, which would change the slot a key maps to.
var braces = strings.NewReplacer("{", "(", "}", ")")

func clean(s string) string {
	if strings.ContainsAny(s, "{}") {
		return braces.Replace(s)
	}
	return s
}

// cleanTag keeps a tag non-empty (an empty "{}" is no hash tag at all).
func cleanTag(tag string) string {
	if tag == "" {
		return "_"
	}
	return clean(tag)
}

// String describes the builder in logs and test failures.
func (k Keys) String() string { return fmt.Sprintf("redisx.Keys(%q)", k.prefix) }
