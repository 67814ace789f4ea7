package service

import (
	"context"

	"github.com/attendify/platform/errs"
	"github.com/attendify/social"
)

// NotificationItem is a notification with its actor's profile.
type NotificationItem struct {
	Notification
	Actor Profile
}

// Notifications returns a page of the caller's notifications, newest first,
// with the unread count.
func (s *Service) Notifications(ctx context.Context, app string, unreadOnly bool, cursor string, limit int) ([]NotificationItem, int64, string, error) {
	a, err := s.actor(ctx, app)
	if err != nil {
		return nil, 0, "", err
	}
	if a.Member == "" {
		return nil, 0, "", errs.WithCode(errs.CodeForbidden, "members only")
	}
	before, err := decodeCursor(cursor)
	if err != nil {
		return nil, 0, "", err
	}
	if limit <= 0 {
		limit = social.DefaultPageSize
	}
	ns, err := s.ledger.Notifications(ctx, app, a.Member, unreadOnly, before, limit)
	if err != nil {
		return nil, 0, "", err
	}
	unread, err := s.ledger.Unread(ctx, app, a.Member)
	if err != nil {
		return nil, 0, "", err
	}
	actors := make([]string, 0, len(ns))
	for _, n := range ns {
		actors = append(actors, n.Actor)
	}
	ps, err := s.profiles(ctx, app, dedupe(actors))
	if err != nil {
		return nil, 0, "", err
	}
	out := make([]NotificationItem, len(ns))
	for i, n := range ns {
		out[i] = NotificationItem{Notification: n, Actor: ps[n.Actor]}
	}
	next := ""
	if len(ns) == limit {
		next = encodeCursor(ns[len(ns)-1].ID)
	}
	return out, unread, next, nil
}

// Unread returns the caller's unread count.
func (s *Service) Unread(ctx context.Context, app string) (int64, error) {
	a, err := s.actor(ctx, app)
	if err != nil {
		return 0, err
	}
	if a.Member == "" {
		return 0, errs.WithCode(errs.CodeForbidden, "members only")
	}
	return s.ledger.Unread(ctx, app, a.Member)
}

// MarkRead marks the caller's notifications read and returns the unread
// count.
func (s *Service) MarkRead(ctx context.Context, app string, ids []string, all bool) (int64, error) {
	a, err := s.actor(ctx, app)
	if err != nil {
		return 0, err
	}
	if a.Member == "" {
		return 0, errs.WithCode(errs.CodeForbidden, "members only")
	}
	if !all && len(ids) == 0 {
		return 0, errs.InvalidFields("nothing to mark", errs.FieldError{Field: "/ids", Message: "give ids or all"})
	}
	if err := s.ledger.MarkRead(ctx, app, a.Member, ids, all); err != nil {
		return 0, err
	}
	return s.ledger.Unread(ctx, app, a.Member)
}
