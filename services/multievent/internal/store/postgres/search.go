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

// searchQuery is one statement over the five tables, in two tiers: the
// hits whose title (title_tsv; a room's or a track's tsv) holds every word
// of the query, then the others that match (tsv, every field), each tier
// ranked with ts_rank (weights: titles A, companies and job titles B,
// descriptions and venues C, bios D; normalized to rank/(rank+1), below
// 1) and the first lifted by 1 above the second. Each tier is ordered by
// rank, kind and id after the previous page's last hit and cut to the
// page; the second runs only when the first does not fill the page, so a
// short prefix that starts a word of most descriptions fetches and ranks
// the rows of its titles alone when they answer it.
//
//	$1 app, $2 tsquery text, $3 events whose card shows, $4 events that
//	open, $5 last rank (NULL on the first page), $6 last kind, $7 last id,
//	$8 limit
const searchQuery = `
WITH q AS (SELECT to_tsquery('fold', $2) AS q),
titled AS (
	SELECT 'event' AS kind, e.id, e.id AS event_id, e.name AS title, e.venue AS subtitle, e.start_utc, e.tsv
	FROM events e, q
	WHERE e.app_id = $1 AND NOT e.deleted AND e.id = ANY($3) AND e.title_tsv @@ q.q
	UNION ALL
	SELECT 'session', s.id, s.event_id, s.title, '', s.start_utc, s.tsv
	FROM sessions s, q
	WHERE s.app_id = $1 AND NOT s.deleted AND s.event_id = ANY($4) AND s.title_tsv @@ q.q
	UNION ALL
	SELECT 'room', r.id, r.event_id, r.name, '', NULL, r.tsv
	FROM rooms r, q
	WHERE r.app_id = $1 AND NOT r.deleted AND r.event_id = ANY($4) AND r.tsv @@ q.q
	UNION ALL
	SELECT 'track', t.id, t.event_id, t.name, '', NULL, t.tsv
	FROM tracks t, q
	WHERE t.app_id = $1 AND NOT t.deleted AND t.event_id = ANY($4) AND t.tsv @@ q.q
	UNION ALL
	SELECT 'speaker', p.id, '', p.name, p.company, NULL, p.tsv
	FROM speakers p, q
	WHERE p.app_id = $1 AND NOT p.deleted AND p.title_tsv @@ q.q AND (p.event_ids && $4 OR p.event_ids = '{}')
),
others AS (
	SELECT 'event' AS kind, e.id, e.id AS event_id, e.name AS title, e.venue AS subtitle, e.start_utc, e.tsv
	FROM events e, q
	WHERE e.app_id = $1 AND NOT e.deleted AND e.id = ANY($3) AND e.tsv @@ q.q AND NOT e.title_tsv @@ q.q
	UNION ALL
	SELECT 'session', s.id, s.event_id, s.title, '', s.start_utc, s.tsv
	FROM sessions s, q
	WHERE s.app_id = $1 AND NOT s.deleted AND s.event_id = ANY($4) AND s.tsv @@ q.q AND NOT s.title_tsv @@ q.q
	UNION ALL
	SELECT 'speaker', p.id, '', p.name, p.company, NULL, p.tsv
	FROM speakers p, q
	WHERE p.app_id = $1 AND NOT p.deleted AND p.tsv @@ q.q AND NOT p.title_tsv @@ q.q
		AND (p.event_ids && $4 OR p.event_ids = '{}')
)
(SELECT kind, id, event_id, title, subtitle, start_utc, rank
FROM (SELECT titled.*, 1::real + ts_rank(tsv, q.q, 32) AS rank FROM titled, q) h
WHERE ($5::real IS NULL OR $5 >= 1) AND ($5 IS NULL OR rank < $5 OR (rank = $5 AND (kind > $6 OR (kind = $6 AND id > $7))))
ORDER BY rank DESC, kind, id
LIMIT $8)
UNION ALL
(SELECT kind, id, event_id, title, subtitle, start_utc, rank
FROM (SELECT others.*, ts_rank(tsv, q.q, 32) AS rank FROM others, q) h
WHERE $5::real IS NULL OR rank < $5 OR (rank = $5 AND (kind > $6 OR (kind = $6 AND id > $7)))
ORDER BY rank DESC, kind, id
LIMIT $8)
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
