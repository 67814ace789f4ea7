// Package derrors says where an error came from, as pkgsite's does: a store
// method opens with
//
//	defer derrors.Wrap(&err, "Store.Method(%q)", arg)
//
// and an error it returns reads "Store.Method("x"): cause", its kind
// (platform/errs) intact. It lives in analytics until the platform has one.
package derrors

import "fmt"

// Wrap prefixes *errp, when it is not nil, with the formatted context,
// keeping it as the cause (errors.Is, errors.As and errs.KindOf still see
// it).
func Wrap(errp *error, format string, args ...any) {
	if *errp != nil {
		*errp = fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), *errp)
	}
}
