package memstore

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"time"

	"github.com/attendify/hub/internal/service"
	"github.com/attendify/platform/errs"
)

// AddEmailCollisions records collisions as migration 13 does in Postgres
// (for tests; only their Table, App, Email, KeptID, OtherID, DottedEmail,
// TokensRevoked and FoundAt count, FoundAt now when zero).
func (s *Store) AddEmailCollisions(cs ...service.EmailCollision) error {
	return s.do(func(d *data) error {
		for _, c := range cs {
			if err := checkIn("collision table", c.Table, "members", "speakers", "organizers", "invitations"); err != nil {
				return err
			}
			k := key2{c.Table, c.OtherID}
			if _, ok := d.collisions[k]; ok {
				return errs.New(errs.Conflict, "this collision is recorded already")
			}
			if c.FoundAt.IsZero() {
				c.FoundAt = time.Now()
			}
			d.collisions[k] = service.EmailCollision{Table: c.Table, App: c.App, Email: c.Email, KeptID: c.KeptID, OtherID: c.OtherID,
				DottedEmail: c.DottedEmail, TokensRevoked: c.TokensRevoked, FoundAt: c.FoundAt}
		}
		return nil
	})
}

// eraseCollisions deletes the collisions whose other entry, of table, is
// one of the entries erased: as the Postgres store's triggers do
// (migration 14).
func (d *data) eraseCollisions(table string, erased func(id string) bool) {
	maps.DeleteFunc(d.collisions, func(k key2, _ service.EmailCollision) bool { return k.a == table && erased(k.b) })
}

// EmailCollisions implements service.EmailCollisionStore.
func (s *Store) EmailCollisions(ctx context.Context, f service.CollisionFilter) (out []service.EmailCollision, err error) {
	err = s.do(func(d *data) error {
		for _, c := range d.collisions {
			switch {
			case c.Table == "organizers" && c.App == "":
				if !d.collaborates(f.App, c.KeptID) && !d.collaborates(f.App, c.OtherID) {
					continue
				}
			case c.Table == "organizers" || c.App != f.App:
				continue
			}
			if f.Table != "" && c.Table != f.Table {
				continue
			}
			if f.After.OtherID != "" && compareCollisions(c, f.After) <= 0 {
				continue
			}
			c.KeptName, _, _ = d.collisionEntry(f.App, c, c.KeptID)
			var found bool
			c.OtherName, c.OtherEmail, found = d.collisionEntry(f.App, c, c.OtherID)
			c.OtherFound = found
			switch c.Table {
			case "members":
				c.OtherBlocked = d.members[key2{c.App, c.OtherID}].Blocked
			case "invitations":
				inv := d.invitations[c.OtherID]
				c.OtherClosed = found && (!inv.AcceptedAt.IsZero() || !inv.RevokedAt.IsZero())
			}
			if f.OpenOnly && !c.Open() {
				continue
			}
			out = append(out, c)
		}
		slices.SortFunc(out, compareCollisions)
		if len(out) > f.Limit+1 {
			out = out[:f.Limit+1]
		}
		return nil
	})
	return out, err
}

// compareCollisions orders collisions by table, email and other id.
func compareCollisions(a, b service.EmailCollision) int {
	return cmp.Or(cmp.Compare(a.Table, b.Table), cmp.Compare(a.Email, b.Email), cmp.Compare(a.OtherID, b.OtherID))
}

func (d *data) collaborates(app, organizer string) bool {
	_, ok := d.collaborators[key2{app, organizer}]
	return ok
}

// collisionEntry is the name and email of the entry id of c's table, in
// c's app, and whether it is there; an organizer's name only when they
// collaborate on app.
func (d *data) collisionEntry(app string, c service.EmailCollision, id string) (name, email string, found bool) {
	switch c.Table {
	case "members":
		m, ok := d.members[key2{c.App, id}]
		return m.Name, m.Email, ok
	case "speakers":
		sp, ok := d.speakers[key2{c.App, id}]
		return sp.Name, sp.Email, ok
	case "invitations":
		inv, ok := d.invitations[id]
		if !ok || inv.AppID != c.App {
			return "", "", false
		}
		return "", inv.Email, true
	case "organizers":
		o, ok := d.organizers[id]
		if !ok {
			return "", "", false
		}
		if !d.collaborates(app, id) {
			if id == c.OtherID && o.Email != c.DottedEmail {
				return "", "", true // another address now: not this app's to see
			}
			return "", o.Email, true
		}
		return o.Name, o.Email, true
	}
	return "", "", false
}
