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
	pool := testkit.Postgres(t, migrations.Schema, migrations.All...)
	s := postgres.New(pool)
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
	err := s.InTx(ctx, func(q service.Queries) error { return q.InsertMembers(ctx, rows) })
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
		if _, err := q.UpdateMember(ctx, "a", "id0999", func(m *service.Member) error {
			m.Name = "Zed Common"
			return nil
		}); err != nil {
			return err
		}
		_, err := q.UpdateMember(ctx, "a", "id1999", func(m *service.Member) error {
			m.Blocked = true
			return nil
		})
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
	// A bulk update renames two members and leaves a third as it is.
	err = s.InTx(ctx, func(q service.Queries) error {
		rows := []service.Member{
			{ID: "id0001", Email: "p1@x.io", Name: "Quentin Bulk", Role: "attendee"},
			{ID: "id0002", Email: "p2@x.io", Name: "Quincy Bulk", Role: "attendee"},
			{ID: "id0003", Email: "p3@x.io", Name: "Anna 0003", Role: "attendee"},
		}
		changed, err := q.UpdateMembers(ctx, "a", rows, false, false)
		if len(changed) != 2 {
			t.Errorf("bulk update changed %d members, want 2", len(changed))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"Quentin Bulk", "Quincy Bulk"}, names("bulk")); diff != "" {
		t.Errorf("after a bulk rename (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"Anna 0000", "Anna 0003", "Anna 0004", "Anna 0005"}, names("ann")); diff != "" {
		t.Errorf("the old names after a bulk rename (-want +got):\n%s", diff)
	}
	if err := s.DeleteMember(ctx, "a", "id0999"); err != nil {
		t.Fatal(err)
	}
	if got := names("zed", "com"); len(got) != 0 {
		t.Errorf("deleted member still found: %v", got)
	}
	// Every word row belongs to a member and says what the member says.
	var stray int
	err = pool.QueryRow(ctx, `
		SELECT count(*) FROM member_words w
		WHERE NOT EXISTS (SELECT 1 FROM members m WHERE m.id = w.member_id AND m.sort_name = w.sort_name
			AND m.blocked = w.blocked AND m.role = w.role AND m.search LIKE '% ' || w.word || '%')`).Scan(&stray)
	if err != nil || stray != 0 {
		t.Errorf("%d word rows out of step with their member (%v)", stray, err)
	}
}
