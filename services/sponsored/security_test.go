package sponsored_test

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/attendify/hub"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/testkit"
	"github.com/attendify/sponsored"
	"github.com/attendify/sponsored/internal/sponsoredtest"
	"github.com/attendify/sponsored/placement"
)

func leadInput(name string) sponsored.CampaignInput {
	return input(name, func(in *sponsored.CampaignInput) {
		in.Creative.CTA = sponsored.CTA{Kind: sponsored.CTALead, Label: "Join", Consent: "Acme may call me.", Fields: []sponsored.LeadField{
			{Name: "email", Label: "E-mail", Kind: "email", Required: true}, {Name: "company", Label: "Company", Kind: "text"}}}
	})
}

func (f *fixture) leadsCSV(t *testing.T, m sponsoredtest.Member, campaign string) [][]string {
	t.Helper()
	req, _ := http.NewRequest("GET", fmt.Sprintf("%s/apps/%s/campaigns/%s/leads.csv", f.env.URL, f.app, campaign), nil)
	auth.SetBearerToken(req, m.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("leads.csv: HTTP %d %s", resp.StatusCode, b)
	}
	rows, err := csv.NewReader(strings.NewReader(string(b))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestLeadValuesAreStoredAsChecked: a lead's values are checked without
// their surrounding spaces, and stored so: padding does not carry a value
// past its 500 characters, nor a formula past the export's check.
func TestLeadValuesAreStoredAsChecked(t *testing.T) {
	f := newFixture(t)
	c := f.live(t, leadInput("lead"))
	formula := `=HYPERLINK("http://evil.test","open")`
	card := f.serve(t, f.ada, c.ID)
	p := sponsored.SubmitLeadParams{AppRef: f.ref, CampaignID: c.ID, ImpressionID: card.ImpressionID, Consent: true,
		Fields: map[string]string{"email": "ada@example.com", "company": strings.Repeat(" ", 200_000) + formula}}
	l, err := sponsored.SubmitLead.Call(f.ada.Ctx(f.ctx), f.env.Client, p)
	if err != nil {
		t.Fatal(err)
	}
	if got := l.Fields["company"]; got != formula {
		t.Errorf("stored company: %d bytes, want the %d of the value", len(got), len(formula))
	}
	rows := f.leadsCSV(t, f.owner, c.ID)
	if got := rows[1][4]; got != "'"+formula {
		t.Errorf("exported company %.60q, want it neutralised", got)
	}
}

// TestExportsNeutraliseFormulasAfterSpaces: text that a spreadsheet reads
// as a formula once it skips leading spaces or quotes is neutralised too.
func TestExportsNeutraliseFormulasAfterSpaces(t *testing.T) {
	f := newFixture(t)
	name := ` =cmd|' /C calc'!A0`
	c := f.live(t, input("spaces", func(in *sponsored.CampaignInput) { in.Name, in.Sponsor.Name = name, "\u00a0@SUM(1+1)" }))
	share, err := sponsored.ShareReport.Call(f.owner.Ctx(f.ctx), f.env.Client, cref(f, c))
	if err != nil {
		t.Fatal(err)
	}
	cr := csv.NewReader(strings.NewReader(httpGet(t, share.URL+"?format=csv", 200)))
	cr.FieldsPerRecord = -1
	rows, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if rows[0][1] != "'"+name || rows[0][3] != "'\u00a0@SUM(1+1)" {
		t.Errorf("report CSV names %q, %q", rows[0][1], rows[0][3])
	}
}

// TestReportPageNotFramed: the sponsor's page may not be framed by another
// site (clickjacking): its policy says frame-ancestors 'none'.
func TestReportPageNotFramed(t *testing.T) {
	f := newFixture(t)
	c := f.live(t, input("framed", nil))
	share, err := sponsored.ShareReport.Call(f.owner.Ctx(f.ctx), f.env.Client, cref(f, c))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(share.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("the report page's policy %q lets other sites frame it", csp)
	}
}

// TestReportPageEscapesSponsorText: the sponsor's page shows text an
// organizer typed (names) as text.
func TestReportPageEscapesSponsorText(t *testing.T) {
	f := newFixture(t)
	c := f.live(t, input("xss", func(in *sponsored.CampaignInput) {
		in.Name, in.Sponsor.Name = `<img src=x onerror=alert(1)>`, `</title><script>alert(1)</script>`
	}))
	share, err := sponsored.ShareReport.Call(f.owner.Ctx(f.ctx), f.env.Client, cref(f, c))
	if err != nil {
		t.Fatal(err)
	}
	page := httpGet(t, share.URL, 200)
	for _, bad := range []string{"<script>", "<img"} {
		if strings.Contains(page, bad) {
			t.Errorf("the report page carries %q from the sponsor's text", bad)
		}
	}
}

// TestClickRevealsOnlyServedLinks: sponsored.click (and .view, .hide) answers only for a
// campaign that may have served (live, paused, finished): a member learns
// nothing of a draft's or a scheduled campaign's link by its id.
func TestClickRevealsOnlyServedLinks(t *testing.T) {
	f := newFixture(t)
	draft := f.create(t, input("secret-launch", nil))
	_, err := sponsored.Click.Call(f.ada.Ctx(f.ctx), f.env.Client, sponsored.ImpressionParams{AppRef: f.ref, CampaignID: draft.ID, ImpressionID: "i1"})
	wantCode(t, err, errs.CodeNotFound, "")
	future := f.create(t, input("later", func(in *sponsored.CampaignInput) {
		in.Flight.Start, in.Flight.End = "2026-07-01T09:00", "2026-07-02T09:00"
	}))
	if _, err := sponsored.ScheduleCampaign.Call(f.owner.Ctx(f.ctx), f.env.Client, cref(f, future)); err != nil {
		t.Fatal(err)
	}
	_, err = sponsored.Click.Call(f.ada.Ctx(f.ctx), f.env.Client, sponsored.ImpressionParams{AppRef: f.ref, CampaignID: future.ID, ImpressionID: "i1"})
	wantCode(t, err, errs.CodeNotFound, "")
	_, err = sponsored.View.Call(f.ada.Ctx(f.ctx), f.env.Client, sponsored.ImpressionParams{AppRef: f.ref, CampaignID: draft.ID, ImpressionID: "i1"})
	wantCode(t, err, errs.CodeNotFound, "")
	// Hiding one tells no more than clicking it.
	for _, c := range []sponsored.Campaign{draft, future} {
		_, err = sponsored.Hide.Call(f.ada.Ctx(f.ctx), f.env.Client, sponsored.HideParams{AppRef: f.ref, CampaignID: c.ID, Reason: sponsored.HideHidden})
		wantCode(t, err, errs.CodeNotFound, "")
	}
}

// TestRecordsAreAlwaysCounted: every click or view record sponsored
// appends is read by the counter, whatever the app's campaigns: a member
// cannot grow a stream that nothing reads, and a click on an old card is
// counted.
func TestRecordsAreAlwaysCounted(t *testing.T) {
	f := newFixture(t)
	c := f.live(t, input("old", nil))
	f.env.Publish()
	slots := f.env.Placer().Fill(f.ctx, f.app, "", placement.Viewer{Member: f.ada.ID}, 5)
	if len(slots) != 1 {
		t.Fatalf("%d slots", len(slots))
	}
	f.env.Count()
	if _, err := sponsored.FinishCampaign.Call(f.owner.Ctx(f.ctx), f.env.Client, cref(f, c)); err != nil {
		t.Fatal(err)
	}
	f.env.Clock.Add(3 * 24 * time.Hour)
	f.env.Publish()
	f.env.Count()
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for range 5 {
		resp, err := noFollow.Get(slots[0].Card.CTA.ClickURL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusFound {
			t.Fatalf("click on an old card: HTTP %d", resp.StatusCode)
		}
	}
	// An app with no campaign at all: views of made-up campaigns.
	other := f.env.CreateApp(f.env.NewEvent("Other"))
	eve := f.env.AddMember(other, "Eve", auth.RoleAttendee)
	for i := range 5 {
		_, err := sponsored.View.Call(eve.Ctx(f.ctx), f.env.Client, sponsored.ImpressionParams{AppRef: rpc.AppRef{App: other}, CampaignID: fmt.Sprint("c", i), ImpressionID: "i1"})
		if err != nil && !errors.Is(err, errs.NotFound) {
			t.Fatal(err)
		}
	}
	f.env.Count()
	for _, app := range []string{f.app, other} {
		if n, _ := f.env.Redis.XLen(f.ctx, f.env.Keys.Records(app)).Result(); n != 0 {
			t.Errorf("app %s: %d records left uncounted", app, n)
		}
	}
	rep, err := sponsored.GetReport.Call(f.owner.Ctx(f.ctx), f.env.Client, cref(f, c))
	if err != nil || rep.Total.Clicks != 1 {
		t.Errorf("report: %d clicks %v, want the old card's one", rep.Total.Clicks, err)
	}
}

// TestTimeZoneLocalIsNoZone: "Local" (the server's zone, which Go's
// LoadLocation accepts) is no IANA zone and is refused.
func TestTimeZoneLocalIsNoZone(t *testing.T) {
	f := newFixture(t)
	for _, tz := range []string{"Local", "Mars/Olympus", "europe/berlin", "../../etc/passwd"} {
		_, err := sponsored.CreateCampaign.Call(f.owner.Ctx(f.ctx), f.env.Client, sponsored.CreateCampaignParams{AppRef: f.ref,
			CampaignInput: input("tz", func(in *sponsored.CampaignInput) { in.Flight.TimeZone = tz })})
		wantCode(t, err, errs.CodeInvalid, "/flight/time_zone")
	}
}

// TestLeadsExportHoldsUnderSemicolons: a spreadsheet that splits on ';'
// (Excel where that is the list separator) finds no formula at the start
// of any cell of the leads export.
func TestLeadsExportHoldsUnderSemicolons(t *testing.T) {
	f := newFixture(t)
	c := f.live(t, leadInput("lead"))
	card := f.serve(t, f.ada, c.ID)
	p := sponsored.SubmitLeadParams{AppRef: f.ref, CampaignID: c.ID, ImpressionID: card.ImpressionID, Consent: true,
		Fields: map[string]string{"email": "ada@example.com", "company": "Acme;=cmd|' /C calc'!A0"}}
	if _, err := sponsored.SubmitLead.Call(f.ada.Ctx(f.ctx), f.env.Client, p); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", fmt.Sprintf("%s/apps/%s/campaigns/%s/leads.csv", f.env.URL, f.app, c.ID), nil)
	auth.SetBearerToken(req, f.owner.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	semi := csv.NewReader(strings.NewReader(string(body)))
	semi.Comma, semi.LazyQuotes, semi.FieldsPerRecord = ';', true, -1
	rows, err := semi.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range rows {
		for _, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@", rune(cell[0])) {
				t.Errorf("a cell read with ';' starts a formula: %q", cell)
			}
		}
	}
	// Read with ',' it is the same table as before.
	if rows := f.leadsCSV(t, f.owner, c.ID); rows[1][4] != "Acme;=cmd|' /C calc'!A0" {
		t.Errorf("company %q", rows[1][4])
	}
}

// TestLinksHaveOneSpelling: a click or report link verifies only as
// signed, not in the other spellings base64 decoders accept (the unused
// low bits of the last character, line breaks).
func TestLinksHaveOneSpelling(t *testing.T) {
	f := newFixture(t)
	c := f.live(t, input("links", nil))
	f.env.Publish()
	slots := f.env.Placer().Fill(f.ctx, f.app, "", placement.Viewer{Member: f.ada.ID}, 5)
	if len(slots) != 1 {
		t.Fatalf("%d slots", len(slots))
	}
	share, err := sponsored.ShareReport.Call(f.owner.Ctx(f.ctx), f.env.Client, cref(f, c))
	if err != nil {
		t.Fatal(err)
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	status := func(u string) int {
		t.Helper()
		resp, err := noFollow.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for link, ok := range map[string]int{slots[0].Card.CTA.ClickURL: http.StatusFound, share.URL: http.StatusOK} {
		if got := status(link); got != ok {
			t.Fatalf("%s: HTTP %d", link, got)
		}
		dot := strings.LastIndexByte(link, '.')
		// 22 characters carry 128 bits: the last one's 4 low bits are unused.
		last := map[byte]byte{'A': 'B', 'Q': 'R', 'g': 'h', 'w': 'x'}[link[len(link)-1]]
		for name, u := range map[string]string{
			"low bits":            link[:len(link)-1] + string(last),
			"line break in mac":   link[:dot+3] + "%0A" + link[dot+3:],
			"line break in parts": link[:dot-2] + "%0D" + link[dot-2:],
			"upper case":          link[:dot+1] + strings.ToUpper(link[dot+1:]),
			"truncated":           link[:len(link)-2],
			"padded":              link + "==",
		} {
			if got := status(u); got != http.StatusNotFound {
				t.Errorf("%s, %s: HTTP %d, want 404", link[len(f.env.URL):len(f.env.URL)+3], name, got)
			}
		}
	}
}

// TestOtherAppsCampaigns: an organizer or member of app B reaches none of
// app A's campaigns, with A's id or B's.
func TestOtherAppsCampaigns(t *testing.T) {
	f := newFixture(t)
	c := f.live(t, leadInput("a"))
	b := f.env.CreateApp(f.env.NewEvent("B"))
	bOwner := f.env.AddMember(b, "B owner", auth.RoleOwner)
	bMember := f.env.AddMember(b, "B member", auth.RoleAttendee)
	for _, ref := range []rpc.AppRef{f.ref, {App: b}} {
		want := errs.CodeNotFound
		if ref == f.ref {
			want = errs.CodeTokenWrongApp
		}
		cr := sponsored.CampaignRef{AppRef: ref, CampaignID: c.ID}
		for name, call := range map[string]func() error{
			"get": func() error { _, err := sponsored.GetCampaign.Call(bOwner.Ctx(f.ctx), f.env.Client, cr); return err },
			"update": func() error {
				_, err := sponsored.UpdateCampaign.Call(bOwner.Ctx(f.ctx), f.env.Client, sponsored.UpdateCampaignParams{AppRef: ref, CampaignID: c.ID, Version: c.Version, CampaignInput: c.CampaignInput})
				return err
			},
			"pause":  func() error { _, err := sponsored.PauseCampaign.Call(bOwner.Ctx(f.ctx), f.env.Client, cr); return err },
			"report": func() error { _, err := sponsored.GetReport.Call(bOwner.Ctx(f.ctx), f.env.Client, cr); return err },
			"share":  func() error { _, err := sponsored.ShareReport.Call(bOwner.Ctx(f.ctx), f.env.Client, cr); return err },
			"revoke": func() error { _, err := sponsored.RevokeReport.Call(bOwner.Ctx(f.ctx), f.env.Client, cr); return err },
			"leads": func() error {
				_, err := sponsored.ListLeads.Call(bOwner.Ctx(f.ctx), f.env.Client, sponsored.ListLeadsParams{AppRef: ref, CampaignID: c.ID})
				return err
			},
			"hide": func() error {
				_, err := sponsored.Hide.Call(bMember.Ctx(f.ctx), f.env.Client, sponsored.HideParams{AppRef: ref, CampaignID: c.ID, Reason: sponsored.HideHidden})
				return err
			},
			"view": func() error {
				_, err := sponsored.View.Call(bMember.Ctx(f.ctx), f.env.Client, sponsored.ImpressionParams{AppRef: ref, CampaignID: c.ID, ImpressionID: "i1"})
				return err
			},
			"lead": func() error {
				_, err := sponsored.SubmitLead.Call(bMember.Ctx(f.ctx), f.env.Client, sponsored.SubmitLeadParams{AppRef: ref, CampaignID: c.ID, ImpressionID: "i1", Consent: true, Fields: map[string]string{"email": "b@b.co"}})
				return err
			},
		} {
			t.Run(fmt.Sprint(name, "/", ref == f.ref), func(t *testing.T) { wantCode(t, call(), want, "") })
		}
	}
	req, _ := http.NewRequest("GET", fmt.Sprintf("%s/apps/%s/campaigns/%s/leads.csv", f.env.URL, b, c.ID), nil)
	auth.SetBearerToken(req, bOwner.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("B's owner exports A's leads under B: HTTP %d", resp.StatusCode)
	}
}

// TestLeadNeedsTheCampaignServed: a lead is taken only from a member the
// campaign was served to (their caps count it, or after a Redis loss the
// ledger's impressions), not from any member who names a live campaign's
// id, even one its targeting leaves out: to them it is not found.
func TestLeadNeedsTheCampaignServed(t *testing.T) {
	f := newFixture(t)
	c := f.live(t, input("speakers only", func(in *sponsored.CampaignInput) {
		in.Targeting.MemberRoles = []string{hub.MemberSpeaker}
		in.Creative.CTA = leadInput("x").Creative.CTA
	}))
	submit := func(m sponsoredtest.Member, impression string) error {
		_, err := sponsored.SubmitLead.Call(m.Ctx(f.ctx), f.env.Client, sponsored.SubmitLeadParams{AppRef: f.ref, CampaignID: c.ID,
			ImpressionID: impression, Consent: true, Fields: map[string]string{"email": m.ID + "@example.com"}})
		return err
	}
	eve := f.env.AddMember(f.app, "Eve", auth.RoleAttendee)
	f.env.SetMemberRole(eve, hub.MemberAttendee)
	wantCode(t, submit(eve, "never-shown"), errs.CodeNotFound, "")
	// Two speakers it was served to: one sends at once (their caps count
	// the showing), one after Redis lost sponsored's keys (the ledger's
	// impression).
	sam, ken := f.env.AddMember(f.app, "Sam", auth.RoleAttendee), f.env.AddMember(f.app, "Ken", auth.RoleAttendee)
	f.env.SetMemberRole(sam, hub.MemberSpeaker)
	f.env.SetMemberRole(ken, hub.MemberSpeaker)
	samCard := f.serveAs(t, placement.Viewer{Member: sam.ID, MemberRole: hub.MemberSpeaker}, c.ID)
	kenCard := f.serveAs(t, placement.Viewer{Member: ken.ID, MemberRole: hub.MemberSpeaker}, c.ID)
	if err := submit(sam, samCard.ImpressionID); err != nil {
		t.Errorf("a lead of a member it was served to: %v", err)
	}
	f.env.Count()
	if err := testkit.DeleteKeys(f.ctx, f.env.Redis, f.env.Namespace+":sponsored:"); err != nil {
		t.Fatal(err)
	}
	if err := submit(ken, kenCard.ImpressionID); err != nil {
		t.Errorf("a lead of a member it was served to, after a Redis loss: %v", err)
	}
	wantCode(t, submit(eve, samCard.ImpressionID), errs.CodeNotFound, "")
	rep, err := sponsored.GetReport.Call(f.owner.Ctx(f.ctx), f.env.Client, cref(f, c))
	if err != nil || rep.Total.Leads != 2 {
		t.Errorf("report: %d leads %v, want Sam's and Ken's", rep.Total.Leads, err)
	}
}
