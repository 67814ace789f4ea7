package service

import (
	"github.com/attendify/hub"
	"github.com/attendify/importer/internal/mapping"
	"github.com/attendify/platform/errs"
)

// Hub's bulk methods are for services and do not apply its permission
// matrix: the importer applies it for the organizer it acts for, by their
// column in the matrix (a collaborator role, or hub.RoleService), before
// anything is stored (upload, configure) and again before anything is
// written to hub (commit), since a role can change in between.

// needs is what hub's matrix must allow to write rows of kind: attendees
// of an import with an event are also registered to it.
func needs(k mapping.Kind, event string) []hub.Action {
	switch k {
	case mapping.Attendees:
		if event != "" {
			return []hub.Action{hub.ActEditMembers, hub.ActEditEvents}
		}
		return []hub.Action{hub.ActEditMembers}
	case mapping.Speakers, mapping.Sessions:
		return []hub.Action{hub.ActEditAgenda}
	}
	return nil
}

// mayWrite is nil when role may write rows of kind, a forbidden error
// saying why not otherwise.
func mayWrite(role string, k mapping.Kind, event string) error {
	for _, a := range needs(k, event) {
		if !hub.Allowed(role, a) {
			return errs.WithCode(errs.CodeForbidden, "your role (%s) may not %s, which importing %s needs", role, hub.ActionNames[a], k)
		}
	}
	return nil
}

// mayStart checks, before the file is read, that role may write what an
// import with these options can hold: the rows of opts.Kind when it is
// set, else the rows of at least one kind (the analysis finds which the
// file has; the commit checks them).
func mayStart(role string, opts Options, event string) error {
	if opts.Kind != "" {
		return mayWrite(role, opts.Kind, event)
	}
	var first error
	for _, k := range mapping.Kinds {
		err := mayWrite(role, k, event)
		if err == nil {
			return nil
		}
		if first == nil {
			first = err
		}
	}
	return first
}

// mayCommit checks that role may write every kind the commit would send
// to hub.
func mayCommit(role string, imp *Import) error {
	for _, k := range mapping.Kinds {
		if c := imp.Counts[k]; c[ActCreate]+c[ActUpdate] > 0 {
			if err := mayWrite(role, k, imp.EventID); err != nil {
				return err
			}
		}
	}
	return nil
}
