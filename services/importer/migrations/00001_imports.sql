-- +goose Up
-- One upload and what became of it. The file itself is kept in
-- import_file_chunks so that any replica can run the job; the validated rows
-- in import_rows, in commit order. The lease (lease_job, lease_until) says
-- which River job works the import: a killed worker's lease runs out and the
-- reaper of any replica enqueues a new job that resumes at the cursor.
CREATE TABLE imports (
    id            text PRIMARY KEY,
    app_id        text NOT NULL,
    event_id      text NOT NULL DEFAULT '',
    created_by    text NOT NULL,
    file_name     text NOT NULL,
    file_size     bigint NOT NULL DEFAULT 0,
    file_sha256   text NOT NULL DEFAULT '',
    format        text NOT NULL DEFAULT '',
    status        text NOT NULL CHECK (status IN ('uploading', 'analyzing', 'ready', 'failed', 'committing', 'canceling', 'canceled', 'done')),
    gen           int NOT NULL DEFAULT 1,
    options       jsonb NOT NULL DEFAULT '{}',
    mapping       jsonb NOT NULL DEFAULT '[]',
    problems      jsonb NOT NULL DEFAULT '[]',
    error_code    text NOT NULL DEFAULT '',
    error_message text NOT NULL DEFAULT '',
    counts        jsonb NOT NULL DEFAULT '{}',
    result        jsonb NOT NULL DEFAULT '{}',
    rows_total    int NOT NULL DEFAULT 0,
    rows_done     int NOT NULL DEFAULT 0,
    batches_done  int NOT NULL DEFAULT 0,
    cursor_seq    int NOT NULL DEFAULT 0,
    lease_job     bigint,
    lease_until   timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz
);
CREATE INDEX imports_app ON imports (app_id, created_at DESC, id DESC);
CREATE INDEX imports_leases ON imports (lease_until) WHERE status IN ('analyzing', 'committing', 'canceling');

CREATE TABLE import_file_chunks (
    import_id text NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    seq       int NOT NULL,
    data      bytea NOT NULL,
    PRIMARY KEY (import_id, seq)
);

-- seq orders the commit: attendees, then speakers, then sessions.
CREATE TABLE import_rows (
    import_id text NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    seq       int NOT NULL,
    kind      text NOT NULL,
    sheet     text NOT NULL,
    row_num   int NOT NULL,
    key       text NOT NULL DEFAULT '',
    action    text NOT NULL CHECK (action IN ('create', 'update', 'skip', 'reject')),
    reason    text NOT NULL DEFAULT '',
    record    jsonb NOT NULL,
    input     jsonb,
    PRIMARY KEY (import_id, seq)
);
CREATE INDEX import_rows_action ON import_rows (import_id, action, seq);

-- +goose Down
DROP TABLE import_rows;
DROP TABLE import_file_chunks;
DROP TABLE imports;
