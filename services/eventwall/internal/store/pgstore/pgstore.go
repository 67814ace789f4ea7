// Package pgstore keeps the walls' settings in Postgres (schema
// "eventwall", migrations/).
package pgstore

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/attendify/eventwall/internal/service"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/pg"
)

// Store implements service.WallStore.
type Store struct {
	pool *pgxpool.Pool
}

var _ service.WallStore = (*Store)(nil)

// New returns a store on pool, whose connections have eventwall's schema
// first in search_path (pg.Open does that).
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

const columns = `id, app_id, event_id, title, layout, background, text_color, accent, logo_url,
	scope, hashtags, photos_only, moderation, blocklist, allow_list, blocked_authors,
	display_seconds, paused, public, screen_key, version, created_at, updated_at`

func scanWall(row pgx.Row) (service.Wall, error) {
	var w service.Wall
	err := row.Scan(&w.ID, &w.App, &w.Event, &w.Title, &w.Layout, &w.Theme.Background, &w.Theme.Text, &w.Theme.Accent, &w.Theme.Logo,
		&w.Rules.Scope, &w.Rules.Hashtags, &w.Rules.PhotosOnly, &w.Rules.Mode, &w.Rules.Blocklist, &w.Rules.AllowList, &w.Rules.BlockedAuthors,
		&w.DisplaySeconds, &w.Paused, &w.Public, &w.ScreenKey, &w.Version, &w.CreatedAt, &w.UpdatedAt)
	if err != nil {
		return service.Wall{}, err
	}
	w.Rules.Event = w.Event
	return w, nil
}

func collect(rows pgx.Rows) ([]service.Wall, error) {
	defer rows.Close()
	var out []service.Wall
	for rows.Next() {
		w, err := scanWall(rows)
		if err != nil {
			return nil, pg.Err(err)
		}
		out = append(out, w)
	}
	return out, pg.Err(rows.Err())
}

func nonNil(ss []string) []string {
	if ss == nil {
		return []string{}
	}
	return ss
}

// CreateWall implements service.WallStore.
func (s *Store) CreateWall(ctx context.Context, w service.Wall) error {
	const q = `INSERT INTO walls (` + columns + `)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)`
	_, err := s.pool.Exec(ctx, q, w.ID, w.App, w.Event, w.Title, w.Layout, w.Theme.Background, w.Theme.Text, w.Theme.Accent, w.Theme.Logo,
		w.Rules.Scope, nonNil(w.Rules.Hashtags), w.Rules.PhotosOnly, w.Rules.Mode, nonNil(w.Rules.Blocklist), nonNil(w.Rules.AllowList),
		nonNil(w.Rules.BlockedAuthors), w.DisplaySeconds, w.Paused, w.Public, w.ScreenKey, w.Version, w.CreatedAt, w.UpdatedAt)
	return pg.Err(err)
}

// Wall implements service.WallStore.
func (s *Store) Wall(ctx context.Context, app, id string) (service.Wall, error) {
	const q = `SELECT ` + columns + ` FROM walls WHERE app_id = $1 AND id = $2`
	w, err := scanWall(s.pool.QueryRow(ctx, q, app, id))
	return w, notFound(err)
}

// WallByID implements service.WallStore.
func (s *Store) WallByID(ctx context.Context, id string) (service.Wall, error) {
	const q = `SELECT ` + columns + ` FROM walls WHERE id = $1`
	w, err := scanWall(s.pool.QueryRow(ctx, q, id))
	return w, notFound(err)
}

func notFound(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return errs.New(errs.NotFound, "no such wall")
	}
	return pg.Err(err)
}

// Walls implements service.WallStore.
func (s *Store) Walls(ctx context.Context, app, event string) ([]service.Wall, error) {
	const q = `SELECT ` + columns + ` FROM walls
		WHERE app_id = $1 AND ($2 = '' OR event_id = $2)
		ORDER BY event_id, created_at, id`
	rows, err := s.pool.Query(ctx, q, app, event)
	if err != nil {
		return nil, pg.Err(err)
	}
	return collect(rows)
}

// AllWalls implements service.WallStore.
func (s *Store) AllWalls(ctx context.Context) ([]service.Wall, error) {
	const q = `SELECT ` + columns + ` FROM walls ORDER BY app_id, id`
	rows, err := s.pool.Query(ctx, q)
	if err != nil {
		return nil, pg.Err(err)
	}
	return collect(rows)
}

// UpdateWall implements service.WallStore.
func (s *Store) UpdateWall(ctx context.Context, app, id string, change func(*service.Wall) error) (service.Wall, error) {
	var out service.Wall
	err := pg.InTx(ctx, s.pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
		const q = `SELECT ` + columns + ` FROM walls WHERE app_id = $1 AND id = $2 FOR UPDATE`
		w, err := scanWall(tx.QueryRow(ctx, q, app, id))
		if err != nil {
			return notFound(err)
		}
		if err := change(&w); err != nil {
			return err
		}
		const u = `UPDATE walls SET title = $3, layout = $4, background = $5, text_color = $6, accent = $7, logo_url = $8,
			scope = $9, hashtags = $10, photos_only = $11, moderation = $12, blocklist = $13, allow_list = $14,
			blocked_authors = $15, display_seconds = $16, paused = $17, public = $18, screen_key = $19,
			version = version + 1, updated_at = now()
			WHERE app_id = $1 AND id = $2
			RETURNING version, updated_at`
		err = tx.QueryRow(ctx, u, app, id, w.Title, w.Layout, w.Theme.Background, w.Theme.Text, w.Theme.Accent, w.Theme.Logo,
			w.Rules.Scope, nonNil(w.Rules.Hashtags), w.Rules.PhotosOnly, w.Rules.Mode, nonNil(w.Rules.Blocklist), nonNil(w.Rules.AllowList),
			nonNil(w.Rules.BlockedAuthors), w.DisplaySeconds, w.Paused, w.Public, w.ScreenKey).Scan(&w.Version, &w.UpdatedAt)
		if err != nil {
			return pg.Err(err)
		}
		out = w
		return nil
	})
	return out, err
}

// DeleteWall implements service.WallStore.
func (s *Store) DeleteWall(ctx context.Context, app, id string) error {
	const q = `DELETE FROM walls WHERE app_id = $1 AND id = $2`
	tag, err := s.pool.Exec(ctx, q, app, id)
	if err != nil {
		return pg.Err(err)
	}
	if tag.RowsAffected() == 0 {
		return errs.New(errs.NotFound, "no such wall")
	}
	return nil
}
