package service

import (
	"context"
	"slices"
	"time"

	"github.com/attendify/hub"
)

// SyncApp rewrites an app's read model from Postgres: configuration, event
// list, every membership (versioned, so newer writes win), and tombstones
// for memberships Redis still holds but Postgres no longer has.
func (s *Service) SyncApp(ctx context.Context, app string, scan bool) error {
	snap, err := s.store.ReadModelSnapshot(ctx, app)
	if err != nil {
		return err
	}
	if !snap.Found {
		v, err := s.store.NextVersion(ctx)
		if err != nil {
			return err
		}
		users, err := s.rm.Users(ctx, app)
		if err != nil {
			return err
		}
		return s.rm.DeleteApp(ctx, app, v, users)
	}
	if err := s.rm.Sync(ctx, snap); err != nil {
		return err
	}
	if !scan {
		return nil
	}
	held, err := s.rm.Users(ctx, app)
	if err != nil {
		return err
	}
	listed := make(map[string]bool, len(snap.Members)+len(snap.Collaborators))
	for _, m := range snap.Members {
		listed[m.ID] = true
	}
	for _, c := range snap.Collaborators {
		listed[c.OrganizerID] = true
	}
	var stale []string
	for _, u := range held {
		if !listed[u] {
			stale = append(stale, u)
		}
	}
	if len(stale) == 0 {
		return nil
	}
	// Check again, now: a user created after the snapshot is not stale.
	alive, err := s.store.Users(ctx, app, stale)
	if err != nil {
		return err
	}
	for _, u := range stale {
		if slices.Contains(alive, u) {
			continue
		}
		v, err := s.store.NextVersion(ctx)
		if err != nil {
			return err
		}
		if err := s.rm.DeleteMembership(ctx, app, u, v); err != nil {
			return err
		}
	}
	return nil
}

// RebuildAll rewrites the read model of every app, then marks it ready.
// The revocation marks of every app go first, in one pass: a membership
// that a live write brings back meanwhile is not without its user's mark
// for longer than that pass.
func (s *Service) RebuildAll(ctx context.Context) error {
	start := s.now()
	marks, err := s.store.Revocations(ctx, "")
	if err != nil {
		return err
	}
	if err := s.rm.PutRevocations(ctx, marks); err != nil {
		return err
	}
	n := 0
	for after := ""; ; {
		ids, err := s.store.AppIDs(ctx, after, 500)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if err := s.SyncApp(ctx, id, false); err != nil {
				return err
			}
			n++
		}
		if len(ids) < 500 {
			break
		}
		after = ids[len(ids)-1]
	}
	if err := s.rm.MarkReady(ctx); err != nil {
		return err
	}
	s.log.InfoContext(ctx, "read model rebuilt", "apps", n, "took", s.now().Sub(start).Round(time.Millisecond))
	return nil
}

// Retention of the audit log of guesses and of the revocations of one
// app's tokens (longer than any token lives, after which every token a
// revocation refused has expired).
const (
	KeepGuesses     = 30 * 24 * time.Hour
	KeepRevocations = hub.MemberTokenTTL + 24*time.Hour
)

// ReadModelJob is the periodic job that keeps the read model whole: each
// round rebuilds everything when the ready key is missing (Redis was
// flushed or is new), and repairs the apps whose writes failed; once an
// hour it forgets old guesses and revocations, expired sign-ups and
// invitations closed longer than KeepInvitations. A failed pruning is
// logged and tried again at the next round; a failed round is returned.
func (s *Service) ReadModelJob() func(context.Context) error {
	var pruned time.Time
	return func(ctx context.Context) error {
		err := s.readModelRound(ctx)
		if now := s.now(); now.Sub(pruned) >= time.Hour {
			perr := s.store.Prune(ctx, now.Add(-KeepGuesses), now.Add(-KeepRevocations))
			if perr == nil {
				perr = s.store.PruneInvitations(ctx, now, now.Add(-KeepInvitations))
			}
			if perr != nil && ctx.Err() == nil {
				s.log.WarnContext(ctx, "pruning old guesses, revocations, sign-ups and invitations failed", "error", perr)
			} else {
				pruned = now
			}
		}
		return err
	}
}

func (s *Service) readModelRound(ctx context.Context) error {
	ready, err := s.rm.Ready(ctx)
	if err != nil {
		return err
	}
	if !ready {
		ok, err := s.rm.LockRebuild(ctx, 10*time.Minute)
		if err != nil || !ok {
			return err // another replica rebuilds
		}
		s.log.InfoContext(ctx, "read model missing: rebuilding from Postgres")
		err = s.RebuildAll(ctx)
		if uerr := s.rm.UnlockRebuild(context.WithoutCancel(ctx)); err == nil {
			err = uerr
		}
		if err != nil {
			return err
		}
	}
	apps, err := s.store.RepairQueue(ctx, 100)
	if err != nil {
		return err
	}
	for _, r := range apps {
		if err := s.SyncApp(ctx, r.App, true); err != nil {
			return err
		}
		if err := s.store.ClearRepair(ctx, r.App, r.MarkedAt); err != nil {
			return err
		}
		s.log.InfoContext(ctx, "read model repaired", "app", r.App)
	}
	return nil
}
