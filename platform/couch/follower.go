package couch

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/attendify/platform/errs"
	kivik "github.com/go-kivik/kivik/v4"
)

// Change is one entry of a database's _changes feed.
type Change struct {
	ID      string
	Seq     string // opaque; only ever passed back to the server as "since"
	Deleted bool
	// Revs are the document's changed leaf revisions ("changes" in the feed);
	// the winning one first unless Follower.Params asks for style=all_docs.
	Revs []string
	// Doc is the document (its latest revision) when Follower.IncludeDocs is
	// set, else nil.
	Doc json.RawMessage
}

// Follower delivers every change of a database to Handle, in feed order, at
// least once, across restarts and lost connections.
//
// Feed order is all CouchDB promises, and it is little: Apache CouchDB 3
// shards every database and its feed interleaves the shards, so only one
// document's changes come in the order they were made; documents written
// d1, d2, d3 may arrive d2, d1, d3. A feed resumed from a checkpoint may
// also repeat a few changes from before it. Handle must not assume more (the
// dev server's sharded mode serves _changes this way, see dev/README.md).
//
// It reads the _changes feed (feed=longpoll with a heartbeat: each answer
// brings what is there, or the next change as soon as it happens) from the
// sequence saved in the checkpoint document _local/<ID> of the same
// database. After Handle has returned nil for a batch of changes (BatchSize
// changes, or what was handled in the last FlushInterval), the sequence of
// the last one is saved there. A process that stops between Handle and that
// save sees those changes again when it restarts, so Handle must be
// idempotent (keyed by document id and revision, for instance). The
// checkpoint is read again whenever the feed is reopened, so a database
// deleted and created anew is followed from its beginning.
//
// A checkpoint the follower cannot use, because the server refuses its
// sequence as malformed (a corrupted document, or a sequence of another
// server: Apache CouchDB 3 refuses CouchDB 1's and PouchDB's numbers) or
// because the document does not decode (not a JSON object, a seq neither a
// string nor a number), is logged as an error and the database is followed
// from its beginning; the next save overwrites it. Any other refusal of the
// feed, such as a 400 for a bad filter, ends Run as before.
//
// When Handle fails, the changes handled before it are checkpointed and the
// failed change is delivered again after a backoff, for as long as it keeps
// failing: return nil for a change that must be skipped. Lost connections
// and server errors are retried with jittered exponential backoff between
// MinBackoff and MaxBackoff.
//
// Run one Follower per ID at a time: two runs with the same ID both receive
// every change.
type Follower struct {
	// DB is the database to follow.
	DB *kivik.DB
	// ID names the checkpoint (_local/<ID>); it should name the consumer,
	// such as "eventwall-moderation".
	ID string
	// Handle processes one change. It gets the context of Run.
	Handle func(ctx context.Context, c Change) error

	// IncludeDocs asks the feed for the documents (Change.Doc).
	IncludeDocs bool
	// Params are more _changes query parameters, such as "filter" or
	// "style"; they may not override feed, since, limit, heartbeat or
	// include_docs.
	Params map[string]any
	// Heartbeat is how often a server waiting for changes sends a newline
	// to keep the connection open (default 10s).
	Heartbeat time.Duration
	// BatchSize is the number of handled changes after which the checkpoint
	// is saved, and the most changes asked for at once (default 100).
	BatchSize int
	// FlushInterval is how often handled changes are checkpointed when
	// fewer than BatchSize arrive (default 1s).
	FlushInterval time.Duration
	// MinBackoff and MaxBackoff bound the delay before reconnecting or
	// redelivering (defaults 100ms and 30s).
	MinBackoff, MaxBackoff time.Duration
	// Logger receives reconnects and handler failures (default: none).
	Logger *slog.Logger
}

// checkpoint is the body of the _local checkpoint document.
type checkpoint struct {
	Rev     string    `json:"_rev,omitempty"`
	Seq     string    `json:"seq"`
	Updated time.Time `json:"updated"`
}

// badCheckpointError is a checkpoint document that does not decode.
type badCheckpointError struct {
	doc string // the document's body, as far as it was read
	err error
}

func (e *badCheckpointError) Error() string { return "checkpoint " + e.doc + ": " + e.err.Error() }
func (e *badCheckpointError) Unwrap() error { return e.err }

// refusedSeqError is the server refusing the checkpoint's sequence as
// malformed (see malformedSinceReason).
type refusedSeqError struct {
	seq string
	err error
}

func (e *refusedSeqError) Error() string { return "sequence " + e.seq + " refused: " + e.err.Error() }
func (e *refusedSeqError) Unwrap() error { return e.err }

// handlerError marks a failure of Handle, as opposed to one of the feed.
type handlerError struct {
	id  string
	err error
}

func (e *handlerError) Error() string { return "handle change of " + e.id + ": " + e.err.Error() }
func (e *handlerError) Unwrap() error { return e.err }

// Run follows the feed until ctx is done, and then returns nil after saving
// the checkpoint of what was handled. It returns an error only for a
// configuration that cannot work (errs.Invalid: a missing field, a database
// handle in error, parameters the server rejects).
func (f *Follower) Run(ctx context.Context) error {
	if err := f.validate(); err != nil {
		return err
	}
	log := f.logger()
	attempt := 0
	refused := "" // a checkpoint sequence the server refused as malformed
	for {
		start := time.Now()
		progressed := false
		// The checkpoint is read again on every (re)connection: it may have
		// been reset, or the database deleted and created anew.
		cp, err := f.load(ctx)
		var bad *badCheckpointError
		if errors.As(err, &bad) {
			log.Error("couch: checkpoint unusable; following from the beginning", "follower", f.ID, "db", f.DB.Name(),
				"checkpoint", bad.doc, "error", bad.err)
			cp.Seq, err = "0", nil
		}
		if err == nil && refused != "" && cp.Seq == refused {
			cp.Seq = "0"
		}
		if err == nil {
			progressed, err = f.follow(ctx, &cp)
		}
		if ctx.Err() != nil {
			return nil
		}
		var he *handlerError
		var rs *refusedSeqError
		if errors.As(err, &rs) {
			refused = rs.seq
		} else if !errors.As(err, &he) && errs.KindOf(err) == errs.Invalid {
			return err
		}
		if progressed || time.Since(start) > f.maxBackoff() {
			attempt = 0
		}
		delay := f.backoff(attempt)
		attempt++
		switch {
		case rs != nil:
			log.Error("couch: the server refuses the checkpoint's sequence as malformed; following from the beginning",
				"follower", f.ID, "db", f.DB.Name(), "seq", rs.seq, "error", rs.err, "retry_in", delay)
		case he != nil:
			log.Error("couch: change handler failed; redelivering", "follower", f.ID, "db", f.DB.Name(),
				"doc", he.id, "error", he.err, "retry_in", delay)
		default:
			log.Warn("couch: changes feed failed; reconnecting", "follower", f.ID, "db", f.DB.Name(),
				"error", err, "retry_in", delay)
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// Checkpoint returns the sequence saved for this follower, or "" when it has
// not saved one yet. A checkpoint document that does not decode is an
// errs.Invalid error.
func (f *Follower) Checkpoint(ctx context.Context) (string, error) {
	if err := f.validate(); err != nil {
		return "", err
	}
	cp, err := f.load(ctx)
	var bad *badCheckpointError
	if errors.As(err, &bad) {
		return "", errs.Wrap(errs.Invalid, err, "couch: checkpoint %s", f.docID())
	}
	return cp.Seq, err
}

func (f *Follower) validate() error {
	switch {
	case f.DB == nil:
		return errs.New(errs.Invalid, "couch: Follower.DB is nil")
	case f.DB.Err() != nil:
		return errs.Wrap(errs.Invalid, f.DB.Err(), "couch: Follower.DB")
	case f.ID == "" || strings.Contains(f.ID, "/"):
		return errs.New(errs.Invalid, "couch: Follower.ID %q must be non-empty and without '/'", f.ID)
	case f.Handle == nil:
		return errs.New(errs.Invalid, "couch: Follower.Handle is nil")
	}
	for _, k := range []string{"feed", "since", "include_docs", "heartbeat", "limit"} {
		if _, ok := f.Params[k]; ok {
			return errs.New(errs.Invalid, "couch: Follower.Params may not set %q", k)
		}
	}
	return nil
}

func (f *Follower) docID() string { return "_local/" + f.ID }

// load reads the checkpoint: the zero checkpoint when there is none. A
// document that does not decode is a *badCheckpointError, with the
// checkpoint's revision when it could be read, for save to overwrite it.
// A seq that is a JSON number (CouchDB 1's and PouchDB's sequences, or an
// operator's 0) is taken as its text.
func (f *Follower) load(ctx context.Context) (checkpoint, error) {
	var raw json.RawMessage
	err := f.DB.Get(ctx, f.docID()).ScanDoc(&raw)
	var syntax *json.SyntaxError
	switch {
	case kivik.HTTPStatus(err) == http.StatusNotFound:
		return checkpoint{}, nil
	case errors.As(err, &syntax): // not JSON (a cut connection is io.ErrUnexpectedEOF)
		return checkpoint{}, &badCheckpointError{doc: string(raw), err: err}
	case err != nil:
		return checkpoint{}, Err(err)
	}
	var doc struct {
		Rev string          `json:"_rev"`
		Seq json.RawMessage `json:"seq"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return checkpoint{}, &badCheckpointError{doc: string(raw), err: err}
	}
	cp := checkpoint{Rev: doc.Rev}
	var n json.Number
	switch {
	case len(doc.Seq) == 0 || string(doc.Seq) == "null":
	case json.Unmarshal(doc.Seq, &cp.Seq) == nil:
	case json.Unmarshal(doc.Seq, &n) == nil:
		cp.Seq = n.String()
	default:
		return cp, &badCheckpointError{doc: string(raw), err: errors.New("seq is neither a string nor a number")}
	}
	return cp, nil
}

// save stores seq as the checkpoint. It runs even when ctx is done (a
// graceful stop saves what was handled), for at most 5 seconds.
func (f *Follower) save(ctx context.Context, cp *checkpoint, seq string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	next := checkpoint{Rev: cp.Rev, Seq: seq, Updated: time.Now().UTC()}
	rev, err := f.DB.Put(ctx, f.docID(), next)
	if kivik.HTTPStatus(err) == http.StatusConflict {
		// Written by someone else since we read it (another run with this ID,
		// or an operator resetting it): ours is the position we reached.
		cur, gerr := f.load(ctx)
		var bad *badCheckpointError
		if gerr == nil || errors.As(gerr, &bad) {
			next.Rev = cur.Rev
			rev, err = f.DB.Put(ctx, f.docID(), next)
		}
	}
	if err != nil {
		return Err(err)
	}
	cp.Rev, cp.Seq = rev, seq
	return nil
}

// follow reads the feed from cp.Seq until a request fails, a handler fails,
// or ctx is done, saving checkpoints as it goes. It reports whether any
// change was handled.
func (f *Follower) follow(ctx context.Context, cp *checkpoint) (progressed bool, err error) {
	feedCtx, cancel := context.WithCancel(ctx)
	incoming := make(chan Change)
	readErr := make(chan error, 1)
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		readErr <- f.read(feedCtx, cp.Seq, incoming)
	}()
	defer func() {
		cancel()
		<-exited
	}()

	var (
		handled string // sequence of the last change handled, not yet saved
		pending int
	)
	flush := func() error {
		if pending == 0 {
			return nil
		}
		if err := f.save(ctx, cp, handled); err != nil {
			return err
		}
		pending = 0
		return nil
	}
	// Handled changes wait at most about FlushInterval for their checkpoint.
	tick := time.NewTicker(f.flushInterval())
	defer tick.Stop()
	for {
		select {
		case c := <-incoming:
			if herr := f.Handle(ctx, c); herr != nil {
				if ferr := flush(); ferr != nil {
					f.logger().Warn("couch: saving checkpoint failed", "follower", f.ID, "error", ferr)
				}
				return progressed, &handlerError{id: c.ID, err: herr}
			}
			progressed = true
			handled = c.Seq
			pending++
			if pending >= f.batchSize() {
				if err := flush(); err != nil {
					return progressed, err
				}
			}
		case <-tick.C:
			if err := flush(); err != nil {
				return progressed, err
			}
		case err := <-readErr:
			if ferr := flush(); ferr != nil {
				return progressed, ferr
			}
			return progressed, err
		case <-ctx.Done():
			return progressed, flush()
		}
	}
}

// read polls the feed from since with feed=longpoll (each answer holds the
// changes there are, up to BatchSize, or waits for the next one) and moves
// the changes to out, in order, until a request fails or ctx is done.
//
// Not feed=continuous: kivik v4.5.2 dereferences a nil pointer when a
// continuous feed ends cleanly (the server closes it when the database is
// deleted), a panic in this goroutine that would end the process.
//
// The server refusing since, the checkpoint's sequence, as malformed is a
// *refusedSeqError.
func (f *Follower) read(ctx context.Context, since string, out chan<- Change) error {
	for first := true; ; first = false {
		params := map[string]any{
			"feed":      "longpoll",
			"heartbeat": f.heartbeat().Milliseconds(),
			"limit":     f.batchSize(),
		}
		for k, v := range f.Params {
			params[k] = v
		}
		if since != "" {
			params["since"] = since
		}
		if f.IncludeDocs {
			params["include_docs"] = true
		}
		changes := f.DB.Changes(ctx, kivik.Params(params))
		n := 0
		for changes.Next() {
			c := Change{ID: changes.ID(), Seq: changes.Seq(), Deleted: changes.Deleted(), Revs: changes.Changes()}
			if f.IncludeDocs {
				var doc json.RawMessage
				if err := changes.ScanDoc(&doc); err == nil && len(doc) > 0 && string(doc) != "null" {
					c.Doc = doc
				}
			}
			select {
			case out <- c:
			case <-ctx.Done():
				_ = changes.Close()
				return nil
			}
			n++
			since = c.Seq
		}
		err := changes.Err()
		if err == nil {
			var meta *kivik.ChangesMetadata
			if meta, err = changes.Metadata(); err == nil && meta.LastSeq != "" {
				since = meta.LastSeq
			}
		}
		_ = changes.Close()
		if ctx.Err() != nil {
			return nil
		}
		if err != nil && first && malformedSince(err) {
			return &refusedSeqError{seq: since, err: Err(err)}
		}
		if err != nil {
			return Err(err)
		}
		if n == 0 {
			// An empty answer (a server-side timeout, or everything filtered
			// out): do not poll in a tight loop.
			t := time.NewTimer(f.minBackoff())
			select {
			case <-ctx.Done():
				t.Stop()
				return nil
			case <-t.C:
			}
		}
	}
}

func (f *Follower) logger() *slog.Logger {
	if f.Logger != nil {
		return f.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (f *Follower) heartbeat() time.Duration {
	if f.Heartbeat > 0 {
		return f.Heartbeat
	}
	return 10 * time.Second
}

func (f *Follower) batchSize() int {
	if f.BatchSize > 0 {
		return f.BatchSize
	}
	return 100
}

func (f *Follower) flushInterval() time.Duration {
	if f.FlushInterval > 0 {
		return f.FlushInterval
	}
	return time.Second
}

func (f *Follower) minBackoff() time.Duration {
	if f.MinBackoff > 0 {
		return f.MinBackoff
	}
	return 100 * time.Millisecond
}

func (f *Follower) maxBackoff() time.Duration {
	if f.MaxBackoff > 0 {
		return max(f.MaxBackoff, f.minBackoff())
	}
	return max(30*time.Second, f.minBackoff())
}

// backoff is the delay before retry attempt n (0-based): MinBackoff doubled
// n times, capped at MaxBackoff, with "equal jitter" (between half and all of
// it) so that many followers do not reconnect in step.
func (f *Follower) backoff(n int) time.Duration {
	d := f.minBackoff()
	for i := 0; i < n && d < f.maxBackoff(); i++ {
		d *= 2
	}
	d = min(d, f.maxBackoff())
	half := d / 2
	return half + rand.N(half+1)
}
