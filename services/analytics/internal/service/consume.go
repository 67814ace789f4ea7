package service

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/attendify/analytics"
	"github.com/attendify/hub"
	"github.com/attendify/platform/events"
	"github.com/attendify/social"
	"github.com/attendify/sponsored"
)

// Topics are the event streams analytics consumes.
var Topics = []string{"member", "post", "comment", "like", "import", "sponsored"}

// HandleEvent counts one domain event of another service. It is
// idempotent by event id (the raw log and the live state both dedupe on
// "s:<id>"), so a redelivery changes nothing. Events older than
// analytics.MaxPast are not counted (their days are final); undecodable
// payloads are permanent failures.
func (s *Service) HandleEvent(ctx context.Context, ev events.Event) error {
	if ev.App == "" {
		return nil
	}
	e := Event{App: ev.App, Key: "s:" + ev.ID, Source: SourceService, At: ev.Time.UTC().Truncate(time.Microsecond)}
	switch ev.Type {
	case hub.EventMemberDeleted:
		return s.Erase(ctx, ev.App, ev.Subject)
	case hub.EventMemberCreated, hub.EventMemberUpdated:
		var p hub.MemberPayload
		if err := decode(ev, &p); err != nil {
			return err
		}
		if err := s.members.Joined(ctx, ev.App, Joining{Member: ev.Subject, Name: p.Name, At: e.At}); err != nil {
			return err
		}
		if ev.Type == hub.EventMemberUpdated {
			return nil // a name, not an event to count
		}
		e.Kind, e.Member = KindJoined, ev.Subject
	case analytics.EventMemberSignedIn:
		e.Kind, e.Member = KindSignIn, ev.Subject
	case social.EventPostCreated:
		var p social.PostPayload
		if err := decode(ev, &p); err != nil {
			return err
		}
		e.Kind, e.Member, e.TargetType, e.TargetID, e.EventID, e.Photos = KindPost, p.AuthorID, analytics.TargetPost, p.ID, p.EventID, p.Photos
	case social.EventCommentCreated:
		var p social.CommentPayload
		if err := decode(ev, &p); err != nil {
			return err
		}
		e.Kind, e.Member, e.TargetType, e.TargetID, e.EventID = KindComment, p.AuthorID, analytics.TargetPost, p.PostID, p.EventID
	case social.EventLikeCreated:
		var p social.LikePayload
		if err := decode(ev, &p); err != nil {
			return err
		}
		e.Kind, e.Member, e.TargetType, e.TargetID, e.EventID = KindReaction, p.MemberID, analytics.TargetPost, p.PostID, p.EventID
	case analytics.EventImportCommitted:
		e.Kind, e.TargetID = KindImport, ev.Subject
	case sponsored.EventImpressions:
		return s.impressions(ctx, ev)
	case sponsored.EventClick:
		var p sponsored.ImpressionPayload
		if err := decode(ev, &p); err != nil {
			return err
		}
		if p.Internal {
			return nil // organizers' and staff's own: left out, as sponsored's reports do
		}
		// Sponsored counts a click once per impression; so does this key,
		// whatever event carries it again.
		e = sponsoredEvent(ev, p)
		e.Key, e.Kind = "sc:"+p.ImpressionID, KindClick
	default:
		return nil // not counted
	}
	return s.count(ctx, ev, []Event{e})
}

// count records what ev counts, but for what happened longer than
// analytics.MaxPast ago (those days are final).
func (s *Service) count(ctx context.Context, ev events.Event, evs []Event) error {
	oldest := s.now().Add(-analytics.MaxPast)
	fresh := slices.DeleteFunc(evs, func(e Event) bool { return e.At.Before(oldest) })
	if dropped := len(evs) - len(fresh); dropped > 0 {
		s.log.Info("event too old to count", "type", ev.Type, "id", ev.ID, "time", ev.Time, "dropped", dropped)
	}
	_, err := s.record(ctx, ev.App, fresh)
	return err
}

// impressions counts the impressions of a sponsored.impressions event (a
// campaign's impressions counted together), each once by its impression
// id, as sponsored counts them; organizers' and staff's are left out.
func (s *Service) impressions(ctx context.Context, ev events.Event) error {
	var p sponsored.ImpressionsPayload
	if err := decode(ev, &p); err != nil {
		return err
	}
	evs := make([]Event, 0, len(p.Impressions))
	for _, im := range p.Impressions {
		if im.Internal || im.ImpressionID == "" {
			continue
		}
		e := sponsoredEvent(ev, im)
		e.Key, e.Kind = "si:"+im.ImpressionID, KindImpression
		evs = append(evs, e)
	}
	return s.count(ctx, ev, evs)
}

// sponsoredEvent is what analytics counts of an impression or a click of
// sponsored's, at the time it happened.
func sponsoredEvent(ev events.Event, p sponsored.ImpressionPayload) Event {
	at := p.At
	if at.IsZero() {
		at = ev.Time
	}
	campaign := p.CampaignID
	if campaign == "" {
		campaign = ev.Subject
	}
	return Event{App: ev.App, Source: SourceService, At: at.UTC().Truncate(time.Microsecond),
		Member: p.MemberID, TargetType: "campaign", TargetID: campaign}
}

func decode(ev events.Event, v any) error {
	if err := json.Unmarshal(ev.Data, v); err != nil {
		return events.Permanent(err)
	}
	return nil
}

// Erase removes a deleted member's personal data: their adoption row,
// their presence and leaderboard entries; their raw events keep counting
// under a random pseudonym, so every figure stays as it was (also after a
// rebuild).
func (s *Service) Erase(ctx context.Context, app, member string) error {
	if member == "" {
		return nil
	}
	if err := s.members.Forget(ctx, app, member); err != nil {
		return err
	}
	if _, err := s.raw.Pseudonymize(ctx, app, Erasure{Member: member, Pseudonym: pseudonym()}); err != nil {
		return err
	}
	return s.live.Forget(ctx, app, member)
}
