package service_test

import (
	"context"
	"errors"
	"testing"

	"github.com/attendify/hub"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/social/internal/service"
	"github.com/attendify/social/internal/store/memstore"
)

// The domain's unit tests run the service on the in-memory adapters
// (memstore), which pass the contract suites the real stores pass
// (storetest). Each table holds the cases of one outcome. The stories on
// the real stores are the component tests of the module's root.

const app = "app1"

// The people of the app.
const (
	ada   = "ada"   // an attendee, author of most posts
	bob   = "bob"   // another attendee
	cy    = "cy"    // a third attendee
	mona  = "mona"  // a moderator
	olga  = "olga"  // an organizer (owner)
	carla = "carla" // a collaborator: an organizer, not a moderator
)

// access is the fake of hub's read model: the app's members by id. It
// knows no events (hub.EventAccess has no public constructor with
// events): the event rules are tested on hub's real read model
// (access_test.go).
type access struct {
	members map[string]hub.Membership
}

func (a *access) AuthorizeEvents(_ context.Context, c auth.Caller, appID string) (hub.EventAccess, error) {
	if c.Kind == auth.CallerService {
		return hub.EventAccess{}, nil
	}
	m, ok := a.members[c.User]
	if !ok || appID != app || m.Blocked {
		return hub.EventAccess{}, errs.WithCode(errs.CodeForbidden, "not a member of this app")
	}
	return hub.EventAccess{Membership: m}, nil
}

func (a *access) EventReaders(context.Context, string, string, []string) ([]bool, error) {
	return nil, errs.New(errs.Internal, "the fake access knows no events")
}

func (a *access) Membership(_ context.Context, appID, user string) (hub.Membership, error) {
	m, ok := a.members[user]
	if !ok || appID != app {
		return hub.Membership{}, errs.New(errs.NotFound, "not a member")
	}
	return m, nil
}

// world is a service on fakes, with what it wrote.
type world struct {
	t      *testing.T
	svc    *service.Service
	docs   *racingDocs
	ledger *memstore.Ledger
	blocks *racingBlocks
	racing *racingLedger
	index  *memstore.Index
}

// racingDocs are the in-memory documents, where a concurrent change can
// be slipped into an update: meanwhile, when set, runs once (and is
// cleared) in the next update of a post or comment, after the store read
// the document and before the domain's rule runs on it, so that the
// update's write conflicts with the change meanwhile wrote.
type racingDocs struct {
	*memstore.Docs
	meanwhile func()
}

// race runs meanwhile, if set, once.
func (d *racingDocs) race() {
	if f := d.meanwhile; f != nil {
		d.meanwhile = nil
		f()
	}
}

// UpdatePost implements service.PostStore.
func (d *racingDocs) UpdatePost(ctx context.Context, ref service.PostRef, update func(*service.Post) error) (service.Post, error) {
	return d.Docs.UpdatePost(ctx, ref, func(p *service.Post) error {
		d.race()
		return update(p)
	})
}

// UpdateComment implements service.CommentStore.
func (d *racingDocs) UpdateComment(ctx context.Context, ref service.CommentRef, update func(*service.Comment) error) (service.Comment, error) {
	return d.Docs.UpdateComment(ctx, ref, func(c *service.Comment) error {
		d.race()
		return update(c)
	})
}

// racingBlocks are the in-memory blocks, where a block (or unblock) can be
// slipped between a check of a member's block and what it guards:
// meanwhile, when set, runs once (and is cleared) right after the next
// Blocked has read the block, before its caller goes on. among counts the
// calls of BlockedAmong.
type racingBlocks struct {
	*memstore.Ledger
	meanwhile func()
	among     int
}

// BlockedAmong implements service.BlockStore.
func (b *racingBlocks) BlockedAmong(ctx context.Context, app string, members []string) (map[string]bool, error) {
	b.among++
	return b.Ledger.BlockedAmong(ctx, app, members)
}

// Blocked implements service.BlockStore.
func (b *racingBlocks) Blocked(ctx context.Context, app, member string) (bool, error) {
	blocked, err := b.Ledger.Blocked(ctx, app, member)
	if f := b.meanwhile; f != nil {
		b.meanwhile = nil
		f()
	}
	return blocked, err
}

// racingLedger is the in-memory ledger's reactions, counters and changes,
// where another request can be slipped in between a write and the cache
// step that follows it, or between a reader's load of a post's counters
// and its caching of them. Each hook, when set, runs once (and is
// cleared): beforeReact just before the next React changes anything,
// afterReact just after it committed (before its caller moves the cache),
// afterRecord just after the next Record committed, afterCounts just after
// the next Counts read the counters (before its caller caches them),
// afterMine just after the next MemberReactions read a member's reactions
// (before its caller caches them).
type racingLedger struct {
	*memstore.Ledger
	beforeReact, afterReact, afterRecord, afterCounts, afterMine func()
	// countsErr, when set, is the error of the next Counts (and is
	// cleared): the database failing between a commit and what follows.
	countsErr error
}

// once runs the hook *f, if set, and clears it first.
func once(f *func()) {
	if g := *f; g != nil {
		*f = nil
		g()
	}
}

// React implements service.ReactionStore.
func (l *racingLedger) React(ctx context.Context, r service.Reaction, then func(prev string) service.Effects) (service.Reacted, error) {
	once(&l.beforeReact)
	out, err := l.Ledger.React(ctx, r, then)
	once(&l.afterReact)
	return out, err
}

// Record implements service.ChangeLog.
func (l *racingLedger) Record(ctx context.Context, eff service.Effects) error {
	err := l.Ledger.Record(ctx, eff)
	once(&l.afterRecord)
	return err
}

// Counts implements service.ReactionStore.
func (l *racingLedger) Counts(ctx context.Context, app, post string) (service.Counts, error) {
	if err := l.countsErr; err != nil {
		l.countsErr = nil
		return service.Counts{}, err
	}
	c, err := l.Ledger.Counts(ctx, app, post)
	once(&l.afterCounts)
	return c, err
}

// MemberReactions implements service.ReactionStore.
func (l *racingLedger) MemberReactions(ctx context.Context, app, member string) (map[string]string, error) {
	r, err := l.Ledger.MemberReactions(ctx, app, member)
	once(&l.afterMine)
	return r, err
}

func newWorld(t *testing.T, limits service.Limits) *world {
	t.Helper()
	members := map[string]hub.Membership{}
	for user, role := range map[string]string{
		ada: auth.RoleAttendee, bob: auth.RoleAttendee, cy: auth.RoleAttendee,
		mona: auth.RoleModerator, olga: auth.RoleOwner, carla: auth.RoleCollaborator,
	} {
		members[user] = hub.Membership{App: app, User: user, Role: role}
	}
	w := &world{t: t, docs: &racingDocs{Docs: memstore.NewDocs()}, ledger: memstore.NewLedger(), index: memstore.NewIndex()}
	w.blocks = &racingBlocks{Ledger: w.ledger}
	w.racing = &racingLedger{Ledger: w.ledger}
	w.svc = service.New(service.Options{
		Access: &access{members: members},
		Stores: service.Stores{
			Posts: w.docs, Comments: w.docs, Uploads: w.docs, AppDocs: w.docs,
			Reactions: w.racing, Changes: w.racing, Notifications: w.ledger, Reports: w.ledger, Blocks: w.blocks, Profiles: w.ledger,
			Feeds: w.index, Cache: w.index, ProfileCache: w.index, Limiter: w.index, Pending: w.index,
		},
		Limits: limits,
	})
	return w
}

// as is a request context of user, a member of the app.
func as(user string) context.Context {
	return auth.WithCaller(context.Background(), auth.Caller{Kind: auth.CallerUser, User: user, App: app})
}

// asService is a request context of a service call without a user.
func asService() context.Context {
	return auth.WithCaller(context.Background(), auth.Caller{Kind: auth.CallerService, Service: "test"})
}

// post creates a post of author and returns its id.
func (w *world) post(author, text string) string {
	w.t.Helper()
	it, err := w.svc.CreatePost(as(author), service.CreatePostInput{App: app, Text: text})
	if err != nil {
		w.t.Fatalf("%s posts: %v", author, err)
	}
	return it.Doc.ID
}

// comment comments on post and returns the comment's id.
func (w *world) comment(author, post, text string) string {
	w.t.Helper()
	c, err := w.svc.CreateComment(as(author), service.CreateCommentInput{App: app, Post: post, Text: text})
	if err != nil {
		w.t.Fatalf("%s comments: %v", author, err)
	}
	return c.Doc.ID
}

func (w *world) react(member, post, kind string) service.ReactionState {
	w.t.Helper()
	r, err := w.svc.React(as(member), app, post, kind)
	if err != nil {
		w.t.Fatalf("%s reacts %q: %v", member, kind, err)
	}
	return r
}

// get reads a post as a moderator sees it (hidden ones included).
func (w *world) get(post string) service.Item {
	w.t.Helper()
	it, err := w.svc.GetPost(as(mona), app, post)
	if err != nil {
		w.t.Fatalf("get %s: %v", post, err)
	}
	return it
}

// events are the types of the events recorded so far.
func (w *world) events() []string {
	var out []string
	for _, ev := range w.ledger.Outbox() {
		out = append(out, ev.Type)
	}
	return out
}

// unread is member's unread notification count.
func (w *world) unread(member string) int64 {
	w.t.Helper()
	n, err := w.svc.Unread(as(member), app)
	if err != nil {
		w.t.Fatal(err)
	}
	return n
}

// fixture is the state every case of a table starts from.
type fixture struct {
	w                  *world
	adaPost, bobPost   string // visible posts
	hidden, deleted    string // ada's posts, hidden by a moderator, deleted
	adaOnBob, bobOnAda string // comments: ada's on bob's post, bob's on ada's post
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	w := newWorld(t, service.NoLimits)
	f := fixture{w: w}
	f.adaPost = w.post(ada, "hello #go")
	f.bobPost = w.post(bob, "hi")
	f.hidden = w.post(ada, "to hide")
	f.deleted = w.post(ada, "to delete")
	if _, _, err := w.svc.Hide(as(mona), app, []string{f.hidden}, "spam"); err != nil {
		t.Fatal(err)
	}
	if err := w.svc.DeletePost(as(ada), app, f.deleted); err != nil {
		t.Fatal(err)
	}
	f.adaOnBob = w.comment(ada, f.bobPost, "nice")
	f.bobOnAda = w.comment(bob, f.adaPost, "thanks")
	return f
}

// check runs a table of calls that must all end with want: nil for
// success, else an errs.Kind (errors.Is).
func check(t *testing.T, tests []call, want error) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			err := tc.do(f)
			switch {
			case want == nil && err != nil:
				t.Fatalf("error %v, want success", err)
			case want != nil && !errors.Is(err, want):
				t.Fatalf("error %v (kind %v), want %v", err, errs.KindOf(err), want)
			}
			if tc.then != nil {
				tc.then(t, f)
			}
		})
	}
}

// call is one case: what is done, and what else must hold after it.
type call struct {
	name string
	do   func(f fixture) error
	then func(t *testing.T, f fixture)
}
