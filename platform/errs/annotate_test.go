package errs

import (
	"errors"
	"fmt"
	"testing"
)

func TestAnnotateSaysWhereAndKeepsTheKind(t *testing.T) {
	get := func(fail error) (err error) {
		defer Annotate(&err, "store.MemberByEmail(%s, %s)", "a1", "ann@example.com")
		return fail
	}
	if err := get(nil); err != nil {
		t.Fatalf("Annotate made an error out of none: %v", err)
	}

	nf := Wrap(NotFound, errors.New("no rows in result set"), "member not found")
	err := get(nf)
	if want := "store.MemberByEmail(a1, ann@example.com): member not found: no rows in result set"; err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
	if !errors.Is(err, NotFound) || KindOf(err) != NotFound || CodeOf(err) != CodeOf(nf) {
		t.Errorf("the annotated error lost its kind: Is=%v KindOf=%v CodeOf=%v", errors.Is(err, NotFound), KindOf(err), CodeOf(err))
	}
	if e, ok := As(err); !ok || e.Msg != "member not found" {
		t.Errorf("As(err) = %+v, %v; want the original *Error with its message for the caller", e, ok)
	}

	cause := fmt.Errorf("write: %w", errors.New("connection reset"))
	err = get(cause)
	if !errors.Is(err, cause) || KindOf(err) != Internal {
		t.Errorf("an internal error annotated: Is(cause)=%v KindOf=%v", errors.Is(err, cause), KindOf(err))
	}
	if want := "store.MemberByEmail(a1, ann@example.com): write: connection reset"; err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
	if err := get(Conflict); !errors.Is(err, Conflict) || KindOf(err) != Conflict {
		t.Errorf("a bare kind annotated lost its kind: %v", err)
	}
}
