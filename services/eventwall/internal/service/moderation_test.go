package service_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/attendify/eventwall"
	"github.com/attendify/eventwall/internal/screen"
	"github.com/attendify/eventwall/internal/service"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/social"
)

// moderated is a wall of ev1 in mode with the posts docs decided on it.
func moderated(t *testing.T, mode string, docs ...*social.PostDoc) (*env, service.Wall) {
	t.Helper()
	e := newEnv(t)
	w := e.newWall(t, func(s *service.WallSettings) { s.Mode = mode })
	for _, d := range docs {
		e.feed.put(d)
	}
	e.ingest(t)
	e.waitFor(t, w.ID, docs...)
	return e, w
}

// waitFor waits until the board keeps an entry of each of docs' revisions
// (shown or waiting).
func (e *env) waitFor(t *testing.T, wall string, docs ...*social.PostDoc) {
	t.Helper()
	eventually(t, "the posts decided", func() bool {
		entries, err := e.board.AllEntries(e.as(t, "service"), wall)
		if err != nil {
			t.Fatal(err)
		}
		return !slices.ContainsFunc(docs, func(d *social.PostDoc) bool {
			return !slices.ContainsFunc(entries, func(en service.Entry) bool {
				return "post:"+en.Post == d.ID && en.Rev == service.RevNumber(d.Rev)
			})
		})
	})
}

// filledWith waits until the ingester has decided every post on wall w
// with its rules.
func (e *env) filledWith(t *testing.T, w service.Wall) {
	t.Helper()
	eventually(t, "the wall refilled", func() bool {
		st, err := e.board.State(e.as(t, "service"), w.ID)
		return err == nil && st.Fingerprint == w.Rules.Fingerprint()
	})
}

// shown lists the posts a wall's screens show, sorted.
func (e *env) shown(t *testing.T, wall string) []string {
	t.Helper()
	_, items := e.screen(t, wall)
	var out []string
	for p := range items {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// TestApprove: an approval shows a waiting post, for its text: the
// author's edit waits again.
func TestApprove(t *testing.T) {
	e, w := moderated(t, eventwall.ModerationManual, post("p1", "one"), post("p2", "two"))
	ctx := e.as(t, auth.RoleModerator)
	res, err := e.svc.Approve(ctx, app, w.ID, []string{"p1", "nope", "p1"}, nil)
	if err != nil || !slices.Equal(res.Done, []string{"p1"}) || !slices.Equal(res.NotFound, []string{"nope"}) || len(res.Refused) != 0 {
		t.Fatalf("approve: %+v, %v", res, err)
	}
	if got := e.shown(t, w.ID); !slices.Equal(got, []string{"p1"}) {
		t.Errorf("shown %v, want [p1]", got)
	}
	if got := e.queue(t, w.ID); !slices.Equal(got, []string{"p2"}) {
		t.Errorf("queue %v, want [p2]", got)
	}
	m, err := e.walls.Moderations(ctx, w.ID)
	if err != nil || len(m.Posts) != 1 || m.Posts[0].Verdict != "a:"+service.TextHash("one") {
		t.Errorf("the approval stored: %+v %v", m, err)
	}

	edited := post("p1", "one, edited")
	edited.Rev = "2-b"
	e.feed.put(edited)
	e.waitFor(t, w.ID, edited)
	if got := e.shown(t, w.ID); len(got) != 0 {
		t.Errorf("shown %v after the edit, want none", got)
	}
	if got := e.queue(t, w.ID); !slices.Equal(got, []string{"p1", "p2"}) {
		t.Errorf("queue %v after the edit, want [p1 p2]", got)
	}
}

// TestApproveRevisionSeen: a moderator approves the revision of a post
// they read in the queue; a post its author edited since is not approved
// (its new text would reach the screens unseen) but reported changed, and
// waits in the queue with its new text until approved at its new revision.
func TestApproveRevisionSeen(t *testing.T) {
	e, w := moderated(t, eventwall.ModerationManual, post("p1", "one"), post("p2", "two"), post("p3", "three"))
	ctx := e.as(t, auth.RoleModerator)
	queued, _, err := e.svc.Queue(ctx, app, w.ID, 0, 10)
	if err != nil || len(queued) != 3 || queued[0].Rev != 1 {
		t.Fatalf("queue: %+v %v", queued, err)
	}

	// p1 is edited after the moderator read the queue.
	edited := post("p1", "one, now with a slur")
	edited.Rev = "2-b"
	e.feed.put(edited)
	e.waitFor(t, w.ID, edited)

	// p1 and p2 at the revision read, p3 without one (as callers from before
	// revisions do): p1 changed, the others are approved.
	res, err := e.svc.Approve(ctx, app, w.ID, []string{"p1", "p2", "p3", "nope"}, []service.Revision{{Post: "p1", Rev: 1}, {Post: "p2", Rev: 1}, {Post: "nope", Rev: 1}})
	if err != nil || !slices.Equal(res.Done, []string{"p2", "p3"}) || !slices.Equal(res.NotFound, []string{"nope"}) || !slices.Equal(refused(res), []string{"p1 changed"}) {
		t.Fatalf("approve: %+v, %v", res, err)
	}
	if got := e.shown(t, w.ID); !slices.Equal(got, []string{"p2", "p3"}) {
		t.Errorf("shown %v, want [p2 p3]", got)
	}
	queued, _, err = e.svc.Queue(ctx, app, w.ID, 0, 10)
	if err != nil || len(queued) != 1 || queued[0].Post != "p1" || queued[0].Rev != 2 || queued[0].Hash != service.TextHash("one, now with a slur") {
		t.Fatalf("queue after the approval: %+v %v, want p1 at revision 2", queued, err)
	}
	m, err := e.walls.Moderations(ctx, w.ID)
	if err != nil || slices.ContainsFunc(m.Posts, func(m service.Moderation) bool { return m.Post == "p1" }) {
		t.Errorf("a verdict stored for the changed post: %+v %v", m, err)
	}

	// A revision of a post not approved, or two of one, is the caller's
	// mistake.
	_, err = e.svc.Approve(ctx, app, w.ID, []string{"p1"}, []service.Revision{{Post: "p1", Rev: 2}, {Post: "p9", Rev: 2}, {Post: "p1", Rev: 1}})
	var fe *errs.Error
	if !errors.Is(err, errs.Invalid) || !errors.As(err, &fe) ||
		!cmp.Equal(fe.Fields, []errs.FieldError{{Field: "/revisions/1/post_id", Message: "not among post_ids"}, {Field: "/revisions/2/post_id", Message: "a post given twice"}}) {
		t.Errorf("revisions of another post and twice of one: %v, want invalid /revisions/1 and /2", err)
	}
	if got := e.queue(t, w.ID); !slices.Equal(got, []string{"p1"}) {
		t.Errorf("queue %v after a refused approval, want [p1]", got)
	}

	// Read again, p1 is approved at its new revision.
	res, err = e.svc.Approve(ctx, app, w.ID, []string{"p1"}, []service.Revision{{Post: "p1", Rev: 2}})
	if err != nil || !slices.Equal(res.Done, []string{"p1"}) || len(res.Refused) != 0 {
		t.Fatalf("approve at the new revision: %+v, %v", res, err)
	}
	if got := e.shown(t, w.ID); !slices.Equal(got, []string{"p1", "p2", "p3"}) {
		t.Errorf("shown %v, want [p1 p2 p3]", got)
	}
}

// TestApprovePublicWallHubRule: on a public wall an approval applies hub's
// rule for anonymous readers, read when it is made: a post queued while
// the rule let them see it (here: before the app was unpublished, the
// fake hub's state) is refused as not_public and stays off the screens,
// with no verdict stored; while hub's rule cannot be read nothing is
// approved there (unavailable). The same post is approved on a private
// wall, which shows what organizers see.
func TestApprovePublicWallHubRule(t *testing.T) {
	e := newEnv(t)
	ctx := e.as(t, auth.RoleModerator)
	manual := func(public bool) service.Wall {
		return e.newWall(t, func(s *service.WallSettings) { s.Mode, s.Public = eventwall.ModerationManual, public })
	}
	pub, priv := manual(true), manual(false)
	// p1 waits on both walls, judged while hub let anonymous readers see ev1.
	for _, w := range []service.Wall{pub, priv} {
		if w.Public {
			w.Rules.Audience = &service.Audience{App: true, Events: []string{"ev1"}}
		}
		d, err := service.NewDecision(w, post("p1", "hello"), service.Profile{Name: "Ada"})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Restore(ctx, w.ID); err != nil {
			t.Fatal(err)
		}
		if a, err := e.board.Apply(ctx, w.ID, d); err != nil || a.Outcome != service.Hold {
			t.Fatalf("hold p1 on %s: %+v %v", w.ID, a, err)
		}
	}

	e.hub.mu.Lock()
	e.hub.anonDown = true
	e.hub.mu.Unlock()
	if res, err := e.svc.Approve(ctx, app, pub.ID, []string{"p1"}, nil); !errors.Is(err, errs.Unavailable) {
		t.Errorf("approve on the public wall while hub's rule is unknown: %+v %v, want unavailable", res, err)
	}
	e.hub.mu.Lock()
	e.hub.anonDown = false
	e.hub.mu.Unlock()
	res, err := e.svc.Approve(ctx, app, pub.ID, []string{"p1"}, []service.Revision{{Post: "p1", Rev: 1}})
	if err != nil || len(res.Done) != 0 || !slices.Equal(refused(res), []string{"p1 " + eventwall.RefusedNotPublic}) || res.Refused[0].Message == "" {
		t.Fatalf("approve on the public wall: %+v %v, want p1 refused as not_public", res, err)
	}
	if got := e.shown(t, pub.ID); len(got) != 0 {
		t.Errorf("the public wall shows %v", got)
	}
	if m, err := e.walls.Moderations(ctx, pub.ID); err != nil || len(m.Posts) != 0 {
		t.Errorf("verdicts stored on the public wall: %+v %v", m, err)
	}

	res, err = e.svc.Approve(ctx, app, priv.ID, []string{"p1"}, []service.Revision{{Post: "p1", Rev: 1}})
	if err != nil || !slices.Equal(res.Done, []string{"p1"}) || len(res.Refused) != 0 {
		t.Fatalf("approve on the private wall: %+v %v", res, err)
	}
	if got := e.shown(t, priv.ID); !slices.Equal(got, []string{"p1"}) {
		t.Errorf("the private wall shows %v, want [p1]", got)
	}
}

// refused lists the posts an approval refused, as "<post> <reason>".
func refused(res service.ApproveResult) []string {
	out := []string{}
	for _, r := range res.Refused {
		out = append(out, r.Post+" "+r.Reason)
	}
	return out
}

// approvalRace is a board on which something happens when the next
// approval is applied: before, between the approver's reading (of the
// wall, and of the moderator's queue) and the board's step; after, between
// the board's step and the approval's record in Postgres.
type approvalRace struct {
	service.Board
	before, after func()
}

func (b *approvalRace) Approve(ctx context.Context, wall string, a service.Approval) (service.ApprovalOutcome, error) {
	if before := b.before; before != nil {
		b.before = nil
		before()
	}
	out, err := b.Board.Approve(ctx, wall, a)
	if after := b.after; after != nil {
		b.after = nil
		after()
	}
	return out, err
}

// TestApproveWhileThePostChanges: a moderator approves the revision of a
// post they read in the queue while social, the ingester or another
// organizer changes it. The post reaches the screens only if, when the
// approval is applied, it is still that revision, still on the wall and
// judged by the wall's rules in force; otherwise the answer says why, no
// approval is recorded, and the post never reaches the screens.
func TestApproveWhileThePostChanges(t *testing.T) {
	revision := func(rev string, change func(*social.PostDoc)) *social.PostDoc {
		d := post("p1", "one")
		d.Rev = rev
		change(d)
		return d
	}
	tests := []struct {
		name string
		// before happens between the approver's reading and the board's
		// step; after, between the board's step and the record.
		before, after func(t *testing.T, e *env, w service.Wall, stopIngest func())
		// unseen approves without the revision the moderator saw (callers
		// from before revisions).
		unseen bool
		want   string // the reason of the refusal, "" for approved
	}{
		{name: "nothing happens"},
		{name: "hidden in social", want: eventwall.RefusedRemoved,
			before: func(t *testing.T, e *env, w service.Wall, _ func()) {
				e.feed.put(revision("2-b", func(d *social.PostDoc) { d.Hidden = true }))
				e.waitGone(t, w.ID, "p1")
			}},
		{name: "deleted in social", want: eventwall.RefusedRemoved,
			before: func(t *testing.T, e *env, w service.Wall, _ func()) {
				e.feed.put(revision("2-b", func(d *social.PostDoc) { d.Deleted = true }))
				e.waitGone(t, w.ID, "p1")
			}},
		{name: "author blocked in social", want: eventwall.RefusedRemoved,
			before: func(t *testing.T, e *env, w service.Wall, _ func()) {
				e.feed.put(revision("2-b", func(d *social.PostDoc) { d.AuthorBlocked = true }))
				e.waitGone(t, w.ID, "p1")
			}},
		{name: "edited", want: eventwall.RefusedChanged,
			before: func(t *testing.T, e *env, w service.Wall, _ func()) {
				edited := revision("2-b", func(d *social.PostDoc) { d.Text = "one, now with a slur" })
				e.feed.put(edited)
				e.waitFor(t, w.ID, edited)
			}},
		{name: "edited, approved without the revision seen", unseen: true, want: eventwall.RefusedChanged,
			before: func(t *testing.T, e *env, w service.Wall, _ func()) {
				edited := revision("2-b", func(d *social.PostDoc) { d.Text = "one, now with a slur" })
				e.feed.put(edited)
				e.waitFor(t, w.ID, edited)
			}},
		{name: "a filter the post misses, refilled", want: eventwall.RefusedRemoved,
			before: func(t *testing.T, e *env, w service.Wall, _ func()) {
				u, err := e.svc.UpdateWall(e.as(t, auth.RoleOwner), app, w.ID, 0, func(s *service.WallSettings) { s.Hashtags = []string{"keynote"} })
				if err != nil {
					t.Fatal(err)
				}
				e.filledWith(t, u)
			}},
		{name: "a filter the post misses, not refilled yet", want: eventwall.RefusedRulesChanged,
			before: func(t *testing.T, e *env, w service.Wall, stopIngest func()) {
				stopIngest()
				if _, err := e.svc.UpdateWall(e.as(t, auth.RoleOwner), app, w.ID, 0, func(s *service.WallSettings) { s.Hashtags = []string{"keynote"} }); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "author blocked on the wall", want: eventwall.RefusedRemoved,
			before: func(t *testing.T, e *env, w service.Wall, _ func()) {
				if _, err := e.svc.BlockAuthor(e.as(t, auth.RoleModerator), service.AuthorRef{App: app, Wall: w.ID, Member: "m1"}, true); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "the wall renamed (the same rules)",
			before: func(t *testing.T, e *env, w service.Wall, _ func()) {
				if _, err := e.svc.UpdateWall(e.as(t, auth.RoleOwner), app, w.ID, 0, func(s *service.WallSettings) { s.Title = "Renamed" }); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "rejected by another moderator meanwhile", want: eventwall.RefusedRemoved,
			after: func(t *testing.T, e *env, w service.Wall, _ func()) {
				// Recorded in Postgres; its copy has not reached the board.
				ref := service.PostRef{App: app, Wall: w.ID, Post: "p1"}
				if _, err := e.walls.Moderate(e.as(t, "service"), ref, func(m *service.Moderation) { m.Verdict = "r" }); err != nil {
					t.Fatal(err)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			w := e.newWall(t, func(s *service.WallSettings) { s.Mode = eventwall.ModerationManual })
			e.feed.put(post("p1", "one"))
			stop := e.ingest(t)
			e.waitFor(t, w.ID, post("p1", "one"))
			ctx := e.as(t, auth.RoleModerator)
			queued, _, err := e.svc.Queue(ctx, app, w.ID, 0, 10)
			if err != nil || len(queued) != 1 {
				t.Fatalf("queue: %+v %v", queued, err)
			}

			board := &approvalRace{Board: e.board}
			hook := func(f func(*testing.T, *env, service.Wall, func())) func() {
				if f == nil {
					return nil
				}
				return func() { f(t, e, w, stop) }
			}
			board.before, board.after = hook(tt.before), hook(tt.after)
			approver := service.New(service.Options{Walls: e.walls, Moderation: e.walls, Board: board, Profiles: e.walls, Members: e.hub, Access: e.hub})
			var seen []service.Revision
			if !tt.unseen {
				seen = []service.Revision{{Post: "p1", Rev: queued[0].Rev}}
			}
			res, err := approver.Approve(ctx, app, w.ID, []string{"p1"}, seen)
			if err != nil {
				t.Fatal(err)
			}

			m, err := e.walls.Moderations(ctx, w.ID)
			if err != nil {
				t.Fatal(err)
			}
			var verdict string
			for _, pm := range m.Posts {
				if pm.Post == "p1" {
					verdict = pm.Verdict
				}
			}
			shown := slices.Contains(e.shown(t, w.ID), "p1")
			if tt.want == "" {
				if !slices.Equal(res.Done, []string{"p1"}) || len(res.Refused) != 0 || !shown || verdict != "a:"+service.TextHash("one") {
					t.Fatalf("approve: %+v; shown %v, verdict %q: want p1 approved and shown", res, shown, verdict)
				}
				return
			}
			if len(res.Done) != 0 || !slices.Equal(refused(res), []string{"p1 " + tt.want}) || res.Refused[0].Message == "" {
				t.Errorf("approve: %+v, want p1 refused: %s", res, tt.want)
			}
			if shown {
				t.Error("p1 shown")
			}
			if tt.after == nil {
				if verdict != "" {
					t.Errorf("verdict %q recorded for a refused approval", verdict)
				}
				d, err := e.board.Since(ctx, w.ID, 0)
				if err != nil {
					t.Fatal(err)
				}
				if slices.ContainsFunc(d.Changes, func(c screen.Change) bool { return c.Post == "p1" }) {
					t.Error("p1 reached the screens")
				}
			} else if verdict != "r" {
				t.Errorf("verdict %q, want the rejection to stand", verdict)
			}
		})
	}

	// Unhidden, the post waits for a moderator again: the refused
	// approval left nothing behind.
	e := newEnv(t)
	w := e.newWall(t, func(s *service.WallSettings) { s.Mode = eventwall.ModerationManual })
	e.feed.put(post("p1", "one"))
	e.ingest(t)
	e.waitFor(t, w.ID, post("p1", "one"))
	board := &approvalRace{Board: e.board, before: func() {
		e.feed.put(revision("2-b", func(d *social.PostDoc) { d.Hidden = true }))
		e.waitGone(t, w.ID, "p1")
	}}
	approver := service.New(service.Options{Walls: e.walls, Moderation: e.walls, Board: board, Profiles: e.walls, Members: e.hub, Access: e.hub})
	ctx := e.as(t, auth.RoleModerator)
	if _, err := approver.Approve(ctx, app, w.ID, []string{"p1"}, []service.Revision{{Post: "p1", Rev: 1}}); err != nil {
		t.Fatal(err)
	}
	unhidden := revision("3-c", func(*social.PostDoc) {})
	e.feed.put(unhidden)
	e.waitFor(t, w.ID, unhidden)
	if got, queue := e.shown(t, w.ID), e.queue(t, w.ID); len(got) != 0 || !slices.Equal(queue, []string{"p1"}) {
		t.Errorf("unhidden after a refused approval: shown %v, queue %v; want p1 waiting", got, queue)
	}
}

// waitGone waits until the board keeps no entry of post.
func (e *env) waitGone(t *testing.T, wall, post string) {
	t.Helper()
	eventually(t, post+" off the wall", func() bool {
		entries, err := e.board.Entries(e.as(t, "service"), wall, []string{post})
		if err != nil {
			t.Fatal(err)
		}
		return len(entries) == 0
	})
}

// TestReject: a rejected post leaves the wall, also after its author's
// edits.
func TestReject(t *testing.T) {
	e, w := moderated(t, eventwall.ModerationAuto, post("p1", "one"), post("p2", "two"))
	ctx := e.as(t, auth.RoleModerator)
	done, notFound, err := e.svc.Reject(ctx, app, w.ID, []string{"p1"})
	if err != nil || !slices.Equal(done, []string{"p1"}) || len(notFound) != 0 {
		t.Fatalf("reject: done %v, not found %v, %v", done, notFound, err)
	}
	if got := e.shown(t, w.ID); !slices.Equal(got, []string{"p2"}) {
		t.Errorf("shown %v, want [p2]", got)
	}
	edited := post("p1", "one, nicer")
	edited.Rev = "2-b"
	e.feed.put(edited)
	e.feed.put(post("p3", "three"))
	e.waitFor(t, w.ID, post("p3", "three"))
	if got := e.shown(t, w.ID); !slices.Equal(got, []string{"p2", "p3"}) {
		t.Errorf("shown %v after an edit of the rejected post, want [p2 p3]", got)
	}
	if done, notFound, err := e.svc.Reject(ctx, app, w.ID, []string{"p1"}); err != nil || len(done) != 0 || !slices.Equal(notFound, []string{"p1"}) {
		t.Errorf("reject again: done %v, not found %v, %v", done, notFound, err)
	}
}

// TestMark: a moderator pins or highlights a post on screen, and clears it;
// a post not on screen cannot be marked.
func TestMark(t *testing.T) {
	held := post("p2", "buy now")
	e := newEnv(t)
	w := e.newWall(t, func(s *service.WallSettings) { s.Blocklist = []string{"buy now"} })
	e.feed.put(post("p1", "one"))
	e.feed.put(held)
	e.ingest(t)
	e.waitFor(t, w.ID, post("p1", "one"), held)
	ctx := e.as(t, auth.RoleModerator)
	for _, mark := range []string{eventwall.MarkPin, eventwall.MarkHighlight, ""} {
		if err := e.svc.Mark(ctx, service.PostRef{App: app, Wall: w.ID, Post: "p1"}, mark); err != nil {
			t.Fatal(err)
		}
		if _, items := e.screen(t, w.ID); items["p1"].Mark != mark {
			t.Errorf("p1 marked %q on screen, want %q", items["p1"].Mark, mark)
		}
	}
	for _, p := range []string{"p2", "nope"} {
		if err := e.svc.Mark(ctx, service.PostRef{App: app, Wall: w.ID, Post: p}, eventwall.MarkPin); !errors.Is(err, errs.NotFound) {
			t.Errorf("mark %s: %v, want not found", p, err)
		}
	}
	if m, _ := e.walls.Moderations(ctx, w.ID); m.Version != 3 {
		t.Errorf("moderation version %d after three marks, want 3", m.Version)
	}
}

// TestBlockAuthor: blocking an author takes their posts off the wall at
// once, and their next ones; unblocking brings them back.
func TestBlockAuthor(t *testing.T) {
	p3 := post("p3", "three")
	p3.Author = "m2"
	e, w := moderated(t, eventwall.ModerationAuto, post("p1", "one"), post("p2", "two"), p3)
	ctx := e.as(t, auth.RoleModerator)
	ref := service.AuthorRef{App: app, Wall: w.ID, Member: "m1"}
	blocked, err := e.svc.BlockAuthor(ctx, ref, true)
	if err != nil || !slices.Equal(blocked.Rules.BlockedAuthors, []string{"m1"}) {
		t.Fatalf("block: %+v %v", blocked.Rules, err)
	}
	if got := e.shown(t, w.ID); !slices.Equal(got, []string{"p3"}) {
		t.Errorf("shown %v once m1 is blocked, want [p3]", got)
	}
	// The ingester decides with the new rules (the next post of m1 too).
	e.filledWith(t, blocked)
	p4, p5 := post("p4", "four"), post("p5", "five")
	p5.Author = "m2"
	e.feed.put(p4)
	e.feed.put(p5)
	e.waitFor(t, w.ID, p5)
	if got := e.shown(t, w.ID); !slices.Equal(got, []string{"p3", "p5"}) {
		t.Errorf("shown %v after m1's next post, want [p3 p5]", got)
	}
	if again, err := e.svc.BlockAuthor(ctx, ref, true); err != nil || !slices.Equal(again.Rules.BlockedAuthors, []string{"m1"}) {
		t.Errorf("block twice: %+v %v", again.Rules, err)
	}

	unblocked, err := e.svc.BlockAuthor(ctx, ref, false)
	if err != nil || len(unblocked.Rules.BlockedAuthors) != 0 {
		t.Fatalf("unblock: %+v %v", unblocked.Rules, err)
	}
	eventually(t, "m1's posts back", func() bool {
		return cmp.Equal(e.shown(t, w.ID), []string{"p1", "p2", "p3", "p4", "p5"})
	})
}

// TestUnblockBeforeRefill: an author blocked and unblocked before the
// ingester's next look at the wall gets their posts back (blocking took them
// off at once; the rules end as they were when the wall was last filled).
func TestUnblockBeforeRefill(t *testing.T) {
	e := newEnv(t)
	w := e.newWall(t, func(s *service.WallSettings) { s.Mode = eventwall.ModerationAuto })
	p1, p2 := post("p1", "one"), post("p2", "two")
	p2.Author = "m2"
	e.feed.put(p1)
	e.feed.put(p2)
	stop := e.ingest(t)
	e.filledWith(t, w)
	stop()

	ctx := e.as(t, auth.RoleModerator)
	ref := service.AuthorRef{App: app, Wall: w.ID, Member: "m1"}
	if _, err := e.svc.BlockAuthor(ctx, ref, true); err != nil {
		t.Fatal(err)
	}
	if got := e.shown(t, w.ID); !slices.Equal(got, []string{"p2"}) {
		t.Fatalf("shown %v once m1 is blocked, want [p2]", got)
	}
	if _, err := e.svc.BlockAuthor(ctx, ref, false); err != nil {
		t.Fatal(err)
	}
	e.ingest(t)
	eventually(t, "m1's post back", func() bool { return slices.Equal(e.shown(t, w.ID), []string{"p1", "p2"}) })
}

// TestBoardLoss: after the board lost everything (Redis restarted empty),
// the ingester rebuilds each wall from the stores and the feed, and no
// decision of the moderators is undone.
func TestBoardLoss(t *testing.T) {
	p4 := post("p4", "four")
	p4.Author = "m2"
	e, w := moderated(t, eventwall.ModerationAuto, post("p1", "one"), post("p2", "two"), post("p3", "buy now"), p4)
	ctx := e.as(t, auth.RoleModerator)
	if _, _, err := e.svc.Reject(ctx, app, w.ID, []string{"p1"}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Mark(ctx, service.PostRef{App: app, Wall: w.ID, Post: "p2"}, eventwall.MarkPin); err != nil {
		t.Fatal(err)
	}
	w, err := e.svc.BlockAuthor(ctx, service.AuthorRef{App: app, Wall: w.ID, Member: "m2"}, true)
	if err != nil {
		t.Fatal(err)
	}
	w, err = e.svc.UpdateWall(e.as(t, auth.RoleOwner), app, w.ID, 0, func(s *service.WallSettings) { s.Blocklist = []string{"buy now"} })
	if err != nil {
		t.Fatal(err)
	}
	e.filledWith(t, w)
	before, beforeItems := e.screen(t, w.ID)

	e.board.Flush()
	e.filledWith(t, w)
	after, items := e.screen(t, w.ID)
	if diff := cmp.Diff(beforeItems, items); diff != "" {
		t.Errorf("screens after the loss (-before +after):\n%s", diff)
	}
	if items["p2"].Mark != eventwall.MarkPin || before != after {
		t.Errorf("after the loss: p2 marked %q, settings %+v, want pinned and %+v", items["p2"].Mark, after, before)
	}
	if got := e.queue(t, w.ID); !slices.Equal(got, []string{"p3"}) {
		t.Errorf("queue after the loss %v, want [p3]", got)
	}
	// The moderators' decisions apply to what comes next as before.
	edited := post("p1", "one, again")
	edited.Rev = "2-b"
	e.feed.put(edited)
	e.feed.put(post("p5", "five"))
	e.waitFor(t, w.ID, post("p5", "five"))
	if got := e.shown(t, w.ID); !slices.Equal(got, []string{"p2", "p5"}) {
		t.Errorf("shown %v, want [p2 p5]", got)
	}
}
