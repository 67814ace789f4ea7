package couch

import (
	"regexp"
	"strings"

	"github.com/attendify/platform/errs"
)

// MaxDBNameLen is the longest database name CouchDB accepts.
const MaxDBNameLen = 238

// dbNameRE is CouchDB's rule for database names.
var dbNameRE = regexp.MustCompile(`^[a-z][a-z0-9_$()+/-]*$`)

// serviceRE is what the service part of a tenant database name may be.
var serviceRE = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,63}$`)

// ValidDBName reports whether CouchDB accepts name as a database name.
func ValidDBName(name string) bool {
	return len(name) <= MaxDBNameLen && dbNameRE.MatchString(name)
}

// DBName returns the name of service's database for one tenant (an app id):
// "<service>$<tenant>". The tenant is mapped deterministically: ASCII letters
// are lower-cased (app ids are case-insensitive flake ids), a-z, 0-9, '_' and
// '-' are kept, and every other byte is written as "(hh)", its lower-case
// hex value. So "01J9ZQ" in service "social" is "social$01j9zq", and
// "a.b" is "social$a(2e)b". Distinct tenants that differ in more than ASCII
// case get distinct names; ParseDBName reverses the mapping.
//
// The error is of kind errs.Invalid when service is not a lower-case
// identifier, tenant is empty, or the name would be longer than CouchDB
// allows.
func DBName(service, tenant string) (string, error) {
	if !serviceRE.MatchString(service) {
		return "", errs.New(errs.Invalid, "couch: service %q must match %s", service, serviceRE)
	}
	if tenant == "" {
		return "", errs.New(errs.Invalid, "couch: empty tenant for service %q", service)
	}
	var b strings.Builder
	b.Grow(len(service) + 1 + len(tenant))
	b.WriteString(service)
	b.WriteByte('$')
	for i := 0; i < len(tenant); i++ {
		c := tenant[i]
		switch {
		case 'A' <= c && c <= 'Z':
			b.WriteByte(c + 'a' - 'A')
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '_', c == '-':
			b.WriteByte(c)
		default:
			const hex = "0123456789abcdef"
			b.WriteByte('(')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
			b.WriteByte(')')
		}
	}
	name := b.String()
	if len(name) > MaxDBNameLen {
		return "", errs.New(errs.Invalid, "couch: database name for tenant %.40q... of %s is longer than %d bytes", tenant, service, MaxDBNameLen)
	}
	return name, nil
}

// ParseDBName splits a name made by DBName into its service and tenant (the
// tenant lower-cased). The error is of kind errs.Invalid for any other name.
func ParseDBName(name string) (service, tenant string, err error) {
	service, rest, ok := strings.Cut(name, "$")
	if !ok || !serviceRE.MatchString(service) || rest == "" {
		return "", "", errs.New(errs.Invalid, "couch: %q is not a tenant database name", name)
	}
	var b strings.Builder
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '_', c == '-':
			b.WriteByte(c)
		case c == '(' && i+3 < len(rest) && rest[i+3] == ')' && isLowerHex(rest[i+1]) && isLowerHex(rest[i+2]):
			b.WriteByte(unhex(rest[i+1])<<4 | unhex(rest[i+2]))
			i += 3
		default:
			return "", "", errs.New(errs.Invalid, "couch: %q is not a tenant database name", name)
		}
	}
	tenant = b.String()
	if canonical, err := DBName(service, tenant); err != nil || canonical != name {
		return "", "", errs.New(errs.Invalid, "couch: %q is not a tenant database name", name)
	}
	return service, tenant, nil
}

func isLowerHex(c byte) bool { return ('0' <= c && c <= '9') || ('a' <= c && c <= 'f') }

func unhex(c byte) byte {
	if c <= '9' {
		return c - '0'
	}
	return c - 'a' + 10
}
