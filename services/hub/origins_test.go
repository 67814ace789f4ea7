package hub_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/attendify/hub"
	"github.com/attendify/platform/errs"
)

func TestCheckWebOrigins(t *testing.T) {
	ok := []struct {
		in   []string
		want []string
	}{
		{nil, []string{}},
		{[]string{"https://conf.example.org"}, []string{"https://conf.example.org"}},
		{[]string{"HTTPS://Conf.Example.org/"}, []string{"https://conf.example.org"}},
		{[]string{"https://conf.example.org:443", "https://conf.example.org"}, []string{"https://conf.example.org"}},
		{[]string{"https://conf.example.org:8443"}, []string{"https://conf.example.org:8443"}},
		{[]string{"http://localhost:5173", "http://127.0.0.1:8080", "http://[::1]:3000"},
			[]string{"http://localhost:5173", "http://127.0.0.1:8080", "http://[::1]:3000"}},
	}
	for _, tt := range ok {
		got, err := hub.CheckWebOrigins(tt.in)
		if err != nil {
			t.Errorf("%q: %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tt.in, diff)
		}
	}
	for _, bad := range []string{
		"http://conf.example.org",        // no TLS
		"conf.example.org",               // no scheme
		"https://conf.example.org/app",   // a path
		"https://conf.example.org?x=1",   // a query
		"https://user@conf.example.org",  // credentials
		"https://conf.example.org:99999", // a port out of range
		"https://conf.example.org:",      // an empty port
		"ftp://conf.example.org",         // another scheme
		"https://",                       // no host
		"*",                              // a wildcard
		"null",                           // sandboxed pages' origin
		"javascript:alert(1)",            // opaque
	} {
		_, err := hub.CheckWebOrigins([]string{"https://ok.example.org", bad})
		var e *errs.Error
		if !errors.As(err, &e) || errs.KindOf(err) != errs.Invalid || len(e.Fields) != 1 || e.Fields[0].Field != "/web_origins/1" {
			t.Errorf("%q: %v, want invalid at /web_origins/1", bad, err)
		}
	}
	many := make([]string, hub.MaxWebOrigins+1)
	for i := range many {
		many[i] = "https://s" + strings.Repeat("x", i) + ".example.org"
	}
	if _, err := hub.CheckWebOrigins(many); errs.KindOf(err) != errs.Invalid {
		t.Errorf("%d origins: %v, want invalid", len(many), err)
	}
	if _, err := hub.CheckWebOrigins(many[:hub.MaxWebOrigins]); err != nil {
		t.Errorf("%d origins: %v", hub.MaxWebOrigins, err)
	}
}
