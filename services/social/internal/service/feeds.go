package service

import (
	"context"
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/attendify/platform/errs"
	"github.com/attendify/social"
	"github.com/attendify/sponsored"
	"github.com/attendify/sponsored/placement"
)

// Feed returns a page of a feed, newest first, and the cursor of the next
// page ("" at the end). The cursor is the id of the last post scanned: ids
// sort by creation time, so posts added since never shift a page.
func (s *Service) Feed(ctx context.Context, app string, f Feed, cursor string, limit int) ([]Item, string, error) {
	a, err := s.actor(ctx, app)
	if err != nil {
		return nil, "", err
	}
	f, err = checkFeed(f)
	if err != nil {
		return nil, "", err
	}
	if f.Kind == social.FeedEvent {
		if err := a.mayRead(f.ID); err != nil {
			return nil, "", err
		}
	}
	// Other feeds (the app's, a session thread, a member's, a hashtag's)
	// show only the posts of events the caller may read: items drops the
	// others. A session's event is not in hub's read model, so a thread is
	// filtered post by post (each carries its event).
	after, err := decodeCursor(cursor)
	if err != nil {
		return nil, "", err
	}
	if limit <= 0 {
		limit = social.DefaultPageSize
	}
	limit = min(limit, social.MaxPageSize)
	out := make([]Item, 0, limit)
	rebuilt := false
	for round := 0; round < 5; round++ {
		want := limit - len(out)
		ids, built, err := s.st.Feeds.Page(ctx, app, f, after, want)
		if err != nil {
			return nil, "", err
		}
		if !built {
			if rebuilt {
				return nil, "", errs.New(errs.Unavailable, "the feed index is being rebuilt; retry")
			}
			if err := s.Rebuild(ctx, app); err != nil {
				return nil, "", err
			}
			rebuilt = true
			round--
			continue
		}
		items, _, err := s.items(ctx, a, ids, false)
		if err != nil {
			return nil, "", err
		}
		out = append(out, items...)
		if len(ids) < want {
			return s.sponsor(ctx, a, f, out), "", nil // the end
		}
		after = ids[len(ids)-1]
		if len(out) >= limit {
			break
		}
	}
	return s.sponsor(ctx, a, f, out), encodeCursor(after), nil
}

// sponsor places sponsored posts among a page of the app's or an event's
// feed (never first, at most one per the app's N organic posts); the
// cursor stays the organic one's.
func (s *Service) sponsor(ctx context.Context, a Actor, f Feed, organic []Item) []Item {
	if s.placer == nil || (f.Kind != social.FeedApp && f.Kind != social.FeedEvent) {
		return organic
	}
	event := ""
	if f.Kind == social.FeedEvent {
		event = f.ID
	}
	slots := s.placer.Fill(ctx, a.App, event, placement.ViewerOf(a.events.Membership), len(organic))
	return placement.Insert(organic, slots, func(c sponsored.Card) Item {
		return Item{Sponsored: &c, PlacedApp: a.App, PlacedEvent: event}
	})
}

// Rebuild rebuilds the app's feed index from the post documents.
func (s *Service) Rebuild(ctx context.Context, app string) error {
	return s.st.Feeds.Rebuild(ctx, app, func(add func(IndexEntry)) error {
		return s.st.AppDocs.EachDoc(ctx, app, func(d *Post) error {
			if d.Visible() {
				add(entryOf(d))
			}
			return nil
		}, nil)
	})
}

// items returns the posts among ids that the actor may see, in order, with
// counters, the actor's reactions and the authors' profiles; what is missing
// from the cache is loaded from the stores and cached. Posts that are no
// longer visible are dropped from the feeds on the way, unless
// includeHidden (moderators reading one post). Posts of events the actor
// may not read are left out; denied is the access error of the first one.
func (s *Service) items(ctx context.Context, a Actor, ids []string, includeHidden bool) (_ []Item, denied, _ error) {
	if len(ids) == 0 {
		return nil, nil, nil
	}
	cached, mine, loaded, err := s.st.Cache.Items(ctx, a.App, a.Member, ids)
	if err != nil {
		return nil, nil, err
	}
	var missing []string
	for i, c := range cached {
		if c == nil {
			missing = append(missing, ids[i])
		}
	}
	if len(missing) > 0 {
		docs, err := s.st.Posts.Posts(ctx, a.App, missing)
		if err != nil {
			return nil, nil, err
		}
		for i, c := range cached {
			if c != nil {
				continue
			}
			doc := docs[ids[i]]
			if doc == nil {
				continue
			}
			counts, err := s.st.Reactions.Counts(ctx, a.App, ids[i])
			if err != nil {
				return nil, nil, err
			}
			cp := &CachedPost{Doc: doc, Counts: counts}
			if err := s.st.Cache.CachePost(ctx, a.App, cp); err != nil {
				s.log.Warn("cache post", "app", a.App, "post", ids[i], "error", err)
			}
			cached[i] = cp
		}
	}
	if !loaded && a.Member != "" {
		// The fill starts before the read: a reaction of the member that
		// commits after the read cancels it (PostCache).
		fill, ferr := s.st.Cache.StartMemberReactions(ctx, a.App, a.Member)
		if ferr != nil {
			s.log.Warn("start caching reactions", "app", a.App, "member", a.Member, "error", ferr)
		}
		r, err := s.st.Reactions.MemberReactions(ctx, a.App, a.Member)
		if err != nil {
			return nil, nil, err
		}
		if ferr == nil {
			if err := s.st.Cache.CacheMemberReactions(ctx, a.App, a.Member, fill, r); err != nil {
				s.log.Warn("cache reactions", "app", a.App, "member", a.Member, "error", err)
			}
		}
		mine = r
	}
	items := make([]Item, 0, len(ids))
	authors := make([]string, 0, len(ids))
	for i, c := range cached {
		if c == nil {
			continue
		}
		if !c.Doc.Visible() && (c.Doc.Deleted || !includeHidden) {
			if err := s.st.Feeds.Remove(ctx, entryOf(c.Doc)); err != nil {
				s.log.Warn("unindex invisible post", "post", ids[i], "error", err)
			}
			continue
		}
		if err := a.mayReadPost(c.Doc); err != nil {
			if denied == nil {
				denied = err
			}
			continue
		}
		items = append(items, Item{Doc: c.Doc, Counts: c.Counts, MyReaction: mine[ids[i]]})
		authors = append(authors, c.Doc.Author)
	}
	profiles, err := s.profiles(ctx, a.App, dedupe(authors))
	if err != nil {
		return nil, nil, err
	}
	for i := range items {
		items[i].Author = profiles[items[i].Doc.Author]
	}
	return items, denied, nil
}

// profiles returns the profiles of members, from the cache or the ledger.
// A member without a profile (hub has not told yet) gets an empty one.
func (s *Service) profiles(ctx context.Context, app string, members []string) (map[string]Profile, error) {
	if len(members) == 0 {
		return map[string]Profile{}, nil
	}
	ps, err := s.st.ProfileCache.Profiles(ctx, app, members)
	if err != nil {
		return nil, err
	}
	var missing []string
	for _, m := range members {
		if _, ok := ps[m]; !ok {
			missing = append(missing, m)
		}
	}
	if len(missing) > 0 {
		stored, err := s.st.Profiles.Profiles(ctx, app, missing)
		if err != nil {
			return nil, err
		}
		fill := make([]Profile, 0, len(missing))
		for _, m := range missing {
			p, ok := stored[m]
			if !ok {
				p = Profile{App: app, Member: m} // cached empty until hub's event arrives
			}
			ps[m] = p
			fill = append(fill, p)
		}
		if err := s.st.ProfileCache.CacheProfiles(ctx, app, fill); err != nil {
			s.log.Warn("cache profiles", "app", app, "error", err)
		}
	}
	return ps, nil
}

var feedIDRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// checkFeed validates and normalises a feed reference.
func checkFeed(f Feed) (Feed, error) {
	bad := func(msg string) (Feed, error) {
		return Feed{}, errs.InvalidFields("bad feed", errs.FieldError{Field: "/id", Message: msg})
	}
	switch f.Kind {
	case social.FeedApp:
		if f.ID != "" {
			return bad("must be empty for the app feed")
		}
	case social.FeedEvent, social.FeedSession, social.FeedMember:
		if !feedIDRE.MatchString(f.ID) {
			return bad("must be an id")
		}
	case social.FeedHashtag:
		f.ID = NormalizeTag(f.ID)
		if utf8.RuneCountInString(f.ID) > maxHashtagRunes {
			return bad(fmt.Sprintf("is longer than a hashtag (at most %d characters)", maxHashtagRunes))
		}
		if tags := Hashtags("#" + f.ID); len(tags) != 1 || tags[0] != f.ID {
			return bad("must be a hashtag")
		}
	default:
		return Feed{}, errs.InvalidFields("bad feed", errs.FieldError{Field: "/kind", Message: "unknown feed kind"})
	}
	return f, nil
}

const cursorPrefix = "p1."

func encodeCursor(after string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + after))
}

func decodeCursor(c string) (string, error) {
	if c == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	s := string(b)
	if err != nil || !strings.HasPrefix(s, cursorPrefix) || !feedIDRE.MatchString(s[len(cursorPrefix):]) {
		return "", errs.InvalidFields("bad cursor", errs.FieldError{Field: "/cursor", Message: "is not a cursor this method returned"})
	}
	return s[len(cursorPrefix):], nil
}
