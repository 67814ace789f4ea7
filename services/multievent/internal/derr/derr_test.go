package derr

import (
	"errors"
	"testing"

	"github.com/attendify/platform/errs"
)

func TestWrapKeepsTheKind(t *testing.T) {
	get := func() (err error) {
		defer Wrap(&err, "Get(%q)", "k")
		return errs.New(errs.NotFound, "no such thing")
	}
	err := get()
	if !errors.Is(err, errs.NotFound) || err.Error() != `Get("k"): no such thing` {
		t.Errorf("got %v", err)
	}
	ok := func() (err error) {
		defer Wrap(&err, "Get")
		return nil
	}
	if ok() != nil {
		t.Error("wrapped a nil error")
	}
}
