package runner

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/go-chi/cors"
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

// corsHandler is go-chi/cors configured by cfg and the service's
// OriginCheck, for requests with an Origin header.
func (s *Service) corsHandler(cfg CORS) func(http.Handler) http.Handler {
	wildcard := slices.Contains(cfg.Origins, "*")
	exact := map[string]bool{}
	for _, o := range cfg.Origins {
		if o = strings.TrimRight(strings.TrimSpace(o), "/"); o != "" && o != "*" {
			exact[strings.ToLower(o)] = true
		}
	}
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
		opts.AllowOriginFunc = func(r *http.Request, origin string) bool {
			if exact[strings.ToLower(origin)] {
				return true
			}
			s.mu.Lock()
			check := s.originCheck
			s.mu.Unlock()
			return check != nil && check(r.Context(), origin)
		}
	}
	return cors.Handler(opts)
}
