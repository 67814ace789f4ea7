package service

import (
	"context"
	"fmt"
	"slices"

	"github.com/attendify/platform/errs"
	"github.com/attendify/social"
)

// NotificationItem is a notification with its actor's profile.
type NotificationItem struct {
	Notification
	Actor Profile
}

// Notifications returns a page of the caller's notifications, newest first,
// with the unread count (unread).
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
	ns, err := s.st.Notifications.Notifications(ctx, NotificationQuery{App: app, Member: a.Member, UnreadOnly: unreadOnly, Before: before, Limit: limit})
	if err != nil {
		return nil, 0, "", err
	}
	next := ""
	if len(ns) == limit {
		next = encodeCursor(ns[len(ns)-1].ID)
	}
	if ns, err = s.shown(ctx, a, ns); err != nil {
		return nil, 0, "", err
	}
	unread, err := s.unread(ctx, a)
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
	return s.unread(ctx, a)
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
	if err := s.st.Notifications.MarkRead(ctx, app, a.Member, ids, all); err != nil {
		return 0, err
	}
	return s.unread(ctx, a)
}

// unread counts the actor's unread notifications that the list shows
// (shown), newest first, up to social.MaxUnread: the unread ones shown
// leaves out are marked read on the way, so each is looked at once and
// the count never includes what the list does not show. A member with
// nothing unread costs one query; otherwise shown's lookups, a page of
// social.MaxUnread at a time.
func (s *Service) unread(ctx context.Context, a Actor) (int64, error) {
	var n int64
	q := NotificationQuery{App: a.App, Member: a.Member, UnreadOnly: true, Limit: social.MaxUnread}
	// At most unreadPages pages a call: the ones shown leaves out are
	// marked read as it goes, so a later call starts past them; should
	// marking fail, a member with thousands of them does not make every
	// poll read them all.
	for pages := 0; n < social.MaxUnread && pages < unreadPages; pages++ {
		ns, err := s.st.Notifications.Notifications(ctx, q)
		if err != nil {
			return 0, err
		}
		if len(ns) == 0 {
			break
		}
		full := len(ns) == q.Limit
		q.Before = ns[len(ns)-1].ID
		if ns, err = s.shown(ctx, a, ns); err != nil {
			return 0, err
		}
		n += int64(len(ns))
		if !full {
			break
		}
	}
	return min(n, social.MaxUnread), nil
}

// unreadPages bounds the pages of unread notifications one count reads.
const unreadPages = 10

// shown keeps the notifications of ns that the actor is shown: those
// whose post they may read (readable) and whose actor is not blocked
// (fromUnblocked). The unread ones left out are marked read: the member
// could neither open nor mark them, and the unread count (unread) would
// keep them. One shown again later (the block lifted, the post shown, the
// event readable again) shows read.
func (s *Service) shown(ctx context.Context, a Actor, ns []Notification) ([]Notification, error) {
	var unread []string
	for _, n := range ns {
		if n.ReadAt == nil {
			unread = append(unread, n.ID)
		}
	}
	ns, err := s.readable(ctx, a, ns)
	if err != nil {
		return nil, err
	}
	if ns, err = s.fromUnblocked(ctx, a.App, ns); err != nil {
		return nil, err
	}
	left := slices.DeleteFunc(unread, func(id string) bool {
		return slices.ContainsFunc(ns, func(n Notification) bool { return n.ID == id })
	})
	if len(left) > 0 {
		// Best effort: what is shown is right either way; a failure (a
		// read-only run-as, a database that is failing) leaves them to be
		// looked at again by the next call.
		if err := s.st.Notifications.MarkRead(ctx, a.App, a.Member, left, false); err != nil {
			s.log.Warn("mark notifications not shown read", "app", a.App, "member", a.Member, "error", err)
		}
	}
	return ns, nil
}

// readers returns which of members may read event, by hub's rule as if
// each of them called: a member or organizer of the app, not blocked in
// hub, the app readable, and the event readable to them
// (hub.ReadModel.EventReaders, one round trip for all of them). A post
// without an event is the whole app's: every member reads it.
func (s *Service) readers(ctx context.Context, app, event string, members []string) (map[string]bool, error) {
	members = dedupe(members)
	ok := make(map[string]bool, len(members))
	if event == "" {
		for _, m := range members {
			ok[m] = true
		}
		return ok, nil
	}
	may, err := s.access.EventReaders(ctx, app, event, members)
	if err != nil {
		return nil, fmt.Errorf("check readers of event %s: %w", event, err)
	}
	for i, m := range members {
		ok[m] = may[i]
	}
	return ok, nil
}

// notifiable keeps the notifications whose member may read event (that of
// their post): nobody is told about a post they cannot open.
func (s *Service) notifiable(ctx context.Context, app, event string, ns []Notification) ([]Notification, error) {
	if len(ns) == 0 || event == "" {
		return ns, nil
	}
	members := make([]string, len(ns))
	for i, n := range ns {
		members[i] = n.Member
	}
	ok, err := s.readers(ctx, app, event, members)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(ns, func(n Notification) bool { return !ok[n.Member] }), nil
}

// fromUnblocked leaves out the notifications whose actor is blocked (by
// a moderator or in hub): their likes and comments on a visible post, and
// their mentions, are what a block is meant to stop reaching the member.
// One query for the page's actors (BlockStore.BlockedAmong).
func (s *Service) fromUnblocked(ctx context.Context, app string, ns []Notification) ([]Notification, error) {
	actors := make([]string, 0, len(ns))
	for _, n := range ns {
		actors = append(actors, n.Actor)
	}
	if actors = dedupe(actors); len(actors) == 0 {
		return ns, nil
	}
	blocked, err := s.st.Blocks.BlockedAmong(ctx, app, actors)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(ns, func(n Notification) bool { return blocked[n.Actor] }), nil
}

// readable keeps the notifications whose post the actor may read: by the
// post's event, and visible (not hidden by a moderator or by a block of
// its author, not deleted: nobody is shown what they cannot open, nor a
// blocked member's name beside it). The cached posts are read in one Redis
// round trip, CouchDB for the posts not cached. A post that is gone keeps
// its notifications.
func (s *Service) readable(ctx context.Context, a Actor, ns []Notification) ([]Notification, error) {
	ids := make([]string, 0, len(ns))
	for _, n := range ns {
		ids = append(ids, n.Post)
	}
	ids = dedupe(ids)
	if len(ids) == 0 {
		return ns, nil
	}
	cached, _, _, err := s.st.Cache.Items(ctx, a.App, a.Member, ids)
	if err != nil {
		return nil, err
	}
	event := make(map[string]string, len(ids))
	invisible := make(map[string]bool)
	var missing []string
	for i, c := range cached {
		if c == nil {
			missing = append(missing, ids[i])
			continue
		}
		event[ids[i]], invisible[ids[i]] = c.Doc.Event, !c.Doc.Visible()
	}
	if len(missing) > 0 {
		docs, err := s.st.Posts.Posts(ctx, a.App, missing)
		if err != nil {
			return nil, err
		}
		for id, doc := range docs {
			event[id], invisible[id] = doc.Event, !doc.Visible()
		}
	}
	return slices.DeleteFunc(ns, func(n Notification) bool { return invisible[n.Post] || a.mayRead(event[n.Post]) != nil }), nil
}
