package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/attendify/hub"
	"github.com/attendify/importer/internal/mapping"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/rpc"
)

// RunCommit is the body of the commit job. It sends the staged rows to hub
// in batches, in seq order (attendees, speakers, sessions), each batch
// through hub's all-or-nothing, idempotent bulk upsert, and records each
// committed batch's cursor in order. Two batches are in flight at once
// (inFlight): hub writes one while the next is read and encoded, and on
// two cores both are busy; but a batch of another kind waits for those in
// flight to end, since sessions name speakers that hub must hold first. A worker killed between hub's commit and that
// record leaves the cursor before the batch: the next worker sends it (and
// any later batch hub applied) again, and hub finds it unchanged, so
// nothing is written twice and nothing is lost.
func (s *Service) RunCommit(ctx context.Context, id string, gen int, job int64) error {
	imp, ok, err := s.store.Claim(ctx, Claim{ID: id, Gen: gen, Status: Committing, Job: job, TTL: s.cfg.LeaseTTL})
	if err != nil || !ok {
		return err
	}
	ctx, stop := s.keepLease(ctx, id, job)
	defer stop()
	if imp.Status == Canceling {
		return s.store.FinishCommit(ctx, id, job, Canceled)
	}
	type flight struct {
		kind mapping.Kind
		rows []StagedRow
		done chan struct{}
		b    Batch
		err  error
	}
	var queue []*flight
	// record waits for the oldest batch in flight and records it; it
	// reports whether the commit must stop (canceled).
	sent := 0
	record := func() (bool, error) {
		f := queue[0]
		queue = queue[1:]
		<-f.done
		if f.err != nil {
			return false, f.err
		}
		sent++
		if s.cfg.AfterHubBatch != nil {
			s.cfg.AfterHubBatch(sent)
		}
		f.b.LastSeq, f.b.Rows = f.rows[len(f.rows)-1].Seq, len(f.rows)
		st, err := s.store.CommitBatch(ctx, id, job, f.b)
		if err != nil {
			return false, err
		}
		return st == Canceling, nil
	}
	// wait lets the batches in flight end (hub may apply them) before the
	// commit stops.
	wait := func() {
		for _, f := range queue {
			<-f.done
		}
		queue = nil
	}
	cursor := imp.CursorSeq
	for {
		rows, err := s.store.Rows(ctx, id, cursor, s.cfg.BatchRows, ActCreate, ActUpdate)
		if err != nil {
			wait()
			return err
		}
		var kind mapping.Kind
		if len(rows) > 0 {
			// One kind per batch, and under hub's request size limit.
			kind = rows[0].Kind
			size := 0
			for i, r := range rows {
				size += len(r.Input) + 1
				if r.Kind != kind || (i > 0 && size > s.cfg.BatchBytes) {
					rows = rows[:i]
					break
				}
			}
		}
		// Record the oldest batches until this one may go: at most
		// inFlight at hub, all of its kind; at the end, all of them.
		for len(queue) > 0 && (len(queue) >= inFlight || len(rows) == 0 || queue[len(queue)-1].kind != kind) {
			canceled, err := record()
			if err != nil {
				wait()
				var fatal *fatalError
				if errors.As(err, &fatal) {
					s.log.Error("import refused by hub", "import", id, "error", fatal.err)
					return s.store.FailCommit(ctx, id, job, Failure{Code: "hub_refused", Message: fatal.msg})
				}
				return err
			}
			if canceled {
				for len(queue) > 0 {
					if _, err := record(); err != nil {
						wait()
						break
					}
				}
				return s.store.FinishCommit(ctx, id, job, Canceled)
			}
		}
		if len(rows) == 0 {
			return s.store.FinishCommit(ctx, id, job, Done)
		}
		f := &flight{kind: kind, rows: rows, done: make(chan struct{})}
		go func() {
			defer close(f.done)
			f.b, f.err = s.send(ctx, imp, kind, rows)
		}()
		queue = append(queue, f)
		cursor = rows[len(rows)-1].Seq
	}
}

// inFlight is how many batches the commit has at hub at once.
const inFlight = 2

// fatalError is a refusal of hub that retrying cannot change.
type fatalError struct {
	msg string
	err error
}

func (e *fatalError) Error() string { return e.msg }

// send upserts one batch of one kind, in the import's mode. The rows hub
// refuses (its own checks found something ours did not) are taken out,
// reported with what hub said, and the others sent again, so that a bad
// row does not hold back its batch: hub names them in row errors, or in
// the field errors of its schema's refusal (see isolate). The rows hub's
// mode skips (their object appeared or went since the analysis) are
// reported as skipped.
func (s *Service) send(ctx context.Context, imp *Import, kind mapping.Kind, rows []StagedRow) (Batch, error) {
	out := &outcome{kr: &KindResult{}}
	invalid, err := isolate(indexes(len(rows)), rowList(kind), func(idx []int) error {
		return s.apply(ctx, imp, kind, rows, idx, out)
	})
	b := Batch{Result: Result{kind: out.kr}}
	if err != nil {
		switch errs.KindOf(err) {
		case errs.NotFound, errs.Forbidden, errs.Unauthenticated, errs.Invalid:
			return b, &fatalError{msg: "hub refused the import: " + publicMessage(err), err: err}
		}
		return b, err
	}
	for i, es := range byRow(append(out.refused, invalid...)) {
		r := rows[i]
		refuse(&r, imp.sheet(r.Sheet), es)
		b.Changed = append(b.Changed, r)
		out.kr.Rejected++
	}
	for _, i := range out.skipped {
		r := rows[i]
		r.Action, r.Reason = ActSkip, imp.Options.Mode.skipReason()
		b.Changed = append(b.Changed, r)
		out.kr.Skipped++
	}
	slices.SortFunc(b.Changed, func(x, y StagedRow) int { return x.Seq - y.Seq })
	return b, nil
}

// outcome is what hub did with the rows of a batch: its counts, the rows
// it refused (row errors) and those its mode skipped (by index).
type outcome struct {
	kr      *KindResult
	refused []hub.RowError
	skipped []int
}

// apply upserts the rows of idx, all or nothing at hub, and adds what hub
// did to out. The rows hub names in row errors are taken out and the
// others sent again.
func (s *Service) apply(ctx context.Context, imp *Import, kind mapping.Kind, rows []StagedRow, idx []int, out *outcome) error {
	var refused []hub.RowError
	for len(idx) > 0 {
		batch := make([]StagedRow, len(idx))
		for j, i := range idx {
			batch[j] = rows[i]
		}
		res, err := s.upsert(ctx, imp, kind, batch)
		if err != nil {
			return err
		}
		if res.Applied {
			out.kr.Created += res.Created
			out.kr.Updated += res.Updated
			out.kr.Unchanged += res.Unchanged
			out.refused = append(out.refused, refused...)
			for j, o := range res.Rows {
				if o == hub.RowSkipped && j < len(idx) {
					out.skipped = append(out.skipped, idx[j])
				}
			}
			return nil
		}
		bad := map[int]bool{}
		for _, e := range res.Errors {
			if e.Row < 0 || e.Row >= len(idx) {
				return fmt.Errorf("hub named row %d of a batch of %d", e.Row, len(idx))
			}
			bad[e.Row] = true
			e.Row = idx[e.Row]
			refused = append(refused, e)
		}
		if len(bad) == 0 {
			return fmt.Errorf("hub applied no row of the batch and named no error")
		}
		keep := make([]int, 0, len(idx)-len(bad))
		for j, i := range idx {
			if !bad[j] {
				keep = append(keep, i)
			}
		}
		idx = keep
	}
	out.refused = append(out.refused, refused...)
	return nil
}

func publicMessage(err error) string {
	if e, ok := errs.As(err); ok && e.Kind() != errs.Internal {
		msg := e.Msg
		for _, f := range e.Fields {
			msg += "; " + f.Field + ": " + f.Message
		}
		return msg
	}
	return "internal error"
}

func (s *Service) upsert(ctx context.Context, imp *Import, kind mapping.Kind, rows []StagedRow) (hub.BulkResult, error) {
	switch kind {
	case mapping.Attendees:
		// The staged input has the file's values only: hub merges them
		// with what it holds, and registers the members to the import's
		// event in the same transaction.
		p := hub.BulkMembersParams{AppRef: rpc.AppRef{App: imp.AppID}, Event: imp.EventID, Merge: true, Mode: string(imp.Options.Mode),
			Members: make([]hub.MemberInput, len(rows))}
		for i, r := range rows {
			if err := json.Unmarshal(r.Input, &p.Members[i]); err != nil {
				return hub.BulkResult{}, err
			}
		}
		return s.hub.BulkMembers(ctx, p)
	case mapping.Speakers:
		p := hub.BulkSpeakersParams{AppRef: rpc.AppRef{App: imp.AppID}, Mode: string(imp.Options.Mode), Speakers: make([]hub.SpeakerInput, len(rows))}
		for i, r := range rows {
			if err := json.Unmarshal(r.Input, &p.Speakers[i]); err != nil {
				return hub.BulkResult{}, err
			}
		}
		return s.hub.BulkSpeakers(ctx, p)
	case mapping.Sessions:
		p := hub.BulkSessionsParams{AppRef: rpc.AppRef{App: imp.AppID}, Event: imp.EventID, Mode: string(imp.Options.Mode),
			Sessions: make([]hub.BulkSessionInput, len(rows))}
		for i, r := range rows {
			if err := json.Unmarshal(r.Input, &p.Sessions[i]); err != nil {
				return hub.BulkResult{}, err
			}
		}
		return s.hub.BulkSessions(ctx, p)
	}
	return hub.BulkResult{}, fmt.Errorf("unknown kind %q", kind)
}
