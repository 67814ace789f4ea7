package rpcapi

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/attendify/multievent/internal/service"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/rpc"
)

// Routes serves the calendar feeds (GET /calendar/<secret>.ics) on plain
// and the replication front of the content databases
// (/content/<database>/...) on streams (its _changes feeds are long polls
// and continuous streams). couchURL is CouchDB's URL with the credentials the front uses;
// phones never see them. While a _changes feed stays open, the front checks
// every recheck that its caller may still read the database, and ends the
// feed when they may not.
func Routes(plain, streams chi.Router, svc *service.Service, tokens *auth.Verifier, couchURL *url.URL, recheck time.Duration, log *slog.Logger) {
	r := &routes{svc: svc, tokens: tokens, couch: couchURL, recheck: recheck, log: log}
	r.proxy = &httputil.ReverseProxy{
		Rewrite:       r.rewrite,
		FlushInterval: -1, // _changes feeds stream (continuous, longpoll)
		ModifyResponse: func(resp *http.Response) error {
			resp.Header.Del("Set-Cookie") // CouchDB's session cookie is the front's, not the phone's
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, req *http.Request, err error) {
			if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
				r.couchFail(w, req, errs.Wrap(errs.Invalid, err, "the request body is larger than %d bytes", mbe.Limit))
				return
			}
			r.couchFail(w, req, errs.Wrap(errs.Unavailable, err, "the content database is unavailable"))
		},
	}
	plain.Get(service.CalendarPath+"{file}", r.calendar)
	streams.HandleFunc(service.ContentPath+"{db}", r.content)
	streams.HandleFunc(service.ContentPath+"{db}/*", r.content)
}

type routes struct {
	svc     *service.Service
	tokens  *auth.Verifier
	couch   *url.URL
	proxy   *httputil.ReverseProxy
	recheck time.Duration
	log     *slog.Logger
}

func (rt *routes) fail(w http.ResponseWriter, r *http.Request, err error) {
	rpc.WriteHTTPError(w, r, rt.log, err)
}

// couchFail answers a failed front request as CouchDB answers, so that
// replicators (PouchDB, Couchbase Lite, CouchDB) read it: the status of the
// error's kind (413 for a body over its http.MaxBytesReader limit) and
// {"error": "<name>", "reason": "<message>"}. An internal error's text goes
// to the log only.
func (rt *routes) couchFail(w http.ResponseWriter, r *http.Request, err error) {
	status, name := http.StatusInternalServerError, "internal_server_error"
	switch errs.KindOf(err) {
	case errs.Unauthenticated:
		status, name = http.StatusUnauthorized, "unauthorized"
		w.Header().Set("WWW-Authenticate", auth.Challenge(err))
	case errs.Forbidden:
		status, name = http.StatusForbidden, "forbidden"
	case errs.NotFound:
		status, name = http.StatusNotFound, "not_found"
	case errs.Unavailable, errs.Overloaded, errs.RateLimited:
		status, name = http.StatusServiceUnavailable, "service_unavailable"
	case errs.Invalid:
		status, name = http.StatusBadRequest, "bad_request"
	}
	if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
		status, name = http.StatusRequestEntityTooLarge, "too_large"
	}
	reason := "internal error"
	if e, ok := errs.As(err); ok && status != http.StatusInternalServerError {
		reason = e.Msg
	} else if rt.log != nil {
		rt.log.ErrorContext(r.Context(), "content front failed", "path", r.URL.Path, "error", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": name, "reason": reason})
}

// calendar serves a member's agenda as an iCalendar feed. Whoever knows
// the address reads it: no token is asked.
func (rt *routes) calendar(w http.ResponseWriter, r *http.Request) {
	token, ok := strings.CutSuffix(r.PathValue("file"), ".ics")
	if !ok {
		rt.fail(w, r, errs.New(errs.NotFound, "no such calendar"))
		return
	}
	body, err := rt.svc.Feed(r.Context(), token)
	if err != nil {
		rt.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Content-Disposition", `inline; filename="agenda.ics"`)
	w.Header().Set("Cache-Control", "private, max-age=300")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "no-referrer")
	_, _ = w.Write(body)
}

// MaxContentBody bounds the body of a front request (POST _bulk_get,
// _all_docs, _changes, _revs_diff).
const MaxContentBody = 1 << 20

// contextKey carries the target (database, rest of the path, unescaped) a
// front request was allowed to reach.
type contextKey struct{}

type target struct{ db, rest string }

// content is the read-only replication front: a member (bearer token)
// reaches the content databases hub's rules open to them, with the
// requests a pull replication makes (CouchDB's replication protocol:
// database info, _changes, _all_docs, _bulk_get, _revs_diff, documents
// with their revisions, and reading _local checkpoints). Everything else,
// writes included, is refused: a replication from a read-only source
// keeps its checkpoints on the phone.
func (rt *routes) content(w http.ResponseWriter, r *http.Request) {
	ctx, caller, err := rt.tokens.RouteCaller(r)
	if err != nil {
		rt.couchFail(w, r, err)
		return
	}
	db, rest := r.PathValue("db"), r.PathValue("*")
	if r.URL.RawPath != "" {
		// chi matched the escaped path (a database's name has "$" or "+",
		// a document id anything): its parameters are still escaped.
		if db, err = url.PathUnescape(db); err == nil {
			rest, err = url.PathUnescape(rest)
		}
		if err != nil {
			rt.couchFail(w, r, errs.New(errs.NotFound, "no such content database"))
			return
		}
	}
	if err := rt.mayRead(ctx, caller, db); err != nil {
		rt.couchFail(w, r, err)
		return
	}
	if !readOnly(r.Method, rest) {
		rt.couchFail(w, r, errs.WithCode(errs.CodeForbidden, "the content databases are read-only"))
		return
	}
	// CouchDB parses a body whole (up to its max_http_request_size, 4 GiB
	// by default); a replication's batches of ids and revisions are far
	// smaller.
	if r.ContentLength > MaxContentBody {
		rt.couchFail(w, r, errs.Wrap(errs.Invalid, &http.MaxBytesError{Limit: MaxContentBody},
			"the request body is larger than %d bytes", MaxContentBody))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxContentBody)
	if rest == "_changes" && rt.recheck > 0 {
		// A feed (continuous, longpoll, eventsource) may stay open for
		// as long as the phone keeps it: it lasts only while its caller
		// may still read the database (and their token is valid).
		var stop context.CancelFunc
		ctx, stop = context.WithCancel(ctx)
		defer stop()
		go rt.watch(r.WithContext(ctx), db, stop)
	}
	rt.proxy.ServeHTTP(w, r.WithContext(context.WithValue(ctx, contextKey{}, target{db, rest})))
}

// mayRead checks that caller (ctx carries it) may read db now, by hub's
// rules.
func (rt *routes) mayRead(ctx context.Context, caller auth.Caller, db string) error {
	dbs, err := rt.svc.ContentDatabases(ctx, caller.App)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(dbs, func(d service.ContentDatabase) bool { return d.Name == db }) {
		return errs.New(errs.NotFound, "no such content database")
	}
	return nil
}

// watch checks every rt.recheck, until r's context ends, that r's token
// is still valid and its caller may still read db, and calls stop when
// not (or when that cannot be told: the phone asks again, and is
// answered).
func (rt *routes) watch(r *http.Request, db string, stop context.CancelFunc) {
	tick := time.NewTicker(rt.recheck)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
			ctx, caller, err := rt.tokens.RouteCaller(r)
			if err == nil {
				err = rt.mayRead(ctx, caller, db)
			}
			if err != nil {
				stop()
				return
			}
		}
	}
}

// readOnly reports whether a request is one of a pull replication's reads.
func readOnly(method, rest string) bool {
	switch method {
	case http.MethodGet, http.MethodHead:
		switch {
		case rest == "", rest == "_changes", rest == "_all_docs":
			return true
		case strings.HasPrefix(rest, "_local/"):
			return docSegment(strings.TrimPrefix(rest, "_local/")) // a checkpoint
		case strings.HasPrefix(rest, "_"):
			return false // _design, _security, _find and the rest
		}
		return docSegment(rest) // a document, not an attachment path
	case http.MethodPost:
		switch rest {
		case "_changes", "_all_docs", "_bulk_get", "_revs_diff":
			return true
		}
	}
	return false
}

// docSegment reports whether id is one segment of a path naming a
// document: no "/", and not "." or "..", which a hop between the front and
// CouchDB that normalizes paths (a proxy, an ingress) would resolve to
// another database ("<db>/_local/../../<other db>/<doc>").
func docSegment(id string) bool {
	return id != "" && id != "." && id != ".." && !strings.Contains(id, "/")
}

// rewrite points a front request at CouchDB, with the front's credentials
// instead of the member's token.
func (rt *routes) rewrite(pr *httputil.ProxyRequest) {
	t, _ := pr.In.Context().Value(contextKey{}).(target)
	db, rest := t.db, t.rest
	base := *rt.couch
	base.User = nil
	path := strings.TrimRight(base.Path, "/") + "/" + db + "/" + rest
	rawPath := strings.TrimRight(base.EscapedPath(), "/") + "/" + escapeSegment(db) + "/" + escapeRest(rest)
	pr.Out.URL = &url.URL{Scheme: base.Scheme, Host: base.Host, Path: path, RawPath: rawPath, RawQuery: pr.In.URL.RawQuery}
	pr.Out.Host = base.Host
	pr.Out.Header.Del("Authorization")
	pr.Out.Header.Del("Cookie")
	if u := rt.couch.User; u != nil {
		pass, _ := u.Password()
		pr.Out.SetBasicAuth(u.Username(), pass)
	}
	pr.SetXForwarded()
}

// escapeRest escapes each segment of the rest of a path.
func escapeRest(rest string) string {
	parts := strings.Split(rest, "/")
	for i, p := range parts {
		parts[i] = escapeSegment(p)
	}
	return strings.Join(parts, "/")
}

// escapeSegment escapes one path segment for CouchDB. url.PathEscape
// leaves "+" as it is, as a path may, but CouchDB 3 decodes a "+" of the
// path as a space (chttpd:unquote/1 with [chttpd] decode_plus_to_space,
// which 3.x keeps true by default: apache/couchdb#3638): a document id
// "a+b" must go as "a%2Bb", or CouchDB reads "a b".
func escapeSegment(s string) string {
	return strings.ReplaceAll(url.PathEscape(s), "+", "%2B")
}
