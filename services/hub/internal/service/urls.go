package service

import (
	"net/url"
	"strconv"
	"strings"
	"unicode"

	"github.com/attendify/platform/errs"
)

// notWebURL is what is wrong with a URL that webURL refuses.
const notWebURL = "want an http or https URL"

// webURL reports whether u may be stored as a URL (a photo, an icon, a
// link): "" (none), or an absolute http or https URL with a host, no user
// info and no spaces or control characters. Apps and web pages render
// these URLs; a javascript:, data: or other scheme would run or show what
// a profile's author chose, and user info ("https://bank.example@evil.example/")
// would show a host the link does not go to, or carry a password.
func webURL(u string) bool {
	if u == "" {
		return true
	}
	if strings.ContainsFunc(u, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return false
	}
	p, err := url.Parse(u)
	if err != nil {
		return false
	}
	scheme := strings.ToLower(p.Scheme)
	return (scheme == "http" || scheme == "https") && p.Host != "" && p.Opaque == "" && p.User == nil
}

// checkURL refuses a URL webURL refuses, naming field (a JSON pointer).
func checkURL(field, u string) error {
	if webURL(u) {
		return nil
	}
	return errs.InvalidFields("bad URL", errs.FieldError{Field: field, Message: notWebURL})
}

// profileURLs checks the URLs of a profile: its photo and links.
func profileURLs(photo string, links []Link) error {
	var bad []errs.FieldError
	if !webURL(photo) {
		bad = append(bad, errs.FieldError{Field: "/photo_url", Message: notWebURL})
	}
	for i, l := range links {
		if !webURL(l.URL) {
			bad = append(bad, errs.FieldError{Field: "/links/" + strconv.Itoa(i) + "/url", Message: notWebURL})
		}
	}
	if len(bad) > 0 {
		return errs.InvalidFields("bad URL", bad...)
	}
	return nil
}

// rowURLs adds the row errors of a bulk row's URLs: its photo and links.
func rowURLs(row int, photo string, links []Link, out *[]RowError) {
	if !webURL(photo) {
		*out = append(*out, RowError{Row: row, Field: "photo_url", Message: notWebURL})
	}
	for _, l := range links {
		if !webURL(l.URL) {
			*out = append(*out, RowError{Row: row, Field: "links", Message: notWebURL + " (" + l.Label + ")"})
			return
		}
	}
}
