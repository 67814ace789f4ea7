package postgres_test

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/attendify/hub/internal/service"
	"github.com/attendify/hub/internal/store/postgres"
	"github.com/attendify/hub/migrations"
	"github.com/attendify/platform/testkit"
)

// TestSearchWords checks the word index: words that match many members,
// words that match a few far down the list, and that renaming or blocking
// a member moves them in the index.
func TestSearchWords(t *testing.T) {
	ctx := testkit.Context(t)
	s := postgres.New(testkit.Postgres(t, migrations.Schema, migrations.All...))
	seed(t, ctx, s, "a")
	var rows []service.Member
	for i := range 3000 {
		name := fmt.Sprintf("Anna %04d", i)
		if i%1000 == 999 {
			name = fmt.Sprintf("Zed Rare %04d", i) // sorts after every Anna
		}
		rows = append(rows, service.Member{ID: fmt.Sprintf("id%04d", i), AppID: "a", Email: fmt.Sprintf("p%d@x.io", i), Name: name,
			Role: "attendee", Links: []service.Link{}})
	}
	err := s.InTx(ctx, func(q service.Queries) error {
		_, rowErrs, _, err := q.UpsertMembers(ctx, "a", rows)
		if len(rowErrs) > 0 {
			t.Fatal(rowErrs)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Analyze(ctx); err != nil { // VACUUM (ANALYZE), outside a transaction
		t.Fatal(err)
	}
	names := func(words ...string) []string {
		hits, err := s.SearchMembers(ctx, service.MemberFilter{AppID: "a", Words: words, Limit: 3})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, h := range hits {
			out = append(out, h.Name)
		}
		return out
	}
	if diff := cmp.Diff([]string{"Anna 0000", "Anna 0001", "Anna 0002", "Anna 0003"}, names("ann")); diff != "" {
		t.Errorf("common word (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"Zed Rare 0999", "Zed Rare 1999", "Zed Rare 2999"}, names("rar")); diff != "" {
		t.Errorf("rare word (-want +got):\n%s", diff)
	}
	if got := names("zzz"); len(got) != 0 {
		t.Errorf("no match: %v", got)
	}
	err = s.InTx(ctx, func(q service.Queries) error {
		m, err := q.Member(ctx, "a", "id0999", true)
		if err != nil {
			return err
		}
		m.Name = "Zed Common"
		if _, err := q.UpdateMember(ctx, m); err != nil {
			return err
		}
		m, err = q.Member(ctx, "a", "id1999", true)
		if err != nil {
			return err
		}
		m.Blocked = true
		_, err = q.UpdateMember(ctx, m)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"Zed Rare 2999"}, names("rar")); diff != "" {
		t.Errorf("after a rename and a block (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"Zed Common"}, names("zed", "com")); diff != "" {
		t.Errorf("two words after the rename (-want +got):\n%s", diff)
	}
	if err := s.DeleteMember(ctx, "a", "id0999"); err != nil {
		t.Fatal(err)
	}
	if got := names("zed", "com"); len(got) != 0 {
		t.Errorf("deleted member still found: %v", got)
	}
}
