package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/attendify/platform/errs"
)

// RebuildSkew is how far before the start of a rebuild its snapshot's
// version is set: an event hub recorded up to this long before the rebuild
// read its data (clocks of hub and multievent apart by less than this)
// still applies over the snapshot, so the projection converges on the
// newest event of each object whatever order things arrive in.
const RebuildSkew = time.Minute

// Rebuild rebuilds the projection from hub, from scratch: every app hub
// lists is replaced by its content as hub has it now; apps the projection
// holds that hub no longer lists are deleted; then the content databases
// are rewritten where they differ. Events consumed meanwhile apply as
// usual (a change newer than the snapshot wins). It is the recovery for a
// projection whose events are gone (Redis lost the streams, or the
// consumer lagged past their retention) and for content databases that
// were lost: run `multievent rebuild`.
func (s *Service) Rebuild(ctx context.Context) error {
	if s.hub == nil {
		return errs.New(errs.Unavailable, "no hub client configured")
	}
	ids, err := s.hub.AppIDs(ctx)
	if err != nil {
		return fmt.Errorf("list hub's apps: %w", err)
	}
	var errList []error
	for _, app := range ids {
		if err := s.RebuildApp(ctx, app); err != nil {
			errList = append(errList, fmt.Errorf("app %s: %w", app, err))
		}
	}
	held, err := s.proj.Apps(ctx)
	if err != nil {
		return err
	}
	for _, app := range held {
		if !slices.Contains(ids, app) {
			if err := s.deleteApp(ctx, app, s.now().Add(-RebuildSkew)); err != nil {
				errList = append(errList, fmt.Errorf("delete app %s: %w", app, err))
			}
		}
	}
	return errors.Join(errList...)
}

// RebuildApp rebuilds one app from hub: its projection, then its content
// databases, reconciled with what they hold now.
func (s *Service) RebuildApp(ctx context.Context, app string) error {
	v := s.now().Add(-RebuildSkew)
	snap, err := s.hub.AppContent(ctx, app)
	if errors.Is(err, errs.NotFound) {
		return s.deleteApp(ctx, app, v)
	}
	if err != nil {
		return err
	}
	if err := s.proj.Snapshot(ctx, app, v, snap); err != nil {
		return err
	}
	return s.RewriteContent(ctx, app)
}

// RewriteContent makes an app's content databases hold what they should,
// whatever they hold now (lost, restored from a backup, edited by hand):
// it reads back what they hold, marks every document dirty and settles.
func (s *Service) RewriteContent(ctx context.Context, app string) error {
	placed, err := s.content.Placed(ctx, app)
	if err != nil {
		return err
	}
	if err := s.proj.ReplacePlacements(ctx, app, placed); err != nil {
		return err
	}
	if err := s.proj.MarkAllDirty(ctx, app); err != nil {
		return err
	}
	_, err = s.SettleApp(ctx, app)
	return err
}
