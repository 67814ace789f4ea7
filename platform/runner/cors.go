package runner

import (
	"context"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/go-chi/cors"

	"github.com/attendify/platform/errs"
)

// CORS configures which browser origins (web apps, the SDK on other sites)
// may call the service. An origin is allowed when it is in Origins or when
// the service's OriginCheck (Service.AllowOrigins: the apps' own origins,
// from hub's settings) allows it.
type CORS struct {
	// Origins are allowed origins, exactly as browsers send them
	// ("https://app.example.com"), comma-separated. "*" allows every origin,
	// and then no request is made with credentials (cookies): a wildcard is
	// never combined with credentials.
	Origins []string `env:"CORS_ALLOWED_ORIGINS" envSeparator:","`
	// MaxAge is how long browsers may cache a preflight's answer.
	MaxAge time.Duration `env:"CORS_MAX_AGE" envDefault:"10m"`
}

// OriginCheck tells whether a browser origin may call the service.
type OriginCheck func(ctx context.Context, origin string) bool

// AllowOrigins adds check to the configured list of origins (CORS): a
// service whose apps declare their web origins (hub's app settings) passes
// a check reading them. Call it before Run.
func (s *Service) AllowOrigins(check OriginCheck) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.originCheck = check
}

// cors returns the CORS middleware: preflights answered (and cached for
// MaxAge), allowed origins echoed with Vary: Origin. A request without an
// Origin header (every call between services, every mobile app's call) does
// not go through go-chi/cors at all: it is passed straight on, and only a
// GET or HEAD answer (which a shared cache may keep and serve to a browser)
// gets Vary: Origin, without allocating.
func (s *Service) cors(cfg CORS) func(http.Handler) http.Handler {
	browser := s.corsHandler(cfg)
	return func(next http.Handler) http.Handler {
		withCORS := browser(next)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if _, ok := r.Header["Origin"]; ok {
				withCORS.ServeHTTP(w, r)
				return
			}
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				w.Header()["Vary"] = hdrVaryOrigin
			}
			next.ServeHTTP(w, r)
		})
	}
}

// hdrVaryOrigin is preassigned: assigning it does not allocate. Its
// capacity is its length, so that a handler adding to Vary appends to a
// copy, never to it.
var hdrVaryOrigin = []string{"Origin"}[:1:1]

// originAllowed returns the test of a browser origin that cfg and the
// service's OriginCheck make: in the configured list, or allowed by the
// check. It is nil when cfg allows every origin ("*").
func (s *Service) originAllowed(cfg CORS) func(r *http.Request, origin string) bool {
	if slices.Contains(cfg.Origins, "*") {
		return nil
	}
	exact := map[string]bool{}
	for _, o := range cfg.Origins {
		if o = strings.TrimRight(strings.TrimSpace(o), "/"); o != "" {
			exact[strings.ToLower(o)] = true
		}
	}
	return func(r *http.Request, origin string) bool {
		if exact[strings.ToLower(origin)] {
			return true
		}
		s.mu.Lock()
		check := s.originCheck
		s.mu.Unlock()
		return check != nil && check(r.Context(), origin)
	}
}

// corsHandler is go-chi/cors configured by cfg and the service's
// OriginCheck, for requests with an Origin header.
func (s *Service) corsHandler(cfg CORS) func(http.Handler) http.Handler {
	allowed := s.originAllowed(cfg)
	wildcard := allowed == nil
	opts := cors.Options{
		AllowedMethods:   []string{http.MethodGet, http.MethodHead, http.MethodPost},
		AllowedHeaders:   []string{"Authorization", "Content-Type", "X-Request-Id", "X-Budget-Ms", "Traceparent", "Tracestate"},
		ExposedHeaders:   []string{"X-Request-Id", "Retry-After", "Etag"},
		AllowCredentials: !wildcard,
		MaxAge:           int(cfg.MaxAge.Seconds()),
	}
	if wildcard {
		opts.AllowedOrigins = []string{"*"}
	} else {
		opts.AllowOriginFunc = allowed
	}
	return cors.Handler(opts)
}

// refuseCrossSite guards the JSON-RPC endpoint against calls from pages
// on other sites. CORS alone does not: a POST with Content-Type
// text/plain and no Authorization is a "simple" request, which a browser
// sends without a preflight from any page; CORS then hides the answer
// from the page, but the call has run, from each visitor's browser and
// address, past the limits counted per address (hub's auth.requestCode
// and auth.signUp mail someone). So a POST whose Origin is neither one
// CORS allows (cfg, the service's OriginCheck) nor the service's own
// (ownOrigin: pages it serves itself) is refused with 403 before it is
// read. A request without Origin (services, apps, curl: no browser page
// behind it) never comes here (rpcFirst), and is served as before.
func (s *Service) refuseCrossSite(cfg CORS, next http.Handler) http.Handler {
	allowed := s.originAllowed(cfg)
	if allowed == nil {
		return next // "*": every site may call
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if origin := r.Header.Get("Origin"); origin != "" && !allowed(r, origin) && !ownOrigin(r, origin) {
			s.RPC.Refuse(w, r, errs.WithCode(errs.CodeForbidden,
				"a call from a page on another site, whose origin this service does not allow (CORS)"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// ownOrigin reports whether origin is the one r was sent to: the same
// scheme, host and port. Behind a proxy that is the proxy's: the scheme
// X-Forwarded-Proto names (a proxy that ended TLS) and the host
// X-Forwarded-Host names (a proxy that sends its upstream's name in Host,
// as many ingress controllers do), each read by forwardedValue, else r's
// own scheme and Host. (The standard Forwarded header, RFC 7239, is read
// nowhere in the runner, and not here either.) A page on another site
// cannot make its call look like the service's own: a browser does not
// let a page set Host, and a header of its choosing (X-Forwarded-Proto,
// X-Forwarded-Host) makes the request non-simple, so the browser first
// sends a preflight, which CORS refuses to an origin it does not allow
// (and grants no X-Forwarded-* header to any origin).
func ownOrigin(r *http.Request, origin string) bool {
	scheme, host, ok := strings.Cut(origin, "://")
	if !ok || host == "" || strings.ContainsAny(host, "/?#@") {
		return false
	}
	want := "http"
	if r.TLS != nil {
		want = "https"
	}
	if p := forwardedValue(r.Header, "X-Forwarded-Proto"); p != "" {
		want = p
	}
	if !strings.EqualFold(scheme, want) {
		return false
	}
	sentTo := r.Host
	if h := forwardedValue(r.Header, "X-Forwarded-Host"); h != "" {
		sentTo = h
	}
	scheme = strings.ToLower(scheme)
	return hostPort(host, scheme) == hostPort(sentTo, scheme)
}

// forwardedValue is the first value of h's X-Forwarded-* header name,
// trimmed: proxies in a chain append theirs, and the first is the one the
// client's request was sent to.
func forwardedValue(h http.Header, name string) string {
	v, _, _ := strings.Cut(h.Get(name), ",")
	return strings.TrimSpace(v)
}

// hostPort is host ("name", "name:port", "[ipv6]:port") with the scheme's
// default port when it has none, lower-cased: as an origin and a Host
// header compare.
func hostPort(host, scheme string) string {
	if h, p, err := net.SplitHostPort(host); err == nil {
		return strings.ToLower(net.JoinHostPort(h, p))
	}
	port := "80"
	if scheme == "https" {
		port = "443"
	}
	return strings.ToLower(net.JoinHostPort(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"), port))
}
