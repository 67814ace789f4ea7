// Package dashboard serves the live dashboard page of an app and its data:
// the page, its script (uPlot bundled by esbuild, embedded: the page needs
// no network beyond the service), the live figures polled with an ETag,
// and a sign-in with hub credentials. Gate authorizes these routes and the
// export: an organizer's bearer token, or a signed dashboard link.
package dashboard

import (
	"context"
	"embed"
	"encoding/json"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/attendify/analytics"
	"github.com/attendify/analytics/internal/service"
	"github.com/attendify/analytics/internal/wire"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/rpc"
)

//go:embed static
var staticFiles embed.FS

//go:embed web/index.html
var pageHTML string

var page = template.Must(template.New("page").Parse(pageHTML))

// Static is the embedded static files (the bundle, the styles).
func Static() fs.FS {
	f, err := fs.Sub(staticFiles, "static")
	if err != nil {
		panic(err) // embedded above
	}
	return f
}

// Gate authorizes the dashboard's and the export's requests.
type Gate struct {
	Tokens *auth.Verifier
	Links  *Links
	Svc    *service.Service
	// SignIns counts the sign-ins of a client address (nil: unlimited).
	// Hub slows down wrong passwords by the caller's address, and a
	// sign-in through the dashboard reaches hub as analytics' signed call,
	// which hub does not count by address: without this, the page would
	// let anyone try passwords across every organizer's account unslowed.
	SignIns Throttle
	// TrustedProxies are the proxies whose X-Forwarded-For names the
	// client (auth.ClientAddr).
	TrustedProxies []netip.Prefix
}

// Throttle counts one request from a client address (an IPv6 address by
// its /64) and returns how long it must wait when over its limit.
type Throttle func(ctx context.Context, addr string) (time.Duration, error)

// SignInsPerMinute is how many dashboard sign-ins one client address may
// try a minute.
const SignInsPerMinute = 10

// linkCaller is who a request opened with a dashboard link acts as: the
// service itself, on the read-only routes that accept links.
var linkCaller = auth.Caller{Kind: auth.CallerService, Service: "analytics-dashboard-link"}

// Authorize returns r's context carrying its caller, once the caller may
// read app's analytics: a dashboard link (X-Dashboard-Token or ?t=) whose
// creator still may, or an organizer's bearer token of app (both checked
// in hub's read model).
func (g *Gate) Authorize(r *http.Request, app string) (context.Context, error) {
	link := r.Header.Get("X-Dashboard-Token")
	if link == "" {
		link = r.URL.Query().Get("t")
	}
	if link != "" {
		l, err := g.Links.Check(link, app)
		if err != nil {
			return nil, err
		}
		if err := g.creatorMay(r.Context(), l); err != nil {
			return nil, err
		}
		return auth.WithCaller(r.Context(), linkCaller), nil
	}
	ctx, c, err := g.Tokens.RouteCaller(r)
	if errs.CodeOf(err) == errs.CodeUnauthenticated {
		return nil, errs.WithCode(errs.CodeUnauthenticated, "sign in or open a dashboard link")
	}
	if err != nil {
		return nil, err
	}
	if err := c.Allows(auth.Admin, app); err != nil {
		return nil, err
	}
	if err := g.Svc.Authorized(ctx, app); err != nil {
		return nil, err
	}
	return ctx, nil
}

// creatorMay checks that l's creator may still read its app's analytics
// with the token that asked for l, by the same rule as their own calls
// (Service.Authorized): a link lasts up to 30 days, and a collaborator
// removed, given a role without analytics, blocked or signed out (hub's
// revocation of their tokens) must not keep reading through the links
// they made. The check asks for the creator's membership and revocation
// mark, not a token: hub's read model needs the user, the app and the
// token's sequence number.
func (g *Gate) creatorMay(ctx context.Context, l Link) error {
	creator := auth.Caller{Kind: auth.CallerUser, User: l.Creator, App: l.App, TokenSeq: l.Seq}
	err := g.Svc.Authorized(auth.WithCaller(ctx, creator), l.App)
	if err == nil {
		return nil
	}
	switch errs.CodeOf(err) {
	case errs.CodeForbidden, errs.CodeTokenInvalid, errs.CodeTokenWrongApp, errs.CodeNotFound:
		return &errs.Error{Code: errs.CodeTokenInvalid, Err: err,
			Msg: "the dashboard link was revoked: the organizer who made it may no longer see this app's analytics; ask an organizer for a new link"}
	}
	return err // hub's read model unavailable: retryable, not a verdict
}

// SignIn exchanges an organizer's hub credentials for their token of an app.
type SignIn func(ctx context.Context, email, password, app string) (string, error)

// Routes serves the dashboard on mux.
func Routes(mux chi.Router, g *Gate, signIn SignIn, log *slog.Logger) {
	h := &handler{gate: g, signIn: signIn, log: log}
	mux.HandleFunc(analytics.RouteDashboard, h.page)
	mux.HandleFunc("GET /dashboard/{app}/live", h.live)
	mux.HandleFunc("POST /dashboard/{app}/signin", h.signin)
	static := http.StripPrefix("/static/", http.FileServerFS(Static()))
	mux.Get("/static/*", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=300")
		static.ServeHTTP(w, r)
	}))
}

type handler struct {
	gate   *Gate
	signIn SignIn
	log    *slog.Logger
}

func (h *handler) page(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'")
	w.Header().Set("Referrer-Policy", "no-referrer") // the link token is in the URL
	if err := page.Execute(w, struct{ App string }{r.PathValue("app")}); err != nil {
		h.log.Warn("dashboard page", "error", err)
	}
}

// live answers the app's live figures; an If-None-Match of the current
// version gets 304 Not Modified.
func (h *handler) live(w http.ResponseWriter, r *http.Request) {
	app := r.PathValue("app")
	ctx, err := h.gate.Authorize(r, app)
	if err != nil {
		rpc.WriteHTTPError(w, r, h.log, err)
		return
	}
	minutes, _ := strconv.Atoi(r.URL.Query().Get("minutes"))
	st, err := h.gate.Svc.Live(ctx, app, r.URL.Query().Get("event_id"), min(max(minutes, 0), 240))
	if err != nil {
		rpc.WriteHTTPError(w, r, h.log, err)
		return
	}
	etag := `"` + st.Version + `"`
	w.Header().Set("ETag", etag)
	w.Header().Set("Cache-Control", "no-cache")
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(wire.LiveOf(st))
}

func (h *handler) signin(w http.ResponseWriter, r *http.Request) {
	if h.gate.SignIns != nil {
		wait, err := h.gate.SignIns(r.Context(), auth.AddrKey(auth.ClientAddr(r, h.gate.TrustedProxies)))
		if err == nil && wait > 0 {
			err = &errs.Error{Code: errs.CodeRateLimited, Msg: "too many sign-ins from this address: wait a minute", RetryAfter: wait}
		}
		if err != nil {
			rpc.WriteHTTPError(w, r, h.log, err)
			return
		}
	}
	var p struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&p); err != nil {
		rpc.WriteHTTPError(w, r, h.log, errs.Wrap(errs.Invalid, err, "a JSON body with email and password"))
		return
	}
	tok, err := h.signIn(r.Context(), p.Email, p.Password, r.PathValue("app"))
	if err != nil {
		rpc.WriteHTTPError(w, r, h.log, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(map[string]string{"token": tok})
}
