package service

import (
	"context"
	"encoding/json"
	"errors"

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
		if err := s.st.Profiles.SaveProfile(ctx, prof, ev.Time); err != nil {
			return err
		}
		if err := s.st.ProfileCache.DropProfile(ctx, p.AppID, p.ID, ev.Time); err != nil {
			return err
		}
		switch {
		case ev.Type == hub.EventMemberBlocked || (ev.Type == hub.EventMemberUpdated && p.Blocked):
			if _, err := s.st.Blocks.SetBlock(ctx, BlockRecord{App: p.AppID, Member: p.ID, Source: "hub", At: ev.Time}, true); err != nil {
				return err
			}
			_, err := s.setAuthorBlocked(ctx, p.AppID, p.ID, true, "")
			return err
		case ev.Type == hub.EventMemberUnblocked:
			still, err := s.st.Blocks.SetBlock(ctx, BlockRecord{App: p.AppID, Member: p.ID, Source: "hub", At: ev.Time}, false)
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
		if err := s.st.Profiles.SaveProfile(ctx, Profile{App: p.AppID, Member: p.ID, Deleted: true}, ev.Time); err != nil {
			return err
		}
		if err := s.st.ProfileCache.DropProfile(ctx, p.AppID, p.ID, ev.Time); err != nil {
			return err
		}
		if err := s.anonymise(ctx, p.AppID, p.ID); err != nil {
			return err
		}
		return s.st.Profiles.ForgetMember(ctx, p.AppID, p.ID)
	}
	return nil
}

// anonymise clears the author of every post and comment of member.
func (s *Service) anonymise(ctx context.Context, app, member string) error {
	var posts []string
	var comments []CommentRef
	err := s.st.AppDocs.EachDoc(ctx, app, func(d *Post) error {
		if d.Author == member {
			posts = append(posts, d.ID)
		}
		return nil
	}, func(d *Comment) error {
		if d.Author == member {
			comments = append(comments, CommentRef{App: app, Post: d.Post, ID: d.ID})
		}
		return nil
	})
	if err != nil {
		return err
	}
	a := Actor{App: app, Moderator: true}
	for _, id := range posts {
		if _, err := s.changePost(ctx, a, id, func(doc *Post) (string, error) {
			if doc.Author != member {
				return "", nil
			}
			doc.Author, doc.AuthorDeleted = "", true
			return social.EventPostUpdated, nil
		}); err != nil {
			return err
		}
	}
	for _, ref := range comments {
		// No event: followers see it in _changes (README, open points).
		_, err := s.st.Comments.UpdateComment(ctx, ref, func(c *Comment) error {
			if c.Author != member {
				return errUnchanged
			}
			c.Author, c.AuthorDeleted = "", true
			return nil
		})
		if err != nil && !errors.Is(err, errUnchanged) {
			return err
		}
	}
	return nil
}

type badPayload struct{ typ, id string }

func (e badPayload) Error() string { return "event " + e.id + " (" + e.typ + "): bad payload" }

func errBadPayload(ev events.Event) error { return badPayload{ev.Type, ev.ID} }
