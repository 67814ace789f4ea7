package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/attendify/eventwall/internal/screen"
	"github.com/attendify/eventwall/internal/service"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/testkit"
)

// Board is what the Redis adapter implements: the walls' live state, which
// the domain writes and the screens read.
type Board interface {
	service.Board
	screen.Source
	// SetMaxChanges changes the change log's length.
	SetMaxChanges(n int)
}

// RunBoard runs the contract of service.Board and screen.Source; newBoard
// returns an empty board.
func RunBoard(t *testing.T, newBoard func(t *testing.T) Board) {
	run(t, newBoard, []struct {
		name string
		run  func(t *testing.T, ctx context.Context, s Board)
	}{
		{"apply", applyRules},
		{"change log", changeLog},
		{"notifications", notifications},
		{"moderation copy", moderationCopy},
		{"rules in force", rulesInForce},
		{"approvals", approvals},
		{"approvals on a public wall", publicApprovals},
	})
}

// load marks walls' moderation loaded (none yet), as the service does
// before its first decision about each.
func load(t *testing.T, s Board, walls ...string) {
	t.Helper()
	for _, w := range walls {
		if err := s.Restore(testkit.Context(t), w, service.Moderations{}, 1, nil); err != nil {
			t.Fatal(err)
		}
	}
}

func decision(post string, rev int64, outcome, text string) service.Decision {
	item, _ := json.Marshal(map[string]string{"id": post, "text": text})
	return service.Decision{Post: post, Rev: rev, Outcome: outcome, Entry: service.Entry{
		Post: post, Author: "m-" + post, Rev: rev, Hash: service.TextHash(text), Created: rev, Item: item,
	}}
}

func apply(t *testing.T, s Board, wall string, d service.Decision) service.Applied {
	t.Helper()
	a, err := s.Apply(testkit.Context(t), wall, d)
	if err != nil {
		t.Fatalf("apply %+v: %v", d, err)
	}
	return a
}

func shown(t *testing.T, s Board, wall string) map[string]string {
	t.Helper()
	st, err := s.Load(testkit.Context(t), wall)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for p, b := range st.Items {
		out[p] = string(b)
	}
	return out
}

// applyRules: the board orders a post's revisions and applies the
// moderators' verdicts, marks and blocked authors to every decision.
func applyRules(t *testing.T, ctx context.Context, s Board) {
	const w = "W1"
	load(t, s, w)
	version := int64(0)
	moderate := func(post string, change func(*service.Moderation)) {
		t.Helper()
		version++
		m := service.Moderation{Post: post, Version: version}
		change(&m)
		if err := s.SetModeration(ctx, w, m); err != nil {
			t.Fatal(err)
		}
	}

	if a := apply(t, s, w, decision("p1", 2, service.Show, "two")); a.Outcome != service.Show || !a.Changed {
		t.Errorf("first show: %+v", a)
	}
	if a := apply(t, s, w, decision("p1", 2, service.Show, "two")); a.Changed {
		t.Errorf("the same item again moved the log: %+v", a)
	}
	if a := apply(t, s, w, decision("p1", 1, service.Drop, "")); a.Outcome != "" {
		t.Errorf("an older revision was applied: %+v", a)
	}
	if got := shown(t, s, w); len(got) != 1 {
		t.Errorf("shown = %v", got)
	}

	// Hold, then an approval of that text shows it; an edit holds it again.
	apply(t, s, w, decision("p2", 1, service.Hold, "hmm"))
	q, total, err := s.Queue(ctx, w, 0, 10)
	if err != nil || total != 1 || q[0].Post != "p2" {
		t.Fatalf("queue: %v %d %+v", err, total, q)
	}
	moderate("p2", func(m *service.Moderation) { m.Verdict = "a:" + service.TextHash("hmm") })
	if a := apply(t, s, w, decision("p2", 1, service.Hold, "hmm")); a.Outcome != service.Show {
		t.Errorf("approved hold: %+v", a)
	}
	if a := apply(t, s, w, decision("p2", 2, service.Hold, "edited")); a.Outcome != service.Hold || !a.Changed {
		t.Errorf("edited after approval: %+v", a)
	}
	// A rejection drops whatever comes later.
	moderate("p2", func(m *service.Moderation) { m.Verdict = "r" })
	if a := apply(t, s, w, decision("p2", 3, service.Show, "nice now")); a.Outcome != service.Drop {
		t.Errorf("rejected post: %+v", a)
	}
	if _, total, _ := s.Queue(ctx, w, 0, 10); total != 0 {
		t.Errorf("queue after the rejection: %d", total)
	}

	// A blocked author is dropped by the board itself.
	if err := s.SetRules(ctx, w, 2, []string{"m-p3"}); err != nil {
		t.Fatal(err)
	}
	if a := apply(t, s, w, decision("p3", 1, service.Show, "x")); a.Outcome != service.Drop {
		t.Errorf("blocked author: %+v", a)
	}

	// A mark is added to the item on screen; refresh does nothing to posts off it.
	moderate("p1", func(m *service.Moderation) { m.Mark = "pin" })
	apply(t, s, w, decision("p1", 2, service.Refresh, "two"))
	if got := shown(t, s, w)["p1"]; got != `{"id":"p1","text":"two","mark":"pin"}` {
		t.Errorf("marked item = %s", got)
	}
	if a := apply(t, s, w, decision("p9", 1, service.Refresh, "x")); a.Outcome != "" {
		t.Errorf("refresh of an unknown post: %+v", a)
	}
	if ok, _ := s.Shown(ctx, w, "p1"); !ok {
		t.Error("p1 not shown")
	}

	// The queue pages oldest first; entries read back as applied.
	for i := range 3 {
		apply(t, s, w, decision(fmt.Sprintf("q%d", i), int64(10-i), service.Hold, "wait"))
	}
	q, total, err = s.Queue(ctx, w, 1, 1)
	if err != nil || total != 3 || len(q) != 1 || q[0].Post != "q1" {
		t.Errorf("the queue's second entry: %v %d %+v", err, total, q)
	}
	if q, total, _ := s.Queue(ctx, w, 5, 10); len(q) != 0 || total != 3 {
		t.Errorf("the queue past its end: %d %+v", total, q)
	}
	d := decision("q0", 10, service.Hold, "wait")
	got, err := s.Entries(ctx, w, []string{"q0", "p1", "nope"})
	if err != nil || len(got) != 2 {
		t.Fatalf("entries: %v %+v", err, got)
	}
	if diff := cmp.Diff(d.Entry, got["q0"]); diff != "" {
		t.Errorf("entry read back (-want +got):\n%s", diff)
	}
	if all, err := s.AllEntries(ctx, w); err != nil || len(all) != 4 {
		t.Errorf("all entries: %v %+v", err, all)
	}
	if _, err := s.Apply(ctx, w, service.Decision{Post: "p4", Rev: 1, Outcome: service.Show, Entry: service.Entry{Post: "p4", Item: json.RawMessage(`[]`)}}); err == nil {
		t.Error("an item that is not an object was applied")
	}
}

// changeLog: every change of a wall the screens see moves its log; the
// log is trimmed, and a removed wall keeps its gone settings.
func changeLog(t *testing.T, ctx context.Context, s Board) {
	s.SetMaxChanges(5)
	const w = "W2"
	load(t, s, w)
	rec := service.ScreenRecord{Wall: w, App: "A", Version: 1, Public: true, Screen: json.RawMessage(`{"id":"W2"}`)}
	if err := s.PublishConfig(ctx, rec); err != nil {
		t.Fatal(err)
	}
	old := rec
	old.Version = 0
	if err := s.PublishConfig(ctx, old); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 4; i++ {
		apply(t, s, w, decision(fmt.Sprintf("p%d", i), 1, service.Show, "x"))
	}
	apply(t, s, w, decision("p1", 2, service.Drop, ""))
	st, err := s.Load(ctx, w)
	if err != nil {
		t.Fatal(err)
	}
	if st.Head != 6 || st.Epoch == "" || len(st.Items) != 3 || st.Seqs["p1"] != 6 || st.Seqs[screen.ConfigMember] != 1 {
		t.Errorf("state: head %d epoch %q items %d seqs %v", st.Head, st.Epoch, len(st.Items), st.Seqs)
	}
	d, err := s.Since(ctx, w, 4)
	if err != nil {
		t.Fatal(err)
	}
	want := []screen.Change{{Post: "p4", Seq: 5, Item: []byte(`{"id":"p4","text":"x"}`)}, {Post: "p1", Seq: 6}}
	if diff := cmp.Diff(want, d.Changes); diff != "" || d.Config != nil {
		t.Errorf("since 4 (-want +got):\n%s (config %s)", diff, d.Config)
	}
	if d, err := s.Since(ctx, w, 0); err != nil || d.ConfigSeq != 1 || d.Config == nil {
		t.Errorf("since 0: the settings at %d: %s, %v", d.ConfigSeq, d.Config, err)
	}
	// Past 5 entries the log is trimmed and the floor says where.
	apply(t, s, w, decision("p5", 1, service.Show, "x"))
	apply(t, s, w, decision("p6", 1, service.Show, "x"))
	d, err = s.Since(ctx, w, 0)
	if err != nil {
		t.Fatal(err)
	}
	if d.Floor != 3 || len(d.Changes) != 5 || d.Head != 8 {
		t.Errorf("after trimming: floor %d, %d changes, head %d", d.Floor, len(d.Changes), d.Head)
	}
	heads, err := s.Heads(ctx, []string{w, "none"})
	if err != nil || heads[w].Seq != 8 || heads["none"].Seq != 0 {
		t.Errorf("heads: %v %+v", err, heads)
	}
	if st, err := s.State(ctx, w); err != nil || st != (service.BoardState{Settings: 1, Public: true, Moderation: 0}) {
		t.Errorf("state: %+v %v", st, err)
	}
	if err := s.SetFilled(ctx, w, "f1"); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.State(ctx, w); st.Fingerprint != "f1" {
		t.Errorf("fingerprint %q, want f1", st.Fingerprint)
	}

	// A removed wall keeps its gone settings and logs its posts' removal.
	gone := rec
	gone.Version, gone.Gone = 2, true
	if err := s.RemoveWall(ctx, gone); err != nil {
		t.Fatal(err)
	}
	st, err = s.Load(ctx, w)
	if err != nil || len(st.Items) != 0 || st.Config == nil {
		t.Fatalf("after removal: %v %+v", err, st)
	}
	var got service.ScreenRecord
	_ = json.Unmarshal(st.Config, &got)
	if !got.Gone {
		t.Errorf("record = %s", st.Config)
	}
	if st, err := s.State(ctx, w); err != nil || st != (service.BoardState{Settings: 2, Moderation: -1}) {
		t.Errorf("state of a removed wall: %+v %v", st, err)
	}
}

// notifications: the walls' and the change log's notifications reach the
// subscribers.
func notifications(t *testing.T, ctx context.Context, s Board) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	got := make(chan string, 4)
	go func() {
		_ = s.SubscribeChanges(ctx, func(w string, seq uint64) { got <- fmt.Sprintf("%s %d", w, seq) })
	}()
	go func() { _ = s.SubscribeWalls(ctx, func(app, m string) { got <- app + "/" + m }) }()
	deadline := time.Now().Add(5 * time.Second)
	var seen []string
	for len(seen) < 2 && time.Now().Before(deadline) {
		_ = s.NotifyWalls(ctx, "A", "m1")
		load(t, s, "W3")
		apply(t, s, "W3", decision(fmt.Sprintf("p%d", time.Now().UnixNano()), 1, service.Show, "x"))
		select {
		case m := <-got:
			seen = append(seen, m)
		case <-time.After(100 * time.Millisecond):
		}
	}
	if len(seen) < 2 {
		t.Fatalf("notifications: %v", seen)
	}
}

// moderationCopy: the board applies nothing about a wall whose moderation
// it lacks; what Restore and SetModeration bring keeps the newest version
// of each post's decisions, and the loaded version shows a copy that went
// missing.
func moderationCopy(t *testing.T, ctx context.Context, s Board) {
	const w = "W4"
	if _, err := s.Apply(ctx, w, decision("p1", 1, service.Show, "x")); !errors.Is(err, service.ErrUnloaded) {
		t.Fatalf("apply before the moderation is loaded: %v, want ErrUnloaded", err)
	}
	if got := shown(t, s, w); len(got) != 0 {
		t.Fatalf("an unloaded wall shows %v", got)
	}
	if st, err := s.State(ctx, w); err != nil || st.Moderation != -1 {
		t.Fatalf("state of an unloaded wall: %+v %v", st, err)
	}

	// A moderator's copy that arrives before the restore survives it.
	if err := s.SetModeration(ctx, w, service.Moderation{Post: "p2", Verdict: "r", Version: 4}); err != nil {
		t.Fatal(err)
	}
	restored := service.Moderations{Version: 3, Posts: []service.Moderation{
		{Post: "p1", Mark: "pin", Version: 1},
		{Post: "p2", Verdict: "a:old", Version: 2},
		{Post: "p3", Verdict: "r", Version: 3},
	}}
	if err := s.Restore(ctx, w, restored, 5, []string{"m-p9"}); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.State(ctx, w); st.Moderation != 3 {
		t.Errorf("loaded version %d, want 3", st.Moderation)
	}
	for post, want := range map[string]string{"p1": service.Show, "p2": service.Drop, "p3": service.Drop, "p9": service.Drop} {
		if a := apply(t, s, w, decision(post, 1, service.Show, "x")); a.Outcome != want {
			t.Errorf("%s after the restore: %q, want %q", post, a.Outcome, want)
		}
	}
	if got := shown(t, s, w)["p1"]; got != `{"id":"p1","text":"x","mark":"pin"}` {
		t.Errorf("restored pin: %s", got)
	}

	// Version 4 came before the restore: the next copy moves the loaded
	// version on; a copy after a gap does not (the ingester fills it).
	if err := s.SetModeration(ctx, w, service.Moderation{Post: "p1", Version: 4}); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.State(ctx, w); st.Moderation != 4 {
		t.Errorf("loaded version %d after version 4, want 4", st.Moderation)
	}
	if err := s.SetModeration(ctx, w, service.Moderation{Post: "p1", Mark: "highlight", Version: 6}); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.State(ctx, w); st.Moderation != 4 {
		t.Errorf("loaded version %d after a gap, want 4", st.Moderation)
	}
	// An older write loses; an older blocked set too.
	if err := s.SetModeration(ctx, w, service.Moderation{Post: "p1", Mark: "pin", Version: 5}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetRules(ctx, w, 4, nil); err != nil {
		t.Fatal(err)
	}
	apply(t, s, w, decision("p1", 2, service.Show, "x"))
	if got := shown(t, s, w)["p1"]; got != `{"id":"p1","text":"x","mark":"highlight"}` {
		t.Errorf("after an older write: %s", got)
	}
	if a := apply(t, s, w, decision("p9", 2, service.Show, "x")); a.Outcome != service.Drop {
		t.Errorf("an older blocked set replaced a newer one: %+v", a)
	}

	// Many decisions load in batches.
	var many service.Moderations
	for i := range 1200 {
		many.Posts = append(many.Posts, service.Moderation{Post: fmt.Sprintf("q%d", i), Verdict: "r", Version: int64(i + 1)})
	}
	many.Version = 1200
	if err := s.Restore(ctx, "W5", many, 1, nil); err != nil {
		t.Fatal(err)
	}
	if a := apply(t, s, "W5", decision("q1199", 1, service.Show, "x")); a.Outcome != service.Drop {
		t.Errorf("the last of 1200 rejections: %+v", a)
	}
}

// rulesInForce: a decision made with rules older than the wall's rules in
// force is refused and changes nothing (the revision included: the same
// revision decided again by the rules in force applies); one made with
// them or newer ones applies, and so does a moderator's action, which
// names no rules. Older rules never replace newer ones.
func rulesInForce(t *testing.T, ctx context.Context, s Board) {
	const w = "W6"
	load(t, s, w)
	if err := s.SetRules(ctx, w, 3, nil); err != nil {
		t.Fatal(err)
	}
	byRules := func(rules int64, post string, rev int64, outcome string) service.Decision {
		d := decision(post, rev, outcome, "x")
		d.Rules = rules
		return d
	}
	if _, err := s.Apply(ctx, w, byRules(2, "p1", 1, service.Show)); !errors.Is(err, service.ErrStaleRules) {
		t.Fatalf("a decision by older rules: %v, want ErrStaleRules", err)
	}
	if got := shown(t, s, w); len(got) != 0 {
		t.Fatalf("a refused decision shows %v", got)
	}
	if a := apply(t, s, w, byRules(3, "p1", 1, service.Hold)); a.Outcome != service.Hold {
		t.Errorf("by the rules in force: %+v", a)
	}
	if a := apply(t, s, w, byRules(4, "p1", 1, service.Show)); a.Outcome != service.Show {
		t.Errorf("by newer rules than those in force: %+v", a)
	}
	if a := apply(t, s, w, byRules(0, "p1", 1, service.Refresh)); a.Outcome != service.Show {
		t.Errorf("a moderator's refresh: %+v", a)
	}
	if err := s.SetRules(ctx, w, 2, []string{"m-p1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Apply(ctx, w, byRules(2, "p1", 2, service.Show)); !errors.Is(err, service.ErrStaleRules) {
		t.Errorf("after older rules came late: %v, want ErrStaleRules", err)
	}
	if a := apply(t, s, w, byRules(3, "p1", 2, service.Show)); a.Outcome != service.Show {
		t.Errorf("older rules' blocked authors replaced those in force: %+v", a)
	}
	// Rules in force come with Restore too (from Postgres).
	if err := s.Restore(ctx, w, service.Moderations{}, 5, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Apply(ctx, w, byRules(4, "p1", 3, service.Drop)); !errors.Is(err, service.ErrStaleRules) {
		t.Errorf("after a restore of version 5, a drop by version 4: %v, want ErrStaleRules", err)
	}
	if got := shown(t, s, w); len(got) != 1 {
		t.Errorf("shown %v, want p1", got)
	}
}

// approvals: an approval shows a waiting post, in one step with its
// checks, only while the post is kept at the revision approved, not
// rejected, its author not blocked and judged by the rules the approver
// read, in force; otherwise it changes nothing and says why. The approval
// of the post's text is copied, so that a later decision about that text
// shows it.
func approvals(t *testing.T, ctx context.Context, s Board) {
	const w = "W7"
	approval := func(post string, rev int64) service.Approval {
		return service.Approval{Post: post, Rev: rev, Rules: 2, RulesID: "R"}
	}
	if _, err := s.Approve(ctx, w, approval("p1", 1)); !errors.Is(err, service.ErrUnloaded) {
		t.Fatalf("an approval before the moderation is loaded: %v, want ErrUnloaded", err)
	}
	load(t, s, w)
	if err := s.SetRules(ctx, w, 2, []string{"m-blocked"}); err != nil {
		t.Fatal(err)
	}
	// held is a decision to hold post, judged by the rules R; its text and
	// reason have what a JSON string escapes, and the entry's field names.
	held := func(post string, rev int64) service.Decision {
		d := decision(post, rev, service.Hold, `<b>"item":</b> & "rules_id": x`)
		d.Entry.RulesID, d.Entry.Reason = "R", `blocklist: ,"item":{"id":"x"}`
		return d
	}
	for _, d := range []service.Decision{held("p1", 1), held("p2", 1), held("p3", 2), held("p4", 1), held("p5", 1), held("p6", 1)} {
		apply(t, s, w, d)
	}
	byOtherRules := held("p7", 1)
	byOtherRules.Entry.RulesID = "R-before"
	apply(t, s, w, byOtherRules)
	blocked := held("p8", 1)
	blocked.Entry.Author = "m-blocked"
	if a := apply(t, s, w, blocked); a.Outcome != service.Drop {
		t.Fatalf("a blocked author's post: %+v", a)
	}
	apply(t, s, w, decision("p9", 1, service.Drop, ""))
	if err := s.SetModeration(ctx, w, service.Moderation{Post: "p4", Verdict: "r", Version: 2}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetModeration(ctx, w, service.Moderation{Post: "p5", Mark: "pin", Version: 3}); err != nil {
		t.Fatal(err)
	}
	before, err := s.Since(ctx, w, 0)
	if err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		name string
		a    service.Approval
		want string
	}{
		{"another revision", approval("p3", 1), "changed"},
		{"rejected", approval("p4", 1), "removed"},
		{"judged by other rules", approval("p7", 1), "rules_changed"},
		{"dropped", approval("p9", 1), "removed"},
	} {
		got, err := s.Approve(ctx, w, c.a)
		if err != nil || got != (service.ApprovalOutcome{Refused: c.want}) {
			t.Errorf("%s: %+v %v, want refused: %s", c.name, got, err, c.want)
		}
	}
	if _, err := s.Approve(ctx, w, approval("p0", 1)); !errors.Is(err, errs.NotFound) {
		t.Errorf("a post never decided: %v, want not found", err)
	}
	stale := approval("p1", 1)
	stale.Rules = 1
	if _, err := s.Approve(ctx, w, stale); !errors.Is(err, service.ErrStaleRules) {
		t.Errorf("an approval by older rules: %v, want ErrStaleRules", err)
	}
	// A blocked author's post the board still keeps: the board dropped p8,
	// so block p6's author now, after its hold.
	if err := s.SetRules(ctx, w, 3, []string{"m-p6"}); err != nil {
		t.Fatal(err)
	}
	blockedNow := approval("p6", 1)
	blockedNow.Rules = 3
	if got, err := s.Approve(ctx, w, blockedNow); err != nil || got.Refused != "author_blocked" {
		t.Errorf("a blocked author's post: %+v %v, want refused: author_blocked", got, err)
	}
	after, err := s.Since(ctx, w, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(shown(t, s, w)) != 0 || after.Head != before.Head {
		t.Fatalf("refused approvals changed the screens: shown %v, head %d, was %d", shown(t, s, w), after.Head, before.Head)
	}
	if _, total, _ := s.Queue(ctx, w, 0, 10); total != 7 {
		t.Errorf("queue after refused approvals: %d posts, want 7", total)
	}

	// Approved: shown with the item as applied (and its mark), at the
	// revision given or the one kept.
	byRules := func(a service.Approval) service.Approval {
		a.Rules = 3
		return a
	}
	hash := held("p1", 1).Entry.Hash
	for _, a := range []service.Approval{byRules(approval("p1", 1)), byRules(approval("p2", 0)), byRules(approval("p5", 1))} {
		got, err := s.Approve(ctx, w, a)
		if err != nil || got != (service.ApprovalOutcome{Rev: 1, Hash: hash}) {
			t.Errorf("approve %s: %+v %v", a.Post, got, err)
		}
	}
	item := string(held("p1", 1).Entry.Item)
	want := map[string]string{"p1": item, "p2": strings.Replace(item, `"p1"`, `"p2"`, 1), "p5": strings.Replace(item, `"p1"`, `"p5"`, 1)[:len(item)-1] + `,"mark":"pin"}`}
	if diff := cmp.Diff(want, shown(t, s, w)); diff != "" {
		t.Errorf("shown after the approvals (-want +got):\n%s", diff)
	}
	d, err := s.Since(ctx, w, before.Head)
	if err != nil || len(d.Changes) != 3 {
		t.Errorf("the log after three approvals: %+v %v", d.Changes, err)
	}
	if got, err := s.Approve(ctx, w, byRules(approval("p1", 1))); err != nil || got.Refused != "" {
		t.Errorf("approve a shown post again: %+v %v", got, err)
	}
	if d, _ := s.Since(ctx, w, before.Head); len(d.Changes) != 3 {
		t.Errorf("approving a shown post moved the log: %+v", d.Changes)
	}
	// The approval of the text is copied: the same text decided again
	// (a refill, a revision that leaves the text) shows.
	if a := apply(t, s, w, held("p1", 2)); a.Outcome != service.Show {
		t.Errorf("the approved text decided again: %+v, want show", a)
	}
}

// publicApprovals: an approval on a public wall carries hub's rule for
// anonymous readers, and the board refuses (not_public) a post of an event
// the rule does not let them see, or any post of an app they may not read,
// changing nothing; a post of an event they may see, or an app-wide post
// of a readable app, is approved. Without the rule (a private wall) the
// post's event is not checked.
func publicApprovals(t *testing.T, ctx context.Context, s Board) {
	const w = "W8"
	load(t, s, w)
	held := func(post, event string) service.Decision {
		d := decision(post, 1, service.Hold, "hello")
		d.Entry.RulesID, d.Entry.Event = "R", event
		return d
	}
	for _, d := range []service.Decision{held("p1", "ev-open"), held("p2", "ev-hidden"), held("p3", ""), held("p4", "ev-hidden")} {
		apply(t, s, w, d)
	}
	readable := &service.Audience{App: true, Events: []string{"ev-a", "ev-open", "ev-z"}}
	approval := func(post string, aud *service.Audience) service.Approval {
		return service.Approval{Post: post, Rev: 1, Rules: 1, RulesID: "R", Audience: aud}
	}
	for _, c := range []struct {
		name string
		a    service.Approval
	}{
		{"a hidden event's post", approval("p2", readable)},
		{"an open event's post of an app not published", approval("p1", &service.Audience{})},
		{"an app-wide post of an app not published", approval("p3", &service.Audience{})},
	} {
		got, err := s.Approve(ctx, w, c.a)
		if err != nil || got != (service.ApprovalOutcome{Refused: "not_public"}) {
			t.Errorf("%s: %+v %v, want refused: not_public", c.name, got, err)
		}
	}
	if got := shown(t, s, w); len(got) != 0 {
		t.Fatalf("refused approvals showed %v", got)
	}
	if v, _ := s.Entries(ctx, w, []string{"p1", "p2", "p3"}); len(v) != 3 {
		t.Errorf("refused approvals took posts off the queue: %v", v)
	}
	for _, a := range []service.Approval{approval("p1", readable), approval("p3", readable), approval("p4", nil)} {
		if got, err := s.Approve(ctx, w, a); err != nil || got.Refused != "" {
			t.Errorf("approve %s with audience %+v: %+v %v", a.Post, a.Audience, got, err)
		}
	}
	if got := shown(t, s, w); len(got) != 3 || got["p2"] != "" {
		t.Errorf("shown after the approvals: %v, want p1, p3 and p4", got)
	}
}

// RunLeases runs the contract of service.Leases; newLeases returns two
// holders (two replicas) of the same, empty, leases.
func RunLeases(t *testing.T, newLeases func(t *testing.T) (a, b service.Leases)) {
	a, b := newLeases(t)
	ctx := testkit.Context(t)
	if ok, err := a.Acquire(ctx, "app1", time.Minute); !ok || err != nil {
		t.Fatalf("a acquires: %v %v", ok, err)
	}
	if ok, _ := b.Acquire(ctx, "app1", time.Minute); ok {
		t.Error("b took a's lease")
	}
	if ok, _ := a.Acquire(ctx, "app1", time.Minute); !ok {
		t.Error("a could not renew")
	}
	if err := b.Release(ctx, "app1"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := b.Acquire(ctx, "app1", time.Minute); ok {
		t.Error("b's release freed a's lease")
	}
	if err := a.Release(ctx, "app1"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := b.Acquire(ctx, "app1", time.Minute); !ok {
		t.Error("b could not take a released lease")
	}
	// A lease outlived by its holder's TTL goes to another.
	if ok, _ := a.Acquire(ctx, "app2", 50*time.Millisecond); !ok {
		t.Fatal("a could not take app2")
	}
	time.Sleep(100 * time.Millisecond)
	if ok, _ := b.Acquire(ctx, "app2", time.Minute); !ok {
		t.Error("b could not take an expired lease")
	}
}
