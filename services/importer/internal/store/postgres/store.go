// Package postgres keeps the importer's imports, uploaded files (in 1 MiB
// chunks) and staged rows in Postgres, and starts their River jobs in the
// same transactions as the status changes that call for them.
package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/attendify/importer/internal/service"
	"github.com/attendify/importer/internal/validate"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/pg"
)

// Enqueuer inserts a job in a transaction (River).
type Enqueuer interface {
	Enqueue(ctx context.Context, tx pgx.Tx, j service.Job) (int64, error)
}

// Store implements service.Store.
type Store struct {
	pool *pgxpool.Pool
	jobs Enqueuer
	// PickupGrace is how long a newly enqueued job may wait in the queue
	// before the reaper enqueues another.
	PickupGrace time.Duration
}

var _ service.Store = (*Store)(nil)

// New returns a store on pool (search_path on the importer's schema).
func New(pool *pgxpool.Pool, jobs Enqueuer) *Store {
	return &Store{pool: pool, jobs: jobs, PickupGrace: time.Minute}
}

const importCols = `id, app_id, event_id, created_by, file_name, file_size, file_sha256, format, status, gen, options, mapping,
	problems, error_code, error_message, counts, result, rows_total, rows_done, batches_done, cursor_seq, created_at, updated_at, finished_at, expired_at`

func scanImport(row pgx.Row) (*service.Import, error) {
	var imp service.Import
	var opts, mp, probs, counts, result []byte
	err := row.Scan(&imp.ID, &imp.AppID, &imp.EventID, &imp.CreatedBy, &imp.FileName, &imp.FileSize, &imp.FileSHA256, &imp.Format,
		&imp.Status, &imp.Gen, &opts, &mp, &probs, &imp.ErrorCode, &imp.ErrorMessage, &counts, &result, &imp.RowsTotal,
		&imp.RowsDone, &imp.BatchesDone, &imp.CursorSeq, &imp.CreatedAt, &imp.UpdatedAt, &imp.FinishedAt, &imp.ExpiredAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errs.New(errs.NotFound, "no such import")
	}
	if err != nil {
		return nil, pg.Err(err)
	}
	for _, x := range []struct {
		b []byte
		v any
	}{{opts, &imp.Options}, {mp, &imp.Mapping}, {probs, &imp.Problems}, {counts, &imp.Counts}, {result, &imp.Result}} {
		if err := json.Unmarshal(x.b, x.v); err != nil {
			return nil, fmt.Errorf("decode import %s: %w", imp.ID, err)
		}
	}
	return &imp, nil
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// CreateImport inserts a new import. With admit, it first locks the app's
// row of import_quotas (creating it), so that the uploads of an app
// measure its usage and insert one after the other.
func (s *Store) CreateImport(ctx context.Context, imp *service.Import, admit func(service.Usage) error) error {
	return pg.InTx(ctx, s.pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
		if admit != nil {
			const lock = `INSERT INTO import_quotas (app_id) VALUES ($1) ON CONFLICT (app_id) DO UPDATE SET app_id = excluded.app_id`
			if _, err := tx.Exec(ctx, lock, imp.AppID); err != nil {
				return pg.Err(err)
			}
			const usage = `SELECT coalesce(sum(file_size), 0), count(*) FILTER (WHERE status IN ('uploading', 'analyzing'))
				FROM imports WHERE app_id = $1 AND expired_at IS NULL`
			var u service.Usage
			if err := tx.QueryRow(ctx, usage, imp.AppID).Scan(&u.Bytes, &u.Analyses); err != nil {
				return pg.Err(err)
			}
			if err := admit(u); err != nil {
				return err
			}
		}
		const q = `INSERT INTO imports (id, app_id, event_id, created_by, file_name, file_size, status, options)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`
		_, err := tx.Exec(ctx, q, imp.ID, imp.AppID, imp.EventID, imp.CreatedBy, imp.FileName, imp.FileSize, imp.Status, mustJSON(imp.Options))
		return pg.Err(err)
	})
}

// Expire implements service.RetentionStore: it marks the imports due,
// e.Batch per short transaction (SKIP LOCKED: an import being updated
// waits for the next run), then purges the marked ones.
func (s *Store) Expire(ctx context.Context, e service.Expiry) (int, error) {
	batch := max(e.Batch, 1)
	const mark = `UPDATE imports i SET expired_at = now(), updated_at = now(), lease_job = NULL, lease_until = NULL,
			status = CASE WHEN i.status IN ('ready', 'uploading') THEN 'canceled' ELSE i.status END,
			error_code = CASE i.status WHEN 'ready' THEN $4 WHEN 'uploading' THEN $6 ELSE i.error_code END,
			error_message = CASE i.status WHEN 'ready' THEN $5 WHEN 'uploading' THEN $7 ELSE i.error_message END,
			finished_at = CASE WHEN i.status IN ('ready', 'uploading') THEN now() ELSE i.finished_at END
		WHERE i.id IN (
			SELECT id FROM imports WHERE expired_at IS NULL AND (
				(status IN ('done', 'canceled', 'failed') AND finished_at < $1)
				OR (status = 'ready' AND updated_at < $2)
				OR (status = 'uploading' AND updated_at < $3))
			LIMIT $8 FOR UPDATE SKIP LOCKED)
		RETURNING i.id`
	n := 0
	for {
		rows, err := s.pool.Query(ctx, mark, e.Ended, e.Abandoned, e.Interrupted, e.AbandonedFailure.Code, e.AbandonedFailure.Message,
			e.InterruptedFailure.Code, e.InterruptedFailure.Message, batch)
		if err != nil {
			return n, pg.Err(err)
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return n, pg.Err(err)
		}
		n += len(ids)
		if len(ids) < batch {
			break
		}
	}
	return n, s.purge(ctx, batch)
}

// purgeChunks is the file chunks (1 MiB each) deleted per statement.
const purgeChunks = 16

// purge deletes the file chunks and staged rows of the expired imports, a
// statement (its own transaction) per batch: no lock is held between two,
// and nothing else writes an expired import's chunks or rows.
func (s *Store) purge(ctx context.Context, batch int) error {
	const next = `SELECT id FROM imports WHERE expired_at IS NOT NULL AND purged_at IS NULL ORDER BY expired_at LIMIT 1`
	const chunks = `DELETE FROM import_file_chunks c USING (
			SELECT seq FROM import_file_chunks WHERE import_id = $1 ORDER BY seq LIMIT $2) b
		WHERE c.import_id = $1 AND c.seq = b.seq`
	const rows = `DELETE FROM import_rows r USING (
			SELECT seq FROM import_rows WHERE import_id = $1 ORDER BY seq LIMIT $2) b
		WHERE r.import_id = $1 AND r.seq = b.seq`
	const done = `UPDATE imports SET purged_at = now() WHERE id = $1`
	for {
		var id string
		if err := s.pool.QueryRow(ctx, next).Scan(&id); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return nil
			}
			return pg.Err(err)
		}
		for _, d := range []struct {
			q string
			n int
		}{{chunks, purgeChunks}, {rows, batch}} {
			for {
				tag, err := s.pool.Exec(ctx, d.q, id, d.n)
				if err != nil {
					return pg.Err(err)
				}
				if tag.RowsAffected() < int64(d.n) {
					break
				}
			}
		}
		if _, err := s.pool.Exec(ctx, done, id); err != nil {
			return pg.Err(err)
		}
	}
}

// AppendChunk stores one chunk of an uploaded file.
func (s *Store) AppendChunk(ctx context.Context, id string, seq int, data []byte) error {
	const q = `INSERT INTO import_file_chunks (import_id, seq, data) VALUES ($1, $2, $3)`
	_, err := s.pool.Exec(ctx, q, id, seq, data)
	return pg.Err(err)
}

// DeleteImport deletes an import with its file and rows.
func (s *Store) DeleteImport(ctx context.Context, id string) error {
	const q = `DELETE FROM imports WHERE id = $1`
	_, err := s.pool.Exec(ctx, q, id)
	return pg.Err(err)
}

// ReadFile writes the stored file to w, chunk by chunk.
func (s *Store) ReadFile(ctx context.Context, id string, w io.Writer) error {
	const q = `SELECT data FROM import_file_chunks WHERE import_id = $1 AND seq = $2`
	for seq := 0; ; seq++ {
		var data []byte
		err := s.pool.QueryRow(ctx, q, id, seq).Scan(&data)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return pg.Err(err)
		}
		if _, err := w.Write(data); err != nil {
			return err
		}
	}
}

// Get returns an import of an app.
func (s *Store) Get(ctx context.Context, ref service.ImportRef) (*service.Import, error) {
	const q = `SELECT ` + importCols + ` FROM imports WHERE id = $1 AND app_id = $2`
	return scanImport(s.pool.QueryRow(ctx, q, ref.ID, ref.App))
}

// List returns a page of an app's imports, newest first.
func (s *Store) List(ctx context.Context, app string, page service.Page) ([]*service.Import, error) {
	const q = `SELECT ` + importCols + ` FROM imports WHERE app_id = $1 AND status <> 'uploading' AND ($3 = '' OR id < $3)
		ORDER BY id DESC LIMIT $2`
	rows, err := s.pool.Query(ctx, q, app, page.Limit, page.Before)
	if err != nil {
		return nil, pg.Err(err)
	}
	defer rows.Close()
	var out []*service.Import
	for rows.Next() {
		imp, err := scanImport(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, imp)
	}
	return out, pg.Err(rows.Err())
}

// UpdateImport runs update on the import under its row lock, stores it,
// and deletes its rows or starts a job as update asks, in one transaction.
func (s *Store) UpdateImport(ctx context.Context, ref service.ImportRef, update func(imp *service.Import) (service.Followup, error)) (*service.Import, error) {
	var out *service.Import
	err := pg.InTx(ctx, s.pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
		const lock = `SELECT ` + importCols + ` FROM imports WHERE id = $1 AND app_id = $2 FOR UPDATE`
		imp, err := scanImport(tx.QueryRow(ctx, lock, ref.ID, ref.App))
		if err != nil {
			return err
		}
		gen := imp.Gen // the store's
		then, err := update(imp)
		if err != nil {
			return err
		}
		if then.DeleteRows {
			if _, err := tx.Exec(ctx, `DELETE FROM import_rows WHERE import_id = $1`, ref.ID); err != nil {
				return pg.Err(err)
			}
		}
		const q = `UPDATE imports SET status = $2, options = $3, event_id = $4, file_size = $5, file_sha256 = $6, mapping = $7,
			problems = $8, counts = $9, result = $10, error_code = $11, error_message = $12, rows_total = $13, rows_done = $14,
			batches_done = $15, cursor_seq = $16, updated_at = now(),
			finished_at = CASE WHEN $2 IN ('canceled', 'done', 'failed') THEN now() END WHERE id = $1`
		if _, err := tx.Exec(ctx, q, ref.ID, imp.Status, mustJSON(imp.Options), imp.EventID, imp.FileSize, imp.FileSHA256,
			mustJSON(nonNil(imp.Mapping)), mustJSON(nonNil(imp.Problems)), mustJSON(nonNilMap(imp.Counts)), mustJSON(nonNilMap(imp.Result)),
			imp.ErrorCode, imp.ErrorMessage, imp.RowsTotal, imp.RowsDone, imp.BatchesDone, imp.CursorSeq); err != nil {
			return pg.Err(err)
		}
		if then.Start != "" {
			gen++
			job, err := s.jobs.Enqueue(ctx, tx, service.Job{Kind: then.Start, Import: ref.ID, Gen: gen})
			if err != nil {
				return err
			}
			const q = `UPDATE imports SET gen = $2, lease_job = $3, lease_until = now() + $4::interval WHERE id = $1`
			if _, err := tx.Exec(ctx, q, ref.ID, gen, job, s.PickupGrace.String()); err != nil {
				return pg.Err(err)
			}
		}
		out, err = scanImport(tx.QueryRow(ctx, `SELECT `+importCols+` FROM imports WHERE id = $1`, ref.ID))
		return err
	})
	return out, err
}

// Claim takes an import's lease for job.
func (s *Store) Claim(ctx context.Context, c service.Claim) (*service.Import, bool, error) {
	statuses := []string{string(c.Status)}
	if c.Status == service.Committing {
		statuses = append(statuses, string(service.Canceling))
	}
	const q = `UPDATE imports SET lease_job = $4, lease_until = now() + $5::interval
		WHERE id = $1 AND gen = $2 AND status = ANY($3)
		  AND (lease_job IS NULL OR lease_job = $4 OR lease_until < now())
		RETURNING ` + importCols
	imp, err := scanImport(s.pool.QueryRow(ctx, q, c.ID, c.Gen, statuses, c.Job, c.TTL.String()))
	if errors.Is(err, errs.NotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return imp, true, nil
}

// Heartbeat extends job's lease.
func (s *Store) Heartbeat(ctx context.Context, id string, job int64, ttl time.Duration) (bool, error) {
	const q = `UPDATE imports SET lease_until = now() + $3::interval WHERE id = $1 AND lease_job = $2`
	tag, err := s.pool.Exec(ctx, q, id, job, ttl.String())
	if err != nil {
		return false, pg.Err(err)
	}
	return tag.RowsAffected() == 1, nil
}

// Reap re-enqueues the job of every import whose lease ran out (its
// worker died), each in its own transaction with the new lease, so that
// replicas reaping at once enqueue one job per import.
func (s *Store) Reap(ctx context.Context, grace time.Duration) (int, error) {
	const q = `SELECT id FROM imports WHERE status IN ('analyzing', 'committing', 'canceling') AND lease_until < now() LIMIT 100`
	rows, err := s.pool.Query(ctx, q)
	if err != nil {
		return 0, pg.Err(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return 0, pg.Err(err)
	}
	n := 0
	for _, id := range ids {
		err := pg.InTx(ctx, s.pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
			const lock = `SELECT status, gen FROM imports WHERE id = $1 AND lease_until < now() FOR UPDATE SKIP LOCKED`
			var st service.Status
			var gen int
			if err := tx.QueryRow(ctx, lock, id).Scan(&st, &gen); err != nil {
				if errors.Is(err, pgx.ErrNoRows) {
					return nil
				}
				return pg.Err(err)
			}
			kind := service.JobCommit
			if st == service.Analyzing {
				kind = service.JobAnalyze
			}
			job, err := s.jobs.Enqueue(ctx, tx, service.Job{Kind: kind, Import: id, Gen: gen})
			if err != nil {
				return err
			}
			const q = `UPDATE imports SET lease_job = $2, lease_until = now() + $3::interval WHERE id = $1`
			if _, err := tx.Exec(ctx, q, id, job, grace.String()); err != nil {
				return pg.Err(err)
			}
			n++
			return nil
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// DeleteRows deletes the staged rows of an import.
func (s *Store) DeleteRows(ctx context.Context, id string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM import_rows WHERE import_id = $1`, id)
	return pg.Err(err)
}

// InsertRows stages rows with COPY.
func (s *Store) InsertRows(ctx context.Context, id string, rows []service.StagedRow) error {
	cols := []string{"import_id", "seq", "kind", "sheet", "row_num", "key", "action", "reason", "problems", "input"}
	_, err := s.pool.CopyFrom(ctx, pgx.Identifier{"import_rows"}, cols, pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) {
		r := &rows[i]
		problems, err := problemsJSON(r.Problems)
		if err != nil {
			return nil, err
		}
		var input any // NULL when none
		if r.Input != nil {
			input = []byte(r.Input)
		}
		return []any{id, r.Seq, string(r.Kind), r.Sheet, r.Num, r.Key, string(r.Action), r.Reason, problems, input}, nil
	}))
	return pg.Err(err)
}

// problemsJSON is the problems column of a row: NULL when it has none.
func problemsJSON(ps []validate.Problem) (any, error) {
	if len(ps) == 0 {
		return nil, nil
	}
	return json.Marshal(ps)
}

// FinishAnalysis stores the outcome of an analysis if job still holds the
// lease, and releases it.
func (s *Store) FinishAnalysis(ctx context.Context, imp *service.Import, job int64) error {
	const q = `UPDATE imports SET status = $3, format = $4, mapping = $5, problems = $6, error_code = $7, error_message = $8,
		counts = $9, rows_total = $10, event_id = $11, lease_job = NULL, lease_until = NULL, updated_at = now(),
		finished_at = CASE WHEN $3 = 'failed' THEN now() END
		WHERE id = $1 AND lease_job = $2 AND status = 'analyzing'`
	tag, err := s.pool.Exec(ctx, q, imp.ID, job, imp.Status, imp.Format, mustJSON(nonNil(imp.Mapping)), mustJSON(nonNil(imp.Problems)),
		imp.ErrorCode, imp.ErrorMessage, mustJSON(nonNilMap(imp.Counts)), imp.RowsTotal, imp.EventID)
	if err != nil {
		return pg.Err(err)
	}
	if tag.RowsAffected() == 0 {
		return errs.New(errs.Conflict, "import %s changed during its analysis", imp.ID)
	}
	return nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func nonNilMap[M ~map[K]V, K comparable, V any](m M) M {
	if m == nil {
		return M{}
	}
	return m
}

const rowCols = `seq, kind, sheet, row_num, key, action, reason, problems, input`

func scanRows(rows pgx.Rows) ([]service.StagedRow, error) {
	defer rows.Close()
	var out []service.StagedRow
	for rows.Next() {
		r, err := scanRow(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, pg.Err(rows.Err())
}

// scanRow reads one row of rowCols.
func scanRow(rows pgx.Rows) (service.StagedRow, error) {
	var r service.StagedRow
	var problems, input []byte
	if err := rows.Scan(&r.Seq, &r.Kind, &r.Sheet, &r.Num, &r.Key, &r.Action, &r.Reason, &problems, &input); err != nil {
		return r, pg.Err(err)
	}
	if problems != nil {
		if err := json.Unmarshal(problems, &r.Problems); err != nil {
			return r, err
		}
	}
	r.Input = input
	return r, nil
}

// Rows returns up to limit staged rows of the given actions with seq >
// after, in order. It reads the import's rows a window of limit seqs at a
// time, through the primary key: the planner's estimates of a table that
// just took a million rows are off, and a query it could plan as "every
// remaining row, sorted" (as it once did, for each batch of a commit)
// must not exist.
func (s *Store) Rows(ctx context.Context, id string, after, limit int, actions ...service.Action) ([]service.StagedRow, error) {
	acts := make([]string, len(actions))
	for i, a := range actions {
		acts[i] = string(a)
	}
	const q = `SELECT ` + rowCols + ` FROM import_rows WHERE import_id = $1 AND seq > $2 AND seq <= $3 AND action = ANY($4)
		ORDER BY seq`
	const next = `SELECT min(seq) FROM import_rows WHERE import_id = $1 AND seq > $2`
	for {
		rows, err := s.pool.Query(ctx, q, id, after, after+limit, acts)
		if err != nil {
			return nil, pg.Err(err)
		}
		out, err := scanRows(rows)
		if err != nil || len(out) > 0 {
			return out, err
		}
		// Nothing to send in the window: go on from the next staged row.
		var n *int
		if err := s.pool.QueryRow(ctx, next, id, after+limit).Scan(&n); err != nil {
			return nil, pg.Err(err)
		}
		if n == nil {
			return nil, nil
		}
		after = *n - 1
	}
}

// SheetRows implements service.Store: one query, read as the report is
// written.
func (s *Store) SheetRows(ctx context.Context, id, sheet string) iter.Seq2[service.StagedRow, error] {
	return func(yield func(service.StagedRow, error) bool) {
		const q = `SELECT seq, kind, sheet, row_num, key, action, reason, problems, NULL::jsonb FROM import_rows
			WHERE import_id = $1 AND sheet = $2 ORDER BY row_num, seq`
		rows, err := s.pool.Query(ctx, q, id, sheet)
		if err != nil {
			yield(service.StagedRow{}, pg.Err(err))
			return
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scanRow(rows)
			if !yield(r, err) || err != nil {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(service.StagedRow{}, pg.Err(err))
		}
	}
}

// FirstRows returns the first n rows of each kind and action.
func (s *Store) FirstRows(ctx context.Context, id string, n int) ([]service.StagedRow, error) {
	const q = `SELECT ` + rowCols + ` FROM (
			SELECT *, row_number() OVER (PARTITION BY kind, action ORDER BY seq) AS rn FROM import_rows WHERE import_id = $1
		) r WHERE rn <= $2 ORDER BY seq`
	rows, err := s.pool.Query(ctx, q, id, n)
	if err != nil {
		return nil, pg.Err(err)
	}
	return scanRows(rows)
}

// CommitBatch records a committed batch, for the lease holder only.
func (s *Store) CommitBatch(ctx context.Context, id string, job int64, b service.Batch) (service.Status, error) {
	var st service.Status
	err := pg.InTx(ctx, s.pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
		const lock = `SELECT status, result FROM imports WHERE id = $1 AND lease_job = $2 FOR UPDATE`
		var raw []byte
		if err := tx.QueryRow(ctx, lock, id, job).Scan(&st, &raw); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return errs.New(errs.Conflict, "import %s: lease lost", id)
			}
			return pg.Err(err)
		}
		res := service.Result{}
		if err := json.Unmarshal(raw, &res); err != nil {
			return err
		}
		for k, r := range b.Result {
			if res[k] == nil {
				res[k] = &service.KindResult{}
			}
			res[k].Created += r.Created
			res[k].Updated += r.Updated
			res[k].Unchanged += r.Unchanged
			res[k].Skipped += r.Skipped
			res[k].Rejected += r.Rejected
		}
		for _, r := range b.Changed {
			problems, err := problemsJSON(r.Problems)
			if err != nil {
				return err
			}
			const q = `UPDATE import_rows SET action = $3, reason = $4, problems = $5 WHERE import_id = $1 AND seq = $2`
			if _, err := tx.Exec(ctx, q, id, r.Seq, string(r.Action), r.Reason, problems); err != nil {
				return pg.Err(err)
			}
		}
		const q = `UPDATE imports SET cursor_seq = $2, rows_done = rows_done + $3, batches_done = batches_done + 1, result = $4,
			lease_until = greatest(lease_until, now()), updated_at = now() WHERE id = $1`
		_, err := tx.Exec(ctx, q, id, b.LastSeq, b.Rows, mustJSON(res))
		return pg.Err(err)
	})
	return st, err
}

// FinishCommit ends a commit for the lease holder.
func (s *Store) FinishCommit(ctx context.Context, id string, job int64, status service.Status) error {
	const q = `UPDATE imports SET status = $3, lease_job = NULL, lease_until = NULL, updated_at = now(), finished_at = now()
		WHERE id = $1 AND lease_job = $2 AND status IN ('committing', 'canceling')`
	_, err := s.pool.Exec(ctx, q, id, job, status)
	return pg.Err(err)
}

// FailCommit ends a commit that hub refused.
func (s *Store) FailCommit(ctx context.Context, id string, job int64, f service.Failure) error {
	const q = `UPDATE imports SET status = 'failed', error_code = $3, error_message = $4, lease_job = NULL, lease_until = NULL,
		updated_at = now(), finished_at = now() WHERE id = $1 AND lease_job = $2`
	_, err := s.pool.Exec(ctx, q, id, job, f.Code, f.Message)
	return pg.Err(err)
}
