package service

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/events"
	"github.com/attendify/social"
	"github.com/attendify/sponsored"
)

// Item is a post as a reader sees it: the document, its counters, the
// reader's reaction and the author's profile.
type Item struct {
	Doc        *Post
	Counts     Counts
	MyReaction string
	Author     Profile
	// Sponsored, when set, makes the item a sponsored post placed in a
	// feed page (Doc is nil): sponsored's card, shown as it is, in the
	// feed of PlacedApp, or of its event PlacedEvent (empty in the app's
	// feed).
	Sponsored              *sponsored.Card
	PlacedApp, PlacedEvent string
}

// UploadPhoto validates a photo and keeps it for the caller's next post.
func (s *Service) UploadPhoto(ctx context.Context, app string, r io.Reader) (Upload, Photo, error) {
	a, err := s.writer(ctx, app, "upload", s.limits.Upload)
	if err != nil {
		return Upload{}, Photo{}, err
	}
	p, err := ProcessPhoto(ctx, r, s.decoding)
	if err != nil {
		return Upload{}, Photo{}, err
	}
	up := Upload{ID: s.newID(), App: app, Author: a.Member, CreatedAt: s.clock()}
	// Counted before it is stored: a replica that dies in between leaves a
	// count without an upload, which expires with it (never an upload
	// without its count).
	pending := PendingUpload{App: app, Member: a.Member, ID: up.ID, Bytes: int64(len(p.Data) + len(p.Thumb)), Expires: up.CreatedAt.Add(social.UploadTTL)}
	res, err := s.st.Pending.ReservePending(ctx, pending, s.quota, s.now())
	if err != nil {
		return Upload{}, Photo{}, err
	}
	if !res.Reserved {
		return Upload{}, Photo{}, s.quotaError(res)
	}
	if err := s.st.Uploads.PutUpload(ctx, app, up, p); err != nil {
		if rerr := s.st.Pending.ReleasePending(context.WithoutCancel(ctx), app, a.Member, []string{up.ID}); rerr != nil {
			s.log.Warn("release a failed upload's count", "app", app, "upload", up.ID, "error", rerr)
		}
		return Upload{}, Photo{}, err
	}
	return up, p, nil
}

// quotaError refuses an upload past the member's pending uploads: retry
// when enough of them expire, or post some of them first.
func (s *Service) quotaError(r Reservation) error {
	msg := fmt.Sprintf("you have %d photos (%d MiB) uploaded and not yet posted, at most %d (%d MiB): post them, or wait for them to expire",
		r.Count, (r.Bytes+(1<<20)-1)>>20, s.quota.Count, s.quota.Bytes>>20)
	if r.Wait <= 0 {
		return errs.New(errs.Invalid, "%s", msg)
	}
	return &errs.Error{Code: errs.CodeRateLimited, Msg: msg, RetryAfter: r.Wait}
}

// CreatePostInput is what a member posts.
type CreatePostInput struct {
	App, Event, Session, Text string
	PhotoIDs                  []string
}

// CreatePost creates a post.
func (s *Service) CreatePost(ctx context.Context, in CreatePostInput) (Item, error) {
	a, err := s.writer(ctx, in.App, "post", s.limits.Post)
	if err != nil {
		return Item{}, err
	}
	text, err := ParseText(in.Text, len(in.PhotoIDs) > 0)
	if err != nil {
		return Item{}, err
	}
	if in.Session != "" && in.Event == "" {
		return Item{}, errs.InvalidFields("a session thread needs its event", errs.FieldError{Field: "/event_id", Message: "is required with session_id"})
	}
	// A session is named by its id, as feed.get reads its thread: a post
	// in a thread of any other name could never be read there (nor is it
	// in the app's or the event's feed).
	if in.Session != "" && !feedIDRE.MatchString(in.Session) {
		return Item{}, errs.InvalidFields("bad session", errs.FieldError{Field: "/session_id", Message: "must be a session id (letters, digits, '_' and '-')"})
	}
	if err := a.mayRead(in.Event); err != nil {
		if isNotFound(err) {
			return Item{}, errs.InvalidFields("unknown event", errs.FieldError{Field: "/event_id", Message: "is not an event of this app"})
		}
		return Item{}, err
	}
	ids := dedupe(in.PhotoIDs)
	if len(ids) > social.MaxPhotos {
		return Item{}, errs.InvalidFields("too many photos", errs.FieldError{Field: "/photo_ids", Message: "at most 4"})
	}
	photos := make([]Photo, 0, len(ids))
	for _, id := range ids {
		up, p, err := s.st.Uploads.Upload(ctx, in.App, id)
		if isNotFound(err) || (err == nil && (up.Author != a.Member || s.uploadExpired(up))) {
			return Item{}, errs.InvalidFields("unknown photo", errs.FieldError{Field: "/photo_ids", Message: "photo " + id + " was not uploaded by you, or has expired"})
		}
		if err != nil {
			return Item{}, err
		}
		photos = append(photos, p)
	}
	if text, err = s.mentions(ctx, in.App, a.Member, text, len(in.PhotoIDs) > 0); err != nil {
		return Item{}, err
	}
	mentions := text.Mentions
	now := s.clock()
	id := s.newID()
	notes, err := s.notifiable(ctx, in.App, in.Event, newMentions(in.App, a.Member, id, "", nil, mentions, now))
	if err != nil {
		return Item{}, err
	}
	doc := &Post{
		ID: id, App: in.App, Event: in.Event, Session: in.Session,
		Author: a.Member, Text: text.Body, Hashtags: text.Hashtags, Mentions: mentions,
		Photos: []PhotoRef{}, CreatedAt: now,
	}
	for i, p := range photos {
		doc.Photos = append(doc.Photos, PhotoRef{
			Name: fmt.Sprintf("photo-%d", i), Thumb: fmt.Sprintf("photo-%d-thumb", i),
			ContentType: p.ContentType, Width: p.Width, Height: p.Height, Bytes: len(p.Data),
		})
	}
	created := event(social.EventPostCreated, in.App, id, postPayload(doc, a.Member))
	doc.LastEvent = created.ID
	if err := s.create(ctx, in.App, PostDocID(id), created, nil, func() error { return s.st.Posts.CreatePost(ctx, doc, photos) }); err != nil {
		return Item{}, err
	}
	eff := Effects{App: in.App, Events: []events.Event{created}}
	eff.Notifications = notes
	if err := s.st.Changes.Record(ctx, eff); err != nil {
		return Item{}, err
	}
	// The uploads are in the post: deleted, they no longer count against
	// the member's pending uploads. One that could not be deleted still
	// counts (it still takes room) until it expires; so does a deleted
	// one whose release failed.
	released := make([]string, 0, len(ids))
	for _, pid := range ids {
		if err := s.st.Uploads.DeleteUpload(ctx, in.App, pid); err != nil {
			s.log.Warn("delete used upload", "app", in.App, "upload", pid, "error", err)
			continue
		}
		released = append(released, pid)
	}
	if len(released) > 0 {
		if err := s.st.Pending.ReleasePending(ctx, in.App, a.Member, released); err != nil {
			s.log.Warn("release used uploads", "app", in.App, "uploads", released, "error", err)
		}
	}
	item := Item{Doc: doc, Counts: Counts{Reactions: map[string]int64{}}}
	if err := s.st.Feeds.Add(ctx, entryOf(doc), &CachedPost{Doc: doc, Counts: item.Counts}); err != nil {
		// The post is stored; the index catches up when rebuilt.
		s.log.Warn("index new post", "app", in.App, "post", id, "error", err)
	}
	// A block that came after writer's check hides the post now (its scan
	// may have missed it).
	if blocked, err := s.blockedMeanwhile(ctx, in.App, a.Member, func(blocked bool) error {
		_, err := s.setPostAuthorBlocked(ctx, in.App, id, blocked, "")
		return err
	}); err != nil || blocked {
		return Item{}, cmp.Or(err, errBlocked())
	}
	profiles, _ := s.profiles(ctx, in.App, []string{a.Member})
	item.Author = profiles[a.Member]
	return item, nil
}

// newMentions notifies the members mentioned in after and not in before
// (an edit notifies only the members it adds).
func newMentions(app, actor, post, comment string, before, after []Mention, now time.Time) []Notification {
	var ns []Notification
	for _, m := range after {
		if m.Member == actor || hasMention(before, m.Member) {
			continue
		}
		ns = append(ns, Notification{App: app, Member: m.Member, Kind: social.NotifyMentioned, Actor: actor, Post: post, Comment: comment, CreatedAt: now})
	}
	return ns
}

// mentions settles the mentions of a text author writes (post.create,
// post.edit, comment.create, comment.edit): the markup is what a reader
// sees (eventwall renders it as @Name), so it must not say what the
// author likes about whom. A mention is kept for a mentionable member (a
// member of the app not blocked in hub; the first social.MaxMentions
// members the text names), and shows the name social knows for them, the
// one the feeds show beside their posts (Service.profiles), whatever was
// typed: "@[Organizers](bob)" becomes "@[Bob](bob)", in the text and in
// Mentions. When no name is known yet (hub's member event not yet
// consumed, or an empty name) the name typed is kept, unless it is the
// name social knows for the author or another member the text mentions
// (nobody is shown under the name of someone else who is right there):
// then, as for markup naming someone who is no mentionable member, the
// mention becomes plain text, '@' and the name typed, with no markup
// (RewriteMentions). empty is whether the text may be empty (ParseText).
func (s *Service) mentions(ctx context.Context, app, author string, t Text, empty bool) (Text, error) {
	members := make([]string, 0, len(t.Mentions))
	for _, m := range t.Mentions {
		_, ok, err := s.membershipOK(ctx, app, m.Member)
		if err != nil {
			return Text{}, err
		}
		if ok {
			members = append(members, m.Member)
		}
	}
	profiles, err := s.profiles(ctx, app, dedupe(append(slices.Clone(members), author)))
	if err != nil {
		return Text{}, err
	}
	known := make(map[string]string, len(profiles))
	for id, p := range profiles {
		if n := MentionName(p.Name); n != "" && !p.Deleted {
			known[id] = n
		}
	}
	names := make(map[string]string, len(members))
	for _, m := range t.Mentions {
		if !slices.Contains(members, m.Member) {
			continue
		}
		if n, ok := known[m.Member]; ok {
			names[m.Member] = n
			continue
		}
		if typed := MentionName(m.Name); typed != "" && !namesAnyOf(typed, known) {
			names[m.Member] = typed
		}
	}
	body := RewriteMentions(t.Body, func(member, _ string) (string, bool) {
		n, ok := names[member]
		return n, ok
	})
	if utf8.RuneCountInString(body) > social.MaxTextRunes {
		return Text{}, errs.InvalidFields("text too long", errs.FieldError{Field: "/text", Message: "is longer than 2000 characters with the names of the members it mentions"})
	}
	return ParseText(body, empty)
}

// namesAnyOf reports whether name reads as one of the names of known.
func namesAnyOf(name string, known map[string]string) bool {
	for _, n := range known {
		if sameName(n, name) {
			return true
		}
	}
	return false
}

// GetPost returns one visible post (any post for moderators).
func (s *Service) GetPost(ctx context.Context, app, id string) (Item, error) {
	a, err := s.actor(ctx, app)
	if err != nil {
		return Item{}, err
	}
	items, denied, err := s.items(ctx, a, []string{id}, a.Moderator)
	if err != nil {
		return Item{}, err
	}
	if denied != nil {
		return Item{}, denied
	}
	if len(items) == 0 {
		return Item{}, notFound("post")
	}
	return items[0], nil
}

// UpdatePost replaces a post's text; the author only.
func (s *Service) UpdatePost(ctx context.Context, app, id, raw string) (Item, error) {
	a, err := s.writer(ctx, app, "post", s.limits.Post)
	if err != nil {
		return Item{}, err
	}
	// A post hidden by a moderator (or by a block) is not found, by its
	// author too (as by post.get): an edit would change what the moderator
	// judged and notify the members it mentions. (A hide that comes while
	// the edit is written does not undo it: both apply.)
	if doc, err := s.st.Posts.Post(ctx, app, id); err != nil {
		return Item{}, err
	} else if !doc.Visible() {
		return Item{}, notFound("post")
	}
	var old IndexEntry
	var notes []Notification
	doc, updated, err := s.updatePost(ctx, PostRef{App: app, ID: id}, func(doc *Post) (events.Event, error) {
		if doc.Deleted || doc.Author != a.Member {
			if doc.Deleted || !doc.Visible() {
				return events.Event{}, notFound("post")
			}
			return events.Event{}, errs.WithCode(errs.CodeForbidden, "only the author edits a post")
		}
		// An author no longer registered to the post's event may delete
		// the post, not write in the event.
		if err := a.mayReadPost(doc); err != nil {
			return events.Event{}, err
		}
		text, err := ParseText(raw, len(doc.Photos) > 0)
		if err != nil {
			return events.Event{}, err
		}
		if text, err = s.mentions(ctx, app, a.Member, text, len(doc.Photos) > 0); err != nil {
			return events.Event{}, err
		}
		mentions := text.Mentions
		old = entryOf(doc)
		now := s.clock()
		if notes, err = s.notifiable(ctx, app, doc.Event, newMentions(app, a.Member, id, "", doc.Mentions, mentions, now)); err != nil {
			return events.Event{}, err
		}
		doc.Text, doc.Hashtags, doc.Mentions, doc.EditedAt = text.Body, text.Hashtags, mentions, &now
		return event(social.EventPostUpdated, app, id, postPayload(doc, a.Member)), nil
	})
	if err != nil {
		return Item{}, err
	}
	if err := s.st.Changes.Record(ctx, Effects{App: app, Events: []events.Event{updated}, Notifications: notes}); err != nil {
		return Item{}, err
	}
	s.reindex(ctx, old, &doc)
	items, _, err := s.items(ctx, a, []string{id}, true)
	if err != nil || len(items) == 0 {
		return Item{}, err
	}
	return items[0], nil
}

// reindex moves a post from its old feeds to its new ones after a change,
// and drops its cached copy at the changed revision (PostCache.DropPost).
func (s *Service) reindex(ctx context.Context, old IndexEntry, doc *Post) {
	if err := s.st.Feeds.Remove(ctx, old); err != nil {
		s.log.Warn("unindex post", "app", doc.App, "post", old.ID, "error", err)
	}
	if doc.Visible() {
		if err := s.st.Feeds.Add(ctx, entryOf(doc), nil); err != nil {
			s.log.Warn("index post", "app", doc.App, "post", old.ID, "error", err)
		}
	}
	if err := s.st.Cache.DropPost(ctx, doc.App, old.ID, doc.Rev); err != nil {
		s.log.Warn("drop cached post", "app", doc.App, "post", old.ID, "error", err)
	}
}

// DeletePost deletes a post: its author or a moderator.
func (s *Service) DeletePost(ctx context.Context, app, id string) error {
	a, err := s.actor(ctx, app)
	if err != nil {
		return err
	}
	_, err = s.deletePost(ctx, a, id)
	return err
}

// deletePost deletes one post; found is false when there was none.
func (s *Service) deletePost(ctx context.Context, a Actor, id string) (found bool, err error) {
	return s.changePost(ctx, a, id, func(doc *Post) (string, error) {
		if doc.Deleted {
			return "", nil
		}
		if doc.Author != a.Member && !a.Moderator {
			if !doc.Visible() {
				return "", notFound("post")
			}
			// What post.get would answer first: a post of an event hidden
			// from the caller is not found, not refused (which would say
			// that it exists).
			if err := a.mayReadPost(doc); err != nil {
				return "", err
			}
			return "", errs.WithCode(errs.CodeForbidden, "only the author or a moderator deletes a post")
		}
		now := s.clock()
		doc.Deleted, doc.DeletedBy, doc.DeletedAt = true, a.Member, &now
		// Without its photos the post loses their attachments.
		doc.Text, doc.Hashtags, doc.Mentions, doc.Photos = "", []string{}, []Mention{}, []PhotoRef{}
		return social.EventPostDeleted, nil
	})
}

// changePost changes a post by change (see updatePost), then records the
// event of the type change names and updates the index. change returns ""
// when there is nothing to do. found is false when there is no post.
func (s *Service) changePost(ctx context.Context, a Actor, id string, change func(*Post) (evType string, err error)) (found bool, err error) {
	var old IndexEntry
	doc, ev, err := s.updatePost(ctx, PostRef{App: a.App, ID: id}, func(doc *Post) (events.Event, error) {
		found, old = true, entryOf(doc)
		typ, err := change(doc)
		if err != nil || typ == "" {
			return events.Event{}, err
		}
		return event(typ, a.App, id, postPayload(doc, a.Member)), nil
	})
	if !found && isNotFound(err) {
		return false, nil
	}
	if err != nil || ev.ID == "" {
		return err == nil, err
	}
	if err := s.st.Changes.Record(ctx, Effects{App: a.App, Events: []events.Event{ev}}); err != nil {
		return true, err
	}
	s.reindex(ctx, old, &doc)
	return true, nil
}

// SettlePending records the pending changes (older than age) of processes
// that died between a document's write and the record of its event: a
// change is recorded when the document names its event (LastEvent) or,
// for a creation, when the document exists; otherwise it was never
// written, and is dropped. (A change written and then replaced by another
// was recorded by the other's ChangeLog.Intend.) It returns how many it
// settled.
func (s *Service) SettlePending(ctx context.Context, age time.Duration) (int, error) {
	ps, err := s.st.Changes.Pending(ctx, age, 100)
	if err != nil {
		return 0, err
	}
	for _, p := range ps {
		last, exists, err := s.st.AppDocs.LastEvent(ctx, p.App, p.DocID)
		if err != nil {
			return 0, err
		}
		creation := p.Event.Type == social.EventPostCreated || p.Event.Type == social.EventCommentCreated
		publish := exists && (last == p.Event.ID || creation)
		if err := s.st.Changes.Settle(ctx, p, publish); err != nil {
			return 0, err
		}
		if publish {
			s.catchUp(ctx, p.App, p.DocID)
		}
	}
	return len(ps), nil
}

// catchUp brings the index up to a document after a change recorded by
// the sweeper: a post goes into or out of its feeds as it is now, and the
// cached post is reloaded. (A post's edit that dropped hashtags leaves it in
// those hashtags' feeds until the index is rebuilt.)
func (s *Service) catchUp(ctx context.Context, app, docID string) {
	if strings.HasPrefix(docID, "post:") {
		doc, err := s.st.Posts.Post(ctx, app, PostIDOf(docID))
		if err == nil {
			s.reindex(ctx, entryOf(doc), doc)
		} else {
			s.log.Warn("reindex post", "app", app, "doc", docID, "error", err)
		}
	}
	s.dropCached(ctx, app, docID)
}

// PostRef names a post: its app and its own id.
type PostRef struct {
	App string
	ID  string
}

// PostDocID is the CouchDB id of a post.
func PostDocID(id string) string { return "post:" + id }

// PostIDOf is the post id of a post document id.
func PostIDOf(docID string) string { return strings.TrimPrefix(docID, "post:") }

func entryOf(doc *Post) IndexEntry {
	return IndexEntry{
		App: doc.App, ID: doc.ID, Event: doc.Event, Session: doc.Session,
		Author: doc.Author, Hashtags: slices.Clone(doc.Hashtags),
	}
}

func postPayload(doc *Post, by string) social.PostPayload {
	p := social.PostPayload{
		ID: doc.ID, AppID: doc.App, EventID: doc.Event, SessionID: doc.Session,
		AuthorID: doc.Author, Hashtags: doc.Hashtags, Photos: len(doc.Photos),
		Visible: doc.Visible(), CreatedAt: doc.CreatedAt, By: by,
	}
	if !doc.Deleted {
		p.Text = doc.Text
	}
	for _, m := range doc.Mentions {
		p.Mentions = append(p.Mentions, m.Member)
	}
	return p
}

// Photo opens a photo (or thumbnail) of a visible post; name is "<i>" or
// "<i>t".
func (s *Service) Photo(ctx context.Context, app, post, name string) (string, io.ReadCloser, error) {
	a, err := s.actor(ctx, app)
	if err != nil {
		return "", nil, err
	}
	doc, err := s.st.Posts.Post(ctx, app, post)
	if err != nil {
		return "", nil, err
	}
	// A hidden post is not found to its author either (as by post.get).
	if !doc.Visible() && !a.Moderator {
		return "", nil, notFound("photo")
	}
	if err := a.mayReadPost(doc); err != nil {
		return "", nil, err
	}
	thumb := strings.HasSuffix(name, "t")
	idx := strings.TrimSuffix(name, "t")
	for i, p := range doc.Photos {
		if fmt.Sprint(i) == idx {
			att := p.Name
			if thumb {
				att = p.Thumb
			}
			return s.st.Posts.Attachment(ctx, app, post, att)
		}
	}
	return "", nil, notFound("photo")
}

// uploadExpired reports whether an upload is past social.UploadTTL.
func (s *Service) uploadExpired(up Upload) bool {
	return s.now().Sub(up.CreatedAt) > social.UploadTTL
}
