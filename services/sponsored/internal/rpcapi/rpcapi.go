// Package rpcapi binds sponsored's JSON-RPC methods (api.go) to the domain
// service: decode, call, encode, converting wire types to domain types at
// the boundary.
package rpcapi

import (
	"context"

	"github.com/attendify/platform/rpc"
	"github.com/attendify/sponsored"
	"github.com/attendify/sponsored/internal/service"
)

// Register binds every method to svc.
func Register(s *rpc.Server, svc *service.Service) {
	h := handlers{svc: svc}
	rpc.Handle(s, sponsored.CreateCampaign, h.create)
	rpc.Handle(s, sponsored.UpdateCampaign, h.update)
	rpc.Handle(s, sponsored.GetCampaign, h.get)
	rpc.Handle(s, sponsored.ListCampaigns, h.list)
	for m, act := range map[*rpc.Method[sponsored.CampaignRef, sponsored.Campaign]]string{
		&sponsored.ScheduleCampaign: service.ActSchedule, &sponsored.PauseCampaign: service.ActPause,
		&sponsored.ResumeCampaign: service.ActResume, &sponsored.FinishCampaign: service.ActFinish,
		&sponsored.ArchiveCampaign: service.ActArchive,
	} {
		rpc.Handle(s, *m, func(ctx context.Context, p sponsored.CampaignRef) (sponsored.Campaign, error) {
			c, err := svc.Act(ctx, p.App, p.CampaignID, act)
			return CampaignToWire(c), err
		})
	}
	rpc.Handle(s, sponsored.GetReport, h.report)
	rpc.Handle(s, sponsored.ShareReport, h.share)
	rpc.Handle(s, sponsored.RevokeReport, h.revoke)
	rpc.Handle(s, sponsored.ListLeads, h.leads)
	rpc.Handle(s, sponsored.GetAppSettings, func(ctx context.Context, p rpc.AppRef) (sponsored.AppSettings, error) {
		set, err := svc.GetAppSettings(ctx, p.App)
		return sponsored.AppSettings{Every: set.Every}, err
	})
	rpc.Handle(s, sponsored.SetAppSettings, func(ctx context.Context, p sponsored.SetAppSettingsParams) (sponsored.AppSettings, error) {
		set, err := svc.SetAppSettings(ctx, p.App, service.AppSettings{Every: p.Every})
		return sponsored.AppSettings{Every: set.Every}, err
	})
	rpc.Handle(s, sponsored.Hide, h.hide)
	rpc.Handle(s, sponsored.Click, h.click)
	rpc.Handle(s, sponsored.View, h.view)
	rpc.Handle(s, sponsored.SubmitLead, h.submitLead)
}

type handlers struct {
	svc *service.Service
}

func (h handlers) create(ctx context.Context, p sponsored.CreateCampaignParams) (sponsored.Campaign, error) {
	c, err := h.svc.CreateCampaign(ctx, p.App, SettingsFromWire(p.CampaignInput))
	return CampaignToWire(c), err
}

func (h handlers) update(ctx context.Context, p sponsored.UpdateCampaignParams) (sponsored.Campaign, error) {
	c, err := h.svc.UpdateCampaign(ctx, p.App, p.CampaignID, p.Version, SettingsFromWire(p.CampaignInput))
	return CampaignToWire(c), err
}

func (h handlers) get(ctx context.Context, p sponsored.CampaignRef) (sponsored.Campaign, error) {
	c, err := h.svc.GetCampaign(ctx, p.App, p.CampaignID)
	return CampaignToWire(c), err
}

func (h handlers) list(ctx context.Context, p sponsored.ListCampaignsParams) (sponsored.CampaignList, error) {
	page, err := h.svc.ListCampaigns(ctx, service.CampaignQuery{App: p.App, State: p.State, Cursor: p.Cursor, Limit: p.Limit})
	if err != nil {
		return sponsored.CampaignList{}, err
	}
	out := sponsored.CampaignList{Campaigns: make([]sponsored.Campaign, 0, len(page.Campaigns)), NextCursor: page.Next}
	for _, c := range page.Campaigns {
		out.Campaigns = append(out.Campaigns, CampaignToWire(c))
	}
	return out, nil
}

func (h handlers) report(ctx context.Context, p sponsored.CampaignRef) (sponsored.Report, error) {
	r, err := h.svc.Report(ctx, p.App, p.CampaignID)
	if err != nil {
		return sponsored.Report{}, err
	}
	return ReportToWire(r), nil
}

func (h handlers) share(ctx context.Context, p sponsored.CampaignRef) (sponsored.ShareLink, error) {
	u, err := h.svc.ShareReport(ctx, p.App, p.CampaignID)
	return sponsored.ShareLink{URL: u}, err
}

func (h handlers) revoke(ctx context.Context, p sponsored.CampaignRef) (sponsored.ShareLink, error) {
	u, err := h.svc.RevokeReport(ctx, p.App, p.CampaignID)
	return sponsored.ShareLink{URL: u}, err
}

func (h handlers) leads(ctx context.Context, p sponsored.ListLeadsParams) (sponsored.LeadPage, error) {
	limit := p.Limit
	if limit <= 0 {
		limit = 100
	}
	ls, err := h.svc.Leads(ctx, service.LeadQuery{App: p.App, Campaign: p.CampaignID, After: p.Cursor, Limit: limit})
	if err != nil {
		return sponsored.LeadPage{}, err
	}
	out := sponsored.LeadPage{Leads: make([]sponsored.Lead, 0, len(ls))}
	for _, l := range ls {
		out.Leads = append(out.Leads, LeadToWire(l))
	}
	if len(ls) == limit {
		out.NextCursor = ls[len(ls)-1].ID
	}
	return out, nil
}

func (h handlers) hide(ctx context.Context, p sponsored.HideParams) (sponsored.Empty, error) {
	return sponsored.Empty{}, h.svc.Hide(ctx, p.App, p.CampaignID, p.Reason)
}

func impressionRef(p sponsored.ImpressionParams) service.ImpressionRef {
	return service.ImpressionRef{App: p.App, Campaign: p.CampaignID, Impression: p.ImpressionID}
}

func (h handlers) click(ctx context.Context, p sponsored.ImpressionParams) (sponsored.ClickResult, error) {
	u, err := h.svc.Click(ctx, impressionRef(p))
	return sponsored.ClickResult{URL: u}, err
}

func (h handlers) view(ctx context.Context, p sponsored.ImpressionParams) (sponsored.Empty, error) {
	return sponsored.Empty{}, h.svc.View(ctx, impressionRef(p))
}

func (h handlers) submitLead(ctx context.Context, p sponsored.SubmitLeadParams) (sponsored.Lead, error) {
	l, err := h.svc.SubmitLead(ctx, service.ImpressionRef{App: p.App, Campaign: p.CampaignID, Impression: p.ImpressionID}, p.Fields, p.Consent)
	if err != nil {
		return sponsored.Lead{}, err
	}
	return LeadToWire(l), nil
}
