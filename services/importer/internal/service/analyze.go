package service

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/attendify/hub"
	"github.com/attendify/importer/internal/mapping"
	"github.com/attendify/importer/internal/sheet"
	"github.com/attendify/importer/internal/validate"
)

// seqBase orders staged rows by kind: attendees, speakers, sessions.
func seqBase(k mapping.Kind) int {
	switch k {
	case mapping.Speakers:
		return 200_000_000
	case mapping.Sessions:
		return 400_000_000
	}
	return 0
}

// flushRows is how many staged rows are written at once.
const flushRows = 5000

// RunAnalyze is the body of the analysis job: it takes the import's lease
// (a stale or duplicate job finds it taken and does nothing), reads the
// stored file, and stages every row with what the commit will do.
func (s *Service) RunAnalyze(ctx context.Context, id string, gen int, job int64) error {
	imp, ok, err := s.store.Claim(ctx, id, gen, Analyzing, job, s.cfg.LeaseTTL)
	if err != nil || !ok {
		return err
	}
	ctx, stop := s.keepLease(ctx, id, job)
	defer stop()
	if err := s.analyze(ctx, imp); err != nil {
		if fe, ok := sheet.IsFileError(err); ok {
			imp.Status, imp.ErrorCode, imp.ErrorMessage = Failed, fe.Code, fe.Message
			imp.Counts, imp.RowsTotal = Counts{}, 0
			if err := s.store.ReplaceRows(ctx, id); err != nil {
				return err
			}
			return s.store.FinishAnalysis(ctx, imp, job)
		}
		return err
	}
	imp.Status = Ready
	return s.store.FinishAnalysis(ctx, imp, job)
}

// keepLease extends the lease until stop; the returned context ends when
// the lease is lost (another worker took the import over).
func (s *Service) keepLease(ctx context.Context, id string, job int64) (context.Context, func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(s.cfg.LeaseTTL / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				ok, err := s.store.Heartbeat(ctx, id, job, s.cfg.LeaseTTL)
				if err == nil && !ok {
					s.log.Warn("import lease lost", "import", id, "job", job)
					cancel()
					return
				}
			}
		}
	}()
	return ctx, func() { close(done); cancel() }
}

// spool copies the stored file to a temporary file.
func (s *Service) spool(ctx context.Context, id string) (*os.File, error) {
	f, err := os.CreateTemp(s.cfg.TempDir, "import-*")
	if err != nil {
		return nil, err
	}
	_ = os.Remove(f.Name()) // gone when closed
	if err := s.store.ReadFile(ctx, id, f); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// existing is what hub holds of one kind, by key.
type existing struct {
	members  map[string]*hub.Member
	speakers map[string]*hub.Speaker
	sessions map[string]*hub.Session
}

func (s *Service) analyze(ctx context.Context, imp *Import) error {
	f, err := s.spool(ctx, imp.ID)
	if err != nil {
		return err
	}
	defer f.Close()
	book, err := sheet.Open(f, imp.FileSize, s.cfg.Limits)
	if err != nil {
		return err
	}
	defer book.Close()
	imp.Format = string(book.Format())
	if err := s.store.ReplaceRows(ctx, imp.ID); err != nil {
		return err
	}

	a := &analysis{s: s, imp: imp, book: book, counts: Counts{}, seq: map[mapping.Kind]int{}}
	imp.Problems, imp.Mapping = nil, nil
	for _, name := range book.Sheets() {
		if err := a.sheet(ctx, name); err != nil {
			return err
		}
	}
	if a.v != nil {
		for _, r := range a.v.Finish() {
			if err := a.stage(ctx, r); err != nil {
				return err
			}
		}
	}
	if err := a.flush(ctx); err != nil {
		return err
	}
	imp.Counts, imp.RowsTotal = a.counts, a.total
	if len(imp.Mapping) == 0 || a.imported == 0 {
		return &sheet.FileError{Code: sheet.CodeEmpty, Message: "no sheet of the file has a header row we recognize (attendees need an email and a name; speakers a name and an id or email; sessions an id, a title, a start and an end)"}
	}
	return nil
}

// analysis is the state of one analysis run.
type analysis struct {
	s        *Service
	imp      *Import
	book     sheet.Book
	v        *validate.Validator
	ex       existing
	event    *hub.Event
	counts   Counts
	seq      map[mapping.Kind]int
	buf      []StagedRow
	total    int
	imported int // sheets imported
}

func (a *analysis) problem(sheetName string, warn bool, format string, args ...any) {
	a.imp.Problems = append(a.imp.Problems, validate.Problem{Sheet: sheetName, Message: fmt.Sprintf(format, args...), Warning: warn})
}

func (a *analysis) sheet(ctx context.Context, name string) error {
	rows, err := a.book.Rows(name)
	if err != nil {
		return err
	}
	defer rows.Close()
	var head [][]string
	var nums []int
	var buffered []sheet.Row
	for len(head) < mapping.HeaderScan && rows.Next() {
		r := rows.Row()
		cp := sheet.Row{Num: r.Num, Cells: slices.Clone(r.Cells), Hidden: r.Hidden}
		buffered = append(buffered, cp)
		if !r.Blank() {
			head = append(head, cp.Cells)
			nums = append(nums, cp.Num)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(head) == 0 {
		return nil // an empty sheet
	}
	m := mapping.Detect(name, a.imp.Options.Kind, head, nums)
	for _, o := range a.imp.Options.Overrides {
		if o.Sheet != name {
			continue
		}
		headerNum := m.HeaderRow
		if o.HeaderRow > 0 {
			headerNum = o.HeaderRow
		}
		var header []string
		for i, n := range nums {
			if n == headerNum {
				header = head[i]
			}
		}
		var probs []string
		m, probs = mapping.Apply(m, o, header)
		for _, p := range probs {
			a.problem(name, false, "mapping: %s", p)
		}
	}
	if a.imp.Options.KeepUnknown && m.Kind != "" {
		m = mapping.KeepUnknownAsCustom(m)
	}
	mp := &m
	a.imp.Mapping = append(a.imp.Mapping, m)
	idx := len(a.imp.Mapping) - 1
	defer func() { a.imp.Mapping[idx] = *mp }()
	if m.Kind == "" {
		a.problem(name, true, "sheet %q is not imported: no row of its first %d names the columns of attendees, speakers or sessions", name, mapping.HeaderScan)
		return nil
	}
	if len(m.Missing) > 0 {
		var miss []string
		for _, f := range m.Missing {
			miss = append(miss, string(f))
		}
		a.problem(name, false, "sheet %q is not imported: no column gives %s (map one with the column overrides)", name, strings.Join(miss, ", "))
		return nil
	}
	if len(m.Unknown) > 0 {
		a.problem(name, true, "columns not imported: %s (keep them as custom fields with keep_unknown, or map them)", strings.Join(m.Unknown, ", "))
	}
	if err := a.prepare(ctx, mp); err != nil {
		return err
	}
	if mp.Kind == "" {
		return nil
	}
	a.imported++
	a.notStored(mp)
	process := func(r sheet.Row) error {
		if r.Num <= mp.HeaderRow || r.Blank() {
			return nil
		}
		if r.Hidden {
			a.counts.Add(mp.Kind, ActSkip, 1)
			return a.add(ctx, StagedRow{Kind: mp.Kind, Sheet: name, Num: r.Num, Action: ActSkip, Reason: "hidden row",
				Row: &validate.Row{Sheet: name, Num: r.Num, Kind: mp.Kind}})
		}
		vr := a.v.Row(mp, r)
		if mp.Kind == mapping.Sessions {
			return nil // staged by Finish
		}
		return a.stage(ctx, vr)
	}
	for _, r := range buffered {
		if err := process(r); err != nil {
			return err
		}
	}
	for rows.Next() {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := process(rows.Row()); err != nil {
			return err
		}
	}
	return rows.Err()
}

// notStored warns about columns hub has no field for.
func (a *analysis) notStored(m *mapping.Sheet) {
	var cols []string
	for _, c := range m.Columns {
		if c.Custom != "" || (m.Kind == mapping.Attendees && (c.Field == mapping.Phone || c.Field == mapping.VIP)) {
			cols = append(cols, c.Header)
		}
	}
	if len(cols) > 0 {
		a.problem(m.Name, true, "checked but not stored, hub's member profile has no field for them yet: %s", strings.Join(cols, ", "))
	}
}

// prepare loads what the sheet's rows are compared with: hub's existing
// objects of the kind, the event of sessions, and the validator.
func (a *analysis) prepare(ctx context.Context, m *mapping.Sheet) error {
	s, imp := a.s, a.imp
	if m.Kind == mapping.Sessions && a.event == nil {
		evs, err := s.hub.Events(ctx, imp.AppID)
		if err != nil {
			return err
		}
		switch {
		case imp.EventID != "":
			for i := range evs {
				if evs[i].ID == imp.EventID {
					a.event = &evs[i]
				}
			}
			if a.event == nil {
				a.problem(m.Name, false, "sheet %q is not imported: the app has no event %s", m.Name, imp.EventID)
				m.Kind = ""
				return nil
			}
		case len(evs) == 1:
			a.event = &evs[0]
			imp.EventID = evs[0].ID
		default:
			a.problem(m.Name, false, "sheet %q is not imported: the app has %d events; choose the event of these sessions (event_id)", m.Name, len(evs))
			m.Kind = ""
			return nil
		}
		ag, err := s.hub.Agenda(ctx, imp.AppID, a.event.ID)
		if err != nil {
			return err
		}
		a.ex.sessions = map[string]*hub.Session{}
		for _, d := range ag.Days {
			for i := range d.Sessions {
				x := &d.Sessions[i]
				if x.ExternalID != "" {
					a.ex.sessions["x:"+x.ExternalID] = x
				} else {
					a.ex.sessions["id:"+x.ID] = x // never matched by a row; in the overlap check
				}
			}
		}
	}
	if (m.Kind == mapping.Speakers || m.Kind == mapping.Sessions) && a.ex.speakers == nil {
		sps, err := s.hub.Speakers(ctx, imp.AppID)
		if err != nil {
			return err
		}
		a.ex.speakers = map[string]*hub.Speaker{}
		for i := range sps {
			x := &sps[i]
			if x.ExternalID != "" {
				a.ex.speakers["x:"+x.ExternalID] = x
			}
			if x.Email != "" {
				a.ex.speakers["e:"+strings.ToLower(x.Email)] = x
			}
		}
	}
	if m.Kind == mapping.Attendees && a.ex.members == nil {
		ms, err := s.hub.Members(ctx, imp.AppID)
		if err != nil {
			return err
		}
		a.ex.members = make(map[string]*hub.Member, len(ms))
		for i := range ms {
			x := &ms[i]
			if x.ExternalID != "" {
				a.ex.members["x:"+x.ExternalID] = x
			}
			if x.Email != "" {
				a.ex.members["e:"+strings.ToLower(x.Email)] = x
			}
		}
	}
	if a.v == nil || m.Kind == mapping.Sessions {
		opts := validate.Options{Dates: validate.Dates{Order: imp.Options.DateOrder, Date1904: a.book.Date1904()}}
		if a.event != nil {
			opts.Event.TimeZone = a.event.TimeZone
			opts.Event.Start, _ = time.Parse(hub.LocalTimeLayout, a.event.Start)
			opts.Event.End, _ = time.Parse(hub.LocalTimeLayout, a.event.End)
		}
		for k, x := range a.ex.sessions {
			if x.Room != nil {
				opts.ExistingSessions = append(opts.ExistingSessions, validate.Slot{Key: k, Room: x.Room.Name, Start: x.Start, End: x.End})
			}
		}
		opts.ExistingSpeakers = map[string]bool{}
		for k := range a.ex.speakers {
			opts.ExistingSpeakers[k] = true
		}
		if a.v == nil {
			v, err := validate.New(opts)
			if err != nil {
				return err
			}
			a.v = v
		} else if err := a.v.SetOptions(opts); err != nil {
			return err
		}
	}
	return nil
}

func (a *analysis) add(ctx context.Context, r StagedRow) error {
	a.seq[r.Kind]++
	r.Seq = seqBase(r.Kind) + a.seq[r.Kind]
	a.buf = append(a.buf, r)
	a.total++
	if len(a.buf) >= flushRows {
		return a.flush(ctx)
	}
	return nil
}

func (a *analysis) flush(ctx context.Context) error {
	if len(a.buf) == 0 {
		return nil
	}
	err := a.s.store.InsertRows(ctx, a.imp.ID, a.buf)
	a.buf = a.buf[:0]
	return err
}

// stage decides what the commit does with a validated row and stages it.
func (a *analysis) stage(ctx context.Context, vr *validate.Row) error {
	act, reason, input := a.decide(vr)
	a.counts.Add(vr.Kind, act, 1)
	var raw []byte
	if input != nil {
		b, err := json.Marshal(input)
		if err != nil {
			return err
		}
		raw = b
	}
	return a.add(ctx, StagedRow{Kind: vr.Kind, Sheet: vr.Sheet, Num: vr.Num, Key: vr.Key, Action: act, Reason: reason, Row: vr, Input: raw})
}

func (a *analysis) decide(vr *validate.Row) (Action, string, any) {
	if vr.Rejected() {
		for _, p := range vr.Problems {
			if !p.Warning {
				return ActReject, p.Message, nil
			}
		}
	}
	mode := a.imp.Options.Mode
	var found bool
	var in, old any
	switch vr.Kind {
	case mapping.Attendees:
		cur := a.ex.members[vr.Key]
		if cur == nil && vr.Member.ExternalID == "" {
			cur = a.ex.members["e:"+vr.Member.Email]
		}
		found = cur != nil
		n := memberInput(vr, cur)
		in = n
		if cur != nil {
			old = memberInput(&validate.Row{Member: &validate.Member{}}, cur)
		}
	case mapping.Speakers:
		cur := a.ex.speakers[vr.Key]
		found = cur != nil
		in = speakerInput(vr, cur)
		if cur != nil {
			old = speakerInput(&validate.Row{Speaker: &validate.Speaker{}}, cur)
		}
	case mapping.Sessions:
		cur := a.ex.sessions[vr.Key]
		found = cur != nil
		in = sessionInput(vr, cur)
		if cur != nil {
			old = sessionInput(&validate.Row{Session: &validate.Session{}}, cur)
		}
	}
	switch {
	case found && mode == Create:
		return ActSkip, "already in the app (create mode)", nil
	case !found && mode == Update:
		return ActSkip, "not in the app (update mode)", nil
	case found && equalJSON(in, old):
		return ActSkip, "unchanged", nil
	case found:
		return ActUpdate, "", in
	}
	return ActCreate, "", in
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
