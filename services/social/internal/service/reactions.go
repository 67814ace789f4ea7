package service

import (
	"context"
	"slices"

	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/events"
	"github.com/attendify/social"
)

// ReactionState is a post's reactions as the caller sees them after a change.
type ReactionState struct {
	Post       string
	MyReaction string
	Counts     Counts
}

// React sets the caller's reaction on a post ("" removes it). Repeating a
// call changes nothing: only an actual change moves the counters, records
// the like.* event and notifies the post's author (for a new reaction).
func (s *Service) React(ctx context.Context, app, post, kind string) (ReactionState, error) {
	if kind != "" && !slices.Contains(social.Reactions, kind) {
		return ReactionState{}, errs.InvalidFields("unknown reaction", errs.FieldError{Field: "/reaction", Message: "is not a reaction"})
	}
	// A member a moderator blocked reacts no more, but may take back a
	// reaction, as they may delete their posts and comments.
	a, err := s.member(ctx, app, "reaction", s.limits.React, kind != "")
	if err != nil {
		return ReactionState{}, err
	}
	// The post as cached for the feeds (CouchDB only on a cache miss).
	items, denied, err := s.items(ctx, a, []string{post}, false)
	if err != nil {
		return ReactionState{}, err
	}
	if denied != nil {
		return ReactionState{}, denied
	}
	if len(items) == 0 {
		return ReactionState{}, notFound("post")
	}
	doc := items[0].Doc
	now := s.clock()
	// A first reaction notifies the post's author, if they may still read
	// the post.
	authorReads := false
	if kind != "" && doc.Author != "" && doc.Author != a.Member {
		ok, err := s.readers(ctx, app, doc.Event, []string{doc.Author})
		if err != nil {
			return ReactionState{}, err
		}
		authorReads = ok[doc.Author]
	}
	mine := Reaction{App: app, Post: post, Member: a.Member, Kind: kind}
	r, err := s.st.Reactions.React(ctx, mine, func(prev string) Effects {
		typ := social.EventLikeChanged
		switch {
		case prev == "":
			typ = social.EventLikeCreated
		case kind == "":
			typ = social.EventLikeDeleted
		}
		eff := Effects{Events: []events.Event{event(typ, app, post, social.LikePayload{
			AppID: app, PostID: post, EventID: doc.Event, MemberID: a.Member, Reaction: kind, Previous: prev,
		})}}
		if prev == "" && authorReads {
			eff.Notifications = []Notification{{
				App: app, Member: doc.Author, Kind: social.NotifyLiked, Actor: a.Member, Post: post, Reaction: kind, CreatedAt: now,
			}}
		}
		return eff
	})
	if err != nil {
		return ReactionState{}, err
	}
	if !r.Changed && !r.Recounted && !r.Uncounted {
		return ReactionState{Post: post, MyReaction: kind, Counts: items[0].Counts}, nil
	}
	// cache moves my reaction in the cache, and the counters unless nil;
	// the reaction is committed, so a cache that does not answer is only
	// logged.
	cache := func(counts *Counts) {
		if err := s.st.Cache.ApplyReaction(ctx, mine, counts); err != nil {
			s.log.Warn("apply reaction to cache", "app", app, "post", post, "error", err)
		}
	}
	if r.Uncounted {
		// Blocked (they may take a reaction back): the counters stay as
		// they are, only my reaction changes.
		cache(nil)
		return ReactionState{Post: post, MyReaction: kind, Counts: items[0].Counts}, nil
	}
	// The counters as committed, this change's and any before it: the
	// cache takes them only over older ones (Counts.Version), so a reader
	// that cached counters read before or after this change, in either
	// order, leaves the newest (Riak's carry no version: the cache drops
	// its copy, after a recount too). Read after the commit, not in the
	// transaction: the hot post's counter row stays locked no longer.
	counts, err := s.st.Reactions.Counts(ctx, app, post)
	if err != nil {
		// The reaction is committed: the member's own reaction moves in
		// the cache all the same, and the counters, which the cache
		// cannot be told, are dropped for the next reader to load. The
		// call fails; a retry finds the reaction made and answers.
		cache(nil)
		s.dropCached(ctx, app, post)
		return ReactionState{}, err
	}
	cache(&counts)
	return ReactionState{Post: post, MyReaction: kind, Counts: counts}, nil
}
