// Package rpcapi binds eventwall's JSON-RPC methods (api.go) to the domain
// service: decode, call, encode.
package rpcapi

import (
	"context"
	"encoding/json"
	"net/url"

	"github.com/attendify/eventwall"
	"github.com/attendify/eventwall/internal/service"
	"github.com/attendify/platform/rpc"
)

// Register binds every method to svc.
func Register(s *rpc.Server, svc *service.Service) {
	h := handlers{svc: svc}
	rpc.Handle(s, eventwall.CreateWall, h.createWall)
	rpc.Handle(s, eventwall.UpdateWall, h.updateWall)
	rpc.Handle(s, eventwall.GetWall, h.getWall)
	rpc.Handle(s, eventwall.ListWalls, h.listWalls)
	rpc.Handle(s, eventwall.DeleteWall, h.deleteWall)
	rpc.Handle(s, eventwall.PauseWall, h.pause)
	rpc.Handle(s, eventwall.ResumeWall, h.resume)
	rpc.Handle(s, eventwall.RotateKey, h.rotateKey)
	rpc.Handle(s, eventwall.RotateToken, h.rotateToken)
	rpc.Handle(s, eventwall.GetQueue, h.queue)
	rpc.Handle(s, eventwall.Approve, h.approve)
	rpc.Handle(s, eventwall.Reject, h.reject)
	rpc.Handle(s, eventwall.MarkPost, h.mark)
	rpc.Handle(s, eventwall.BlockAuthor, h.block)
	rpc.Handle(s, eventwall.UnblockAuthor, h.unblock)
}

type handlers struct {
	svc *service.Service
}

func (h handlers) createWall(ctx context.Context, p eventwall.CreateWallParams) (eventwall.Wall, error) {
	set := service.WallSettings{Title: p.Title, Layout: p.Layout, DisplaySeconds: p.DisplaySeconds, Public: true}
	if p.Public != nil {
		set.Public = *p.Public
	}
	if p.Theme != nil {
		set.Theme = themeFromWire(*p.Theme)
	}
	if p.Filters != nil {
		setFilters(&set, *p.Filters)
	}
	if p.Moderation != nil {
		setModeration(&set, *p.Moderation)
	}
	w, err := h.svc.CreateWall(ctx, p.App, p.EventID, set)
	if err != nil {
		return eventwall.Wall{}, err
	}
	return WallToWire(w), nil
}

func (h handlers) updateWall(ctx context.Context, p eventwall.UpdateWallParams) (eventwall.Wall, error) {
	w, err := h.svc.UpdateWall(ctx, p.App, p.WallID, p.Version, func(set *service.WallSettings) {
		if p.Title != nil {
			set.Title = *p.Title
		}
		if p.Layout != nil {
			set.Layout = *p.Layout
		}
		if p.Theme != nil {
			set.Theme = themeFromWire(*p.Theme)
		}
		if p.Filters != nil {
			updateFilters(set, *p.Filters)
		}
		if p.Moderation != nil {
			updateModeration(set, *p.Moderation)
		}
		if p.DisplaySeconds != nil {
			set.DisplaySeconds = *p.DisplaySeconds
		}
		if p.Public != nil {
			set.Public = *p.Public
		}
	})
	if err != nil {
		return eventwall.Wall{}, err
	}
	return WallToWire(w), nil
}

func (h handlers) getWall(ctx context.Context, p eventwall.WallRef) (eventwall.Wall, error) {
	w, err := h.svc.GetWall(ctx, p.App, p.WallID)
	if err != nil {
		return eventwall.Wall{}, err
	}
	return WallToWire(w), nil
}

func (h handlers) listWalls(ctx context.Context, p eventwall.ListWallsParams) (eventwall.WallList, error) {
	ws, err := h.svc.ListWalls(ctx, p.App, p.EventID)
	if err != nil {
		return eventwall.WallList{}, err
	}
	out := eventwall.WallList{Walls: make([]eventwall.Wall, len(ws))}
	for i, w := range ws {
		out.Walls[i] = WallToWire(w)
	}
	return out, nil
}

func (h handlers) deleteWall(ctx context.Context, p eventwall.WallRef) (eventwall.Empty, error) {
	return eventwall.Empty{}, h.svc.DeleteWall(ctx, p.App, p.WallID)
}

func (h handlers) pause(ctx context.Context, p eventwall.WallRef) (eventwall.Wall, error) {
	return h.setPaused(ctx, p, true)
}

func (h handlers) resume(ctx context.Context, p eventwall.WallRef) (eventwall.Wall, error) {
	return h.setPaused(ctx, p, false)
}

func (h handlers) setPaused(ctx context.Context, p eventwall.WallRef, paused bool) (eventwall.Wall, error) {
	w, err := h.svc.SetPaused(ctx, p.App, p.WallID, paused)
	if err != nil {
		return eventwall.Wall{}, err
	}
	return WallToWire(w), nil
}

func (h handlers) rotateKey(ctx context.Context, p eventwall.WallRef) (eventwall.Wall, error) {
	w, err := h.svc.RotateKey(ctx, p.App, p.WallID)
	if err != nil {
		return eventwall.Wall{}, err
	}
	return WallToWire(w), nil
}

func (h handlers) rotateToken(ctx context.Context, p eventwall.WallRef) (eventwall.Wall, error) {
	w, err := h.svc.RotateToken(ctx, p.App, p.WallID)
	if err != nil {
		return eventwall.Wall{}, err
	}
	return WallToWire(w), nil
}

func (h handlers) queue(ctx context.Context, p eventwall.QueueParams) (eventwall.Queue, error) {
	entries, total, err := h.svc.Queue(ctx, p.App, p.WallID, p.Offset, p.Limit)
	if err != nil {
		return eventwall.Queue{}, err
	}
	out := eventwall.Queue{Items: make([]eventwall.QueueItem, 0, len(entries)), Total: total}
	for _, e := range entries {
		var it eventwall.Item
		if err := json.Unmarshal(e.Item, &it); err != nil {
			continue
		}
		out.Items = append(out.Items, eventwall.QueueItem{Item: it, AuthorID: e.Author, Reason: e.Reason, Revision: e.Rev})
	}
	return out, nil
}

func (h handlers) approve(ctx context.Context, p eventwall.ApproveParams) (eventwall.ApproveResult, error) {
	seen := make([]service.Revision, len(p.Revisions))
	for i, r := range p.Revisions {
		seen[i] = service.Revision{Post: r.PostID, Rev: r.Revision}
	}
	res, err := h.svc.Approve(ctx, p.App, p.WallID, p.PostIDs, seen)
	if err != nil {
		return eventwall.ApproveResult{}, err
	}
	out := eventwall.ApproveResult{BulkResult: eventwall.BulkResult{Done: res.Done, NotFound: res.NotFound},
		Refused: make([]eventwall.Refusal, 0, len(res.Refused)), Changed: []string{}}
	for _, r := range res.Refused {
		out.Refused = append(out.Refused, eventwall.Refusal{PostID: r.Post, Reason: r.Reason, Message: r.Message})
		if r.Reason == eventwall.RefusedChanged {
			out.Changed = append(out.Changed, r.Post)
		}
	}
	return out, nil
}

func (h handlers) reject(ctx context.Context, p eventwall.PostsParams) (eventwall.BulkResult, error) {
	done, missing, err := h.svc.Reject(ctx, p.App, p.WallID, p.PostIDs)
	return eventwall.BulkResult{Done: done, NotFound: missing}, err
}

func (h handlers) mark(ctx context.Context, p eventwall.MarkParams) (eventwall.Empty, error) {
	mark := p.Mark
	if mark == eventwall.MarkNone {
		mark = ""
	}
	return eventwall.Empty{}, h.svc.Mark(ctx, service.PostRef{App: p.App, Wall: p.WallID, Post: p.PostID}, mark)
}

func (h handlers) block(ctx context.Context, p eventwall.AuthorParams) (eventwall.Wall, error) {
	w, err := h.svc.BlockAuthor(ctx, service.AuthorRef{App: p.App, Wall: p.WallID, Member: p.MemberID}, true)
	if err != nil {
		return eventwall.Wall{}, err
	}
	return WallToWire(w), nil
}

func (h handlers) unblock(ctx context.Context, p eventwall.AuthorParams) (eventwall.Wall, error) {
	w, err := h.svc.BlockAuthor(ctx, service.AuthorRef{App: p.App, Wall: p.WallID, Member: p.MemberID}, false)
	if err != nil {
		return eventwall.Wall{}, err
	}
	return WallToWire(w), nil
}

func themeFromWire(t eventwall.Theme) service.Theme {
	return service.Theme{Background: t.Background, Text: t.Text, Accent: t.Accent, Logo: t.LogoURL}
}

func setFilters(set *service.WallSettings, f eventwall.Filters) {
	set.Scope, set.Hashtags, set.PhotosOnly = f.Scope, f.Hashtags, f.PhotosOnly
}

func setModeration(set *service.WallSettings, m eventwall.Moderation) {
	set.Mode, set.Blocklist, set.AllowList = m.Mode, m.Blocklist, m.AllowList
}

// updateFilters changes the filters sent and keeps the others: a caller
// changing one filter must not reset the rest. The schema refuses "" and
// null, so a field is sent exactly when it is set here.
func updateFilters(set *service.WallSettings, f eventwall.FiltersUpdate) {
	if f.Scope != "" {
		set.Scope = f.Scope
	}
	if f.Hashtags != nil {
		set.Hashtags = *f.Hashtags
	}
	if f.PhotosOnly != nil {
		set.PhotosOnly = *f.PhotosOnly
	}
}

// updateModeration changes the moderation settings sent and keeps the
// others: switching the mode must not drop the blocklist or the allow list
// (posts they held would be shown).
func updateModeration(set *service.WallSettings, m eventwall.ModerationUpdate) {
	if m.Mode != "" {
		set.Mode = m.Mode
	}
	if m.Blocklist != nil {
		set.Blocklist = *m.Blocklist
	}
	if m.AllowList != nil {
		set.AllowList = *m.AllowList
	}
}

// WallToWire converts a wall for organizers.
func WallToWire(w service.Wall) eventwall.Wall {
	path := "/walls/" + w.Token
	if !w.Public && w.ScreenKey != "" {
		path += "?key=" + url.QueryEscape(w.ScreenKey)
	}
	audience := eventwall.AudienceOrganizers
	if w.Public {
		audience = eventwall.AudienceAnonymous
	}
	return eventwall.Wall{
		ID: w.ID, AppID: w.App, EventID: w.Event, Title: w.Title, Layout: w.Layout,
		Theme:          eventwall.Theme{Background: w.Theme.Background, Text: w.Theme.Text, Accent: w.Theme.Accent, LogoURL: w.Theme.Logo},
		Filters:        eventwall.Filters{Scope: w.Rules.Scope, Hashtags: nonNil(w.Rules.Hashtags), PhotosOnly: w.Rules.PhotosOnly},
		Moderation:     eventwall.Moderation{Mode: w.Rules.Mode, Blocklist: nonNil(w.Rules.Blocklist), AllowList: nonNil(w.Rules.AllowList)},
		BlockedAuthors: nonNil(w.Rules.BlockedAuthors),
		DisplaySeconds: w.DisplaySeconds, Paused: w.Paused, Public: w.Public, Audience: audience,
		ScreenKey: w.ScreenKey, ScreenToken: w.Token,
		Version: w.Version, Path: path, CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt,
	}
}

func nonNil(ss []string) []string {
	if ss == nil {
		return []string{}
	}
	return ss
}
