package service

import (
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/attendify/platform/errs"
	"github.com/attendify/sponsored"
)

// localLayouts are the accepted forms of a flight's local times.
var localLayouts = []string{"2006-01-02T15:04", "2006-01-02T15:04:05"}

// ParseLocal reads a local date-time in loc.
func ParseLocal(s string, loc *time.Location) (time.Time, bool) {
	for _, l := range localLayouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// skipped reports whether the local date-time s, read as t, is one that
// the zone skips (the hour clocks go forward): Go moves it by the change
// of offset, so that it reads another time of the day than s. (An hour
// that repeats, when clocks go back, is a time of the day: it is kept.)
func skipped(s string, t time.Time) bool {
	for _, l := range localLayouts {
		if _, err := time.Parse(l, s); err == nil {
			return t.Format(l) != s
		}
	}
	return false
}

var (
	idRE        = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	fieldNameRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)
	phoneRE     = regexp.MustCompile(`^\+?[0-9 ()./-]{6,24}$`)
	tokenRE     = regexp.MustCompile(`^[A-Za-z0-9_ .-]{1,64}$`)
)

// memberRoles are the conference roles a campaign may target (hub's).
var memberRoles = []string{"attendee", "speaker", "sponsor", "staff"}

// checkSettings validates s and returns the flight's instants, or an
// Invalid error listing every bad field by its JSON pointer.
func checkSettings(s Settings) (start, end time.Time, err error) {
	var fe []errs.FieldError
	bad := func(field, msg string) { fe = append(fe, errs.FieldError{Field: field, Message: msg}) }
	text := func(field, v string, max int, required bool) {
		switch {
		case required && strings.TrimSpace(v) == "":
			bad(field, "is required")
		case utf8.RuneCountInString(v) > max:
			bad(field, "is too long")
		case !utf8.ValidString(v) || strings.ContainsRune(v, 0):
			bad(field, "is not valid text")
		}
	}
	text("/name", s.Name, 200, true)
	text("/sponsor/name", s.Sponsor.Name, 120, true)
	if s.Sponsor.LogoURL != "" && !webURL(s.Sponsor.LogoURL) {
		bad("/sponsor/logo_url", "must be an http(s) URL")
	}
	text("/creative/text", s.Creative.Text, sponsored.MaxTextRunes, true)
	if len(s.Creative.Photos) > sponsored.MaxPhotos {
		bad("/creative/photos", "at most 4 photos")
	}
	for i, p := range s.Creative.Photos {
		if !webURL(p) {
			bad("/creative/photos/"+itoa(i), "must be an http(s) URL")
		}
	}
	cta := s.Creative.CTA
	text("/creative/cta/label", cta.Label, 40, true)
	switch cta.Kind {
	case sponsored.CTALink:
		if !webURL(cta.URL) {
			bad("/creative/cta/url", "must be an http(s) URL")
		}
		if len(cta.Fields) > 0 || cta.Consent != "" {
			bad("/creative/cta/fields", "a link has no form")
		}
	case sponsored.CTALead:
		if cta.URL != "" {
			bad("/creative/cta/url", "a lead form has no URL")
		}
		if len(cta.Fields) == 0 || len(cta.Fields) > sponsored.MaxLeadFields {
			bad("/creative/cta/fields", "a lead form has 1 to 8 fields")
		}
		seen := map[string]bool{}
		for i, f := range cta.Fields {
			p := "/creative/cta/fields/" + itoa(i)
			if !fieldNameRE.MatchString(f.Name) {
				bad(p+"/name", "must be lower-case letters, digits and _")
			} else if seen[f.Name] {
				bad(p+"/name", "is used twice")
			}
			seen[f.Name] = true
			text(p+"/label", f.Label, 120, true)
			if !slices.Contains([]string{sponsored.FieldText, sponsored.FieldEmail, sponsored.FieldPhone}, f.Kind) {
				bad(p+"/kind", "must be text, email or phone")
			}
		}
		text("/creative/cta/consent", cta.Consent, 2000, true)
	default:
		bad("/creative/cta/kind", "must be link or lead")
	}
	loc, lerr := time.LoadLocation(s.Flight.TimeZone)
	// "Local" is Go's name for the server's own zone, not an IANA one:
	// Postgres knows no such zone, and social's servers may be in another.
	if s.Flight.TimeZone == "" || s.Flight.TimeZone == "Local" || lerr != nil {
		bad("/flight/time_zone", "must be an IANA time zone such as Europe/Berlin")
		loc = nil
	}
	if loc != nil {
		var ok1, ok2 bool
		start, ok1 = ParseLocal(s.Flight.Start, loc)
		end, ok2 = ParseLocal(s.Flight.End, loc)
		if !ok1 {
			bad("/flight/start", "must be a local date-time such as 2026-06-01T09:00")
		} else if skipped(s.Flight.Start, start) {
			ok1 = false
			bad("/flight/start", "does not exist in "+s.Flight.TimeZone+": clocks go forward then")
		}
		if !ok2 {
			bad("/flight/end", "must be a local date-time such as 2026-06-01T18:00")
		} else if skipped(s.Flight.End, end) {
			ok2 = false
			bad("/flight/end", "does not exist in "+s.Flight.TimeZone+": clocks go forward then")
		}
		if ok1 && ok2 && !end.After(start) {
			bad("/flight/end", "must be after the start")
		}
		if ok1 && ok2 && end.Sub(start) > 366*24*time.Hour {
			bad("/flight/end", "a flight lasts at most a year")
		}
	}
	list := func(field string, vs []string, check func(string) bool) {
		if len(vs) > sponsored.MaxTargets {
			bad(field, "too many")
			return
		}
		for i, v := range vs {
			if !check(v) {
				bad(field+"/"+itoa(i), "is not valid")
			} else if slices.Index(vs, v) != i {
				bad(field+"/"+itoa(i), "is listed twice")
			}
		}
	}
	list("/targeting/events", s.Targeting.Events, idRE.MatchString)
	list("/targeting/member_roles", s.Targeting.MemberRoles, func(r string) bool { return slices.Contains(memberRoles, r) })
	list("/targeting/ticket_types", s.Targeting.TicketTypes, tokenRE.MatchString)
	if s.Weight < 1 || s.Weight > sponsored.MaxWeight {
		bad("/weight", "must be 1 to 1000")
	}
	if s.Budget < 1 || s.Budget > sponsored.MaxBudget {
		bad("/budget", "must be 1 to 1,000,000,000 impressions")
	}
	if !slices.Contains([]string{sponsored.PacingEven, sponsored.PacingFrontLoaded, sponsored.PacingASAP}, s.Pacing) {
		bad("/pacing", "must be even, front_loaded or asap")
	}
	for _, c := range []struct {
		f string
		v int
	}{{"/caps/per_hour", s.Caps.PerHour}, {"/caps/per_day", s.Caps.PerDay}, {"/caps/per_flight", s.Caps.PerFlight}} {
		if c.v < 0 || c.v > 1_000_000 {
			bad(c.f, "must be 0 (none) to 1,000,000")
		}
	}
	if len(fe) > 0 {
		return time.Time{}, time.Time{}, errs.InvalidFields("invalid campaign", fe...)
	}
	return start.UTC(), end.UTC(), nil
}

// webURL reports whether s is an absolute http(s) URL with a host.
func webURL(s string) bool {
	if len(s) > 2000 {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && u.User == nil
}

// checkLead validates a lead form's values against the campaign's fields.
func checkLead(cta CTA, values map[string]string, consent bool) error {
	var fe []errs.FieldError
	bad := func(field, msg string) { fe = append(fe, errs.FieldError{Field: field, Message: msg}) }
	if !consent {
		bad("/consent", "the member must accept the consent text")
	}
	for name := range values {
		if !slices.ContainsFunc(cta.Fields, func(f LeadField) bool { return f.Name == name }) {
			bad("/fields/"+name, "is not a field of this form")
		}
	}
	for _, f := range cta.Fields {
		v, p := strings.TrimSpace(values[f.Name]), "/fields/"+f.Name
		switch {
		case v == "":
			if f.Required {
				bad(p, "is required")
			}
		case utf8.RuneCountInString(v) > 500 || !utf8.ValidString(v) || strings.ContainsRune(v, 0):
			bad(p, "is too long or not text")
		case f.Kind == sponsored.FieldEmail:
			if a, err := mail.ParseAddress(v); err != nil || a.Address != v {
				bad(p, "must be an e-mail address")
			}
		case f.Kind == sponsored.FieldPhone:
			if !phoneRE.MatchString(v) {
				bad(p, "must be a phone number")
			}
		}
	}
	if len(fe) > 0 {
		slices.SortFunc(fe, func(a, b errs.FieldError) int { return strings.Compare(a.Field, b.Field) })
		return errs.InvalidFields("invalid lead", fe...)
	}
	return nil
}
