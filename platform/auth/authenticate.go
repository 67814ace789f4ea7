package auth

import (
	"context"
	"net/http"
	"net/netip"
	"strings"

	"github.com/attendify/platform/errs"
)

// Authenticator turns an HTTP request's credentials into a Caller.
type Authenticator struct {
	Tokens   *Verifier        // user tokens; nil refuses them
	Services *ServiceVerifier // service calls; nil refuses them
	// TrustedProxies are the peers whose X-Forwarded-For is believed
	// (load balancers in front of the service); empty: none is.
	TrustedProxies []netip.Prefix
}

// Authenticate returns the caller of r, whose body has been read into body.
// A request with a service signature is a service call (and may carry the
// user token of the user it acts for, in Authorization: Bearer); a request
// with only a bearer token is a user; a request with neither is anonymous.
// Bad credentials are an error, never silently anonymous.
func (a *Authenticator) Authenticate(ctx context.Context, r *http.Request, body []byte) (Caller, error) {
	token, hasToken := BearerToken(r)
	addr := ClientAddr(r, a.TrustedProxies)
	c := Caller{Addr: addr}
	if IsServiceCall(r) {
		if a.Services == nil {
			return Caller{}, errs.WithCode(errs.CodeSignatureInvalid, "service calls are not accepted here")
		}
		var err error
		if c, err = a.Services.Verify(ctx, r, body); err != nil {
			return Caller{}, err
		}
		c.Addr = addr
	}
	if !hasToken {
		return c, nil
	}
	if a.Tokens == nil {
		return Caller{}, errs.WithCode(errs.CodeTokenInvalid, "user tokens are not accepted here")
	}
	claims, err := a.Tokens.Verify(token)
	if err != nil {
		return Caller{}, err
	}
	u := claims.Caller(token)
	if c.Kind == CallerService {
		c.User, c.App, c.Role, c.Token, c.TokenSeq = u.User, u.App, u.Role, u.Token, u.TokenSeq
		return c, nil
	}
	u.Addr = addr
	return u, nil
}

// Reach returns the highest auth level r's credentials reach, as far as
// can be told before its body is read: Service for a service call whose
// key id is known, whose timestamp is within the window and, for a
// session call, whose session is here and sequence number unused (its
// signature covers the body: Authenticate checks it); Admin for a user
// token that verifies (user, member and admin methods); Public without
// credentials. Credentials that already fail on the headers (a forged or
// expired token, alone or as the user a service call acts for; an unknown
// key id, a timestamp out of the window...) return Public and the error
// Authenticate would return for them, or one of the same code. The rpc
// server reads a body only as far as the methods of that level allow, and
// refuses one whose credentials fail once it goes past what a call
// without credentials may send.
func (a *Authenticator) Reach(r *http.Request) (Level, error) {
	level := Admin
	if IsServiceCall(r) {
		if a.Services == nil {
			return Public, errs.WithCode(errs.CodeSignatureInvalid, "service calls are not accepted here")
		}
		if err := a.Services.precheck(r); err != nil {
			return Public, err
		}
		level = Service
	}
	token, hasToken := BearerToken(r)
	switch {
	case !hasToken && level == Service:
		return Service, nil
	case !hasToken:
		return Public, nil
	case a.Tokens == nil:
		return Public, errs.WithCode(errs.CodeTokenInvalid, "user tokens are not accepted here")
	}
	if _, err := a.Tokens.Verify(token); err != nil {
		return Public, err
	}
	return level, nil
}

// AddrKey is the part of a client address (ClientAddr, Caller.Addr) that
// a limit counts: an IPv4 address as it is, an IPv6 address by its /64
// (one subscriber's, usually: a client picks any address within it).
// Anything else is returned unchanged.
func AddrKey(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil || !a.Is6() || a.Is4In6() {
		return addr
	}
	p, _ := a.Prefix(64)
	return p.String()
}

// ClientAddr returns the IP address of r's client: the connection's peer,
// unless the peer is one of trusted; then the rightmost address of
// X-Forwarded-For that is not itself trusted (each proxy appends the
// address it got the request from, so entries left of the last untrusted
// one may be forged). An entry may carry a port (forwardedAddr).
// IPv4-mapped IPv6 addresses come out as IPv4; "" when the peer address
// cannot be read.
func ClientAddr(r *http.Request, trusted []netip.Prefix) string {
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return ""
	}
	addr := peer.Addr().Unmap()
	if !within(addr, trusted) {
		if peer.Addr().Is4() {
			// "a.b.c.d:port": netip accepts only the canonical form of an
			// IPv4 address, so the host part is the address's String,
			// without making it again on every call.
			return r.RemoteAddr[:strings.LastIndexByte(r.RemoteAddr, ':')]
		}
		return addr.String()
	}
	var hops []string
	for _, h := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(h, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		hop, ok := forwardedAddr(strings.TrimSpace(hops[i]))
		if !ok {
			break // garbage from a trusted hop's client: the hop is the client
		}
		addr = hop.Unmap()
		if !within(addr, trusted) {
			break
		}
	}
	return addr.String()
}

// forwardedAddr is the IP address of an X-Forwarded-For entry: an address
// alone, or with a port as some load balancers write it ("ip:port",
// "[ipv6]:port", "[ipv6]"). Without the port forms, such an entry would
// read as garbage and every client would be the proxy's address, all
// sharing its limits.
func forwardedAddr(s string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(s); err == nil {
		return a, true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr(), true
	}
	if len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']' {
		if a, err := netip.ParseAddr(s[1 : len(s)-1]); err == nil && a.Is6() {
			return a, true
		}
	}
	return netip.Addr{}, false
}

func within(a netip.Addr, prefixes []netip.Prefix) bool {
	for _, p := range prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// BearerToken returns the token of an "Authorization: Bearer <token>"
// header; ok is false when there is none.
func BearerToken(r *http.Request) (token string, ok bool) {
	h := r.Header.Get("Authorization")
	if len(h) < 7 || !strings.EqualFold(h[:7], "bearer ") {
		return "", false
	}
	token = strings.TrimSpace(h[7:])
	return token, token != ""
}

// SetBearerToken sets r's Authorization header to carry token.
func SetBearerToken(r *http.Request, token string) {
	r.Header.Set("Authorization", "Bearer "+token)
}
