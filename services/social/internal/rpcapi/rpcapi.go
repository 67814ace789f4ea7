// Package rpcapi binds social's JSON-RPC methods (social.CreatePost, ...)
// and its HTTP photo routes to the domain service: decode, call, encode.
package rpcapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/social"
	"github.com/attendify/social/internal/service"
)

// Handlers implement social's methods on a service.
type Handlers struct {
	svc   *service.Service
	pages *pageWriter
}

// Register registers every method of social on srv.
func Register(srv *rpc.Server, svc *service.Service) {
	h := &Handlers{svc: svc, pages: newPageWriter()}
	rpc.Handle(srv, social.CreatePost, h.createPost)
	rpc.Handle(srv, social.GetPost, h.getPost)
	rpc.Handle(srv, social.UpdatePost, h.updatePost)
	rpc.Handle(srv, social.DeletePost, h.deletePost)
	// The same method, its result written from pre-encoded parts (feedResult).
	rpc.Handle(srv, rpc.Method[social.FeedParams, feedResult](social.GetFeed), h.feed)
	rpc.Handle(srv, social.CreateComment, h.createComment)
	rpc.Handle(srv, social.UpdateComment, h.updateComment)
	rpc.Handle(srv, social.DeleteComment, h.deleteComment)
	rpc.Handle(srv, social.ListComments, h.listComments)
	rpc.Handle(srv, social.React, h.react)
	rpc.Handle(srv, social.Unreact, h.unreact)
	rpc.Handle(srv, social.ListNotifications, h.notifications)
	rpc.Handle(srv, social.UnreadNotifications, h.unread)
	rpc.Handle(srv, social.MarkNotificationsRead, h.markRead)
	rpc.Handle(srv, social.ReportPost, h.report)
	rpc.Handle(srv, social.ReportQueueGet, h.queue)
	rpc.Handle(srv, social.HidePosts, h.hide)
	rpc.Handle(srv, social.UnhidePosts, h.unhide)
	rpc.Handle(srv, social.DeletePosts, h.deletePosts)
	rpc.Handle(srv, social.BlockMember, h.block)
	rpc.Handle(srv, social.UnblockMember, h.unblock)
}

func (h *Handlers) createPost(ctx context.Context, p social.CreatePostParams) (social.Post, error) {
	it, err := h.svc.CreatePost(ctx, service.CreatePostInput{
		App: p.App, Event: p.EventID, Session: p.SessionID, Text: p.Text, PhotoIDs: p.PhotoIDs,
	})
	if err != nil {
		return social.Post{}, err
	}
	return PostOf(it), nil
}

func (h *Handlers) getPost(ctx context.Context, p social.PostParams) (social.Post, error) {
	it, err := h.svc.GetPost(ctx, p.App, p.PostID)
	if err != nil {
		return social.Post{}, err
	}
	return PostOf(it), nil
}

func (h *Handlers) updatePost(ctx context.Context, p social.UpdatePostParams) (social.Post, error) {
	it, err := h.svc.UpdatePost(ctx, p.App, p.PostID, p.Text)
	if err != nil {
		return social.Post{}, err
	}
	return PostOf(it), nil
}

func (h *Handlers) deletePost(ctx context.Context, p social.PostParams) (social.Empty, error) {
	return social.Empty{}, h.svc.DeletePost(ctx, p.App, p.PostID)
}

func (h *Handlers) feed(ctx context.Context, p social.FeedParams) (feedResult, error) {
	items, next, err := h.svc.Feed(ctx, p.App, service.Feed{Kind: p.Kind, ID: p.ID}, p.Cursor, p.Limit)
	if err != nil {
		return feedResult{}, err
	}
	raw, err := h.pages.Page(items, next)
	return feedResult{raw: raw}, err
}

func (h *Handlers) createComment(ctx context.Context, p social.CreateCommentParams) (social.Comment, error) {
	c, err := h.svc.CreateComment(ctx, service.CreateCommentInput{App: p.App, Post: p.PostID, Text: p.Text})
	if err != nil {
		return social.Comment{}, err
	}
	return CommentOf(c), nil
}

func (h *Handlers) updateComment(ctx context.Context, p social.UpdateCommentParams) (social.Comment, error) {
	c, err := h.svc.UpdateComment(ctx, service.CommentRef{App: p.App, Post: p.PostID, ID: p.CommentID}, p.Text)
	if err != nil {
		return social.Comment{}, err
	}
	return CommentOf(c), nil
}

func (h *Handlers) deleteComment(ctx context.Context, p social.CommentParams) (social.Empty, error) {
	return social.Empty{}, h.svc.DeleteComment(ctx, service.CommentRef{App: p.App, Post: p.PostID, ID: p.CommentID})
}

func (h *Handlers) listComments(ctx context.Context, p social.ListCommentsParams) (social.CommentPage, error) {
	cs, next, err := h.svc.Comments(ctx, p.App, p.PostID, p.Cursor, p.Limit)
	if err != nil {
		return social.CommentPage{}, err
	}
	page := social.CommentPage{Items: make([]social.Comment, len(cs)), NextCursor: next}
	for i, c := range cs {
		page.Items[i] = CommentOf(c)
	}
	return page, nil
}

func (h *Handlers) react(ctx context.Context, p social.ReactParams) (social.ReactionState, error) {
	st, err := h.svc.React(ctx, p.App, p.PostID, p.Reaction)
	if err != nil {
		return social.ReactionState{}, err
	}
	return ReactionStateOf(st), nil
}

func (h *Handlers) unreact(ctx context.Context, p social.PostParams) (social.ReactionState, error) {
	st, err := h.svc.React(ctx, p.App, p.PostID, "")
	if err != nil {
		return social.ReactionState{}, err
	}
	return ReactionStateOf(st), nil
}

func (h *Handlers) notifications(ctx context.Context, p social.ListNotificationsParams) (social.NotificationPage, error) {
	ns, unread, next, err := h.svc.Notifications(ctx, p.App, p.UnreadOnly, p.Cursor, p.Limit)
	if err != nil {
		return social.NotificationPage{}, err
	}
	page := social.NotificationPage{Items: make([]social.Notification, len(ns)), Unread: unread, NextCursor: next}
	for i, n := range ns {
		page.Items[i] = NotificationOf(n)
	}
	return page, nil
}

func (h *Handlers) unread(ctx context.Context, p social.AppRef) (social.UnreadCount, error) {
	n, err := h.svc.Unread(ctx, p.App)
	return social.UnreadCount{Unread: n}, err
}

func (h *Handlers) markRead(ctx context.Context, p social.MarkReadParams) (social.UnreadCount, error) {
	n, err := h.svc.MarkRead(ctx, p.App, p.IDs, p.All)
	return social.UnreadCount{Unread: n}, err
}

func (h *Handlers) report(ctx context.Context, p social.ReportParams) (social.Empty, error) {
	return social.Empty{}, h.svc.Report(ctx, service.ReportInput{App: p.App, Post: p.PostID, Reason: p.Reason, Note: p.Note})
}

func (h *Handlers) queue(ctx context.Context, p social.QueueParams) (social.ReportQueue, error) {
	rs, next, err := h.svc.Queue(ctx, p.App, p.Cursor, p.Limit)
	if err != nil {
		return social.ReportQueue{}, err
	}
	q := social.ReportQueue{Items: make([]social.Report, len(rs)), NextCursor: next}
	for i, r := range rs {
		q.Items[i] = ReportOf(r)
	}
	return q, nil
}

func (h *Handlers) hide(ctx context.Context, p social.ModeratePostsParams) (social.BulkResult, error) {
	done, nf, err := h.svc.Hide(ctx, p.App, p.PostIDs, p.Reason)
	return social.BulkResult{Done: done, NotFound: nf}, err
}

func (h *Handlers) unhide(ctx context.Context, p social.ModeratePostsParams) (social.BulkResult, error) {
	done, nf, err := h.svc.Unhide(ctx, p.App, p.PostIDs)
	return social.BulkResult{Done: done, NotFound: nf}, err
}

func (h *Handlers) deletePosts(ctx context.Context, p social.ModeratePostsParams) (social.BulkResult, error) {
	done, nf, err := h.svc.DeletePosts(ctx, p.App, p.PostIDs)
	return social.BulkResult{Done: done, NotFound: nf}, err
}

func (h *Handlers) block(ctx context.Context, p social.BlockParams) (social.Block, error) {
	b, err := h.svc.Block(ctx, p.App, p.MemberID, p.Reason)
	if err != nil {
		return social.Block{}, err
	}
	return social.Block{MemberID: b.Member, Reason: b.Reason, BlockedBy: b.By, BlockedAt: b.At, PostsHidden: b.PostsHidden}, nil
}

func (h *Handlers) unblock(ctx context.Context, p social.BlockParams) (social.Empty, error) {
	return social.Empty{}, h.svc.Unblock(ctx, p.App, p.MemberID)
}

// ---------------------------------------------------------------------------
// HTTP routes: photo upload and download.

// Routes registers the photo routes on mux. Requests carry a member's token
// (Authorization: Bearer), verified by tokens.
func Routes(mux chi.Router, svc *service.Service, tokens *auth.Verifier, log *slog.Logger) {
	r := &routes{svc: svc, tokens: tokens, log: log}
	mux.HandleFunc(social.RouteUploadPhoto, r.upload)
	mux.HandleFunc(social.RoutePhoto, r.photo)
}

type routes struct {
	svc    *service.Service
	tokens *auth.Verifier
	log    *slog.Logger
}

// caller authenticates a request's bearer token into its context.
func (rt *routes) caller(r *http.Request) (context.Context, error) {
	ctx, _, err := rt.tokens.RouteCaller(r)
	return ctx, err
}

func (rt *routes) upload(w http.ResponseWriter, r *http.Request) {
	ctx, err := rt.caller(r)
	if err != nil {
		rt.fail(w, r, err)
		return
	}
	if r.ContentLength > social.MaxPhotoBytes {
		rt.fail(w, r, errs.Wrap(errs.Invalid, &http.MaxBytesError{Limit: social.MaxPhotoBytes}, "the photo is larger than %d MiB", social.MaxPhotoBytes>>20))
		return
	}
	body := http.MaxBytesReader(w, r.Body, social.MaxPhotoBytes+1)
	up, p, err := rt.svc.UploadPhoto(ctx, r.PathValue("app"), body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			err = errs.Wrap(errs.Invalid, mbe, "the photo is larger than %d MiB", social.MaxPhotoBytes>>20)
		}
		rt.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(social.PhotoUpload{
		PhotoID: up.ID, ContentType: p.ContentType, Width: p.Width, Height: p.Height, Bytes: len(p.Data),
	})
}

func (rt *routes) photo(w http.ResponseWriter, r *http.Request) {
	ctx, err := rt.caller(r)
	if err != nil {
		rt.fail(w, r, err)
		return
	}
	ct, body, err := rt.svc.Photo(ctx, r.PathValue("app"), r.PathValue("post"), r.PathValue("name"))
	if err != nil {
		rt.fail(w, r, err)
		return
	}
	defer body.Close()
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "private, max-age=86400")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = io.Copy(w, body)
}

// fail answers a failed photo route with the platform's HTTP error (the
// JSON-RPC error object of the same failure).
func (rt *routes) fail(w http.ResponseWriter, r *http.Request, err error) {
	rpc.WriteHTTPError(w, r, rt.log, err)
}
