package sponsored_test

import (
	"flag"
	"testing"

	"github.com/attendify/platform/rpc/rpcdoc"
	"github.com/attendify/sponsored"
	"github.com/attendify/sponsored/placement"
)

var update = flag.Bool("update", false, "rewrite docs/methods.md")

// TestMethodsDoc keeps docs/methods.md equal to what rpc.discover says and
// to what a running sponsored answers: it calls every method once, as an
// organizer's console and an attendee's app would, and renders the calls
// as the examples. Run `go test -run TestMethodsDoc -update` after changing
// a method.
func TestMethodsDoc(t *testing.T) {
	f := newFixture(t)
	rec := rpcdoc.NewRecorder()
	c := rec.Client(t, f.env.URL, nil)
	octx, actx := f.owner.Ctx(f.ctx), f.ada.Ctx(f.ctx)
	call := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	in := input("spring", nil)
	camp, err := sponsored.CreateCampaign.Call(octx, c, sponsored.CreateCampaignParams{AppRef: f.ref, CampaignInput: in})
	if err != nil {
		t.Fatal(err)
	}
	ref := sponsored.CampaignRef{AppRef: f.ref, CampaignID: camp.ID}
	in.Name = "Spring offer"
	call(sponsored.UpdateCampaign.Call(octx, c, sponsored.UpdateCampaignParams{AppRef: f.ref, CampaignID: camp.ID, Version: camp.Version, CampaignInput: in}))
	call(sponsored.GetCampaign.Call(octx, c, ref))
	call(sponsored.ListCampaigns.Call(octx, c, sponsored.ListCampaignsParams{AppRef: f.ref, Limit: 20}))
	call(sponsored.ScheduleCampaign.Call(octx, c, ref))
	call(sponsored.GetAppSettings.Call(octx, c, f.ref))
	call(sponsored.SetAppSettings.Call(octx, c, sponsored.SetAppSettingsParams{AppRef: f.ref, AppSettings: sponsored.AppSettings{Every: 3}}))

	// An attendee's app shows the card, then views, clicks and hides it.
	f.env.Publish()
	slots := f.env.Placer().Fill(f.ctx, f.app, "", placement.Viewer{Member: f.ada.ID}, 5)
	if len(slots) != 1 {
		t.Fatalf("%d slots", len(slots))
	}
	imp := sponsored.ImpressionParams{AppRef: f.ref, CampaignID: camp.ID, ImpressionID: slots[0].Card.ImpressionID}
	call(sponsored.View.Call(actx, c, imp))
	call(sponsored.Click.Call(actx, c, imp))
	call(sponsored.Hide.Call(actx, c, sponsored.HideParams{AppRef: f.ref, CampaignID: camp.ID, Reason: sponsored.HideHidden}))

	// A campaign that collects leads.
	lead := f.live(t, input("lead", func(in *sponsored.CampaignInput) {
		in.Creative.CTA = sponsored.CTA{Kind: sponsored.CTALead, Label: "Join", Consent: "Acme may call me.", Fields: []sponsored.LeadField{
			{Name: "email", Label: "E-mail", Kind: "email", Required: true}, {Name: "company", Label: "Company", Kind: "text"}}}
	}))
	card := f.serve(t, f.ada, lead.ID)
	call(sponsored.SubmitLead.Call(actx, c, sponsored.SubmitLeadParams{AppRef: f.ref, CampaignID: lead.ID, ImpressionID: card.ImpressionID, Consent: true,
		Fields: map[string]string{"email": "ada@example.com", "company": "Analytical Engines"}}))
	call(sponsored.ListLeads.Call(octx, c, sponsored.ListLeadsParams{AppRef: f.ref, CampaignID: lead.ID, Limit: 10}))

	// Reports and the campaign's end.
	f.env.Count()
	call(sponsored.GetReport.Call(octx, c, ref))
	call(sponsored.ShareReport.Call(octx, c, ref))
	call(sponsored.RevokeReport.Call(octx, c, ref))
	call(sponsored.PauseCampaign.Call(octx, c, ref))
	call(sponsored.ResumeCampaign.Call(octx, c, ref))
	call(sponsored.FinishCampaign.Call(octx, c, ref))
	call(sponsored.ArchiveCampaign.Call(octx, c, ref))

	rpcdoc.Generate(t, rpcdoc.Doc{
		Service:    "sponsored",
		Discovery:  rpcdoc.Discover(t, f.env.URL),
		Recorder:   rec,
		Regenerate: "go test -run TestMethodsDoc -update (in services/sponsored)",
		// Impression ids are 128 random bits in base64url: one without a
		// digit would not read as a secret, and the file would differ.
		Vary: []string{"impression_id"},
	}, "docs/methods.md", *update)
}
