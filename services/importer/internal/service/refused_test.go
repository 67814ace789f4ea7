package service

import (
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/attendify/hub"
	"github.com/attendify/platform/errs"
)

// TestIsolate checks that the rows hub's schema refuses are taken out of
// a batch, whether hub locates them or not, and the others sent.
func TestIsolate(t *testing.T) {
	bad := map[int]bool{3: true, 4: true, 9: true}
	tests := []struct {
		name string
		// refuse is hub's answer to a call whose rows include bad ones.
		refuse func(idx []int) error
		want   []hub.RowError
		calls  int // at most
	}{
		{"located", func(idx []int) error {
			var fields []errs.FieldError
			for j, i := range idx {
				if bad[i] {
					fields = append(fields, errs.FieldError{Field: fmt.Sprintf("/sessions/%d/title", j), Message: "too long"})
				}
			}
			return errs.InvalidFields("invalid params", fields...)
		}, []hub.RowError{{Row: 3, Field: "title", Message: "too long"}, {Row: 4, Field: "title", Message: "too long"},
			{Row: 9, Field: "title", Message: "too long"}}, 2},
		{"unlocated", func([]int) error {
			return errs.InvalidFields("invalid params", errs.FieldError{Field: "/", Message: "cannot decode"})
		}, []hub.RowError{{Row: 3, Message: "invalid params; /: cannot decode"}, {Row: 4, Message: "invalid params; /: cannot decode"},
			{Row: 9, Message: "invalid params; /: cannot decode"}}, 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sent []int
			calls := 0
			got, err := isolate(indexes(12), "sessions", func(idx []int) error {
				calls++
				for _, i := range idx {
					if bad[i] {
						return tt.refuse(idx)
					}
				}
				sent = append(sent, idx...)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			slices.SortFunc(got, func(a, b hub.RowError) int { return a.Row - b.Row })
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("refused (-want +got):\n%s", diff)
			}
			slices.Sort(sent)
			if want := []int{0, 1, 2, 5, 6, 7, 8, 10, 11}; !slices.Equal(sent, want) {
				t.Errorf("sent %v, want %v", sent, want)
			}
			if calls > tt.calls {
				t.Errorf("%d calls to hub, want at most %d", calls, tt.calls)
			}
		})
	}

	t.Run("about the params", func(t *testing.T) {
		refusal := errs.InvalidFields("invalid params", errs.FieldError{Field: "/event_id", Message: "too long"})
		got, err := isolate(indexes(4), "sessions", func([]int) error { return refusal })
		if err != refusal || got != nil {
			t.Errorf("got %v, %v; want the refusal as it is", got, err)
		}
	})
}
