package service

import (
	"context"
	"encoding/json"

	"github.com/attendify/hub"
	"github.com/attendify/platform/events"
	"github.com/attendify/social"
)

// HandleMemberEvent applies one of hub's member.* events: it keeps the
// authors' profiles, hides the posts of a member hub blocked (and shows
// them again when unblocked, unless a moderator's block remains), and
// anonymises the posts and comments of a deleted member. Every step is
// idempotent: redeliveries are harmless.
func (s *Service) HandleMemberEvent(ctx context.Context, ev events.Event) error {
	switch ev.Type {
	case hub.EventMemberCreated, hub.EventMemberUpdated, hub.EventMemberBlocked, hub.EventMemberUnblocked:
		var p hub.MemberPayload
		if err := json.Unmarshal(ev.Data, &p); err != nil || p.ID == "" || p.AppID == "" {
			return events.Permanent(errBadPayload(ev))
		}
		prof := Profile{App: p.AppID, Member: p.ID, Name: p.Name, Company: p.Company, Title: p.Title, PhotoURL: WebURL(p.PhotoURL)}
		if err := s.ledger.SaveProfile(ctx, prof, ev.Time); err != nil {
			return err
		}
		if err := s.index.DropProfile(ctx, p.AppID, p.ID); err != nil {
			return err
		}
		switch {
		case ev.Type == hub.EventMemberBlocked || (ev.Type == hub.EventMemberUpdated && p.Blocked):
			if _, err := s.ledger.SetBlock(ctx, BlockRecord{App: p.AppID, Member: p.ID, Source: "hub", At: ev.Time}, true); err != nil {
				return err
			}
			_, err := s.setAuthorBlocked(ctx, p.AppID, p.ID, true, "")
			return err
		case ev.Type == hub.EventMemberUnblocked:
			still, err := s.ledger.SetBlock(ctx, BlockRecord{App: p.AppID, Member: p.ID, Source: "hub", At: ev.Time}, false)
			if err != nil || still {
				return err
			}
			_, err = s.setAuthorBlocked(ctx, p.AppID, p.ID, false, "")
			return err
		}
		return nil
	case hub.EventMemberDeleted:
		var p hub.IDsPayload
		if err := json.Unmarshal(ev.Data, &p); err != nil || p.ID == "" || p.AppID == "" {
			return events.Permanent(errBadPayload(ev))
		}
		if err := s.ledger.SaveProfile(ctx, Profile{App: p.AppID, Member: p.ID, Deleted: true}, ev.Time); err != nil {
			return err
		}
		if err := s.index.DropProfile(ctx, p.AppID, p.ID); err != nil {
			return err
		}
		if err := s.anonymise(ctx, p.AppID, p.ID); err != nil {
			return err
		}
		return s.ledger.ForgetMember(ctx, p.AppID, p.ID)
	}
	return nil
}

// anonymise clears the author of every post and comment of member.
func (s *Service) anonymise(ctx context.Context, app, member string) error {
	var posts []string
	var comments []*social.CommentDoc
	err := s.docs.EachDoc(ctx, app, func(d *social.PostDoc) error {
		if d.Author == member {
			posts = append(posts, PostIDOf(d.ID))
		}
		return nil
	}, func(d *social.CommentDoc) error {
		if d.Author == member {
			comments = append(comments, d)
		}
		return nil
	})
	if err != nil {
		return err
	}
	a := Actor{App: app, Moderator: true}
	for _, id := range posts {
		if _, err := s.changePost(ctx, a, id, func(doc *social.PostDoc) (string, bool, error) {
			if doc.Author != member {
				return "", false, nil
			}
			doc.Author, doc.AuthorDeleted = "", true
			return social.EventPostUpdated, false, nil
		}); err != nil {
			return err
		}
	}
	for _, c := range comments {
		c.Author, c.AuthorDeleted = "", true
		if err := s.docs.UpdateComment(ctx, c); err != nil {
			return err
		}
	}
	return nil
}

type badPayload struct{ typ, id string }

func (e badPayload) Error() string { return "event " + e.id + " (" + e.typ + "): bad payload" }

func errBadPayload(ev events.Event) error { return badPayload{ev.Type, ev.ID} }
