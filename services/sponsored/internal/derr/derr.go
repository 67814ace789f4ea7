// Package derr adds where an error came from, pkgsite's way: every store
// method opens with
//
//	defer derr.Wrap(&err, "Get(%q, %q)", app, id)
//
// so that a failure reads "pgstore.Get("a1", "c1"): ..." in the log while
// its kind (errs.NotFound...) still answers errors.Is and errs.As.
// platform/errs has no such helper; this one is sponsored's.
package derr

import "fmt"

// Wrap prefixes *errp with the formatted call, when *errp is not nil.
func Wrap(errp *error, format string, args ...any) {
	if *errp != nil {
		*errp = fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), *errp)
	}
}
