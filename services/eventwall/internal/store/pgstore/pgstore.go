// Package pgstore keeps what eventwall holds true in Postgres (schema
// "eventwall", migrations/): the walls' settings and screen tokens, the
// moderators' decisions about posts, and the authors' profiles from hub's
// member events. Redis holds copies that eventwall rebuilds from here.
package pgstore

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/attendify/eventwall/internal/service"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/pg"
)

// Store implements service.WallStore, service.ModerationStore and
// service.Profiles.
type Store struct {
	pool *pgxpool.Pool
}

var (
	_ service.WallStore       = (*Store)(nil)
	_ service.ModerationStore = (*Store)(nil)
	_ service.Profiles        = (*Store)(nil)
)

// New returns a store on pool, whose connections have eventwall's schema
// first in search_path (pg.Open does that).
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

const columns = `id, app_id, event_id, title, layout, background, text_color, accent, logo_url,
	scope, hashtags, photos_only, moderation, blocklist, allow_list, blocked_authors,
	display_seconds, paused, public, screen_key, screen_token, version, moderation_version, created_at, updated_at`

func scanWall(row pgx.Row) (service.Wall, error) {
	var w service.Wall
	err := row.Scan(&w.ID, &w.App, &w.Event, &w.Title, &w.Layout, &w.Theme.Background, &w.Theme.Text, &w.Theme.Accent, &w.Theme.Logo,
		&w.Rules.Scope, &w.Rules.Hashtags, &w.Rules.PhotosOnly, &w.Rules.Mode, &w.Rules.Blocklist, &w.Rules.AllowList, &w.Rules.BlockedAuthors,
		&w.DisplaySeconds, &w.Paused, &w.Public, &w.ScreenKey, &w.Token, &w.Version, &w.ModerationVersion, &w.CreatedAt, &w.UpdatedAt)
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
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25)`
	_, err := s.pool.Exec(ctx, q, w.ID, w.App, w.Event, w.Title, w.Layout, w.Theme.Background, w.Theme.Text, w.Theme.Accent, w.Theme.Logo,
		w.Rules.Scope, nonNil(w.Rules.Hashtags), w.Rules.PhotosOnly, w.Rules.Mode, nonNil(w.Rules.Blocklist), nonNil(w.Rules.AllowList),
		nonNil(w.Rules.BlockedAuthors), w.DisplaySeconds, w.Paused, w.Public, w.ScreenKey, w.Token, w.Version, w.ModerationVersion, w.CreatedAt, w.UpdatedAt)
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

// WallByToken implements service.WallStore.
func (s *Store) WallByToken(ctx context.Context, token string) (service.Wall, error) {
	const q = `SELECT ` + columns + ` FROM walls WHERE screen_token = $1`
	w, err := scanWall(s.pool.QueryRow(ctx, q, token))
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
			blocked_authors = $15, display_seconds = $16, paused = $17, public = $18, screen_key = $19, screen_token = $20,
			version = version + 1, updated_at = now()
			WHERE app_id = $1 AND id = $2
			RETURNING version, updated_at`
		err = tx.QueryRow(ctx, u, app, id, w.Title, w.Layout, w.Theme.Background, w.Theme.Text, w.Theme.Accent, w.Theme.Logo,
			w.Rules.Scope, nonNil(w.Rules.Hashtags), w.Rules.PhotosOnly, w.Rules.Mode, nonNil(w.Rules.Blocklist), nonNil(w.Rules.AllowList),
			nonNil(w.Rules.BlockedAuthors), w.DisplaySeconds, w.Paused, w.Public, w.ScreenKey, w.Token).Scan(&w.Version, &w.UpdatedAt)
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

// Moderate implements service.ModerationStore. The wall's row lock orders every
// decision about its posts: versions grow in the order of the commits.
func (s *Store) Moderate(ctx context.Context, ref service.PostRef, change func(*service.Moderation)) (service.Moderation, error) {
	app, wall, post := ref.App, ref.Wall, ref.Post
	var out service.Moderation
	err := pg.InTx(ctx, s.pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
		const bump = `UPDATE walls SET moderation_version = moderation_version + 1
			WHERE app_id = $1 AND id = $2 RETURNING moderation_version`
		var version int64
		if err := tx.QueryRow(ctx, bump, app, wall).Scan(&version); err != nil {
			return notFound(err)
		}
		const q = `SELECT verdict, mark FROM moderation WHERE wall_id = $1 AND post_id = $2`
		m := service.Moderation{Post: post}
		if err := tx.QueryRow(ctx, q, wall, post).Scan(&m.Verdict, &m.Mark); err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return pg.Err(err)
		}
		change(&m)
		m.Post, m.Version = post, version
		const u = `INSERT INTO moderation (wall_id, post_id, verdict, mark, version) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (wall_id, post_id) DO UPDATE SET
				verdict = excluded.verdict, mark = excluded.mark, version = excluded.version, updated_at = now()`
		if _, err := tx.Exec(ctx, u, wall, post, m.Verdict, m.Mark, m.Version); err != nil {
			return pg.Err(err)
		}
		out = m
		return nil
	})
	return out, err
}

// Moderations implements service.ModerationStore: one statement, so one snapshot
// of the version and the rows.
func (s *Store) Moderations(ctx context.Context, wall string) (service.Moderations, error) {
	const q = `SELECT w.moderation_version, m.post_id, m.verdict, m.mark, m.version
		FROM walls w LEFT JOIN moderation m ON m.wall_id = w.id
		WHERE w.id = $1 ORDER BY m.post_id`
	rows, err := s.pool.Query(ctx, q, wall)
	if err != nil {
		return service.Moderations{}, pg.Err(err)
	}
	defer rows.Close()
	out := service.Moderations{Version: -1}
	for rows.Next() {
		var post, verdict, mark *string
		var version *int64
		if err := rows.Scan(&out.Version, &post, &verdict, &mark, &version); err != nil {
			return service.Moderations{}, pg.Err(err)
		}
		if post != nil {
			out.Posts = append(out.Posts, service.Moderation{Post: *post, Verdict: *verdict, Mark: *mark, Version: *version})
		}
	}
	if err := rows.Err(); err != nil {
		return service.Moderations{}, pg.Err(err)
	}
	if out.Version < 0 {
		return service.Moderations{}, errs.New(errs.NotFound, "no such wall")
	}
	return out, nil
}

// Profiles implements service.Profiles.
func (s *Store) Profiles(ctx context.Context, app string, members []string) (map[string]service.Profile, error) {
	out := make(map[string]service.Profile, len(members))
	if len(members) == 0 {
		return out, nil
	}
	const q = `SELECT member_id, name, photo_url FROM authors
		WHERE app_id = $1 AND member_id = ANY($2) AND NOT deleted`
	rows, err := s.pool.Query(ctx, q, app, members)
	if err != nil {
		return nil, pg.Err(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var p service.Profile
		if err := rows.Scan(&id, &p.Name, &p.PhotoURL); err != nil {
			return nil, pg.Err(err)
		}
		out[id] = p
	}
	return out, pg.Err(rows.Err())
}

// SaveProfile implements service.Profiles.
func (s *Store) SaveProfile(ctx context.Context, app, member string, p service.Profile, at time.Time) error {
	const q = `INSERT INTO authors (app_id, member_id, name, photo_url, updated_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (app_id, member_id) DO UPDATE SET
			name = excluded.name, photo_url = excluded.photo_url, updated_at = excluded.updated_at
		WHERE authors.updated_at <= excluded.updated_at AND NOT authors.deleted`
	_, err := s.pool.Exec(ctx, q, app, member, p.Name, p.PhotoURL, at)
	return pg.Err(err)
}

// ResyncProfile implements service.Profiles.
func (s *Store) ResyncProfile(ctx context.Context, app, member string, p service.Profile, at, before time.Time) (bool, error) {
	const q = `WITH old AS (SELECT name, photo_url FROM authors WHERE app_id = $1 AND member_id = $2)
		INSERT INTO authors (app_id, member_id, name, photo_url, updated_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (app_id, member_id) DO UPDATE SET
			name = excluded.name, photo_url = excluded.photo_url, updated_at = excluded.updated_at
		WHERE authors.updated_at < $6 AND NOT authors.deleted
		RETURNING coalesce((SELECT (old.name, old.photo_url) IS DISTINCT FROM ($3::text, $4::text) FROM old), true)`
	var changed bool
	err := s.pool.QueryRow(ctx, q, app, member, p.Name, p.PhotoURL, at, before).Scan(&changed)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil // a newer or deleted profile stays
	}
	return changed, pg.Err(err)
}

// ProfileMembers implements service.Profiles.
func (s *Store) ProfileMembers(ctx context.Context, app string, before time.Time) ([]string, error) {
	const q = `SELECT member_id FROM authors WHERE app_id = $1 AND NOT deleted AND updated_at < $2`
	rows, err := s.pool.Query(ctx, q, app, before)
	if err != nil {
		return nil, pg.Err(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return out, pg.Err(err)
}

// DeleteProfile implements service.Profiles: the row stays, empty, so that
// no older event brings the name back.
func (s *Store) DeleteProfile(ctx context.Context, app, member string, at time.Time) error {
	const q = `INSERT INTO authors (app_id, member_id, deleted, updated_at) VALUES ($1, $2, true, $3)
		ON CONFLICT (app_id, member_id) DO UPDATE SET
			name = '', photo_url = '', deleted = true, updated_at = greatest(authors.updated_at, excluded.updated_at)`
	_, err := s.pool.Exec(ctx, q, app, member, at)
	return pg.Err(err)
}
