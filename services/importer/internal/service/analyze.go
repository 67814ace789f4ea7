package service

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/attendify/hub"
	"github.com/attendify/importer/internal/mapping"
	"github.com/attendify/importer/internal/sheet"
	"github.com/attendify/importer/internal/validate"

	"github.com/attendify/platform/rpc"
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
	imp, ok, err := s.store.Claim(ctx, Claim{ID: id, Gen: gen, Status: Analyzing, Job: job, TTL: s.cfg.LeaseTTL})
	if err != nil || !ok {
		return err
	}
	ctx, stop := s.keepLease(ctx, id, job)
	defer stop()
	if err := s.analyze(ctx, imp); err != nil {
		if fe, ok := sheet.IsFileError(err); ok {
			imp.Status, imp.ErrorCode, imp.ErrorMessage = Failed, fe.Code, fe.Message
			imp.Counts, imp.RowsTotal = Counts{}, 0
			if err := s.store.DeleteRows(ctx, id); err != nil {
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

// renamedText refuses a text file named as a workbook (.xls, .xlsx): an
// HTML page or a report some system "exported to Excel", which is no
// spreadsheet a CSV reading could make sense of.
func renamedText(f sheet.Format, fileName string) error {
	ext := strings.ToLower(filepath.Ext(fileName))
	if f != sheet.CSV || (ext != ".xls" && ext != ".xlsx") {
		return nil
	}
	return &sheet.FileError{Code: sheet.CodeUnsupported,
		Message: "the file is an HTML/text file renamed " + ext + ": export it from the spreadsheet as .xlsx or .csv"}
}

// existing is what hub holds of speakers and sessions, by key (attendees
// are compared by hub itself, in a dry run of the upsert).
type existing struct {
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
	if err := renamedText(book.Format(), imp.FileName); err != nil {
		return err
	}
	if err := s.store.DeleteRows(ctx, imp.ID); err != nil {
		return err
	}

	a := &analysis{s: s, imp: imp, book: book, seq: map[mapping.Kind]int{}, skipped: map[string]bool{}}
	a.st = startStager(ctx, a)
	imp.Problems, imp.Mapping = nil, nil
	err = a.sheets(ctx)
	counts, stErr := a.st.stop()
	if err == nil {
		err = stErr
	}
	if err != nil {
		return err
	}
	imp.Counts, imp.RowsTotal = counts, a.total
	if len(a.refused) > 0 {
		return &sheet.FileError{Code: CodeSheetNotImported, Message: strings.Join(a.refused, "; ") +
			". Fix the file or the mapping (import.configure: overrides, event_id), or leave the sheet out (override kind \"skip\")."}
	}
	if len(imp.Mapping) == 0 || a.imported == 0 {
		return &sheet.FileError{Code: sheet.CodeEmpty, Message: a.unrecognised()}
	}
	return nil
}

// CodeSheetNotImported is the error code of an import with a sheet the
// analysis recognised and cannot import.
const CodeSheetNotImported = "sheet_not_imported" // importer.ErrSheetNotImported

// unrecognised says what an import whose sheets name no known columns
// holds, and what was expected.
func (a *analysis) unrecognised() string {
	var found []string
	for _, h := range a.headers {
		if len(h.headers) > 0 {
			found = append(found, fmt.Sprintf("sheet %q has %s", h.sheet, strings.Join(h.headers, ", ")))
		}
	}
	msg := "no sheet of the file has a header row we recognize"
	if len(found) > 0 {
		msg += ": " + strings.Join(found, "; ")
	}
	if len(a.hidden) > 0 {
		msg += fmt.Sprintf(" (hidden sheets are not read: %q)", a.hidden)
	}
	return msg + ". Expected: " + expected(mapping.Attendees) + "; " + expected(mapping.Speakers) + "; " + expected(mapping.Sessions) + "."
}

// sheets reads every sheet, then stages the sessions the validator held
// back for its checks across rows.
func (a *analysis) sheets(ctx context.Context) error {
	for _, name := range a.book.Sheets() {
		if err := a.sheet(ctx, name); err != nil {
			return err
		}
	}
	if a.v != nil {
		for _, r := range a.v.Finish() {
			if err := a.stage(ctx, r, a.sessionsSheet); err != nil {
				return err
			}
		}
	}
	return a.flush(ctx)
}

// analysis is the state of one analysis run. Its goroutine reads and
// validates the rows; the stager (another goroutine) decides what the
// commit does with them, asking hub about attendees, and writes them,
// one batch behind.
type analysis struct {
	s        *Service
	imp      *Import
	book     sheet.Book
	v        *validate.Validator
	ex       existing
	event    *hub.Event
	seq      map[mapping.Kind]int
	buf      []pending
	st       *stager
	total    int
	imported int // sheets imported
	// sessionsSheet is the mapping of the sheet whose sessions Finish
	// returns.
	sessionsSheet *mapping.Sheet
	// headers are each sheet's header texts; refused the messages of the
	// sheets recognised and not imported; skipped the sheets the
	// organizer left out.
	headers []sheetHeaders
	refused []string
	skipped map[string]bool
	// hidden are the sheets the workbook hides, not imported.
	hidden []string
}

// unhidden reports whether the organizer's overrides give hidden sheet
// name a kind: they want it imported.
func (a *analysis) unhidden(name string) bool {
	for _, o := range a.imp.Options.Overrides {
		if o.Sheet == name && o.Kind != "" && o.Kind != "skip" {
			return true
		}
	}
	return false
}

// pending is a row read and validated, waiting for the stager: Row is
// complete for rows decided already (hidden rows), V the validated row
// otherwise.
type pending struct {
	Row   StagedRow
	V     *validate.Row
	Sheet *mapping.Sheet
}

func (a *analysis) problem(sheetName string, warn bool, format string, args ...any) {
	a.imp.Problems = append(a.imp.Problems, validate.Problem{Sheet: sheetName, Message: fmt.Sprintf(format, args...), Warning: warn})
}

func (a *analysis) sheet(ctx context.Context, name string) error {
	if a.book.Hidden(name) && !a.unhidden(name) {
		// The organizer does not see the sheet (a list behind drop-downs,
		// last year's registrations): its rows are no rows of the import,
		// as hidden rows are not.
		a.imp.Mapping = append(a.imp.Mapping, mapping.Sheet{Name: name})
		a.hidden = append(a.hidden, name)
		a.problem(name, true, "sheet %q is not imported: it is hidden in the workbook (unhide it, or give it a kind with the overrides, to import it)", name)
		return nil
	}
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
		cp := cloneRow(r)
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
	a.headers = append(a.headers, sheetHeaders{name, headerCells(m, head, nums)})
	overridden := map[int]bool{} // columns the organizer mapped
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
		for _, c := range m.Columns {
			for k := range o.Columns {
				if c.Letter == strings.ToUpper(k) || mapping.Fold(c.Header) == mapping.Fold(k) {
					overridden[c.Index] = true
				}
			}
		}
		if o.Kind == "skip" {
			a.skipped[name] = true
		}
	}
	mp := &m
	a.imp.Mapping = append(a.imp.Mapping, m)
	idx := len(a.imp.Mapping) - 1
	defer func() { a.imp.Mapping[idx] = *mp }()
	if m.Kind == "" {
		if a.skipped[name] {
			a.problem(name, true, "sheet %q is left out (override kind \"skip\")", name)
			return nil
		}
		if k, ok := mapping.KindOfSheet(name); ok {
			a.notImported(name, "its name says %s, but no row of its first %d names their columns (%s)", k, mapping.HeaderScan, expected(k))
			return nil
		}
		a.problem(name, true, "sheet %q is not imported: no row of its first %d names the columns of attendees, speakers or sessions", name, mapping.HeaderScan)
		return nil
	}
	// A sample of the data rows, for the checks of a column's values.
	for len(buffered) < mapping.HeaderScan+idSample && rows.Next() {
		buffered = append(buffered, cloneRow(rows.Row()))
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if i := m.Col(mapping.ExternalID); i >= 0 && !overridden[i] {
		if why := notAnID(buffered, m.HeaderRow, i); why != "" {
			c := &m.Columns[i]
			a.problem(name, true, "column %s (%q) is not used as the id: %s; map it to external_id with the column overrides if it is one", c.Letter, c.Header, why)
			c.Field = ""
			m.Unknown = append(m.Unknown, c.Header)
			m.Missing = mapping.Missing(m)
		}
	}
	if a.imp.Options.KeepUnknown {
		m = mapping.KeepUnknownAsCustom(m)
	}
	if len(m.Missing) > 0 {
		var miss []string
		for _, f := range m.Missing {
			miss = append(miss, string(f))
		}
		a.notImported(name, "no column gives %s (map one with the column overrides)", strings.Join(miss, ", "))
		return nil
	}
	if len(m.Unknown) > 0 {
		a.problem(name, true, "columns not imported: %s (keep them as custom fields with keep_unknown, or map them)", strings.Join(m.Unknown, ", "))
	}
	// What prepare loads (hub's objects, the event) is read by the stager:
	// let it finish the rows of the sheets before.
	if err := a.flush(ctx); err != nil {
		return err
	}
	if err := a.st.sync(ctx); err != nil {
		return err
	}
	if err := a.prepare(ctx, mp); err != nil {
		return err
	}
	if mp.Kind == mapping.Sessions {
		a.sessionsSheet = mp
	}
	if mp.Kind == "" {
		return nil
	}
	a.imported++
	a.notStored(mp)
	// Blank rows are staged as skipped when a row follows them: those at
	// the end of a sheet are not rows of the list.
	var blanks []int
	process := func(r sheet.Row) error {
		if r.Num <= mp.HeaderRow {
			return nil
		}
		if r.Blank() {
			blanks = append(blanks, r.Num)
			return nil
		}
		for _, n := range blanks {
			if err := a.add(ctx, pending{Row: StagedRow{Kind: mp.Kind, Sheet: name, Num: n, Action: ActSkip, Reason: ReasonBlank}}); err != nil {
				return err
			}
		}
		blanks = blanks[:0]
		if r.Hidden {
			return a.add(ctx, pending{Row: StagedRow{Kind: mp.Kind, Sheet: name, Num: r.Num, Action: ActSkip, Reason: "hidden row"}})
		}
		vr := a.v.Row(mp, r)
		if mp.Kind == mapping.Sessions {
			return nil // staged by Finish
		}
		return a.stage(ctx, vr, mp)
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

// ReasonBlank is why a blank row is skipped.
const ReasonBlank = "blank"

// idSample is how many rows after the first ones the analysis reads
// ahead to judge a column's values.
const idSample = 200

func cloneRow(r sheet.Row) sheet.Row {
	return sheet.Row{Num: r.Num, Cells: slices.Clone(r.Cells), Types: slices.Clone(r.Types), Hidden: r.Hidden}
}

// notAnID says why the values of column col (in the rows after the
// header) do not look like ids, or "": many of them repeat (a category,
// such as a ticket type), or most are words ("Standard", "Early Bird"):
// a capitalised word or several, where ids have digits or are slugs.
func notAnID(rows []sheet.Row, header, col int) string {
	seen := map[string]int{}
	var repeat string
	values, words := 0, 0
	for _, r := range rows {
		if r.Num <= header || col >= len(r.Cells) {
			continue
		}
		v := strings.TrimSpace(r.Cells[col])
		if v == "" {
			continue
		}
		values++
		if isWord(v) {
			words++
		}
		if first, ok := seen[v]; ok && repeat == "" {
			repeat = fmt.Sprintf("%s in rows %d and %d", v, first, r.Num)
		} else if !ok {
			seen[v] = r.Num
		}
	}
	switch {
	case values < 2:
		return ""
	case repeat != "" && len(seen)*4 <= values*3:
		return "its values repeat (" + repeat + ")"
	case words*2 > values:
		return "most of its values are words, not ids"
	}
	return ""
}

// isWord reports whether v is letters and spaces only and capitalised or
// of several words: "VIP", "Early Bird", not "spk-1" or "curie".
func isWord(v string) bool {
	for _, r := range v {
		if !unicode.IsLetter(r) && r != ' ' {
			return false
		}
	}
	first, _ := utf8.DecodeRuneInString(v)
	return unicode.IsUpper(first) || strings.Contains(v, " ")
}

// sheetHeaders are the texts of a sheet's header row, or of its first
// row when none was found: what an unreadable file is said to hold.
type sheetHeaders struct {
	sheet   string
	headers []string
}

func headerCells(m mapping.Sheet, head [][]string, nums []int) []string {
	row := head[0]
	for i, n := range nums {
		if n == m.HeaderRow {
			row = head[i]
		}
	}
	var out []string
	for _, c := range row {
		if c = strings.TrimSpace(c); c != "" {
			out = append(out, strconv.Quote(c))
		}
	}
	return out
}

// expected says which columns a kind of sheet needs.
func expected(k mapping.Kind) string {
	switch k {
	case mapping.Attendees:
		return "attendees need Email and Name, or First name and Last name"
	case mapping.Speakers:
		return "speakers need Name and an ID or Email"
	}
	return "sessions need Title, Start and End (a Date column too when Start and End are times)"
}

// notImported records a sheet the analysis recognised (by its name or
// its headers) and will not import: the import fails, naming it, until
// the organizer fixes the mapping or leaves the sheet out.
func (a *analysis) notImported(name, format string, args ...any) {
	msg := fmt.Sprintf("sheet %q is not imported: ", name) + fmt.Sprintf(format, args...)
	a.problem(name, false, "%s", msg)
	a.refused = append(a.refused, msg)
}

// notStored warns about columns hub has no field for: speakers have no
// custom fields, attendees no VIP flag (custom columns of attendees are
// kept as the member's custom profile fields).
func (a *analysis) notStored(m *mapping.Sheet) {
	var cols []string
	for _, c := range m.Columns {
		if (c.Custom != "" && m.Kind != mapping.Attendees) || (m.Kind == mapping.Attendees && c.Field == mapping.VIP) {
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
				a.notImported(m.Name, "the app has no event %s", imp.EventID)
				m.Kind = ""
				return nil
			}
		case len(evs) == 1:
			a.event = &evs[0]
			imp.EventID = evs[0].ID
		default:
			a.notImported(m.Name, "the app has %d events; choose the event of these sessions (event_id)", len(evs))
			m.Kind = ""
			return nil
		}
		ag, err := s.hub.Agenda(ctx, hub.AgendaParams{AppRef: rpc.AppRef{App: imp.AppID}, Event: a.event.ID})
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
	if a.v == nil || m.Kind == mapping.Sessions {
		opts := validate.Options{Dates: validate.Dates{Order: imp.Options.DateOrder, Date1904: a.book.Date1904()}}
		if a.event != nil {
			opts.Event.ID, opts.Event.TimeZone = a.event.ID, a.event.TimeZone
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

// add numbers a row and queues it for the stager, a batch at a time.
func (a *analysis) add(ctx context.Context, p pending) error {
	a.seq[p.Row.Kind]++
	p.Row.Seq = seqBase(p.Row.Kind) + a.seq[p.Row.Kind]
	a.buf = append(a.buf, p)
	a.total++
	if len(a.buf) >= flushRows {
		return a.flush(ctx)
	}
	return nil
}

// flush hands the queued rows to the stager.
func (a *analysis) flush(ctx context.Context) error {
	if len(a.buf) == 0 {
		return nil
	}
	err := a.st.send(ctx, stagerMsg{rows: a.buf})
	a.buf = make([]pending, 0, flushRows)
	return err
}

// stage queues a validated row.
func (a *analysis) stage(ctx context.Context, vr *validate.Row, m *mapping.Sheet) error {
	return a.add(ctx, pending{Row: StagedRow{Kind: vr.Kind, Sheet: vr.Sheet, Num: vr.Num, Key: vr.Key, Problems: vr.Problems}, V: vr, Sheet: m})
}

// stager decides and writes the staged rows of an analysis while the
// analysis reads the next batch: one goroutine decides (asking hub about
// attendees), another writes what the first decided, so that reading,
// hub's dry run and the COPY of three batches overlap.
type stager struct {
	a      *analysis
	in     chan stagerMsg
	out    chan stagerMsg
	done   chan struct{}
	err    error // of the writer; read after done
	counts Counts
}

// stagerMsg is a batch of rows (pending in, decided out), or a request to
// report when every batch before it is written (ack set).
type stagerMsg struct {
	rows    []pending
	decided []StagedRow
	err     error
	ack     chan error
}

func startStager(ctx context.Context, a *analysis) *stager {
	st := &stager{a: a, in: make(chan stagerMsg, 1), out: make(chan stagerMsg, 1), done: make(chan struct{}), counts: Counts{}}
	go func() { // decide
		defer close(st.out)
		var err error
		for m := range st.in {
			if m.ack == nil && err == nil {
				m.decided, err = st.batch(ctx, m.rows)
				m.rows = nil
			}
			m.err = err
			st.out <- m
		}
	}()
	go func() { // write
		defer close(st.done)
		for m := range st.out {
			if st.err == nil {
				st.err = m.err
			}
			if m.ack != nil {
				m.ack <- st.err
				continue
			}
			if st.err != nil {
				continue
			}
			for _, r := range m.decided {
				st.counts.Add(r.Kind, r.Action, 1)
			}
			st.err = a.s.store.InsertRows(ctx, a.imp.ID, m.decided)
		}
	}()
	return st
}

func (st *stager) send(ctx context.Context, m stagerMsg) error {
	select {
	case st.in <- m:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// sync waits until every batch sent is written.
func (st *stager) sync(ctx context.Context) error {
	ack := make(chan error, 1)
	if err := st.send(ctx, stagerMsg{ack: ack}); err != nil {
		return err
	}
	select {
	case err := <-ack:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// stop waits for the stager to finish and returns the counts.
func (st *stager) stop() (Counts, error) {
	close(st.in)
	<-st.done
	return st.counts, st.err
}

// batch decides what the commit does with each row and stages them. The
// attendees go to hub in a dry run of the upsert that the commit will make
// (merge: blank cells and missing columns keep what hub has), which says
// whether each would be created, updated or left unchanged, or refused.
func (st *stager) batch(ctx context.Context, rows []pending) ([]StagedRow, error) {
	a := st.a
	out := make([]StagedRow, len(rows))
	var members []hub.MemberInput
	var memberRows []int
	for i, p := range rows {
		r := p.Row
		if p.V != nil {
			if act, reason := rejected(p.V); act != "" {
				r.Action, r.Reason = act, reason
			} else if p.V.Kind == mapping.Attendees {
				members = append(members, memberInput(p.V, nil))
				memberRows = append(memberRows, i)
				out[i] = r
				continue
			} else {
				act, reason, input := a.decide(p.V)
				r.Action, r.Reason = act, reason
				if err := setInput(&r, input); err != nil {
					return nil, err
				}
			}
		}
		out[i] = r
	}
	if len(members) > 0 {
		outcomes, refused, err := a.dryRun(ctx, members)
		if err != nil {
			return nil, err
		}
		mode := a.imp.Options.Mode
		for j, i := range memberRows {
			r := &out[i]
			switch outcome := outcomes[j]; {
			case outcome == hub.RowRejected:
				refuse(r, rows[i].Sheet, refused[j])
			case outcome == hub.RowSkipped:
				r.Action, r.Reason = ActSkip, mode.skipReason()
			case outcome == hub.RowUnchanged:
				r.Action, r.Reason = ActSkip, "unchanged"
			case outcome == hub.RowUpdated:
				r.Action = ActUpdate
			default:
				r.Action = ActCreate
			}
			if r.Action == ActCreate || r.Action == ActUpdate {
				if err := setInput(r, members[j]); err != nil {
					return nil, err
				}
			}
		}
	}
	return out, nil
}

// dryRun asks hub what each attendee row would do (the outcome of each,
// hub.RowRejected for those it refuses, with their errors by row), the
// rows its schema refuses taken out (see isolate).
func (a *analysis) dryRun(ctx context.Context, members []hub.MemberInput) ([]string, map[int][]hub.RowError, error) {
	outcomes := make([]string, len(members))
	var refused []hub.RowError
	invalid, err := isolate(indexes(len(members)), rowList(mapping.Attendees), func(idx []int) error {
		p := hub.BulkMembersParams{AppRef: rpc.AppRef{App: a.imp.AppID}, DryRun: true, Merge: true, Mode: string(a.imp.Options.Mode),
			Members: make([]hub.MemberInput, len(idx))}
		for j, i := range idx {
			p.Members[j] = members[i]
		}
		res, err := a.s.hub.BulkMembers(ctx, p)
		if err != nil {
			return err
		}
		if len(res.Rows) != len(idx) {
			return fmt.Errorf("hub's dry run answered %d rows for %d", len(res.Rows), len(idx))
		}
		for j, i := range idx {
			outcomes[i] = res.Rows[j]
		}
		for _, e := range res.Errors {
			if e.Row < 0 || e.Row >= len(idx) {
				return fmt.Errorf("hub's dry run named row %d of %d", e.Row, len(idx))
			}
			e.Row = idx[e.Row]
			refused = append(refused, e)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	for _, e := range invalid {
		outcomes[e.Row] = hub.RowRejected
	}
	return outcomes, byRow(append(refused, invalid...)), nil
}

// rejected is the reject action of a row with an error, or "".
func rejected(vr *validate.Row) (Action, string) {
	for _, p := range vr.Problems {
		if !p.Warning {
			return ActReject, p.Message
		}
	}
	return "", ""
}

func setInput(r *StagedRow, input any) error {
	if input == nil {
		return nil
	}
	b, err := json.Marshal(input)
	r.Input = b
	return err
}

// decide says what the commit does with a valid speaker or session row.
func (a *analysis) decide(vr *validate.Row) (Action, string, any) {
	mode := a.imp.Options.Mode
	var found bool
	var in, old any
	switch vr.Kind {
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
	case found && mode == Create, !found && mode == Update:
		return ActSkip, mode.skipReason(), nil
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
