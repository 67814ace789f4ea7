package service

import (
	"context"
	"errors"
	"time"

	"github.com/attendify/platform/errs"
	"github.com/attendify/sponsored"
	"github.com/attendify/sponsored/placement"
)

// Hide records that the calling member hid campaign (or is not interested
// in it): in Postgres, the truth, then in the member's Redis caps, where
// the cap script sees it. A Redis failure is returned (retry: both writes
// are idempotent); after a Redis loss the rebuild restores the mark.
func (s *Service) Hide(ctx context.Context, app, campaign, reason string) error {
	who, err := s.member(ctx, app)
	if err != nil {
		return err
	}
	if _, err := s.o.Campaigns.Get(ctx, app, campaign); err != nil {
		return err
	}
	if err := s.o.Campaigns.Hide(ctx, Hidden{App: app, Member: who.member, Campaign: campaign, Reason: reason, At: s.now()}); err != nil {
		return err
	}
	return s.o.Board.Hide(ctx, app, who.member, campaign)
}

// Click records the calling member's click on an impression and returns
// the campaign's link.
func (s *Service) Click(ctx context.Context, app, campaign, impression string) (string, error) {
	who, err := s.member(ctx, app)
	if err != nil {
		return "", err
	}
	c, err := s.o.Campaigns.Get(ctx, app, campaign)
	if err != nil {
		return "", err
	}
	if c.Creative.CTA.Kind != sponsored.CTALink {
		return "", errs.New(errs.Invalid, "this campaign has a lead form, not a link")
	}
	s.record(ctx, app, placement.RecordClick, who.member, campaign, impression)
	return c.Creative.CTA.URL, nil
}

// ClickLink records the click a signed click token names and returns the
// campaign's link: the redirect route, for apps that make no call.
func (s *Service) ClickLink(ctx context.Context, token string) (string, error) {
	ref, err := s.o.Signer.VerifyClick(token)
	if err != nil {
		return "", err
	}
	c, err := s.o.Campaigns.Get(ctx, ref.App, ref.Campaign)
	if err != nil {
		return "", err
	}
	if c.Creative.CTA.Kind != sponsored.CTALink || !webURL(c.Creative.CTA.URL) {
		return "", errs.New(errs.NotFound, "link not found")
	}
	s.record(ctx, ref.App, placement.RecordClick, ref.Member, ref.Campaign, ref.Impression)
	return c.Creative.CTA.URL, nil
}

// View records that the calling member saw an impression on screen.
func (s *Service) View(ctx context.Context, app, campaign, impression string) error {
	who, err := s.member(ctx, app)
	if err != nil {
		return err
	}
	s.record(ctx, app, placement.RecordView, who.member, campaign, impression)
	return nil
}

// record appends a click or view to the app's stream, for the counter;
// when Redis fails it counts it in Postgres at once, so that the person's
// click still goes through and is still counted once. Both failing, the
// click is lost (logged): a click never fails the redirect.
func (s *Service) record(ctx context.Context, app, kind, member, campaign, impression string) {
	r := Record{Kind: kind, Member: member, At: s.now(), Items: []Item{{Campaign: campaign, Impression: impression}}}
	err := s.o.Board.Append(ctx, app, r)
	if err == nil {
		return
	}
	_, err2 := s.o.Ledger.Count(ctx, app, []Record{r})
	if err2 != nil {
		s.o.Log.Error("a "+kind+" was not counted", "app", app, "campaign", campaign, "err", errors.Join(err, err2))
	}
}

// SubmitLead stores the calling member's lead form for a campaign, with
// the consent text they accepted; one per member and campaign (a repeat
// returns the first).
func (s *Service) SubmitLead(ctx context.Context, app, campaign, impression string, fields map[string]string, consent bool) (Lead, error) {
	who, err := s.member(ctx, app)
	if err != nil {
		return Lead{}, err
	}
	c, err := s.o.Campaigns.Get(ctx, app, campaign)
	if err != nil {
		return Lead{}, err
	}
	if c.Creative.CTA.Kind != sponsored.CTALead {
		return Lead{}, errs.New(errs.Invalid, "this campaign has no lead form")
	}
	switch c.State {
	case sponsored.StateLive, sponsored.StatePaused, sponsored.StateFinished:
	default:
		return Lead{}, errs.New(errs.NotFound, "campaign not found")
	}
	if c.State == sponsored.StateFinished && s.now().After(c.End.Add(7*24*time.Hour)) {
		return Lead{}, errs.New(errs.Conflict, "this campaign has ended")
	}
	if err := checkLead(c.Creative.CTA, fields, consent); err != nil {
		return Lead{}, err
	}
	clean := make(map[string]string, len(fields))
	for k, v := range fields {
		if v != "" {
			clean[k] = v
		}
	}
	l, _, err := s.o.Ledger.AddLead(ctx, Lead{
		ID: s.ids.Next().String(), App: app, Campaign: campaign, Member: who.member, Impression: impression,
		Fields: clean, Consent: c.Creative.CTA.Consent, Internal: who.internal, CreatedAt: s.now(),
	})
	return l, err
}
