package service

import (
	"context"
	"slices"
	"time"

	"github.com/attendify/platform/errs"
)

// Job names.
const (
	JobFold      = "fold"
	JobRetention = "retention"
)

// Fold copies the live buckets waiting to be folded (their minute, hour
// and day, in each scope, and their day's item counts) into the rollups,
// then clears their marks unless a new event changed them meanwhile. It is
// idempotent: folding a bucket again writes the same values. Without all,
// the current minute waits for the next run. One replica at a time runs it;
// others return (0, nil).
func (s *Service) Fold(ctx context.Context, all bool) (int, error) {
	n := 0
	err := s.jobs.Update(ctx, JobFold, func(st *JobState) error {
		now := s.now().UTC()
		apps, err := s.live.WaitingApps(ctx)
		if err != nil {
			return err
		}
		n = 0
		for _, app := range apps {
			ws, _, err := s.live.Waiting(ctx, app)
			if err != nil {
				return err
			}
			if !all {
				cut := Minute(now)
				kept := ws[:0]
				for _, w := range ws {
					if w.Minute.Before(cut) {
						kept = append(kept, w)
					}
				}
				ws = kept
			}
			if err := s.foldApp(ctx, app, ws); err != nil {
				return err
			}
			n += len(ws)
		}
		st.LastRun, st.Runs, st.Done = now, st.Runs+1, int64(n)
		return nil
	})
	if errs.KindOf(err) == errs.Conflict {
		return 0, nil
	}
	return n, err
}

func (s *Service) foldApp(ctx context.Context, app string, ws []Waiting) error {
	if len(ws) == 0 {
		return nil
	}
	var refs []BucketRef
	seen := map[BucketRef]bool{}
	var days []time.Time
	seenDay := map[time.Time]bool{}
	for _, w := range ws {
		for _, l := range Levels {
			r := BucketRef{Scope: w.Scope, Level: l, Start: l.Trunc(w.Minute)}
			if !seen[r] {
				seen[r] = true
				refs = append(refs, r)
			}
		}
		if d := Day(w.Minute); !seenDay[d] {
			seenDay[d] = true
			days = append(days, d)
		}
	}
	figs, err := s.live.Figures(ctx, app, refs)
	if err != nil {
		return err
	}
	rows := make([]Row, len(refs))
	for i, r := range refs {
		rows[i] = Row{App: app, BucketRef: r, Figures: figs[i]}
	}
	its, err := s.live.Items(ctx, app, days)
	if err != nil {
		return err
	}
	items := make(map[DayRef][]ItemCount, len(days))
	for i, d := range days {
		items[DayRef{App: app, Day: d}] = its[i]
	}
	if err := s.rollups.Put(ctx, rows, items); err != nil {
		return err
	}
	return s.live.Folded(ctx, app, ws)
}

// Retain drops the raw events of the days past the retention. One
// replica at a time runs it.
func (s *Service) Retain(ctx context.Context) ([]time.Time, error) {
	var dropped []time.Time
	err := s.jobs.Update(ctx, JobRetention, func(st *JobState) error {
		now := s.now().UTC()
		var err error
		dropped, err = s.raw.DropBefore(ctx, Day(now.Add(-s.limits.Retention)))
		if err != nil {
			return err
		}
		st.LastRun, st.Runs, st.Done = now, st.Runs+1, int64(len(dropped))
		return nil
	})
	if errs.KindOf(err) == errs.Conflict {
		return nil, nil
	}
	return dropped, err
}

// Rebuild replays the raw events of the last days (today included) into
// the live state: the same effects as when they first came, so that every
// figure comes back as it was. Events the live state still has are skipped
// by their dedupe marks; with reset, the apps' live state is deleted
// first. It marks the live state ready and returns the events replayed
// and the apps seen.
func (s *Service) Rebuild(ctx context.Context, app string, days int, reset bool) (int, int, error) {
	if days <= 0 {
		days = s.limits.RebuildDays
	}
	now := s.now().UTC()
	from := Day(now).AddDate(0, 0, -(days - 1))
	to := now.Add(24 * time.Hour)
	n := 0
	apps := map[string]bool{}
	if reset && app != "" {
		if err := s.live.Reset(ctx, app); err != nil {
			return 0, 0, err
		}
		apps[app] = true
	}
	err := s.raw.Scan(ctx, app, from, to, func(evs []Event) error {
		byApp := map[string][]Event{}
		var order []string
		for _, e := range evs {
			if !apps[e.App] {
				apps[e.App] = true
				if reset {
					if err := s.live.Reset(ctx, e.App); err != nil {
						return err
					}
				}
			}
			if _, ok := byApp[e.App]; !ok {
				order = append(order, e.App)
			}
			byApp[e.App] = append(byApp[e.App], e)
		}
		for _, a := range order {
			for chunk := range slices.Chunk(byApp[a], 200) {
				if _, err := s.live.Apply(ctx, a, changes(chunk)); err != nil {
					return err
				}
			}
		}
		n += len(evs)
		return nil
	})
	if err != nil {
		return n, len(apps), err
	}
	if app == "" {
		if err := s.live.SetReady(ctx); err != nil {
			return n, len(apps), err
		}
	}
	return n, len(apps), nil
}

// RebuildIfLost rebuilds the live state when it was lost (Redis came back
// empty): one replica takes the lock and replays; it reports whether it
// rebuilt.
func (s *Service) RebuildIfLost(ctx context.Context) (bool, error) {
	ready, err := s.live.Ready(ctx)
	if err != nil || ready {
		return false, err
	}
	ok, err := s.live.Lock(ctx, 10*time.Minute)
	if err != nil || !ok {
		return false, err
	}
	defer func() { _ = s.live.Unlock(context.WithoutCancel(ctx)) }()
	n, apps, err := s.Rebuild(ctx, "", 0, false)
	if err != nil {
		return false, err
	}
	s.log.Info("rebuilt the live state from the raw events", "events", n, "apps", apps)
	return true, nil
}
