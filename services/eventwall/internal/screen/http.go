package screen

import (
	"context"
	"embed"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/attendify/eventwall"
	"github.com/attendify/platform/errs"
)

//go:embed web
var webFiles embed.FS

// Handler serves the screens' routes.
type Handler struct {
	cache  *Cache
	photos Photos
	images *photoCache
	log    *slog.Logger
	page   []byte
	assets http.Handler
	// Heartbeat is how often a stream sends a comment line (default 15s).
	Heartbeat time.Duration
	// Draining, once closed (the server stops), ends streams and long polls
	// at once with a hint to reconnect soon, which reaches another replica.
	Draining <-chan struct{}
	// waiting counts the long polls waiting for their wall to change.
	waiting atomic.Int64
}

// NewHandler returns the screens' HTTP handler. photoBytes bounds the
// photos kept in memory.
func NewHandler(cache *Cache, photos Photos, photoBytes int64, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	web, err := fs.Sub(webFiles, "web")
	if err != nil {
		panic(err) // embedded
	}
	page, err := fs.ReadFile(web, "wall.html")
	if err != nil {
		panic(err) // embedded
	}
	return &Handler{
		cache: cache, photos: photos, images: newPhotoCache(photoBytes), log: log, page: page,
		assets: http.StripPrefix("/wall-assets/", http.FileServerFS(web)), Heartbeat: 15 * time.Second,
	}
}

// Routes registers the screens' routes: the page, photos and assets on
// routes, the long poll and the event stream (long-lived answers) on
// streams. Tests may pass one router for both.
func (h *Handler) Routes(routes, streams chi.Router) {
	routes.HandleFunc(eventwall.RoutePage, h.servePage)
	streams.HandleFunc(eventwall.RoutePoll, h.servePoll)
	streams.HandleFunc(eventwall.RouteStream, h.serveStream)
	routes.HandleFunc(eventwall.RoutePhoto, h.servePhoto)
	routes.Get("/wall-assets/*", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=300")
		h.assets.ServeHTTP(w, r)
	})
}

// Preassigned header values: assigning them does not allocate.
var (
	hdrJSON        = []string{"application/json"}
	hdrNoCache     = []string{"no-cache"}
	hdrEventStream = []string{"text/event-stream"}
	hdrNoSniff     = []string{"nosniff"}
	// A private wall's answers are the screen's alone: no shared cache
	// keeps them.
	hdrPrivateNoCache = []string{"private, no-cache"}
	// The page's URL holds the screen token (and a private wall's key),
	// and the page loads images from anywhere (authors' photos): the
	// browser sends no Referer with them.
	hdrNoReferrer = []string{"no-referrer"}
)

// queryParam returns the first value of name in a raw query without
// building the url.Values map (no allocation unless it must unescape).
func queryParam(raw, name string) string {
	for raw != "" {
		var part string
		part, raw, _ = strings.Cut(raw, "&")
		k, v, _ := strings.Cut(part, "=")
		if k != name {
			continue
		}
		if strings.ContainsAny(v, "%+") {
			u, err := url.QueryUnescape(v)
			if err != nil {
				return ""
			}
			return u
		}
		return v
	}
	return ""
}

func screenKey(r *http.Request) string {
	if k := queryParam(r.URL.RawQuery, "key"); k != "" {
		return k
	}
	if v := r.Header[eventwall.HeaderScreenKey]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// open returns the snapshot of the wall whose screen token is in the path
// if the screen may see it; otherwise it answers the request itself and
// returns nil. A wall's id opens nothing.
func (h *Handler) open(w http.ResponseWriter, r *http.Request) *snapshot {
	s, err := h.cache.Open(r.Context(), r.PathValue("token"))
	if err != nil {
		switch {
		case errors.Is(err, errs.NotFound):
			http.Error(w, "no such wall", http.StatusNotFound)
		case errs.CodeOf(err) == errs.CodeOverloaded:
			// Too many unknown tokens being looked up (Cache.Open): not
			// logged, a flood would fill the log.
			w.Header().Set("Retry-After", "2")
			http.Error(w, "too many walls being opened; retry", http.StatusServiceUnavailable)
		default:
			if r.Context().Err() == nil {
				h.log.Warn("load wall", "error", err) // not the token: it opens the wall
			}
			w.Header().Set("Retry-After", "2")
			http.Error(w, "the wall is unavailable; retry", http.StatusServiceUnavailable)
		}
		return nil
	}
	if !s.keyOK(screenKey(r)) {
		// The same answer as a wall that does not exist.
		http.Error(w, "no such wall", http.StatusNotFound)
		return nil
	}
	return s
}

// servePoll answers GET /walls/{id}/poll. The up-to-date case (the cursor
// or If-None-Match is the current state) is a 304 with no store call and no
// allocation of its own.
func (h *Handler) servePoll(w http.ResponseWriter, r *http.Request) {
	s := h.open(w, r)
	if s == nil {
		return
	}
	cursor := queryParam(r.URL.RawQuery, "cursor")
	if h.current(s, r, cursor) {
		if wait := parseWait(queryParam(r.URL.RawQuery, "wait")); wait > 0 {
			if s = h.longPoll(w, r, s, wait); s == nil {
				return
			}
		}
	}
	hdr := w.Header()
	hdr["Etag"] = s.etag
	hdr["Cache-Control"] = cacheControl(s)
	if h.current(s, r, cursor) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := s.answer(cursor)
	hdr["Content-Type"] = hdrJSON
	hdr["Content-Length"] = []string{strconv.Itoa(len(body))}
	_, _ = w.Write(body)
}

// cacheControl is the Cache-Control of the poll's and stream's answers.
func cacheControl(s *snapshot) []string {
	if s.rec.Public {
		return hdrNoCache
	}
	return hdrPrivateNoCache
}

// current reports whether the screen is up to date with s.
func (h *Handler) current(s *snapshot, r *http.Request, cursor string) bool {
	if cursor != "" {
		return cursor == s.cursor
	}
	inm := r.Header["If-None-Match"]
	return len(inm) > 0 && inm[0] == s.etag[0]
}

// Waiting is the number of long polls waiting for their wall to change:
// a test publishes once a poll waits, so that it checks the wait.
func (h *Handler) Waiting() int { return int(h.waiting.Load()) }

// longPoll waits until the wall moves past s, the wait is over or the
// screen goes away; it returns the snapshot to answer from (nil when the
// request has been answered).
func (h *Handler) longPoll(w http.ResponseWriter, r *http.Request, s *snapshot, wait time.Duration) *snapshot {
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Now().Add(wait + 10*time.Second))
	t := time.NewTimer(wait)
	defer t.Stop()
	h.waiting.Add(1)
	defer h.waiting.Add(-1)
	select {
	case <-s.changed:
	case <-t.C:
		return s
	case <-h.Draining:
		// Nothing changed: 304, and poll again (Retry-After bounds a
		// random pause that spreads the screens over the other replicas).
		w.Header().Set("Retry-After", strconv.Itoa(reconnectMS/1000))
		return s
	case <-r.Context().Done():
		return nil
	}
	return h.open(w, r)
}

// reconnectMS bounds the pause of a screen whose stream or long poll ended
// because the replica stops.
const reconnectMS = 2000

// reconnectHint is an SSE retry field: a random pause up to reconnectMS,
// so that the screens of a stopping replica do not all come back at once.
func reconnectHint() string {
	return "retry: " + strconv.Itoa(250+rand.IntN(reconnectMS-250)) + "\n\n"
}

// parseWait reads wait= as a duration ("25s") or seconds ("25"), capped at
// eventwall.MaxWait.
func parseWait(v string) time.Duration {
	if v == "" {
		return 0
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		n, nerr := strconv.ParseFloat(v, 64)
		if nerr != nil {
			return 0
		}
		d = time.Duration(n * float64(time.Second))
	}
	return min(max(d, 0), eventwall.MaxWait)
}

// serveStream answers GET /walls/{id}/stream with Server-Sent Events.
func (h *Handler) serveStream(w http.ResponseWriter, r *http.Request) {
	s := h.open(w, r)
	if s == nil {
		return
	}
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	// A browser reconnecting by itself sends the last event's id, newer
	// than the cursor in the URL it opened first.
	cursor := r.Header.Get("Last-Event-ID")
	if cursor == "" {
		cursor = queryParam(r.URL.RawQuery, "cursor")
	}
	hdr := w.Header()
	hdr["Content-Type"] = hdrEventStream
	hdr["Cache-Control"] = cacheControl(s)
	hdr["X-Accel-Buffering"] = []string{"no"}
	w.WriteHeader(http.StatusOK)
	if _, err := io.WriteString(w, "retry: 2000\n\n"); err != nil {
		return
	}
	beat := time.NewTicker(h.Heartbeat)
	defer beat.Stop()
	for {
		if cursor != s.cursor {
			body := s.answer(cursor)
			if err := writeEvent(w, s.cursor, body); err != nil {
				return
			}
			cursor = s.cursor
		}
		if err := rc.Flush(); err != nil {
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-h.Draining:
			if _, err := io.WriteString(w, reconnectHint()); err == nil {
				_ = rc.Flush()
			}
			return
		case <-beat.C:
			if _, err := io.WriteString(w, ": ping\n\n"); err != nil {
				return
			}
			continue
		case <-s.changed:
		}
		next, err := h.cache.Get(r.Context(), s.wall)
		if err != nil || !next.tokenOK(r.PathValue("token")) || !next.keyOK(screenKey(r)) {
			return // deleted, or the token or key was rotated: the screen reconnects and is told
		}
		s = next
	}
}

func writeEvent(w io.Writer, id string, data []byte) error {
	buf := make([]byte, 0, len(data)+len(id)+32)
	buf = append(buf, "id: "...)
	buf = append(buf, id...)
	buf = append(buf, "\nevent: changes\ndata: "...)
	buf = append(buf, data...)
	buf = append(buf, "\n\n"...)
	_, err := w.Write(buf)
	return err
}

// servePage serves the projector page.
func (h *Handler) servePage(w http.ResponseWriter, r *http.Request) {
	s := h.open(w, r)
	if s == nil {
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	hdr["Cache-Control"] = cacheControl(s)
	hdr["Referrer-Policy"] = hdrNoReferrer
	// Scripts, styles and connections from eventwall only; images also
	// from anywhere: authors' photos are hub's profile photo URLs, and a
	// logo the organizer's http(s) or data:image URL.
	hdr.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: https: http:; style-src 'self'; script-src 'self'; connect-src 'self'")
	hdr["X-Content-Type-Options"] = hdrNoSniff
	_, _ = w.Write(h.page)
}

// servePhoto serves a photo of a post shown on the wall, from social's
// attachments, kept in memory.
func (h *Handler) servePhoto(w http.ResponseWriter, r *http.Request) {
	s := h.open(w, r)
	if s == nil {
		return
	}
	post := r.PathValue("post")
	att, ok := attachmentName(r.PathValue("name"))
	if _, shown := s.items[post]; !ok || !shown {
		http.Error(w, "no such photo on this wall", http.StatusNotFound)
		return
	}
	ref := PhotoRef{App: s.rec.App, Post: post, Attachment: att}
	img, err := h.images.get(r.Context(), ref, func(ctx context.Context) (cachedPhoto, error) {
		return readPhoto(ctx, h.photos, ref)
	})
	if err != nil {
		if errors.Is(err, errs.NotFound) {
			http.Error(w, "no such photo", http.StatusNotFound)
			return
		}
		if r.Context().Err() == nil {
			h.log.Warn("read photo", "wall", s.wall, "post", post, "error", err)
		}
		http.Error(w, "the photo is unavailable; retry", http.StatusServiceUnavailable)
		return
	}
	hdr := w.Header()
	hdr["X-Content-Type-Options"] = hdrNoSniff
	hdr["Referrer-Policy"] = hdrNoReferrer
	if s.rec.Public {
		hdr.Set("Cache-Control", "public, max-age=86400")
	} else {
		hdr.Set("Cache-Control", "private, max-age=3600")
	}
	hdr.Set("ETag", img.etag)
	if inm := r.Header["If-None-Match"]; len(inm) > 0 && inm[0] == img.etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	hdr.Set("Content-Type", img.contentType)
	hdr.Set("Content-Length", strconv.Itoa(len(img.body)))
	_, _ = w.Write(img.body)
}

// attachmentName maps a photo name of the route ("0", "2t") to the
// attachment of social's post document ("photo-0", "photo-2-thumb").
func attachmentName(name string) (string, bool) {
	thumb := strings.HasSuffix(name, "t")
	n := strings.TrimSuffix(name, "t")
	if len(n) != 1 || n[0] < '0' || n[0] > '9' {
		return "", false
	}
	att := "photo-" + n
	if thumb {
		att += "-thumb"
	}
	return att, true
}

// maxPhotoBytes bounds a photo read from CouchDB.
const maxPhotoBytes = 9 << 20

func readPhoto(ctx context.Context, photos Photos, ref PhotoRef) (cachedPhoto, error) {
	p, err := photos.Photo(ctx, ref)
	if err != nil {
		return cachedPhoto{}, err
	}
	defer p.Body.Close()
	body, err := io.ReadAll(io.LimitReader(p.Body, maxPhotoBytes+1))
	if err != nil {
		return cachedPhoto{}, errs.Wrap(errs.Unavailable, err, "read photo")
	}
	if len(body) > maxPhotoBytes {
		return cachedPhoto{}, errs.New(errs.Invalid, "photo too large")
	}
	ct := p.ContentType
	if !strings.HasPrefix(ct, "image/") {
		ct = "application/octet-stream"
	}
	etag := `"` + strings.Trim(p.Digest, `"`) + `"`
	if p.Digest == "" {
		etag = `"` + strconv.Itoa(len(body)) + `"`
	}
	return cachedPhoto{contentType: ct, etag: etag, body: body}, nil
}
