package service

import (
	"context"
	"strings"
	"unicode"

	"github.com/attendify/hub"
	"github.com/attendify/platform/errs"
)

func memberPayload(m Member) hub.MemberPayload {
	return hub.MemberPayload{ID: m.ID, AppID: m.AppID, ExternalID: m.ExternalID, Name: m.Name, Company: m.Company,
		Title: m.Title, PhotoURL: m.PhotoURL, Role: m.Role, Blocked: m.Blocked}
}

func emailTaken(err error) error {
	if taken(err) {
		return errs.InvalidFields("a member of this app has this email or external id already",
			errs.FieldError{Field: "/email", Message: "already a member"})
	}
	return err
}

// MemberView is a member as one caller sees it: Private is set for
// organizers and for the member themself (email, external id).
type MemberView struct {
	Member
	Private bool
}

// CreateMember adds a member.
func (s *Service) CreateMember(ctx context.Context, m Member) (MemberView, error) {
	m.ID = s.newID()
	m.Email = NormalizeEmail(m.Email)
	m.PhoneE164 = hub.PhoneE164(m.Phone)
	if m.Role == "" {
		m.Role = hub.MemberAttendee
	}
	if p := customProblem(m.Custom); p != "" {
		return MemberView{}, errs.InvalidFields("bad custom fields", errs.FieldError{Field: "/custom", Message: p})
	}
	if err := profileURLs(m.PhotoURL, m.Links); err != nil {
		return MemberView{}, err
	}
	err := s.store.InTx(ctx, func(q Queries) error {
		if _, err := s.authorize(ctx, q, m.AppID, hub.ActEditMembers); err != nil {
			return err
		}
		var err error
		if m, err = q.CreateMember(ctx, m); err != nil {
			return emailTaken(err)
		}
		return q.Announce(ctx, event(hub.EventMemberCreated, m.AppID, m.ID, memberPayload(m)))
	})
	if err != nil {
		return MemberView{}, err
	}
	s.rmFailed(ctx, m.AppID, s.rm.PutMembers(ctx, m.AppID, []MemberState{memberState(m, nil)}))
	return MemberView{Member: m, Private: true}, nil
}

// ProfileChanges are the optional changes of a profile.
type ProfileChanges struct {
	Name, Company, Title, PhotoURL, Bio, Phone *string
	Links                                      []Link            // nil: unchanged
	Custom                                     map[string]string // nil: unchanged (organizers only)
	TicketType                                 *string           // nil: unchanged (organizers only)
}

func (c ProfileChanges) apply(m *Member) error {
	photo := ""
	if c.PhotoURL != nil {
		photo = *c.PhotoURL
	}
	if err := profileURLs(photo, c.Links); err != nil {
		return err
	}
	set(&m.Name, c.Name)
	set(&m.Company, c.Company)
	set(&m.Title, c.Title)
	set(&m.PhotoURL, c.PhotoURL)
	set(&m.Bio, c.Bio)
	set(&m.Phone, c.Phone)
	m.PhoneE164 = hub.PhoneE164(m.Phone)
	set(&m.TicketType, c.TicketType)
	if c.Links != nil {
		m.Links = c.Links
	}
	if c.Custom != nil {
		if p := customProblem(c.Custom); p != "" {
			return errs.InvalidFields("bad custom fields", errs.FieldError{Field: "/custom", Message: p})
		}
		m.Custom = c.Custom
	}
	return nil
}

// changeMember runs a read-modify-write of a member under its row lock.
// check decides, given the actor, whether the change is allowed; revoke
// (nil: never), given the member before and after the change, whether
// their tokens issued so far are refused from then on.
func (s *Service) changeMember(ctx context.Context, app, id string, check func(a Actor) error, typ string, change func(m *Member) error,
	revoke func(before, after Member) bool) (MemberView, error) {
	var m Member
	var regs []string
	var private bool
	var marks []Revocation
	err := s.store.InTx(ctx, func(q Queries) error {
		marks = nil
		a, err := s.actor(ctx, q, app)
		if err != nil {
			return err
		}
		if err := check(a); err != nil {
			return err
		}
		private = true
		var changeErr error
		var revokeIt bool
		m, err = q.UpdateMember(ctx, app, id, func(m *Member) error {
			before := *m
			changeErr = change(m)
			revokeIt = changeErr == nil && revoke != nil && revoke(before, *m)
			return changeErr
		})
		if changeErr != nil {
			return changeErr
		}
		if err != nil {
			return emailTaken(err)
		}
		if revokeIt {
			// Under the member's row lock, as a sign-in's token is
			// numbered: the tokens issued so far are refused.
			if marks, err = q.RevokeTokens(ctx, app, m.ID); err != nil {
				return err
			}
		}
		// The read model's hash is replaced whole: with the registrations
		// as of this version (read under the row lock).
		r, err := q.Registrations(ctx, app, []string{m.ID})
		if err != nil {
			return err
		}
		regs = r[m.ID]
		return q.Announce(ctx, event(typ, app, m.ID, memberPayload(m)))
	})
	if err != nil {
		return MemberView{}, err
	}
	s.putRevocations(ctx, marks)
	s.rmFailed(ctx, app, s.rm.PutMembers(ctx, app, []MemberState{memberState(m, regs)}))
	return MemberView{Member: m, Private: private}, nil
}

func can(action hub.Action) func(a Actor) error {
	return func(a Actor) error {
		if !hub.Allowed(a.matrixRole(), action) {
			return errs.WithCode(errs.CodeForbidden, "your role may not %s", hub.ActionNames[action])
		}
		return nil
	}
}

// UpdateMember changes a member's profile, email or role. A new email
// (not the same one, written otherwise) refuses the member's tokens
// issued before: they were signed in through the old address, which may
// no longer be theirs.
func (s *Service) UpdateMember(ctx context.Context, app, id string, email, role *string, c ProfileChanges) (MemberView, error) {
	return s.changeMember(ctx, app, id, can(hub.ActEditMembers), hub.EventMemberUpdated, func(m *Member) error {
		if email != nil {
			m.Email = NormalizeEmail(*email)
		}
		set(&m.Role, role)
		return c.apply(m)
	}, func(before, after Member) bool { return before.Email != after.Email })
}

// SetBlocked blocks or unblocks a member.
func (s *Service) SetBlocked(ctx context.Context, app, id string, blocked bool) (MemberView, error) {
	typ := hub.EventMemberUnblocked
	if blocked {
		typ = hub.EventMemberBlocked
	}
	return s.changeMember(ctx, app, id, can(hub.ActModerateMembers), typ, func(m *Member) error {
		m.Blocked = blocked
		return nil
	}, nil)
}

// UpdateMe changes the calling member's own profile.
func (s *Service) UpdateMe(ctx context.Context, app string, c ProfileChanges) (MemberView, error) {
	id := ""
	check := func(a Actor) error {
		if a.Kind != ActorMember {
			return errs.WithCode(errs.CodeForbidden, "only members have a profile of their own")
		}
		if a.App.Status == hub.StatusExpired {
			return errs.WithCode(errs.CodeForbidden, "this app has expired: it is read-only")
		}
		return nil
	}
	a, err := s.actor(ctx, s.store, app)
	if err != nil {
		return MemberView{}, err
	}
	if err := check(a); err != nil {
		return MemberView{}, err
	}
	id = a.ID
	return s.changeMember(ctx, app, id, check, hub.EventMemberUpdated, func(m *Member) error {
		return c.apply(m)
	}, nil)
}

// GetMember returns a member's profile; the email only to organizers and
// the member themself.
func (s *Service) GetMember(ctx context.Context, app, id string) (MemberView, error) {
	a, err := s.actor(ctx, s.store, app)
	if err != nil {
		return MemberView{}, err
	}
	m, err := s.store.Member(ctx, app, id, false)
	if err != nil {
		return MemberView{}, err
	}
	if a.Kind == ActorMember && m.Blocked && m.ID != a.ID {
		return MemberView{}, errs.New(errs.NotFound, "not found")
	}
	return MemberView{Member: m, Private: a.Organizer() || a.ID == m.ID}, nil
}

// Me returns the calling member's profile.
func (s *Service) MemberMe(ctx context.Context, app string) (MemberView, error) {
	a, err := s.actor(ctx, s.store, app)
	if err != nil {
		return MemberView{}, err
	}
	if a.Kind != ActorMember {
		return MemberView{}, errs.WithCode(errs.CodeForbidden, "only members have a profile of their own")
	}
	return MemberView{Member: a.Member, Private: true}, nil
}

// DeleteMember erases a member (organizers).
func (s *Service) DeleteMember(ctx context.Context, app, id string) error {
	return s.deleteMember(ctx, app, func(a Actor) (string, error) {
		if err := can(hub.ActDeleteMembers)(a); err != nil {
			return "", err
		}
		return id, nil
	})
}

// DeleteMe erases the calling member.
func (s *Service) DeleteMe(ctx context.Context, app string) error {
	return s.deleteMember(ctx, app, func(a Actor) (string, error) {
		if a.Kind != ActorMember {
			return "", errs.WithCode(errs.CodeForbidden, "only members delete their own account")
		}
		return a.ID, nil
	})
}

func (s *Service) deleteMember(ctx context.Context, app string, who func(a Actor) (string, error)) error {
	var id string
	var version int64
	err := s.store.InTx(ctx, func(q Queries) error {
		a, err := s.actor(ctx, q, app)
		if err != nil {
			return err
		}
		if id, err = who(a); err != nil {
			return err
		}
		if err := q.DeleteMember(ctx, app, id); err != nil {
			return err
		}
		if version, err = q.NextVersion(ctx); err != nil {
			return err
		}
		return q.Announce(ctx, event(hub.EventMemberDeleted, app, id, hub.IDsPayload{AppID: app, ID: id}))
	})
	if err != nil {
		return err
	}
	s.rmFailed(ctx, app, s.rm.DeleteMembership(ctx, app, id, version))
	return nil
}

// Search is a directory query.
type Search struct {
	Query, Role, EventID, Cursor string
	TicketType                   string // organizers only
	Limit                        int
}

type cursor struct {
	Name string `json:"n"`
	ID   string `json:"i"`
}

// SearchWords splits a directory query into the words that must each start
// a word of a member's name or company (at most 5; Postgres folds case and
// accents the same way on both sides).
func SearchWords(q string) []string {
	words := strings.FieldsFunc(q, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.Is(unicode.Mn, r) })
	if len(words) > 5 {
		words = words[:5]
	}
	return words
}

// SearchMembers returns a page of the member directory and the cursor of
// the next page ("" on the last).
func (s *Service) SearchMembers(ctx context.Context, app string, in Search) ([]MemberView, string, error) {
	a, err := s.actor(ctx, s.store, app)
	if err != nil {
		return nil, "", err
	}
	// Who attends an event is for those who may read its agenda: a
	// member of a hidden or restricted event they are not registered to
	// learns nothing from its registrants (organizers see every event).
	if in.EventID != "" && a.Kind == ActorMember {
		if _, err := s.agendaAccess(ctx, a, app, in.EventID); err != nil {
			return nil, "", err
		}
	}
	// A member's ticket type is for organizers: filtering by it would
	// tell it to anyone.
	if in.TicketType != "" && !a.Organizer() {
		return nil, "", errs.WithCode(errs.CodeForbidden, "only organizers filter the directory by ticket type")
	}
	f := MemberFilter{AppID: app, Words: SearchWords(in.Query), Role: in.Role, EventID: in.EventID, TicketType: in.TicketType,
		IncludeBlocked: a.Organizer(), Limit: in.Limit}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	if in.Cursor != "" {
		c, err := decodeCursor(in.Cursor, func(c cursor) bool { return c.ID != "" })
		if err != nil {
			return nil, "", err
		}
		f.AfterName, f.AfterID = c.Name, c.ID
	}
	hits, err := s.store.SearchMembers(ctx, f)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(hits) > f.Limit {
		hits = hits[:f.Limit]
		last := hits[len(hits)-1]
		next = encodeCursor(cursor{Name: last.SortName, ID: last.ID})
	}
	out := make([]MemberView, len(hits))
	for i, h := range hits {
		out[i] = MemberView{Member: h.Member, Private: a.Organizer() || h.ID == a.ID}
	}
	return out, next, nil
}
