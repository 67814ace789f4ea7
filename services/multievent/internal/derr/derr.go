// Package derr adds to an error where it came from, in one deferred line
// at the top of a store method (pkgsite's derrors.Wrap):
//
//	func (s *Store) Events(ctx context.Context, app string) (_ []Event, err error) {
//		defer derr.Wrap(&err, "Events(%q)", app)
//
// platform/errs has no such helper; the kind of the error (errs.NotFound,
// errs.Conflict...) survives the wrapping: errors.Is and errs.As see
// through it.
package derr

import "fmt"

// Wrap prefixes *errp, when it is not nil, with the formatted words.
func Wrap(errp *error, format string, args ...any) {
	if *errp != nil {
		*errp = fmt.Errorf(format+": %w", append(args, *errp)...)
	}
}
