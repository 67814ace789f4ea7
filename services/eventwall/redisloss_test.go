package eventwall_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/attendify/eventwall"
	"github.com/attendify/eventwall/internal/walltest"
	"github.com/attendify/eventwall/screentest"
	"github.com/attendify/hub"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/testkit"
	"github.com/attendify/social"
)

// TestRedisLoss kills eventwall's Redis while posts keep coming, brings it
// back empty, and checks that the wall returns to what it showed, names,
// pins and highlights included, with the posts written meanwhile; that a
// post a moderator rejected never shows again, that a post still waiting
// stays in the queue, and that an author blocked on the wall stays off.
func TestRedisLoss(t *testing.T) {
	srv := testkit.StartRedisServer(t)
	f := newFixture(t, walltest.Options{Redis: srv}, eventwall.CreateWallParams{
		Title:      "Survives Redis",
		Moderation: &eventwall.Moderation{Mode: eventwall.ModerationAuto, Blocklist: []string{"spoiler"}},
	})
	env, ctx, app, ev, w, ref, owner, ada := f.env, f.ctx, f.app, f.event, f.wall, f.ref, f.owner, f.ada
	bob := env.AddMember(app, "Bob Kahn", auth.RoleAttendee)
	cy := env.AddMember(app, "Cy Blocked", auth.RoleAttendee)

	var posts []social.PostDoc
	for i, m := range []walltest.Member{ada, bob, cy, ada, bob, ada, bob, ada, bob, ada, cy, bob} {
		posts = append(posts, f.post(m, fmt.Sprintf("post %d", i)))
	}
	held := f.post(bob, "spoiler: the end")
	approved := f.post(ada, "spoiler, but fine")
	scr := newScreen(t, env, w)
	scr.until("every post with its author's name", func() bool {
		if len(scr.items) != len(posts) {
			return false
		}
		for _, it := range scr.items {
			if it.Author == "" {
				return false
			}
		}
		return true
	})

	// The moderators decide.
	rejected, pinned, highlighted := postID(posts[3]), postID(posts[5]), postID(posts[7])
	if _, err := eventwall.Reject.Call(owner.Ctx(ctx), env.Client, eventwall.PostsParams{WallRef: ref, PostIDs: []string{rejected}}); err != nil {
		t.Fatal(err)
	}
	for post, mark := range map[string]string{pinned: eventwall.MarkPin, highlighted: eventwall.MarkHighlight} {
		if _, err := eventwall.MarkPost.Call(owner.Ctx(ctx), env.Client, eventwall.MarkParams{WallRef: ref, PostID: post, Mark: mark}); err != nil {
			t.Fatal(err)
		}
	}
	testkit.Eventually(t, "two posts waiting", func() bool {
		q, err := eventwall.GetQueue.Call(owner.Ctx(ctx), env.Client, eventwall.QueueParams{WallRef: ref})
		return err == nil && q.Total == 2
	})
	if _, err := eventwall.Approve.Call(owner.Ctx(ctx), env.Client, eventwall.ApproveParams{PostsParams: eventwall.PostsParams{WallRef: ref, PostIDs: []string{postID(approved)}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := eventwall.BlockAuthor.Call(owner.Ctx(ctx), env.Client, eventwall.AuthorParams{WallRef: ref, MemberID: cy.ID}); err != nil {
		t.Fatal(err)
	}
	scr.until("the moderators' decisions on the screen", func() bool {
		_, rej := scr.items[rejected]
		_, ok := scr.items[postID(approved)]
		blocked := false // any of the blocked author's posts still shown
		for _, it := range scr.items {
			blocked = blocked || it.Author == cy.Name
		}
		return !rej && ok && !blocked && scr.items[pinned].Mark == eventwall.MarkPin && scr.items[highlighted].Mark == eventwall.MarkHighlight
	})
	before := shownItems(scr)

	// A projector keeps watching, and posts keep coming, through the loss.
	projector := screentest.Watch(env.URL + w.Path)
	t.Cleanup(projector.Stop)
	load := writePosts(t, env, app, ev.ID, ada.ID)
	load.waitFor(t, 5)
	srv.Kill()
	load.waitFor(t, load.count()+5) // posts written while Redis is down
	srv.Restart()
	lost := time.Now()
	// Hub rebuilds its read model by itself (services/hub); here the test
	// plays hub's part.
	restoreHubReadModel(t, env, app, ev)
	env.SetMembership(owner, false)

	written, err := load.stop()
	if err != nil {
		t.Fatalf("writing posts: %v", err)
	}
	want := withWritten(before, written, ada.Name)
	// Wait for it (testkit.WaitLimit at most), then show what differs.
	for deadline := time.Now().Add(testkit.WaitLimit); !cmp.Equal(want, shownItems(scr)) && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		scr.poll("")
	}
	took := time.Since(lost)
	if diff := cmp.Diff(want, shownItems(scr)); diff != "" {
		t.Fatalf("the wall after the loss (-want +got):\n%s", diff)
	}
	t.Logf("eventwall: the wall was whole again %s after Redis came back empty (%d posts)", took.Round(time.Millisecond), len(want))
	q, err := eventwall.GetQueue.Call(owner.Ctx(ctx), env.Client, eventwall.QueueParams{WallRef: ref})
	if err != nil || q.Total != 1 || q.Items[0].Item.ID != postID(held) {
		t.Errorf("queue after the loss: %+v %v", q, err)
	}
	projector.Stop()
	if projector.Shown(rejected) {
		t.Errorf("the rejected post %s was on the projector after the loss", rejected)
	}
	if projector.Answers() == 0 {
		t.Error("the projector got no answer")
	}
}

// shown is what a screen shows of a post.
type shown struct {
	Author, Text, Mark string
}

func shownItems(s *screen) map[string]shown {
	out := make(map[string]shown, len(s.items))
	for id, it := range s.items {
		out[id] = shown{Author: it.Author, Text: it.Text, Mark: it.Mark}
	}
	return out
}

// withWritten adds the posts written (by author, text by id) to what was shown.
func withWritten(before map[string]shown, written map[string]string, author string) map[string]shown {
	out := make(map[string]shown, len(before)+len(written))
	for id, s := range before {
		out[id] = s
	}
	for id, text := range written {
		out[id] = shown{Author: author, Text: text}
	}
	return out
}

// restoreHubReadModel writes what hub's rebuild writes of app after Redis
// came back empty: its configuration, its events and the ready key
// (memberships: SetMembership).
func restoreHubReadModel(t *testing.T, env *walltest.Env, app string, evs ...hub.EventInfo) {
	t.Helper()
	ctx := testkit.Context(t)
	keys := hub.NewReadModelKeys(env.Namespace)
	cfg := hub.EncodeAppConfig(hub.AppConfig{ID: app, Slug: "app", Name: "Test app", Status: hub.StatusPublished, Access: hub.AccessOpen})
	args := make([]any, 0, len(cfg)+2)
	for _, f := range cfg {
		args = append(args, f)
	}
	args = append(args, hub.FieldVersion, 1)
	err := retry(ctx, func() error {
		_, err := env.Redis.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.HSet(ctx, keys.Config(app), args...)
			p.Set(ctx, keys.Ready(), "1", 0)
			return nil
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	env.SetEvents(app, evs...)
}

// retry calls fn until it succeeds or ctx ends (a client reconnecting to a
// restarted server may fail once).
func retry(ctx context.Context, fn func() error) error {
	for {
		err := fn()
		if err == nil || ctx.Err() != nil {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// loader writes posts into social's database until stopped.
type loader struct {
	mu      sync.Mutex
	written map[string]string // post id -> text
	err     error
	cancel  context.CancelFunc
	done    chan struct{}
}

func writePosts(t *testing.T, env *walltest.Env, app, event, author string) *loader {
	t.Helper()
	db := env.DB(app)
	ctx, cancel := context.WithCancel(context.Background())
	l := &loader{written: map[string]string{}, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(l.done)
		for i := 0; ctx.Err() == nil; i++ {
			id := env.NewID()
			doc := social.PostDoc{ID: "post:" + id, Type: social.DocPost, App: app, Event: event, Author: author,
				Text: fmt.Sprintf("written under load %d", i), CreatedAt: time.Now().UTC(),
				Hashtags: []string{}, Mentions: []social.MentionRef{}, Photos: []social.PhotoRef{}}
			// Not canceled by stop: a write cut short might be done
			// without the test knowing.
			pctx, done := context.WithTimeout(context.Background(), testkit.WaitLimit)
			_, err := db.Put(pctx, doc.ID, doc)
			done()
			if err != nil {
				l.mu.Lock()
				l.err = err
				l.mu.Unlock()
				return
			}
			l.mu.Lock()
			l.written[id] = doc.Text
			l.mu.Unlock()
			time.Sleep(20 * time.Millisecond)
		}
	}()
	t.Cleanup(func() { _, _ = l.stop() })
	return l
}

func (l *loader) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.written)
}

func (l *loader) waitFor(t *testing.T, n int) {
	t.Helper()
	testkit.Eventually(t, fmt.Sprintf("%d posts written", n), func() bool { return l.count() >= n })
}

// stop stops writing and returns what was written, or why it stopped
// before.
func (l *loader) stop() (map[string]string, error) {
	l.cancel()
	<-l.done
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.written, l.err
}
