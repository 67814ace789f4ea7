package hub

import (
	"context"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/redisx"
)

// MaxWebOrigins bounds an app's web origins.
const MaxWebOrigins = 20

// CheckWebOrigins validates an app's web origins and returns them as
// browsers send them in the Origin header (lower case, no default port,
// no trailing slash), without duplicates. An origin is scheme://host[:port]
// with nothing after it; https, or http for localhost (127.0.0.1, [::1]):
// a site served without TLS could be anyone's. At most MaxWebOrigins.
func CheckWebOrigins(origins []string) ([]string, error) {
	var bad []errs.FieldError
	if len(origins) > MaxWebOrigins {
		bad = append(bad, errs.FieldError{Field: "/web_origins", Message: "at most " + strconv.Itoa(MaxWebOrigins) + " origins"})
	}
	out := make([]string, 0, len(origins))
	for i, o := range origins {
		n, msg := normalOrigin(o)
		if msg != "" {
			bad = append(bad, errs.FieldError{Field: "/web_origins/" + strconv.Itoa(i), Message: msg})
			continue
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	if len(bad) > 0 {
		return nil, errs.InvalidFields("invalid web origins", bad...)
	}
	return out, nil
}

// normalOrigin returns o as browsers send it, or why it is no origin.
func normalOrigin(o string) (string, string) {
	const want = "scheme://host[:port], nothing after it"
	u, err := url.Parse(strings.TrimSuffix(o, "/"))
	if err != nil || u.Host == "" || u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" ||
		strings.HasSuffix(u.Host, ":") {
		return "", want
	}
	host, port := u.Hostname(), u.Port()
	scheme := strings.ToLower(u.Scheme)
	host = strings.ToLower(host)
	switch scheme {
	case "https":
		if port == "443" {
			port = ""
		}
	case "http":
		if host != "localhost" && host != "127.0.0.1" && host != "::1" {
			return "", "https (http only for localhost)"
		}
		if port == "80" {
			port = ""
		}
	default:
		return "", "https (http only for localhost)"
	}
	if port != "" {
		if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
			return "", want
		}
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		return scheme + "://" + net.JoinHostPort(strings.Trim(host, "[]"), port), ""
	}
	return scheme + "://" + host, ""
}

// OriginAllowed reports whether origin (as a browser sends it) is one of
// the web origins of an app that exists: the apps of the origin's index
// set, each checked against its config (two round trips).
func (r *ReadModel) OriginAllowed(ctx context.Context, origin string) (bool, error) {
	apps, err := r.rdb.SMembers(ctx, r.keys.Origin(strings.ToLower(origin))).Result()
	if err != nil {
		return false, errs.Wrap(errs.Unavailable, redisx.Err(err), "hub read model unavailable")
	}
	if len(apps) == 0 {
		return false, nil
	}
	cmds := make([]*redis.SliceCmd, len(apps))
	_, err = r.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, app := range apps {
			cmds[i] = p.HMGet(ctx, r.keys.Config(app), FieldWebOrigins, FieldGone)
		}
		return nil
	})
	if err != nil {
		return false, errs.Wrap(errs.Unavailable, redisx.Err(err), "hub read model unavailable")
	}
	for _, c := range cmds {
		v := c.Val()
		origins, _ := v[0].(string)
		if gone, _ := v[1].(string); gone != "1" && slices.Contains(strings.Fields(origins), strings.ToLower(origin)) {
			return true, nil
		}
	}
	return false, nil
}

// OriginCacheTTL is how long a service keeps an answer of WebOrigins: an
// origin added to or removed from an app takes effect within it.
const OriginCacheTTL = 30 * time.Second

// WebOrigins is the check every service passes to the runner
// (runner.Service.AllowOrigins): a browser origin may call it when it is
// one of an app's web origins, as hub's read model under namespace says
// (ReadModel.OriginCheck, answers kept for OriginCacheTTL).
func WebOrigins(rdb redis.UniversalClient, namespace string) func(ctx context.Context, origin string) bool {
	return NewReadModel(rdb, namespace).OriginCheck(OriginCacheTTL)
}

// OriginCheck returns a check of browser origins for the service runner
// (runner.Service.AllowOrigins): OriginAllowed, its answers kept for ttl
// in process (a preflight costs no round trip while they last; a changed
// origin takes effect within ttl). A read model it cannot read refuses.
func (r *ReadModel) OriginCheck(ttl time.Duration) func(ctx context.Context, origin string) bool {
	type answer struct {
		ok      bool
		expires time.Time
	}
	const maxEntries = 4096 // origins are the browsers' to choose: bound the cache
	var mu sync.Mutex
	cache := map[string]answer{}
	return func(ctx context.Context, origin string) bool {
		now := time.Now()
		mu.Lock()
		a, hit := cache[origin]
		mu.Unlock()
		if hit && now.Before(a.expires) {
			return a.ok
		}
		ok, err := r.OriginAllowed(ctx, origin)
		if err != nil {
			return false
		}
		mu.Lock()
		if len(cache) >= maxEntries {
			clear(cache)
		}
		cache[origin] = answer{ok, now.Add(ttl)}
		mu.Unlock()
		return ok
	}
}
