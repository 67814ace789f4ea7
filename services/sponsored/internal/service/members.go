package service

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/attendify/platform/errs"
	"github.com/attendify/sponsored"
	"github.com/attendify/sponsored/placement"
)

// Hide records that the calling member hid campaign (or is not interested
// in it), one that may have been shown (as clicks: a draft's id is not
// found): in Postgres, the truth, then in the member's Redis caps, where
// the cap script sees it. A Redis failure is returned (retry: both writes
// are idempotent); after a Redis loss the rebuild restores the mark.
func (s *Service) Hide(ctx context.Context, app, campaign, reason string) error {
	who, err := s.member(ctx, app)
	if err != nil {
		return err
	}
	if _, err := s.shown(ctx, app, campaign); err != nil {
		return err
	}
	h := Hidden{App: app, Member: who.member, Campaign: campaign, Reason: reason, At: s.now()}
	if err := s.o.Campaigns.Hide(ctx, h); err != nil {
		return err
	}
	return s.o.Board.Hide(ctx, h)
}

// ImpressionRef names an impression: a campaign's card served in an app.
type ImpressionRef struct {
	App, Campaign, Impression string
}

// Click records the calling member's click on an impression and returns
// the campaign's link.
func (s *Service) Click(ctx context.Context, ref ImpressionRef) (string, error) {
	who, err := s.member(ctx, ref.App)
	if err != nil {
		return "", err
	}
	c, err := s.shown(ctx, ref.App, ref.Campaign)
	if err != nil {
		return "", err
	}
	if c.Creative.CTA.Kind != sponsored.CTALink {
		return "", errs.New(errs.Invalid, "this campaign has a lead form, not a link")
	}
	s.record(ctx, ref, placement.RecordClick, who.member)
	return c.Creative.CTA.URL, nil
}

// shown reads a campaign of app that may have been shown to members
// (live, paused or finished), the only ones that clicks, views and leads
// may name; any other is not found, so that a member learns nothing of a
// draft or scheduled campaign (its link, its form) from its id.
func (s *Service) shown(ctx context.Context, app, id string) (Campaign, error) {
	c, err := s.o.Campaigns.Get(ctx, app, id)
	if err != nil {
		return Campaign{}, err
	}
	switch c.State {
	case sponsored.StateLive, sponsored.StatePaused, sponsored.StateFinished:
		return c, nil
	}
	return Campaign{}, errs.New(errs.NotFound, "campaign not found")
}

// servedTo checks that c was served to member: a lead needs no impression
// id the ledger knows (the form may be sent before the impression is
// counted), but it needs a member the campaign was shown to, not one who
// names the id of a campaign its targeting leaves them out of. The cap
// script counted the showing in the member's caps; after a Redis loss the
// ledger's impressions tell (the rebuild restores the caps from them). A
// member it was not served to learns nothing of it: not found, as for a
// draft.
func (s *Service) servedTo(ctx context.Context, c Campaign, member string) error {
	ok, rerr := s.o.Board.Served(ctx, c.App, c.ID, member)
	if ok {
		return nil
	}
	ok, err := s.o.Ledger.Served(ctx, c.App, c.ID, member)
	switch {
	case err != nil:
		return err
	case ok:
		return nil
	case rerr != nil:
		// Redis may hold the showing, the ledger does not yet: retry.
		return rerr
	}
	return errs.New(errs.NotFound, "campaign not found")
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
	s.record(ctx, ImpressionRef{App: ref.App, Campaign: ref.Campaign, Impression: ref.Impression}, placement.RecordClick, ref.Member)
	return c.Creative.CTA.URL, nil
}

// View records that the calling member saw an impression on screen.
func (s *Service) View(ctx context.Context, ref ImpressionRef) error {
	who, err := s.member(ctx, ref.App)
	if err != nil {
		return err
	}
	if _, err := s.shown(ctx, ref.App, ref.Campaign); err != nil {
		return err
	}
	s.record(ctx, ref, placement.RecordView, who.member)
	return nil
}

// record appends a click or view to the app's stream, for the counter,
// which then reads the app's stream for a day (whatever its campaigns'
// states), so that no record waits there uncounted; when Redis fails it
// counts it in Postgres at once, so that the person's click still goes
// through and is still counted once (if its impression is counted: with
// Redis down there is no stream to wait in). Both failing, the click is
// lost (logged): a click never fails the redirect.
func (s *Service) record(ctx context.Context, ref ImpressionRef, kind, member string) {
	app, campaign := ref.App, ref.Campaign
	r := Record{Kind: kind, Member: member, At: s.now(), Items: []Item{{Campaign: campaign, Impression: ref.Impression}}}
	err := s.o.Board.Append(ctx, app, r)
	if err == nil {
		s.apps.add(app, r.At)
		return
	}
	_, err2 := s.o.Ledger.Count(ctx, app, []Record{r})
	if err2 != nil {
		s.o.Log.Error("a "+kind+" was not counted", "app", app, "campaign", campaign, "error", errors.Join(err, err2))
	}
}

// SubmitLead stores the calling member's lead form for a campaign, with
// the consent text they accepted; one per member and campaign (a repeat
// returns the first).
func (s *Service) SubmitLead(ctx context.Context, ref ImpressionRef, fields map[string]string, consent bool) (Lead, error) {
	app, campaign, impression := ref.App, ref.Campaign, ref.Impression
	who, err := s.member(ctx, app)
	if err != nil {
		return Lead{}, err
	}
	c, err := s.shown(ctx, app, campaign)
	if err != nil {
		return Lead{}, err
	}
	if err := s.servedTo(ctx, c, who.member); err != nil {
		return Lead{}, err
	}
	if c.Creative.CTA.Kind != sponsored.CTALead {
		return Lead{}, errs.New(errs.Invalid, "this campaign has no lead form")
	}
	if c.State == sponsored.StateFinished && s.now().After(c.End.Add(7*24*time.Hour)) {
		return Lead{}, errs.New(errs.Conflict, "this campaign has ended")
	}
	if err := checkLead(c.Creative.CTA, fields, consent); err != nil {
		return Lead{}, err
	}
	// Stored as checked: without the spaces around them (a padded value
	// would pass the length check and hide a formula from the export's).
	clean := make(map[string]string, len(fields))
	for k, v := range fields {
		if v = strings.TrimSpace(v); v != "" {
			clean[k] = v
		}
	}
	l, _, err := s.o.Ledger.AddLead(ctx, Lead{
		ID: s.ids.Next().String(), App: app, Campaign: campaign, Member: who.member, Impression: impression,
		Fields: clean, Consent: c.Creative.CTA.Consent, Internal: who.internal, CreatedAt: s.now(),
	})
	return l, err
}
