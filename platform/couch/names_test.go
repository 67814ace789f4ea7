package couch_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/attendify/platform/couch"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/flake"
)

func TestDBName(t *testing.T) {
	tests := []struct {
		name, service, tenant string
		want                  string
		wantErr               bool
	}{
		{name: "flake id is lower-cased", service: "social", tenant: "01J9ZQ4XK7T2M", want: "social$01j9zq4xk7t2m"},
		{name: "allowed characters kept", service: "social-posts", tenant: "a_b-c9", want: "social-posts$a_b-c9"},
		{name: "other bytes escaped", service: "wall", tenant: "a.b/c$d", want: "wall$a(2e)b(2f)c(24)d"},
		{name: "escape character escaped", service: "wall", tenant: "(2e)", want: "wall$(28)2e(29)"},
		{name: "non-ASCII escaped per byte", service: "wall", tenant: "é", want: "wall$(c3)(a9)"},
		{name: "empty tenant", service: "social", tenant: "", wantErr: true},
		{name: "upper-case service", service: "Social", tenant: "x", wantErr: true},
		{name: "service starting with a digit", service: "1social", tenant: "x", wantErr: true},
		{name: "service with $", service: "so$cial", tenant: "x", wantErr: true},
		{name: "too long", service: "social", tenant: strings.Repeat("a", couch.MaxDBNameLen), wantErr: true},
		{name: "longest allowed", service: "s", tenant: strings.Repeat("a", couch.MaxDBNameLen-2), want: "s$" + strings.Repeat("a", couch.MaxDBNameLen-2)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := couch.DBName(tt.service, tt.tenant)
			if tt.wantErr {
				if !errors.Is(err, errs.Invalid) {
					t.Fatalf("DBName(%q, %q) = %q, %v; want an errs.Invalid error", tt.service, tt.tenant, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("DBName(%q, %q) = %q, %v; want %q", tt.service, tt.tenant, got, err, tt.want)
			}
			if !couch.ValidDBName(got) {
				t.Errorf("DBName(%q, %q) = %q, which CouchDB would refuse", tt.service, tt.tenant, got)
			}
			service, tenant, err := couch.ParseDBName(got)
			if err != nil || service != tt.service || tenant != strings.ToLower(tt.tenant) {
				t.Errorf("ParseDBName(%q) = %q, %q, %v; want %q, %q", got, service, tenant, err, tt.service, strings.ToLower(tt.tenant))
			}
		})
	}
}

// TestDBNameInjective checks that tenants which differ other than in ASCII
// case never share a database.
func TestDBNameInjective(t *testing.T) {
	tenants := []string{"a", "a.", "a(2e)", "a_", "a-", "a$", "a/", "a(", "a)", "ab", "a b", "a\x00", "é", "e", "(c3)(a9)"}
	seen := map[string]string{}
	for _, tenant := range tenants {
		name, err := couch.DBName("svc", tenant)
		if err != nil {
			t.Fatalf("DBName(svc, %q): %v", tenant, err)
		}
		if other, dup := seen[name]; dup {
			t.Errorf("tenants %q and %q both map to %q", other, tenant, name)
		}
		seen[name] = tenant
	}
}

func TestDBNameFlakeIDs(t *testing.T) {
	gen := flake.New(0)
	for range 100 {
		id := gen.Next().String()
		name, err := couch.DBName("social", id)
		if err != nil || !couch.ValidDBName(name) || name != "social$"+strings.ToLower(id) {
			t.Fatalf("DBName(social, %q) = %q, %v", id, name, err)
		}
	}
}

func TestParseDBNameRejects(t *testing.T) {
	for _, name := range []string{
		"", "social", "social$", "$x", "Social$x", "social$X", "social$a(2E)", "social$a(2e", "social$a(zz)",
		"social$(61)", // 'a' needs no escape: not a name DBName makes
		"_users", "test_x",
	} {
		t.Run(name, func(t *testing.T) {
			if s, ten, err := couch.ParseDBName(name); !errors.Is(err, errs.Invalid) {
				t.Errorf("ParseDBName(%q) = %q, %q, %v; want an errs.Invalid error", name, s, ten, err)
			}
		})
	}
}

func TestValidDBName(t *testing.T) {
	for name, want := range map[string]bool{
		"a": true, "a1_$()+/-": true, "social$01j9": true,
		"": false, "1a": false, "A": false, "_users": false, "a.b": false, "a b": false,
		strings.Repeat("a", couch.MaxDBNameLen): true, strings.Repeat("a", couch.MaxDBNameLen+1): false,
	} {
		if got := couch.ValidDBName(name); got != want {
			t.Errorf("ValidDBName(%q) = %v, want %v", name, got, want)
		}
	}
}
