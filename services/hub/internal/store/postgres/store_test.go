package postgres_test

import (
	"context"
	"errors"
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
