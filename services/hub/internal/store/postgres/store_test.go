package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/attendify/hub/internal/service"
	"github.com/attendify/hub/internal/store/postgres"
	"github.com/attendify/hub/migrations"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/events"
	"github.com/attendify/platform/testkit"
)

// seed creates app id with one event, member and speaker, all named id+"-…".
func seed(t *testing.T, ctx context.Context, s *postgres.Store, id string) {
	t.Helper()
	err := s.InTx(ctx, func(q service.Queries) error {
		if _, err := q.CreateApp(ctx, service.App{ID: id, Slug: id, Name: id, Status: "published", Access: "open"}); err != nil {
			return err
		}
		now := time.Now()
		if err := q.CreateEvent(ctx, service.Event{ID: id + "-e", AppID: id, Name: "E", TimeZone: "UTC", Start: now, End: now.Add(time.Hour),
			Visibility: "public", Access: "open"}); err != nil {
			return err
		}
		if _, err := q.CreateMember(ctx, service.Member{ID: id + "-m", AppID: id, Email: "m@x.io", Name: "M", Role: "attendee"}); err != nil {
			return err
		}
		if _, err := q.SaveSpeaker(ctx, service.Speaker{ID: id + "-s", AppID: id, Name: "S"}, true); err != nil {
			return err
		}
		return q.Announce(ctx, events.Event{Type: "app.created", App: id, Subject: id})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestQueriesStayInTheirApp addresses app B's objects under app A's id.
func TestQueriesStayInTheirApp(t *testing.T) {
	ctx := testkit.Context(t)
	s := postgres.New(testkit.Postgres(t, migrations.Schema, migrations.All...))
	seed(t, ctx, s, "a")
	seed(t, ctx, s, "b")

	notFound := map[string]error{}
	_, notFound["Member"] = s.Member(ctx, "a", "b-m", false)
	_, notFound["Event"] = s.Event(ctx, "a", "b-e", false)
	_, notFound["Speaker"] = s.Speaker(ctx, "a", "b-s")
	notFound["DeleteMember"] = s.DeleteMember(ctx, "a", "b-m")
	notFound["DeleteEvent"] = s.DeleteEvent(ctx, "a", "b-e")
	notFound["DeleteSpeaker"] = s.DeleteSpeaker(ctx, "a", "b-s")
	for name, err := range notFound {
		if !errors.Is(err, errs.NotFound) {
			t.Errorf("%s of app b's object under app a: %v", name, err)
		}
	}
	if sps, err := s.Speakers(ctx, "a", []string{"b-s"}); err != nil || len(sps) != 0 {
		t.Errorf("Speakers listed another app's: %v %v", sps, err)
	}
	err := s.InTx(ctx, func(q service.Queries) error {
		_, err := q.Register(ctx, "a", "a-e", []string{"b-m"})
		return err
	})
	if !errors.Is(err, errs.Invalid) {
		t.Errorf("registering app b's member to app a's event: %v", err)
	}
	hits, err := s.SearchMembers(ctx, service.MemberFilter{AppID: "a", Limit: 10})
	if err != nil || len(hits) != 1 || hits[0].ID != "a-m" {
		t.Errorf("directory of app a: %+v %v", hits, err)
	}
	// Still there after all that.
	if _, err := s.Member(ctx, "b", "b-m", false); err != nil {
		t.Errorf("app b's member: %v", err)
	}
}

func TestFoldedSearchColumns(t *testing.T) {
	ctx := testkit.Context(t)
	pool := testkit.Postgres(t, migrations.Schema, migrations.All...)
	var fold, search string
	err := pool.QueryRow(ctx, `SELECT fold($1), ' ' || fold($1 || ' ' || $2)`, "  Éloïse O'Brien-Smith ", "Ørsted A/S").Scan(&fold, &search)
	if err != nil {
		t.Fatal(err)
	}
	if fold != "eloise o brien smith" || search != " eloise o brien smith orsted a s" {
		t.Errorf("fold %q, search %q", fold, search)
	}
}

// TestWebURLsMigration runs migration 9 again over URLs stored before hub
// checked them: only http and https URLs stay, and the apps whose icon
// went are queued for the read model's repair.
func TestWebURLsMigration(t *testing.T) {
	ctx := testkit.Context(t)
	pool := testkit.Postgres(t, migrations.Schema, migrations.All...)
	s := postgres.New(pool)
	seed(t, ctx, s, "a")
	good := []string{"https://cdn.example.com/a.png", "http://example.com", "HTTPS://EXAMPLE.COM/x?y=1#z"}
	bad := []string{"javascript:alert(1)", " javascript:alert(1)", "data:text/html,x", "//evil.example/x", "http://", "https://exa mple.com"}
	var links []service.Link
	for _, u := range append(slices.Clone(good), bad...) {
		links = append(links, service.Link{Label: u, URL: u})
	}
	for i, u := range append(slices.Clone(good), bad...) {
		id := fmt.Sprint("m", i)
		if _, err := s.CreateMember(ctx, service.Member{ID: id, AppID: "a", Email: id + "@x.io", Name: id, Role: "attendee", PhotoURL: u, Links: links}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := pool.Exec(ctx, `UPDATE apps SET icon_url = 'javascript:alert(1)' WHERE id = 'a'`); err != nil {
		t.Fatal(err)
	}
	b, err := fs.ReadFile(migrations.Source.FS, "00009_web_urls_only.sql")
	if err != nil {
		t.Fatal(err)
	}
	up, _, _ := strings.Cut(string(b), "-- +goose Down")
	if _, err := pool.Exec(ctx, up); err != nil {
		t.Fatal(err)
	}
	for i := range len(good) + len(bad) {
		m, err := s.Member(ctx, "a", fmt.Sprint("m", i), false)
		if err != nil {
			t.Fatal(err)
		}
		var gotLinks []string
		for _, l := range m.Links {
			gotLinks = append(gotLinks, l.URL)
		}
		if !slices.Equal(gotLinks, good) {
			t.Errorf("links kept %q, want %q", gotLinks, good)
		}
		if want := i < len(good); (m.PhotoURL != "") != want {
			t.Errorf("photo %q kept: %v, want %v", m.PhotoURL, !want, want)
		}
	}
	a, err := s.App(ctx, "a", false)
	if err != nil || a.Branding.IconURL != "" {
		t.Errorf("icon after the migration: %q, %v", a.Branding.IconURL, err)
	}
	if q, err := s.RepairQueue(ctx, 10); err != nil || len(q) != 1 || q[0].App != "a" {
		t.Errorf("repair queue: %+v, %v", q, err)
	}
}

// readDuringChange runs read (in a transaction of its own, named what)
// while a transaction that changes member a-m of app "a" by change holds
// the member's row lock. read must wait for that change to commit: it
// fails the test if read answers while the lock is held. It returns
// read's error once the change committed.
func readDuringChange(t *testing.T, ctx context.Context, s *postgres.Store, what string, change func(*service.Member), read func(q service.Queries) error) error {
	t.Helper()
	locked, release := make(chan struct{}), make(chan struct{})
	changed := make(chan error, 1)
	go func() {
		changed <- s.InTx(ctx, func(q service.Queries) error {
			_, err := q.UpdateMember(ctx, "a", "a-m", func(m *service.Member) error {
				close(locked) // the row is locked now
				<-release
				change(m)
				return nil
			})
			return err
		})
	}()
	<-locked
	done := make(chan error, 1)
	go func() { done <- s.InTx(ctx, read) }()
	select {
	case err := <-done:
		close(release)
		<-changed
		t.Fatalf("%s answered (%v) while the member's row was locked by a change", what, err)
	case <-time.After(300 * time.Millisecond):
	}
	close(release)
	if err := <-changed; err != nil {
		t.Fatal(err)
	}
	return <-done
}

// TestMemberByEmailWaitsForAChange: a sign-in reads the member of an email
// while an organizer changes that member's email. The sign-in's read waits
// for the change to commit and then finds nobody under the old address:
// it never hands out a token to the old address's owner numbered after the
// change's revocation mark.
func TestMemberByEmailWaitsForAChange(t *testing.T) {
	ctx := testkit.Context(t)
	s := postgres.New(testkit.Postgres(t, migrations.Schema, migrations.All...))
	seed(t, ctx, s, "a")

	err := readDuringChange(t, ctx, s, "MemberByEmail", func(m *service.Member) { m.Email = "new@x.io" }, func(q service.Queries) error {
		_, err := q.MemberByEmail(ctx, "a", "m@x.io")
		return err
	})
	if !errors.Is(err, errs.NotFound) {
		t.Errorf("MemberByEmail of the old address after the change: %v, want not found", err)
	}
}

// TestMemberKeysWaitsForAChange: a bulk upsert matches its rows to stored
// members while an organizer changes one of them. The match waits for the
// change to commit and then reads the member as it is: the bulk decides
// whether its row changes the member's email (and so revokes their tokens)
// against the email the change left, not against the one before it.
func TestMemberKeysWaitsForAChange(t *testing.T) {
	ctx := testkit.Context(t)
	s := postgres.New(testkit.Postgres(t, migrations.Schema, migrations.All...))
	seed(t, ctx, s, "a")

	var keys []service.MemberKey
	err := readDuringChange(t, ctx, s, "MemberKeys", func(m *service.Member) { m.Email, m.ExternalID = "new@x.io", "x-1" },
		func(q service.Queries) (err error) {
			keys, err = q.MemberKeys(ctx, "a", []string{"x-1"}, []string{"m@x.io"})
			return err
		})
	if err != nil {
		t.Fatal(err)
	}
	want := []service.MemberKey{{ID: "a-m", Email: "new@x.io", ExternalID: "x-1"}}
	if !slices.Equal(keys, want) {
		t.Errorf("MemberKeys after the change = %+v, want %+v (the member as the change left it)", keys, want)
	}
}
