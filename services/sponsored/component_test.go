package sponsored_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/attendify/hub"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/events"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/testkit"
	"github.com/attendify/sponsored"
	"github.com/attendify/sponsored/internal/service"
	"github.com/attendify/sponsored/internal/sponsoredtest"
	"github.com/attendify/sponsored/internal/store/redisstore"
	"github.com/attendify/sponsored/placement"
)

type fixture struct {
	env   *sponsoredtest.Env
	ctx   context.Context
	app   string
	ref   rpc.AppRef
	owner sponsoredtest.Member
	ada   sponsoredtest.Member
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	berlin, _ := time.LoadLocation("Europe/Berlin")
	env := sponsoredtest.Start(t, sponsoredtest.Options{Start: time.Date(2026, 6, 1, 13, 0, 0, 0, berlin)})
	f := &fixture{env: env, ctx: testkit.Context(t)}
	f.app = env.CreateApp(env.NewEvent("Conf"))
	f.ref = rpc.AppRef{App: f.app}
	f.owner = env.AddMember(f.app, "Olive Owner", auth.RoleOwner)
	f.ada = env.AddMember(f.app, "Ada", auth.RoleAttendee)
	return f
}

func (f *fixture) create(t *testing.T, in sponsored.CampaignInput) sponsored.Campaign {
	t.Helper()
	c, err := sponsored.CreateCampaign.Call(f.owner.Ctx(f.ctx), f.env.Client, sponsored.CreateCampaignParams{AppRef: f.ref, CampaignInput: in})
	if err != nil {
		t.Fatalf("campaign.create: %v", err)
	}
	return c
}

func (f *fixture) live(t *testing.T, in sponsored.CampaignInput) sponsored.Campaign {
	t.Helper()
	c := f.create(t, in)
	c, err := sponsored.ScheduleCampaign.Call(f.owner.Ctx(f.ctx), f.env.Client, sponsored.CampaignRef{AppRef: f.ref, CampaignID: c.ID})
	if err != nil || c.State != sponsored.StateLive {
		t.Fatalf("campaign.schedule: %s %v", c.State, err)
	}
	return c
}

// serve publishes the campaigns and serves campaign to an attendee m,
// as social would in a page of the app's feed: a lead needs a member the
// campaign was served to.
func (f *fixture) serve(t *testing.T, m sponsoredtest.Member, campaign string) sponsored.Card {
	t.Helper()
	return f.serveAs(t, placement.Viewer{Member: m.ID, MemberRole: hub.MemberAttendee}, campaign)
}

// serveAs serves campaign to v (one page with a slot for every campaign).
func (f *fixture) serveAs(t *testing.T, v placement.Viewer, campaign string) sponsored.Card {
	t.Helper()
	f.env.Publish()
	for _, s := range f.env.Placer().Fill(f.ctx, f.app, "", v, 100*sponsored.DefaultEvery) {
		if s.Card.CampaignID == campaign {
			return s.Card
		}
	}
	t.Fatalf("campaign %s not served to %s", campaign, v.Member)
	return sponsored.Card{}
}

func TestCampaignMethodsSucceed(t *testing.T) {
	f := newFixture(t)
	c := f.create(t, input("spring", nil))
	if c.State != sponsored.StateDraft || c.Version != 1 || c.StartUTC != time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC) {
		t.Errorf("created %+v", c)
	}
	in := c.CampaignInput
	in.Name, in.Weight = "spring (2)", 5
	u, err := sponsored.UpdateCampaign.Call(f.owner.Ctx(f.ctx), f.env.Client, sponsored.UpdateCampaignParams{AppRef: f.ref, CampaignID: c.ID, Version: 1, CampaignInput: in})
	if err != nil || u.Version != 2 || u.Name != "spring (2)" || u.Weight != 5 {
		t.Fatalf("update: %+v %v", u, err)
	}
	for _, step := range []struct {
		m    func() (sponsored.Campaign, error)
		want string
	}{
		{func() (sponsored.Campaign, error) {
			return sponsored.ScheduleCampaign.Call(f.owner.Ctx(f.ctx), f.env.Client, cref(f, c))
		}, sponsored.StateLive},
		{func() (sponsored.Campaign, error) {
			return sponsored.PauseCampaign.Call(f.owner.Ctx(f.ctx), f.env.Client, cref(f, c))
		}, sponsored.StatePaused},
		{func() (sponsored.Campaign, error) {
			return sponsored.ResumeCampaign.Call(f.owner.Ctx(f.ctx), f.env.Client, cref(f, c))
		}, sponsored.StateLive},
		{func() (sponsored.Campaign, error) {
			return sponsored.FinishCampaign.Call(f.owner.Ctx(f.ctx), f.env.Client, cref(f, c))
		}, sponsored.StateFinished},
		{func() (sponsored.Campaign, error) {
			return sponsored.ArchiveCampaign.Call(f.owner.Ctx(f.ctx), f.env.Client, cref(f, c))
		}, sponsored.StateArchived},
	} {
		got, err := step.m()
		if err != nil || got.State != step.want {
			t.Fatalf("to %s: %s %v", step.want, got.State, err)
		}
	}
	list, err := sponsored.ListCampaigns.Call(f.owner.Ctx(f.ctx), f.env.Client, sponsored.ListCampaignsParams{AppRef: f.ref})
	if err != nil || len(list.Campaigns) != 0 {
		t.Errorf("list hides archived: %d %v", len(list.Campaigns), err)
	}
	list, err = sponsored.ListCampaigns.Call(f.owner.Ctx(f.ctx), f.env.Client, sponsored.ListCampaignsParams{AppRef: f.ref, State: sponsored.StateArchived})
	if err != nil || len(list.Campaigns) != 1 {
		t.Errorf("list archived: %d %v", len(list.Campaigns), err)
	}
}

// TestListCampaignsInPages pages campaign.list over HTTP: on the test's
// clock every campaign is created at the same instant, so the order is
// the id's (the tie-break) all along.
func TestListCampaignsInPages(t *testing.T) {
	f := newFixture(t)
	octx := f.owner.Ctx(f.ctx)
	var listed, archived []string // newest first
	for i := range 7 {
		c := f.create(t, input(fmt.Sprintf("c%d", i), nil))
		if i%3 == 1 {
			if _, err := sponsored.ArchiveCampaign.Call(octx, f.env.Client, cref(f, c)); err != nil {
				t.Fatal(err)
			}
			archived = append([]string{c.ID}, archived...)
			continue
		}
		listed = append([]string{c.ID}, listed...)
	}
	pages := func(p sponsored.ListCampaignsParams) (got []string, sizes []int) {
		t.Helper()
		for {
			page, err := sponsored.ListCampaigns.Call(octx, f.env.Client, p)
			if err != nil {
				t.Fatalf("page %d: %v", len(sizes)+1, err)
			}
			for _, c := range page.Campaigns {
				got = append(got, c.ID)
			}
			sizes = append(sizes, len(page.Campaigns))
			if page.NextCursor == "" || len(sizes) > 10 {
				return got, sizes
			}
			p.Cursor = page.NextCursor
		}
	}
	for _, tc := range []struct {
		p     sponsored.ListCampaignsParams
		want  []string
		sizes []int
	}{
		{sponsored.ListCampaignsParams{AppRef: f.ref}, listed, []int{5}}, // no cursor, no limit: the first page, as before
		{sponsored.ListCampaignsParams{AppRef: f.ref, Limit: 2}, listed, []int{2, 2, 1}},
		{sponsored.ListCampaignsParams{AppRef: f.ref, Limit: 5}, listed, []int{5}},
		{sponsored.ListCampaignsParams{AppRef: f.ref, State: sponsored.StateArchived, Limit: 1}, archived, []int{1, 1}},
	} {
		got, sizes := pages(tc.p)
		if !slices.Equal(got, tc.want) || !slices.Equal(sizes, tc.sizes) {
			t.Errorf("state %q limit %d: %v in pages of %v, want %v in %v", tc.p.State, tc.p.Limit, got, sizes, tc.want, tc.sizes)
		}
	}

	first, err := sponsored.ListCampaigns.Call(octx, f.env.Client, sponsored.ListCampaignsParams{AppRef: f.ref, Limit: 2})
	if err != nil || first.NextCursor == "" {
		t.Fatalf("first page: next %q %v", first.NextCursor, err)
	}
	forged := service.CampaignCursor(service.CampaignQuery{App: f.app}, "made-up")
	for name, p := range map[string]sponsored.ListCampaignsParams{
		"malformed":         {AppRef: f.ref, Cursor: "not-a-cursor"},
		"forged":            {AppRef: f.ref, Cursor: forged},
		"for another state": {AppRef: f.ref, Cursor: first.NextCursor, State: sponsored.StateArchived},
		"too long":          {AppRef: f.ref, Cursor: strings.Repeat("A", 201)},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := sponsored.ListCampaigns.Call(octx, f.env.Client, p)
			wantCode(t, err, errs.CodeInvalid, "/cursor")
		})
	}
	_, err = sponsored.ListCampaigns.Call(octx, f.env.Client, sponsored.ListCampaignsParams{AppRef: f.ref, Limit: 501})
	wantCode(t, err, errs.CodeInvalid, "/limit")
}

func cref(f *fixture, c sponsored.Campaign) sponsored.CampaignRef {
	return sponsored.CampaignRef{AppRef: f.ref, CampaignID: c.ID}
}

func wantCode(t *testing.T, err error, code errs.Code, field string) {
	t.Helper()
	e, ok := errs.As(err)
	if !ok || e.Code != code {
		t.Fatalf("error %v, want code %d", err, code)
	}
	if field != "" && (len(e.Fields) == 0 || e.Fields[0].Field != field) {
		t.Errorf("fields %+v, want %s first", e.Fields, field)
	}
}

func TestCampaignMethodsInvalid(t *testing.T) {
	f := newFixture(t)
	for name, tc := range map[string]struct {
		mod   func(*sponsored.CampaignInput)
		field string
	}{
		"link not http":   {func(in *sponsored.CampaignInput) { in.Creative.CTA.URL = "javascript:alert(1)" }, "/creative/cta/url"},
		"no time zone":    {func(in *sponsored.CampaignInput) { in.Flight.TimeZone = "" }, "/flight/time_zone"},
		"end before":      {func(in *sponsored.CampaignInput) { in.Flight.End = "2026-01-01T00:00" }, "/flight/end"},
		"unknown pacing":  {func(in *sponsored.CampaignInput) { in.Pacing = "whenever" }, ""},
		"weight too high": {func(in *sponsored.CampaignInput) { in.Weight = 5000 }, ""},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := sponsored.CreateCampaign.Call(f.owner.Ctx(f.ctx), f.env.Client, sponsored.CreateCampaignParams{AppRef: f.ref, CampaignInput: input("x", tc.mod)})
			if !errors.Is(err, errs.Invalid) {
				t.Fatalf("%v, want invalid", err)
			}
			if tc.field != "" {
				wantCode(t, err, errs.CodeInvalid, tc.field)
			}
		})
	}
}

func TestCampaignMethodsRefused(t *testing.T) {
	f := newFixture(t)
	c := f.create(t, input("c", nil))
	for name, tc := range map[string]struct {
		call func() error
		code errs.Code
	}{
		"member creates": {func() error {
			_, err := sponsored.CreateCampaign.Call(f.ada.Ctx(f.ctx), f.env.Client, sponsored.CreateCampaignParams{AppRef: f.ref, CampaignInput: input("x", nil)})
			return err
		}, errs.CodeForbidden},
		"member reads a report": {func() error {
			_, err := sponsored.GetReport.Call(f.ada.Ctx(f.ctx), f.env.Client, cref(f, c))
			return err
		}, errs.CodeForbidden},
		"stale version": {func() error {
			_, err := sponsored.UpdateCampaign.Call(f.owner.Ctx(f.ctx), f.env.Client, sponsored.UpdateCampaignParams{AppRef: f.ref, CampaignID: c.ID, Version: 9, CampaignInput: c.CampaignInput})
			return err
		}, errs.CodeConflict},
		"resume a draft": {func() error {
			_, err := sponsored.ResumeCampaign.Call(f.owner.Ctx(f.ctx), f.env.Client, cref(f, c))
			return err
		}, errs.CodeConflict},
		"unknown campaign": {func() error {
			_, err := sponsored.GetCampaign.Call(f.owner.Ctx(f.ctx), f.env.Client, sponsored.CampaignRef{AppRef: f.ref, CampaignID: "nope"})
			return err
		}, errs.CodeNotFound},
		"hide unknown": {func() error {
			_, err := sponsored.Hide.Call(f.ada.Ctx(f.ctx), f.env.Client, sponsored.HideParams{AppRef: f.ref, CampaignID: "nope", Reason: sponsored.HideHidden})
			return err
		}, errs.CodeNotFound},
		"lead without consent": {func() error {
			lead := f.live(t, input("lead", func(in *sponsored.CampaignInput) {
				in.Creative.CTA = sponsored.CTA{Kind: sponsored.CTALead, Label: "Join", Consent: "ok", Fields: []sponsored.LeadField{{Name: "email", Label: "E-mail", Kind: "email", Required: true}}}
			}))
			card := f.serve(t, f.ada, lead.ID)
			_, err := sponsored.SubmitLead.Call(f.ada.Ctx(f.ctx), f.env.Client, sponsored.SubmitLeadParams{AppRef: f.ref, CampaignID: lead.ID, ImpressionID: card.ImpressionID, Fields: map[string]string{"email": "a@b.co"}})
			return err
		}, errs.CodeInvalid},
	} {
		t.Run(name, func(t *testing.T) { wantCode(t, tc.call(), tc.code, "") })
	}
}

// TestLinksAndExports: the click redirect, the sponsor's report page and
// its exports, revocation, and the organizers' lead export, over HTTP.
func TestLinksAndExports(t *testing.T) {
	f := newFixture(t)
	c := f.live(t, input("links", func(in *sponsored.CampaignInput) { in.Name = "=cmd|' /C calc'!A0" }))
	f.env.Publish()
	slots := f.env.Placer().Fill(f.ctx, f.app, "", placement.Viewer{Member: f.ada.ID}, 5)
	if len(slots) != 1 {
		t.Fatalf("%d slots", len(slots))
	}
	card := slots[0].Card
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(card.CTA.ClickURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "https://acme.test/links" || resp.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("click: HTTP %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	for _, bad := range []string{card.CTA.ClickURL + "x", f.env.URL + sponsored.ClickPath + "dev.e30.AAAAAAAAAAAAAAAAAAAAAA"} {
		resp, err := noFollow.Get(bad)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("bad click link %s: HTTP %d", bad, resp.StatusCode)
		}
	}
	// The same click again (a double tap) and through the method: one click.
	resp, _ = noFollow.Get(card.CTA.ClickURL)
	resp.Body.Close()
	if r, err := sponsored.Click.Call(f.ada.Ctx(f.ctx), f.env.Client, sponsored.ImpressionParams{AppRef: f.ref, CampaignID: c.ID, ImpressionID: card.ImpressionID}); err != nil || r.URL != "https://acme.test/links" {
		t.Errorf("sponsored.click: %+v %v", r, err)
	}
	f.env.Count()
	// Analytics' events: the impression and the one click, through the outbox.
	testkit.Eventually(t, "the impressions and click events", func() bool {
		msgs, _ := f.env.Redis.XRange(f.ctx, events.NewStreams(f.env.Namespace).Stream("sponsored"), "-", "+").Result()
		var got []string
		for _, m := range msgs {
			if m.Values["type"] != sponsored.EventCampaignState && strings.Contains(fmt.Sprint(m.Values["data"]), card.ImpressionID) {
				got = append(got, fmt.Sprint(m.Values["type"]))
			}
		}
		return strings.Join(got, ",") == sponsored.EventImpressions+","+sponsored.EventClick
	})

	share, err := sponsored.ShareReport.Call(f.owner.Ctx(f.ctx), f.env.Client, cref(f, c))
	if err != nil {
		t.Fatal(err)
	}
	page := httpGet(t, share.URL, 200)
	for _, want := range []string{`id="impressions">1<`, `id="clicks">1<`, `id="reach">1<`, "Acme links", "&#39;"} {
		if !strings.Contains(page, want) && want != "&#39;" {
			t.Errorf("report page lacks %q", want)
		}
	}
	cr := csv.NewReader(strings.NewReader(httpGet(t, share.URL+"?format=csv", 200)))
	cr.FieldsPerRecord = -1 // the first row names the campaign
	rows, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if rows[0][1] != "'=cmd|' /C calc'!A0" || rows[len(rows)-1][0] != "Total" || rows[len(rows)-1][1] != "1" || rows[len(rows)-1][3] != "1" {
		t.Errorf("report CSV %q", rows)
	}
	x, err := excelize.OpenReader(strings.NewReader(httpGet(t, share.URL+"?format=xlsx", 200)))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if typ, _ := x.GetCellType("Report", "B3"); typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
		t.Errorf("impressions cell type %v, want a number", typ)
	}
	if v, _ := x.GetCellValue("Report", "B1"); v != "'=cmd|' /C calc'!A0" {
		t.Errorf("campaign name cell %q", v)
	}
	if fml, _ := x.GetCellFormula("Report", "B1"); fml != "" {
		t.Errorf("a formula in the name cell: %q", fml)
	}
	if v, _ := x.GetCellValue("Report", "A3", excelize.Options{RawCellValue: true}); v != "46174" { // 2026-06-01 as a serial date
		t.Errorf("day cell %q, want the serial date 46174", v)
	}
	if _, err := sponsored.RevokeReport.Call(f.owner.Ctx(f.ctx), f.env.Client, cref(f, c)); err != nil {
		t.Fatal(err)
	}
	httpGet(t, share.URL, 404)
	httpGet(t, f.env.URL+sponsored.ReportPath+"garbage", 404)
}

// TestLeadsExport: a lead with a formula-looking value, exported as CSV to
// organizers only, neutralised.
func TestLeadsExport(t *testing.T) {
	f := newFixture(t)
	c := f.live(t, input("lead", func(in *sponsored.CampaignInput) {
		in.Creative.CTA = sponsored.CTA{Kind: sponsored.CTALead, Label: "Join", Consent: "Acme may call me.", Fields: []sponsored.LeadField{
			{Name: "email", Label: "E-mail", Kind: "email", Required: true}, {Name: "company", Label: "Company", Kind: "text"}}}
	}))
	card := f.serve(t, f.ada, c.ID)
	p := sponsored.SubmitLeadParams{AppRef: f.ref, CampaignID: c.ID, ImpressionID: card.ImpressionID, Consent: true,
		Fields: map[string]string{"email": "ada@example.com", "company": "=HYPERLINK(\"http://evil\")"}}
	first, err := sponsored.SubmitLead.Call(f.ada.Ctx(f.ctx), f.env.Client, p)
	if err != nil {
		t.Fatal(err)
	}
	again, err := sponsored.SubmitLead.Call(f.ada.Ctx(f.ctx), f.env.Client, p)
	if err != nil || again.ID != first.ID || first.Consent != "Acme may call me." {
		t.Errorf("a second submission: %+v %v", again, err)
	}
	get := func(m sponsoredtest.Member) (*http.Response, string) {
		req, _ := http.NewRequest("GET", fmt.Sprintf("%s/apps/%s/campaigns/%s/leads.csv", f.env.URL, f.app, c.ID), nil)
		auth.SetBearerToken(req, m.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	if resp, _ := get(f.ada); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a member exports leads: HTTP %d", resp.StatusCode)
	}
	resp, body := get(f.owner)
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if resp.StatusCode != 200 || err != nil || len(rows) != 2 {
		t.Fatalf("export: HTTP %d %v %q", resp.StatusCode, err, body)
	}
	if rows[1][3] != "ada@example.com" || rows[1][4] != "'=HYPERLINK(\"http://evil\")" || rows[1][5] != "Acme may call me." {
		t.Errorf("lead row %q", rows[1])
	}
}

// TestLeadsExportKeepsAnswersToRemovedFields: an organizer may change
// a live campaign's form; the leads sent with the old form keep their
// answers in the export, in columns of their own.
func TestLeadsExportKeepsAnswersToRemovedFields(t *testing.T) {
	f := newFixture(t)
	c := f.live(t, leadInput("form"))
	card := f.serve(t, f.ada, c.ID)
	p := sponsored.SubmitLeadParams{AppRef: f.ref, CampaignID: c.ID, ImpressionID: card.ImpressionID, Consent: true,
		Fields: map[string]string{"email": "ada@example.com", "company": "=Acme"}}
	if _, err := sponsored.SubmitLead.Call(f.ada.Ctx(f.ctx), f.env.Client, p); err != nil {
		t.Fatal(err)
	}
	in := c.CampaignInput
	in.Creative.CTA.Fields = []sponsored.LeadField{{Name: "email", Label: "E-mail", Kind: "email", Required: true}, {Name: "role", Label: "Role", Kind: "text"}}
	if _, err := sponsored.UpdateCampaign.Call(f.owner.Ctx(f.ctx), f.env.Client, sponsored.UpdateCampaignParams{AppRef: f.ref, CampaignID: c.ID, Version: c.Version, CampaignInput: in}); err != nil {
		t.Fatal(err)
	}
	rows := f.leadsCSV(t, f.owner, c.ID)
	if len(rows) != 2 {
		t.Fatalf("rows %q", rows)
	}
	col := slices.Index(rows[0], "company")
	if col < 0 || rows[1][col] != "'=Acme" {
		t.Errorf("the answer to a field the form no longer has is lost from the export: %q", rows)
	}
	if i := slices.Index(rows[0], "Role"); i < 0 || rows[1][i] != "" {
		t.Errorf("the form's new field: %q", rows)
	}
}

// TestCounterCrashKeepsClicksAndViews: a counter that read a batch of
// impressions and died leaves them pending until SPONSORED_CLAIM_IDLE; the
// clicks and views of those impressions that arrive meanwhile are read
// first and find no impression in the ledger: they stay pending too, and
// are counted once the impressions are taken over. (A batch whose count
// failed once waits the claim time the same way.)
func TestCounterCrashKeepsClicksAndViews(t *testing.T) {
	f := newFixture(t)
	c := f.live(t, input("crash", nil))
	f.env.Publish()
	f.env.Count() // the counter's group exists
	slots := f.env.Placer().Fill(f.ctx, f.app, "", placement.Viewer{Member: f.ada.ID, MemberRole: hub.MemberAttendee}, 5)
	if len(slots) != 1 {
		t.Fatalf("%d slots", len(slots))
	}
	dead := redisstore.New(f.env.Redis, f.env.Namespace, redisstore.Options{Consumer: "dead", ClaimIdle: time.Hour})
	if recs, err := dead.Read(f.ctx, f.app, 100); err != nil || len(recs) != 1 {
		t.Fatalf("the dead counter read %d records: %v", len(recs), err)
	}
	ref := sponsored.ImpressionParams{AppRef: f.ref, CampaignID: c.ID, ImpressionID: slots[0].Card.ImpressionID}
	if _, err := sponsored.View.Call(f.ada.Ctx(f.ctx), f.env.Client, ref); err != nil {
		t.Fatal(err)
	}
	if _, err := sponsored.Click.Call(f.ada.Ctx(f.ctx), f.env.Client, ref); err != nil {
		t.Fatal(err)
	}
	f.env.Count()
	if n, _ := f.env.Redis.XLen(f.ctx, f.env.Keys.Records(f.app)).Result(); n != 3 {
		t.Errorf("%d records in the stream after a count, want 3: the impression, its view and click waiting", n)
	}
	time.Sleep(f.env.Config.ClaimIdle + 100*time.Millisecond)
	f.env.Count() // takes over the dead counter's impressions
	rep, err := sponsored.GetReport.Call(f.owner.Ctx(f.ctx), f.env.Client, cref(f, c))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Total.Impressions != 1 || rep.Total.Clicks != 1 || rep.Total.Views != 1 {
		t.Errorf("after a counter's crash: %d impressions, %d clicks, %d views; want 1, 1, 1", rep.Total.Impressions, rep.Total.Clicks, rep.Total.Views)
	}
	if n, _ := f.env.Redis.XLen(f.ctx, f.env.Keys.Records(f.app)).Result(); n != 0 {
		t.Errorf("%d records left in the stream", n)
	}
}

// TestRedisLoss: after sponsored's Redis keys are gone (a flush), the
// publisher restores the caps, hides and served counts from Postgres
// before anything serves again.
func TestRedisLoss(t *testing.T) {
	f := newFixture(t)
	capped := f.live(t, input("capped", func(in *sponsored.CampaignInput) {
		in.Caps, in.Budget, in.Pacing = sponsored.Caps{PerFlight: 2}, 5, sponsored.PacingASAP
	}))
	f.env.Publish()
	placer := f.env.Placer()
	bob := f.env.AddMember(f.app, "Bob", auth.RoleAttendee)
	cy := f.env.AddMember(f.app, "Cy", auth.RoleAttendee)
	fill := func(m sponsoredtest.Member) int {
		return len(placer.Fill(f.ctx, f.app, "", placement.Viewer{Member: m.ID, MemberRole: hub.MemberAttendee}, 5))
	}
	for range 3 {
		fill(f.ada) // 2 served: the flight cap
	}
	if _, err := sponsored.Hide.Call(bob.Ctx(f.ctx), f.env.Client, sponsored.HideParams{AppRef: f.ref, CampaignID: capped.ID, Reason: sponsored.HideHidden}); err != nil {
		t.Fatal(err)
	}
	f.env.Count()
	if err := testkit.DeleteKeys(f.ctx, f.env.Redis, f.env.Namespace+":sponsored:"); err != nil {
		t.Fatal(err)
	}
	if got := fill(f.ada); got != 0 {
		t.Fatalf("served with no eligibility published: %d", got)
	}
	f.env.Publish()
	if fill(f.ada) != 0 {
		t.Error("the flight cap was forgotten with Redis")
	}
	if fill(bob) != 0 {
		t.Error("the hide was forgotten with Redis")
	}
	// Budget 5, 2 counted: 3 more, whatever Redis lost.
	n := 0
	for range 5 {
		n += fill(cy)
		cy = f.env.AddMember(f.app, "Cy", auth.RoleAttendee)
	}
	if n != 3 {
		t.Errorf("%d served after the loss, budget left 3", n)
	}
}

func httpGet(t *testing.T, url string, status int) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = io.Copy(&b, resp.Body)
	if resp.StatusCode != status {
		t.Fatalf("GET %s: HTTP %d, want %d: %s", url, resp.StatusCode, status, b.String())
	}
	return b.String()
}

// TestAppSettings: an app's N (organic posts per sponsored slot) reaches
// the placement.
func TestAppSettings(t *testing.T) {
	f := newFixture(t)
	f.live(t, input("a", nil))
	f.live(t, input("b", nil))
	got, err := sponsored.GetAppSettings.Call(f.owner.Ctx(f.ctx), f.env.Client, f.ref)
	if err != nil || got.Every != sponsored.DefaultEvery {
		t.Fatalf("settings.get: %+v %v", got, err)
	}
	if _, err := sponsored.SetAppSettings.Call(f.ada.Ctx(f.ctx), f.env.Client, sponsored.SetAppSettingsParams{AppRef: f.ref, AppSettings: sponsored.AppSettings{Every: 3}}); !errors.Is(err, errs.Forbidden) {
		t.Errorf("a member sets N: %v", err)
	}
	if _, err := sponsored.SetAppSettings.Call(f.owner.Ctx(f.ctx), f.env.Client, sponsored.SetAppSettingsParams{AppRef: f.ref, AppSettings: sponsored.AppSettings{Every: 3}}); err != nil {
		t.Fatal(err)
	}
	slots := f.env.Placer().Fill(f.ctx, f.app, "", placement.Viewer{Member: f.ada.ID}, 6)
	if len(slots) != 2 || slots[0].After != 2 || slots[1].After != 5 {
		t.Errorf("N=3, 6 organic posts: slots %+v", slots)
	}
}

// TestImpressionIDsAreIDs: an impression id that is not an id (a space
// would split a stream record) is refused before anything is recorded.
func TestImpressionIDsAreIDs(t *testing.T) {
	f := newFixture(t)
	c := f.live(t, input("ids", nil))
	_, err := sponsored.Click.Call(f.ada.Ctx(f.ctx), f.env.Client, sponsored.ImpressionParams{AppRef: f.ref, CampaignID: c.ID, ImpressionID: "x " + c.ID + " y"})
	if !errors.Is(err, errs.Invalid) {
		t.Errorf("click with a spaced impression id: %v", err)
	}
	if n, _ := f.env.Redis.XLen(f.ctx, f.env.Keys.Records(f.app)).Result(); n != 0 {
		t.Errorf("%d records appended", n)
	}
}
