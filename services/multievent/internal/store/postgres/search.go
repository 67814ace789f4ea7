package postgres

import (
	"context"
	"strings"
	"time"
	"unicode"

	"github.com/jackc/pgx/v5"

	"github.com/attendify/multievent/internal/derr"
	"github.com/attendify/multievent/internal/service"
	"github.com/attendify/platform/pg"
)

// searchQuery is one statement over the five tables: each part matches
// the query against its generated tsvector (GIN-indexed) within what the
// caller may see, ranks with ts_rank (weights: titles A, companies and
// job titles B, descriptions and venues C, bios D), and the whole is
// ordered by rank, kind and id, after the previous page's last hit.
//
//	$1 app, $2 tsquery text, $3 events whose card shows, $4 events that
//	open, $5 last rank (NULL on the first page), $6 last kind, $7 last id,
//	$8 limit
const searchQuery = `
WITH q AS (SELECT to_tsquery('fold', $2) AS q),
hits AS (
	SELECT 'event' AS kind, e.id, e.id AS event_id, e.name AS title, e.venue AS subtitle, e.start_utc,
		ts_rank(e.tsv, q.q) AS rank
	FROM events e, q
	WHERE e.app_id = $1 AND NOT e.deleted AND e.id = ANY($3) AND e.tsv @@ q.q
	UNION ALL
	SELECT 'session', s.id, s.event_id, s.title, '', s.start_utc, ts_rank(s.tsv, q.q)
	FROM sessions s, q
	WHERE s.app_id = $1 AND NOT s.deleted AND s.event_id = ANY($4) AND s.tsv @@ q.q
	UNION ALL
	SELECT 'room', r.id, r.event_id, r.name, '', NULL, ts_rank(r.tsv, q.q)
	FROM rooms r, q
	WHERE r.app_id = $1 AND NOT r.deleted AND r.event_id = ANY($4) AND r.tsv @@ q.q
	UNION ALL
	SELECT 'track', t.id, t.event_id, t.name, '', NULL, ts_rank(t.tsv, q.q)
	FROM tracks t, q
	WHERE t.app_id = $1 AND NOT t.deleted AND t.event_id = ANY($4) AND t.tsv @@ q.q
	UNION ALL
	SELECT 'speaker', p.id, '', p.name, p.company, NULL, ts_rank(p.tsv, q.q)
	FROM speakers p, q
	WHERE p.app_id = $1 AND NOT p.deleted AND p.tsv @@ q.q AND (p.event_ids && $4 OR p.event_ids = '{}')
)
SELECT kind, id, event_id, title, subtitle, start_utc, rank FROM hits
WHERE $5::real IS NULL OR rank < $5 OR (rank = $5 AND (kind > $6 OR (kind = $6 AND id > $7)))
ORDER BY rank DESC, kind, id
LIMIT $8`

// Search implements service.Searcher.
func (s *Store) Search(ctx context.Context, q service.Query) (_ []service.Hit, err error) {
	defer derr.Wrap(&err, "Search(%q, %d words)", q.App, len(q.Words))
	ts := tsquery(q.Words)
	if ts == "" {
		return []service.Hit{}, nil
	}
	var rank *float32
	var kind, id string
	if q.After != nil {
		rank, kind, id = &q.After.Rank, q.After.Kind, q.After.ID
	}
	rows, err := s.pool.Query(ctx, searchQuery, q.App, ts, q.Cards, q.Agendas, rank, kind, id, q.Limit)
	if err != nil {
		return nil, pg.Err(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (service.Hit, error) {
		var h service.Hit
		var start *time.Time
		err := r.Scan(&h.Kind, &h.ID, &h.EventID, &h.Title, &h.Subtitle, &start, &h.Rank)
		if start != nil {
			h.Start = start.UTC()
		}
		return h, err
	})
	return out, pg.Err(err)
}

// tsquery builds the text of a prefix query from words: each word kept to
// its letters and digits (so nothing in it is tsquery syntax) and matched
// as a prefix; every word must match.
func tsquery(words []string) string {
	var parts []string
	for _, w := range words {
		w = strings.Map(func(r rune) rune {
			if unicode.IsLetter(r) || unicode.IsNumber(r) {
				return r
			}
			return -1
		}, w)
		if w != "" {
			parts = append(parts, w+":*")
		}
	}
	return strings.Join(parts, " & ")
}
