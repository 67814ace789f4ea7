package service

import (
	"errors"
	"fmt"
	"testing"

	"github.com/attendify/platform/errs"
)

// A duplicate becomes the caller's message; a conflict of concurrent
// transactions (a deadlock) keeps its cause, so that pg.InTx runs the
// transaction again instead of telling the caller their email is taken.
func TestTakenLeavesConcurrentConflicts(t *testing.T) {
	duplicate := errs.Wrap(errs.Conflict, errors.New("23505"), "already exists")
	deadlock := errs.Wrap(errs.Conflict, fmt.Errorf("%w: %w", errs.ErrConcurrentChange, errors.New("40P01")), "conflicting concurrent change; retry")
	if got := emailTaken(duplicate); !errors.Is(got, errs.Invalid) {
		t.Errorf("emailTaken(duplicate) = %v, want an invalid-fields error", got)
	}
	if got := emailTaken(deadlock); got != deadlock {
		t.Errorf("emailTaken(deadlock) = %v, want the error unchanged", got)
	}
	if got := slugTaken(deadlock); got != deadlock {
		t.Errorf("slugTaken(deadlock) = %v, want the error unchanged", got)
	}
	if got := nameTaken("room")(deadlock); got != deadlock {
		t.Errorf("nameTaken(deadlock) = %v, want the error unchanged", got)
	}
}
