package service

import (
	"context"

	"github.com/attendify/hub"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
)

// AppIDs pages through every app's id (service callers only), for other
// services' projections to rebuild from: up to limit ids after after, and
// whether more follow.
func (s *Service) AppIDs(ctx context.Context, after string, limit int) ([]string, bool, error) {
	if auth.CallerFrom(ctx).Kind != auth.CallerService {
		return nil, false, errs.WithCode(errs.CodeForbidden, "app.ids is for services")
	}
	if limit <= 0 || limit > hub.MaxAppIDsPage {
		limit = hub.MaxAppIDsPage
	}
	ids, err := s.store.AppIDs(ctx, after, limit+1)
	if err != nil {
		return nil, false, err
	}
	if len(ids) > limit {
		return ids[:limit], true, nil
	}
	return ids, false, nil
}
