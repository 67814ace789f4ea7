package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Summary is what the stack prints once the demo is loaded, and writes as
// JSON with -json. Every key is snake_case.
type Summary struct {
	App       DemoApp  `json:"app"`
	Loaded    []Loaded `json:"loaded"`
	Services  []Link   `json:"services"` // each service's index page (GET /)
	Metrics   []Link   `json:"metrics"`  // each service's Prometheus metrics, on its admin listener
	Browser   []Link   `json:"browser"`  // pages a browser opens as they are, no sign-in
	Organizer Login    `json:"organizer"`
	Attendee  string   `json:"attendee_email"`
	// TokensFile is the shell file (mode 0600) that sets the tokens.
	TokensFile string    `json:"tokens_file"`
	Tokens     []Token   `json:"tokens"`
	Try        []Command `json:"try"`
	Logs       string    `json:"logs"`
}

// DemoApp is the demo app hub's demo made.
type DemoApp struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Slug     string   `json:"slug"`
	EventIDs []string `json:"event_ids"`
}

// Loaded is what one service's demo loaded, in a sentence.
type Loaded struct {
	Service string `json:"service"`
	What    string `json:"what"`
}

// Link is a page and what it shows.
type Link struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

// Login is the demo organizer's.
type Login struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// Token is a demo token: its variable in the tokens file, whose it is, and
// until when it is accepted.
type Token struct {
	Var       string    `json:"var"`
	What      string    `json:"what"`
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Command is a shell command that works as printed, from any directory.
type Command struct {
	What    string `json:"what"`
	Command string `json:"command"`
}

// The parts of each service's demo output the summary uses.
type (
	hubDemo struct {
		OrganizerEmail        string     `json:"organizer_email"`
		OrganizerPassword     string     `json:"organizer_password"`
		AccountToken          string     `json:"account_token"`
		AccountTokenExpiresAt time.Time  `json:"account_token_expires_at"`
		AppToken              string     `json:"app_token"`
		AppTokenExpiresAt     time.Time  `json:"app_token_expires_at"`
		AppID                 string     `json:"app_id"`
		AppName               string     `json:"app_name"`
		Slug                  string     `json:"slug"`
		EventIDs              []string   `json:"event_ids"`
		MemberEmail           string     `json:"member_email"`
		MemberToken           string     `json:"member_token"`
		MemberTokenExpiresAt  *time.Time `json:"member_token_expires_at"`
	}
	importerDemo struct {
		ImportID string                    `json:"import_id"`
		Status   string                    `json:"status"`
		Counts   map[string]map[string]int `json:"counts"` // by kind: create, update, skip, reject
		Problems int                       `json:"problems"`
		Report   string                    `json:"report_url"`
	}
	socialDemo struct {
		Members   int    `json:"members_posting"`
		Posts     int    `json:"posts"`
		Photos    int    `json:"photos"`
		Comments  int    `json:"comments"`
		Reactions int    `json:"reactions"`
		FeedItems int    `json:"feed_items"`
		Note      string `json:"note"`
	}
	sponsoredDemo struct {
		Campaigns     []string `json:"campaigns"`
		ReportURL     string   `json:"report_url"`
		LeadReportURL string   `json:"lead_report_url"`
	}
	analyticsDemo struct {
		Installs     int    `json:"installs"`
		Sent         int    `json:"events_sent"`
		Accepted     int    `json:"events_accepted"`
		DashboardURL string `json:"dashboard_url"`
	}
	eventwallDemo struct {
		Title   string `json:"title"`
		WallURL string `json:"wall_url"`
	}
	multieventDemo struct {
		MemberEmail string `json:"member_email"`
		Bookmarks   int    `json:"bookmarks"`
		Conflicts   int    `json:"conflicts"`
		CalendarURL string `json:"calendar_url"`
	}
)

// summarize reads the demos' outputs (by service) into the summary; urls
// are the services' base URLs.
func summarize(demo map[string]json.RawMessage, urls, admins map[string]string, demoDir string) (Summary, error) {
	var h hubDemo
	if err := json.Unmarshal(demo["hub"], &h); err != nil || h.AppID == "" {
		return Summary{}, fmt.Errorf("hub's demo output %s: no app_id (%v)", demo["hub"], err)
	}
	s := Summary{
		App:        DemoApp{ID: h.AppID, Name: h.AppName, Slug: h.Slug, EventIDs: h.EventIDs},
		Organizer:  Login{Email: h.OrganizerEmail, Password: h.OrganizerPassword},
		Attendee:   h.MemberEmail,
		TokensFile: filepath.Join(demoDir, "tokens.env"),
		Logs:       filepath.Join(filepath.Dir(demoDir), "logs"),
		Services:   []Link{},
		Metrics:    []Link{},
		Browser:    []Link{},
		Try:        []Command{},
	}
	for _, name := range services {
		if u, ok := urls[name]; ok {
			s.Services = append(s.Services, Link{Name: name, URL: u + "/"})
		}
		if u, ok := admins[name]; ok {
			s.Metrics = append(s.Metrics, Link{Name: name, URL: u + "/metrics"})
		}
	}
	s.Loaded = append(s.Loaded, Loaded{"hub", fmt.Sprintf("app %q (%s) with %d events, their agendas and members, published",
		h.AppName, h.Slug, len(h.EventIDs))})
	s.Tokens = append(s.Tokens, Token{"ACCOUNT_TOKEN", "the demo organizer's account token (hub's auth.appToken turns it into an app token)",
		h.AccountToken, h.AccountTokenExpiresAt})
	s.Tokens = append(s.Tokens, Token{"APP_TOKEN", "the demo organizer's app token (owner of the demo app)", h.AppToken, h.AppTokenExpiresAt})
	if h.MemberToken != "" && h.MemberTokenExpiresAt != nil {
		s.Tokens = append(s.Tokens, Token{"MEMBER_TOKEN", "the demo attendee's member token (" + h.MemberEmail + ")", h.MemberToken, *h.MemberTokenExpiresAt})
	}
	source := ". " + shellQuote(s.TokensFile) + " && "
	bearer := "APP_TOKEN"
	if h.MemberToken != "" {
		bearer = "MEMBER_TOKEN"
	}
	if u, ok := urls["social"]; ok {
		call := fmt.Sprintf(`{"jsonrpc":"2.0","id":1,"method":"feed.get","params":{"app_id":%q,"kind":"app","limit":3}}`, h.AppID)
		s.Try = append(s.Try, Command{
			What: "the demo app's feed (social's feed.get, 3 posts), as " + map[string]string{
				"MEMBER_TOKEN": "the demo attendee", "APP_TOKEN": "the organizer"}[bearer],
			Command: source + `curl -sS ` + u + `/rpc -H "Authorization: Bearer $` + bearer + `" -H 'Content-Type: application/json' -d ` + shellQuote(call),
		})
	}

	var err error
	parse := func(name string, v any) bool {
		raw, ok := demo[name]
		if !ok || err != nil {
			return false
		}
		if e := json.Unmarshal(raw, v); e != nil {
			err = fmt.Errorf("%s's demo output: %w", name, e)
			return false
		}
		return true
	}
	var im importerDemo
	if parse("importer", &im) {
		var parts []string
		created := 0
		for _, kind := range []string{"attendees", "speakers", "sessions"} {
			n := 0
			for _, v := range im.Counts[kind] {
				n += v
			}
			created += im.Counts[kind]["create"]
			parts = append(parts, fmt.Sprintf("%d %s", n, kind))
		}
		s.Loaded = append(s.Loaded, Loaded{"importer", fmt.Sprintf("agenda.xlsx into the first event: %s (%d new; import %s, %s in its report)",
			strings.Join(parts, ", "), created, im.Status, plural(im.Problems, "problem"))})
		if im.Report != "" {
			s.Try = append(s.Try, Command{
				What:    "the import's report (an .xlsx file), as the organizer",
				Command: source + `curl -sSf -o import-report.xlsx -H "Authorization: Bearer $APP_TOKEN" ` + shellQuote(im.Report),
			})
		}
	}
	var so socialDemo
	if parse("social", &so) {
		what := fmt.Sprintf("%d posts by %d members (%d photos), %d comments, %d reactions", so.Posts, so.Members, so.Photos, so.Comments, so.Reactions)
		if so.Note != "" {
			what = fmt.Sprintf("%d posts in the feed (%s)", so.FeedItems, so.Note)
		}
		s.Loaded = append(s.Loaded, Loaded{"social", what})
	}
	var sp sponsoredDemo
	if parse("sponsored", &sp) {
		s.Loaded = append(s.Loaded, Loaded{"sponsored", fmt.Sprintf("%d campaigns: %s", len(sp.Campaigns), strings.Join(sp.Campaigns, "; "))})
		s.Browser = appendLink(s.Browser, "sponsor's report (link campaign)", sp.ReportURL)
		s.Browser = appendLink(s.Browser, "sponsor's report (lead form)", sp.LeadReportURL)
	}
	var an analyticsDemo
	if parse("analytics", &an) {
		s.Loaded = append(s.Loaded, Loaded{"analytics", fmt.Sprintf("a day of app activity: %d events from %d installs (%d new)", an.Sent, an.Installs, an.Accepted)})
		s.Browser = appendLink(s.Browser, "analytics dashboard", an.DashboardURL)
	}
	var ew eventwallDemo
	if parse("eventwall", &ew) {
		s.Loaded = append(s.Loaded, Loaded{"eventwall", fmt.Sprintf("a public wall, %q", ew.Title)})
		s.Browser = appendLink(s.Browser, "event wall", ew.WallURL)
	}
	var me multieventDemo
	if parse("multievent", &me) {
		s.Loaded = append(s.Loaded, Loaded{"multievent", fmt.Sprintf("%s's agenda: %d sessions bookmarked (%d overlapping), a calendar feed",
			me.MemberEmail, me.Bookmarks, me.Conflicts)})
		s.Browser = appendLink(s.Browser, "attendee's calendar (.ics)", me.CalendarURL)
	}
	return s, err
}

func appendLink(links []Link, name, url string) []Link {
	if url == "" {
		return links
	}
	return append(links, Link{name, url})
}

// shellQuote quotes s for sh.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// tokensEnv is the tokens file: shell assignments, each with a comment
// saying whose token it is and until when.
func tokensEnv(s Summary) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# The demo's tokens, written by `make run`; load them with: . %s\n", shellQuote(s.TokensFile))
	for _, t := range s.Tokens {
		fmt.Fprintf(&b, "# %s, until %s\n%s=%s\n", t.What, t.ExpiresAt.UTC().Format(time.RFC3339), t.Var, shellQuote(t.Token))
	}
	return b.String()
}

// printSummary prints the summary for a person: short, no token in it.
func printSummary(w io.Writer, s Summary, jsonPath string) {
	fmt.Fprintf(w, "The stack is up. Demo app %q (%s, id %s).\n\nLoaded:\n", s.App.Name, s.App.Slug, s.App.ID)
	for _, l := range s.Loaded {
		fmt.Fprintf(w, "  %-11s %s\n", l.Service, l.What)
	}
	fmt.Fprintln(w, "\nOpen in a browser:")
	for _, l := range s.Browser {
		fmt.Fprintf(w, "  %-33s %s\n", l.Name, l.URL)
	}
	fmt.Fprint(w, "  each service's page (its methods, health):")
	for i, l := range s.Services {
		if i%3 == 0 {
			fmt.Fprint(w, "\n   ")
		}
		fmt.Fprintf(w, " %s %s", l.Name, l.URL)
	}
	fmt.Fprintln(w)
	if len(s.Metrics) > 0 {
		fmt.Fprintf(w, "  metrics (admin listeners): %s ... %s\n", s.Metrics[0].URL, s.Metrics[len(s.Metrics)-1].URL)
	}
	fmt.Fprintf(w, "\nDemo organizer: %s, password %s\n", s.Organizer.Email, s.Organizer.Password)
	fmt.Fprintf(w, "Demo attendee:  %s (signs in with an emailed code)\n", s.Attendee)
	fmt.Fprintf(w, "\nTokens: written to %s (mode 0600):\n", s.TokensFile)
	now := time.Now()
	for _, t := range s.Tokens {
		fmt.Fprintf(w, "  %-13s %s, until %s (%s)\n", t.Var, t.What, t.ExpiresAt.Local().Format("2006-01-02 15:04 MST"), lasts(t.ExpiresAt.Sub(now)))
	}
	fmt.Fprintln(w, "  `make run` again writes fresh ones.")
	fmt.Fprintln(w, "\nTry (from any directory):")
	for _, c := range s.Try {
		fmt.Fprintf(w, "  # %s\n  %s\n", c.What, c.Command)
	}
	fmt.Fprintf(w, "\nLogs: %s/<service>.log.", s.Logs)
	if jsonPath != "" {
		fmt.Fprintf(w, " This summary as JSON, tokens included: %s.", jsonPath)
	} else {
		fmt.Fprint(w, " For scripts: make run STACK_FLAGS=-json=FILE writes this summary as JSON.")
	}
	fmt.Fprintln(w, "\nCtrl-C stops everything.")
}

// plural says "1 problem", "2 problems".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// lasts says a duration roughly: "12 h", "59 min", "30 days".
func lasts(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d days", int(d.Round(24*time.Hour)/(24*time.Hour)))
	case d >= time.Hour:
		return fmt.Sprintf("%d h", int(d.Round(time.Hour)/time.Hour))
	}
	return fmt.Sprintf("%d min", int(d.Round(time.Minute)/time.Minute))
}

// writePrivate writes a file only its owner may read, whatever the mode
// of the file it replaces.
func writePrivate(path string, b []byte) error {
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return err
	}
	return os.Chmod(path, 0o600)
}
