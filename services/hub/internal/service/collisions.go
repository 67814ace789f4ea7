package service

import (
	"context"
	"time"

	"github.com/attendify/hub"
)

// EmailCollision is a row of email_collisions (migration 13: an entry
// that kept a dotted spelling of an address another entry of its table
// and app has) with what its two entries are now.
type EmailCollision struct {
	Table string // members, speakers, organizers, invitations
	App   string // "" for organizers
	Email string // the address they share
	// KeptID has the address; KeptName is its name ("" for invitations,
	// for an entry gone, and for an organizer who is no collaborator of
	// the app asked about).
	KeptID, KeptName string
	// OtherID kept its dots: DottedEmail is the spelling the migration
	// left it; OtherName (as KeptName) and OtherEmail are as it is now,
	// OtherFound whether it is there at all.
	OtherID, OtherName      string
	DottedEmail, OtherEmail string
	OtherFound              bool
	OtherBlocked            bool // a member who is blocked
	OtherClosed             bool // an invitation accepted or revoked
	TokensRevoked           bool
	FoundAt                 time.Time
}

// Open reports whether the collision still wants an organizer: the other
// entry is there, with the dotted spelling, and neither a blocked member
// nor a closed invitation.
func (c EmailCollision) Open() bool { return c.Resolution() == "" }

// Resolution is how a collision that is not open was resolved
// (hub.Collision*), "" for an open one.
func (c EmailCollision) Resolution() string {
	switch {
	case !c.OtherFound:
		return hub.CollisionDeleted
	case c.OtherClosed:
		return hub.CollisionClosed
	case c.OtherBlocked:
		return hub.CollisionBlocked
	case c.OtherEmail != c.DottedEmail:
		return hub.CollisionEmailChanged
	}
	return ""
}

// CollisionFilter selects a page of an app's email collisions, ordered by
// (Table, Email, OtherID).
type CollisionFilter struct {
	App      string
	Table    string // "" for every table
	OpenOnly bool   // only those still open (EmailCollision.Open)
	// After is the last collision of the page before (keyset); its Table,
	// Email and OtherID count.
	After EmailCollision
	Limit int
}

// Collisions are what app.emailCollisions lists.
type Collisions struct {
	Table           string
	IncludeResolved bool
	Cursor          string
	Limit           int
}

type collisionCursor struct {
	Table string `json:"t"`
	Email string `json:"e"`
	ID    string `json:"i"`
}

// EmailCollisions returns a page of the app's email collisions (every
// organizer role) and the cursor of the next page ("" on the last).
func (s *Service) EmailCollisions(ctx context.Context, app string, in Collisions) ([]EmailCollision, string, error) {
	if _, err := s.authorize(ctx, s.store, app, hub.ActView); err != nil {
		return nil, "", err
	}
	f := CollisionFilter{App: app, Table: in.Table, OpenOnly: !in.IncludeResolved, Limit: in.Limit}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	if in.Cursor != "" {
		c, err := decodeCursor(in.Cursor, func(c collisionCursor) bool { return c.ID != "" })
		if err != nil {
			return nil, "", err
		}
		f.After = EmailCollision{Table: c.Table, Email: c.Email, OtherID: c.ID}
	}
	out, err := s.store.EmailCollisions(ctx, f)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > f.Limit {
		out = out[:f.Limit]
		last := out[len(out)-1]
		next = encodeCursor(collisionCursor{Table: last.Table, Email: last.Email, ID: last.OtherID})
	}
	return out, next, nil
}
