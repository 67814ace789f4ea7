package service

import (
	"context"

	"github.com/attendify/platform/errs"
	"github.com/attendify/social"
)

// ReportItem is an open report with the post as it is now.
type ReportItem struct {
	Report
	Item *Item // nil when the post is gone
}

// ReportInput is a member's report of a post.
type ReportInput struct {
	App    string
	Post   string
	Reason string
	Note   string
}

// Report records a member's report of a post: once per member and post
// while it is open; reported again after a moderator resolved it, it opens
// again with the new reason and note (ReportStore.AddReport).
func (s *Service) Report(ctx context.Context, in ReportInput) error {
	app, post, reason, note := in.App, in.Post, in.Reason, in.Note
	// A report is a write: refused to members a moderator blocked.
	a, err := s.writer(ctx, app, "report", s.limits.Report)
	if err != nil {
		return err
	}
	note, err = ParseNote(note)
	if err != nil {
		return err
	}
	if _, err := s.visiblePost(ctx, a, post); err != nil {
		return err
	}
	return s.st.Reports.AddReport(ctx, Report{
		ID: s.newID(), App: app, Post: post, Reporter: a.Member, Reason: reason, Note: note, CreatedAt: s.clock(),
	})
}

// Queue returns a page of open reports, oldest first (moderators).
func (s *Service) Queue(ctx context.Context, app, cursor string, limit int) ([]ReportItem, string, error) {
	a, err := s.moderator(ctx, app)
	if err != nil {
		return nil, "", err
	}
	after, err := decodeCursor(cursor)
	if err != nil {
		return nil, "", err
	}
	if limit <= 0 {
		limit = social.DefaultPageSize
	}
	rs, err := s.st.Reports.OpenReports(ctx, app, after, limit)
	if err != nil {
		return nil, "", err
	}
	ids := make([]string, 0, len(rs))
	for _, r := range rs {
		ids = append(ids, r.Post)
	}
	items, _, err := s.items(ctx, a, dedupe(ids), true)
	if err != nil {
		return nil, "", err
	}
	byID := map[string]*Item{}
	for i := range items {
		byID[items[i].Doc.ID] = &items[i]
	}
	out := make([]ReportItem, len(rs))
	for i, r := range rs {
		out[i] = ReportItem{Report: r, Item: byID[r.Post]}
	}
	next := ""
	if len(rs) == limit {
		next = encodeCursor(rs[len(rs)-1].ID)
	}
	return out, next, nil
}

// Hide hides posts from every feed (moderators) and resolves their reports.
func (s *Service) Hide(ctx context.Context, app string, ids []string, reason string) (done, notFound []string, err error) {
	a, err := s.moderator(ctx, app)
	if err != nil {
		return nil, nil, err
	}
	done, notFound, err = s.bulk(ctx, a, ids, func(doc *Post) (string, error) {
		if doc.Deleted || doc.Hidden {
			return "", nil
		}
		now := s.clock()
		doc.Hidden, doc.HiddenBy, doc.HiddenReason, doc.HiddenAt = true, a.Member, reason, &now
		return social.EventPostHidden, nil
	})
	if err != nil {
		return done, notFound, err
	}
	return done, notFound, s.st.Reports.ResolveReports(ctx, app, done, a.Member)
}

// Unhide shows hidden posts again (moderators).
func (s *Service) Unhide(ctx context.Context, app string, ids []string) (done, notFound []string, err error) {
	a, err := s.moderator(ctx, app)
	if err != nil {
		return nil, nil, err
	}
	return s.bulk(ctx, a, ids, func(doc *Post) (string, error) {
		if doc.Deleted || !doc.Hidden {
			return "", nil
		}
		doc.Hidden, doc.HiddenBy, doc.HiddenReason, doc.HiddenAt = false, "", "", nil
		return social.EventPostShown, nil
	})
}

// DeletePosts deletes posts in bulk (moderators) and resolves their reports.
func (s *Service) DeletePosts(ctx context.Context, app string, ids []string) (done, notFound []string, err error) {
	a, err := s.moderator(ctx, app)
	if err != nil {
		return nil, nil, err
	}
	for _, id := range dedupe(ids) {
		found, err := s.deletePost(ctx, a, id)
		if err != nil {
			return done, notFound, err
		}
		if found {
			done = append(done, id)
		} else {
			notFound = append(notFound, id)
		}
	}
	return done, notFound, s.st.Reports.ResolveReports(ctx, app, done, a.Member)
}

func (s *Service) bulk(ctx context.Context, a Actor, ids []string, change func(*Post) (string, error)) (done, notFound []string, err error) {
	done, notFound = []string{}, []string{}
	if len(ids) > social.MaxBulk {
		return nil, nil, errs.InvalidFields("too many posts", errs.FieldError{Field: "/post_ids", Message: "at most 100"})
	}
	for _, id := range dedupe(ids) {
		found, err := s.changePost(ctx, a, id, change)
		if err != nil {
			return done, notFound, err
		}
		if found {
			done = append(done, id)
		} else {
			notFound = append(notFound, id)
		}
	}
	return done, notFound, nil
}

// BlockResult is what a block did.
type BlockResult struct {
	BlockRecord
	PostsHidden int
}

// Block blocks a member from the app's social network (moderators): their
// posts and comments are hidden and new ones refused.
func (s *Service) Block(ctx context.Context, app, member, reason string) (BlockResult, error) {
	a, err := s.moderator(ctx, app)
	if err != nil {
		return BlockResult{}, err
	}
	if member == a.Member {
		return BlockResult{}, errs.New(errs.Invalid, "you cannot block yourself")
	}
	if m, ok, err := s.membershipOK(ctx, app, member); err != nil {
		return BlockResult{}, err
	} else if ok && m.Organizer() {
		return BlockResult{}, errs.New(errs.Invalid, "organizers cannot be blocked here")
	}
	b := BlockRecord{App: app, Member: member, Source: "social", By: a.Member, Reason: reason, At: s.clock()}
	if _, err := s.st.Blocks.SetBlock(ctx, b, true); err != nil {
		return BlockResult{}, err
	}
	n, err := s.setAuthorBlocked(ctx, app, member, true, a.Member)
	return BlockResult{BlockRecord: b, PostsHidden: n}, err
}

// Unblock lifts a moderator's block (moderators).
func (s *Service) Unblock(ctx context.Context, app, member string) error {
	a, err := s.moderator(ctx, app)
	if err != nil {
		return err
	}
	still, err := s.st.Blocks.SetBlock(ctx, BlockRecord{App: app, Member: member, Source: "social", By: a.Member, At: s.clock()}, false)
	if err != nil || still {
		return err
	}
	_, err = s.setAuthorBlocked(ctx, app, member, false, a.Member)
	return err
}

// setAuthorBlocked sets AuthorBlocked on every post and comment of member
// and updates the feeds, and settles the counting of the member's
// reactions to their blocks; it returns how many posts changed.
func (s *Service) setAuthorBlocked(ctx context.Context, app, member string, blocked bool, by string) (int, error) {
	if err := s.settleReactions(ctx, app, member); err != nil {
		return 0, err
	}
	var posts []string
	var comments []CommentRef
	err := s.st.AppDocs.EachDoc(ctx, app, func(d *Post) error {
		if d.Author == member && d.AuthorBlocked != blocked {
			posts = append(posts, d.ID)
		}
		return nil
	}, func(d *Comment) error {
		if d.Author == member && d.AuthorBlocked != blocked {
			comments = append(comments, CommentRef{App: app, Post: d.Post, ID: d.ID})
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range posts {
		changed, err := s.setPostAuthorBlocked(ctx, app, id, blocked, by)
		if err != nil {
			return n, err
		}
		if changed {
			n++
		}
	}
	for _, c := range comments {
		if err := s.setCommentAuthorBlocked(ctx, c, blocked, by); err != nil {
			return n, err
		}
	}
	return n, nil
}

// settleReactions takes a blocked member's reactions out of the posts'
// counters, or puts them back once no block remains
// (ReactionStore.SettleBlocked: exactly once, so a retried block or a
// redelivered event of hub moves nothing more), and drops the cached
// counters it corrected.
func (s *Service) settleReactions(ctx context.Context, app, member string) error {
	moved, err := s.st.Reactions.SettleBlocked(ctx, app, member)
	if err != nil {
		return err
	}
	for _, post := range moved {
		if err := s.st.Cache.DropPost(ctx, app, post, ""); err != nil {
			s.log.Warn("drop uncounted post", "app", app, "post", post, "error", err)
		}
	}
	return nil
}

// SettleBlocks settles the reactions of the members whose counting does
// not follow their blocks (ReactionStore.Unsettled): those blocked before
// reactions followed blocks, and a block or unblock whose settling a
// crash cut short. The app runs it at start and then periodically; each
// settling moves the counters at most once, whichever replica runs it.
func (s *Service) SettleBlocks(ctx context.Context) error {
	const batch = 500
	for {
		refs, err := s.st.Reactions.Unsettled(ctx, batch)
		if err != nil {
			return err
		}
		for _, r := range refs {
			if err := s.settleReactions(ctx, r.App, r.Member); err != nil {
				return err
			}
		}
		if len(refs) > 0 {
			s.log.Info("settled the reactions of blocked and unblocked members", "members", len(refs))
		}
		if len(refs) < batch {
			return nil
		}
	}
}

// setPostAuthorBlocked sets AuthorBlocked on a post, hiding or showing it
// (post.hidden, post.shown) and moving it out of or into its feeds; changed
// is false when it was already so.
func (s *Service) setPostAuthorBlocked(ctx context.Context, app, id string, blocked bool, by string) (changed bool, err error) {
	a := Actor{App: app, Member: by, Moderator: true}
	_, err = s.changePost(ctx, a, id, func(doc *Post) (string, error) {
		if doc.AuthorBlocked == blocked {
			return "", nil
		}
		was := doc.Visible()
		doc.AuthorBlocked = blocked
		changed = true
		switch {
		case was && !doc.Visible():
			return social.EventPostHidden, nil
		case !was && doc.Visible():
			return social.EventPostShown, nil
		}
		return social.EventPostUpdated, nil
	})
	return changed, err
}

// blockedMeanwhile closes the window between writer's check of the
// author's block and the creation of a post or comment, which Block's
// scan of the author's documents cannot see if it ran in between: called
// after the document is written, it reads the block again and, if the
// author was blocked meanwhile, hides the document as Block does (set,
// setPostAuthorBlocked or setCommentAuthorBlocked); it reports whether the
// author is blocked.
//
// Why this closes it: a block (Block, or hub's member.blocked) commits its
// row (BlockStore.SetBlock) before its scan (AppDocs.EachDoc) starts, and
// the creation wrote its document before this read. If the scan missed the
// document, the document was written after the scan started, so after the
// block committed, and this read, later still, sees the block: one of the
// two hides it (both may; hiding a hidden document changes nothing). An
// unblock is the same the other way round, so the document is set to the
// block read and the block read again, until a read finds what was last
// written: a block or unblock committed after that read scans after it,
// and finds the document as it must.
func (s *Service) blockedMeanwhile(ctx context.Context, app, member string, set func(blocked bool) error) (bool, error) {
	written := false // a new document is written unblocked
	for range UpdateAttempts {
		blocked, err := s.st.Blocks.Blocked(ctx, app, member)
		if err != nil || blocked == written {
			return blocked, err
		}
		if err := set(blocked); err != nil {
			return false, err
		}
		written = blocked
	}
	return written, errs.New(errs.Conflict, "the author's block keeps changing; retry")
}

// errBlocked refuses a write of a member a moderator blocked.
func errBlocked() error {
	return errs.WithCode(errs.CodeForbidden, "you are blocked from posting in this app")
}
