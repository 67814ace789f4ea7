package auth

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/attendify/platform/errs"
	"github.com/google/go-cmp/cmp"
)

func TestAuthenticate(t *testing.T) {
	c := &clock{time.Now()}
	is := newTestIssuer("k1", c)
	tok := mustIssue(t, is, Claims{User: "u1", App: "a1", Role: RoleAttendee, Seq: 7}, time.Hour)
	a := &Authenticator{
		Tokens:   newTestVerifier(c, "k1"),
		Services: &ServiceVerifier{Keys: map[string][]byte{"s1": testSecret}, Nonces: NewMemoryNonces()},
	}
	signer := Signer{KeyID: "s1", Secret: testSecret, Service: "social"}

	tests := []struct {
		name    string
		prepare func(r *http.Request)
		want    Caller
		code    errs.Code
	}{
		{"anonymous", func(*http.Request) {}, Caller{Addr: "192.0.2.1"}, 0},
		{"user", func(r *http.Request) { SetBearerToken(r, tok) },
			Caller{Kind: CallerUser, User: "u1", App: "a1", Role: RoleAttendee, KeyID: "k1", Token: tok, TokenSeq: 7, Addr: "192.0.2.1"}, 0},
		{"service", func(r *http.Request) { signer.Sign(r, testBody) },
			Caller{Kind: CallerService, Service: "social", KeyID: "s1", Addr: "192.0.2.1"}, 0},
		{"service on behalf of a user", func(r *http.Request) { SetBearerToken(r, tok); signer.Sign(r, testBody) },
			Caller{Kind: CallerService, Service: "social", KeyID: "s1", User: "u1", App: "a1", Role: RoleAttendee, Token: tok,
				TokenSeq: 7, Addr: "192.0.2.1"}, 0},
		{"bad token", func(r *http.Request) { SetBearerToken(r, tok+"x") }, Caller{}, errs.CodeTokenInvalid},
		{"bad signature", func(r *http.Request) { signer.Sign(r, []byte("other")) }, Caller{}, errs.CodeSignatureInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/rpc", bytes.NewReader(testBody))
			tt.prepare(r)
			got, err := a.Authenticate(t.Context(), r, testBody)
			if tt.code != 0 {
				wantCode(t, err, tt.code)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("caller (-want +got):\n%s", diff)
			}
		})
	}
}

// TestReach: what a request's credentials reach before its body is read
// (how far the rpc server reads the body), and why when they already fail
// (the rpc server then refuses the body past what an anonymous call may
// send, before any more of it is read).
func TestReach(t *testing.T) {
	c := &clock{time.Now()}
	tok := mustIssue(t, newTestIssuer("k1", c), Claims{User: "u1", App: "a1", Role: RoleAttendee}, time.Hour)
	expired := mustIssue(t, newTestIssuer("k1", &clock{c.Now().Add(-3 * time.Hour)}), Claims{User: "u1", App: "a1", Role: RoleAttendee}, time.Hour)
	v := &ServiceVerifier{Keys: map[string][]byte{"s1": testSecret}, Nonces: NewMemoryNonces(), Sessions: NewSessions(), Now: c.Now}
	a := &Authenticator{Tokens: newTestVerifier(c, "k1"), Services: v}
	signer := Signer{KeyID: "s1", Secret: testSecret, Service: "social"}
	ss := signer.Session(v.Sessions.open("social", "s1", testSecret, c.Now()))
	// accepted makes r a session call of ss that v has accepted.
	accepted := func(r *http.Request) {
		ss.sign(r, testBody, c.Now())
		if _, err := v.Verify(t.Context(), r, testBody); err != nil {
			t.Fatalf("a session call: %v", err)
		}
	}
	tests := []struct {
		name    string
		prepare func(r *http.Request)
		want    Level
		code    errs.Code // of the error; 0 for none
	}{
		{"nothing", func(*http.Request) {}, Public, 0},
		{"a user token", func(r *http.Request) { SetBearerToken(r, tok) }, Admin, 0},
		{"a bad token", func(r *http.Request) { SetBearerToken(r, tok+"x") }, Public, errs.CodeTokenInvalid},
		{"an expired token", func(r *http.Request) { SetBearerToken(r, expired) }, Public, errs.CodeTokenExpired},
		{"a service call", func(r *http.Request) { signer.Sign(r, testBody) }, Service, 0},
		{"a service call, signature not yet checked", func(r *http.Request) { signer.Sign(r, []byte("other")) }, Service, 0},
		{"a service call acting for a user", func(r *http.Request) { SetBearerToken(r, tok); signer.Sign(r, testBody) }, Service, 0},
		{"a service call acting for a bad token", func(r *http.Request) { SetBearerToken(r, tok+"x"); signer.Sign(r, testBody) },
			Public, errs.CodeTokenInvalid},
		{"a service call acting for an expired token", func(r *http.Request) { SetBearerToken(r, expired); signer.Sign(r, testBody) },
			Public, errs.CodeTokenExpired},
		{"an unknown service key", func(r *http.Request) {
			Signer{KeyID: "s9", Secret: testSecret, Service: "x"}.Sign(r, testBody)
		}, Public, errs.CodeSignatureInvalid},
		{"an old service timestamp", func(r *http.Request) {
			signer.Sign(r, testBody)
			r.Header.Set(HeaderTimestamp, strconv.FormatInt(c.Now().Add(-time.Hour).Unix(), 10))
		}, Public, errs.CodeSignatureExpired},
		{"a bad nonce", func(r *http.Request) { signer.Sign(r, testBody); r.Header.Set(HeaderNonce, "x") }, Public, errs.CodeSignatureInvalid},
		{"a session call", func(r *http.Request) { ss.sign(r, testBody, c.Now()) }, Service, 0},
		{"a session call, signature not yet checked", func(r *http.Request) { ss.sign(r, []byte("other"), c.Now()) }, Service, 0},
		{"a session call already accepted", accepted, Public, errs.CodeNonceReplayed},
		{"a session call too far behind the newest", func(r *http.Request) {
			ss.sign(r, testBody, c.Now())
			ss.seq.Add(sessionWindow)
			accepted(httptest.NewRequest(http.MethodPost, "/rpc", nil))
		}, Public, errs.CodeSignatureStale},
		{"a session call of an unknown session", func(r *http.Request) { signer.Session(randomID()).sign(r, testBody, c.Now()) },
			Public, errs.CodeSignatureStale},
		{"an old session call", func(r *http.Request) { ss.sign(r, testBody, c.Now().Add(-time.Hour)) }, Public, errs.CodeSignatureExpired},
		{"a malformed session call", func(r *http.Request) {
			ss.sign(r, testBody, c.Now())
			r.Header.Set(HeaderSession, r.Header.Get(HeaderSession)+" x")
		}, Public, errs.CodeSignatureInvalid},
		// As Verify answers it: the client signs it again in full.
		{"a session call in the format before one header", func(r *http.Request) {
			ss.sign(r, testBody, c.Now())
			id, _, _ := strings.Cut(r.Header.Get(HeaderSession), " ")
			r.Header.Set(HeaderSession, id)
		}, Public, errs.CodeSignatureStale},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/rpc", nil)
			tt.prepare(r)
			got, err := a.Reach(r)
			if got != tt.want || (tt.code == 0) != (err == nil) || (err != nil && errs.CodeOf(err) != tt.code) {
				t.Errorf("Reach = %s, %v; want %s, %s", got, err, tt.want, tt.code.Name())
			}
		})
	}
	none := &Authenticator{}
	r := httptest.NewRequest(http.MethodPost, "/rpc", nil)
	if got, err := none.Reach(r); got != Public || err != nil {
		t.Errorf("no verifiers, no credentials: %s, %v", got, err)
	}
	SetBearerToken(r, tok)
	if got, err := none.Reach(r); got != Public || errs.CodeOf(err) != errs.CodeTokenInvalid {
		t.Errorf("no verifiers, a token: %s, %v; want token_invalid", got, err)
	}
	r = httptest.NewRequest(http.MethodPost, "/rpc", nil)
	signer.Sign(r, testBody)
	if got, err := none.Reach(r); got != Public || errs.CodeOf(err) != errs.CodeSignatureInvalid {
		t.Errorf("no verifiers, a service call: %s, %v; want signature_invalid", got, err)
	}
}

// TestClientAddr checks whose address a request comes from: the peer's,
// unless a trusted proxy forwards it.
func TestClientAddr(t *testing.T) {
	var trusted Prefixes
	if err := trusted.UnmarshalText([]byte("10.0.0.0/8, 192.0.2.7,2001:db8::/32")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, peer string
		xff        []string
		want       string
	}{
		{"direct", "203.0.113.5:4000", nil, "203.0.113.5"},
		{"untrusted peer's header is ignored", "203.0.113.5:4000", []string{"198.51.100.1"}, "203.0.113.5"},
		{"trusted proxy", "10.1.2.3:4000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"a bare trusted address", "192.0.2.7:4000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"forged entries left of the client", "10.1.2.3:4000", []string{"1.1.1.1, 198.51.100.1"}, "198.51.100.1"},
		{"two trusted hops", "10.1.2.3:4000", []string{"198.51.100.1, 10.9.9.9"}, "198.51.100.1"},
		{"several header lines", "10.1.2.3:4000", []string{"1.1.1.1", "198.51.100.1"}, "198.51.100.1"},
		{"trusted proxy without header", "10.1.2.3:4000", nil, "10.1.2.3"},
		{"garbage from the client", "10.1.2.3:4000", []string{"not-an-ip"}, "10.1.2.3"},
		{"IPv4 in IPv6", "[::ffff:203.0.113.5]:4000", nil, "203.0.113.5"},
		{"IPv6 proxy", "[2001:db8::1]:4000", []string{"2001:db9::5"}, "2001:db9::5"},
		{"unreadable peer", "@unix", nil, ""},
		{"an entry with a port", "10.1.2.3:4000", []string{"198.51.100.1:51234"}, "198.51.100.1"},
		{"IPv6 entry with a port", "10.1.2.3:4000", []string{"[2001:db9::5]:51234"}, "2001:db9::5"},
		{"IPv6 entry in brackets", "10.1.2.3:4000", []string{"[2001:db9::5]"}, "2001:db9::5"},
		{"trusted hops with ports", "10.1.2.3:4000", []string{"1.1.1.1:1, 198.51.100.1:2, 10.9.9.9:3"}, "198.51.100.1"},
		{"IPv4 in brackets is garbage", "10.1.2.3:4000", []string{"[198.51.100.1]"}, "10.1.2.3"},
		{"a port without an address", "10.1.2.3:4000", []string{":51234"}, "10.1.2.3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/rpc", nil)
			r.RemoteAddr = tt.peer
			for _, h := range tt.xff {
				r.Header.Add("X-Forwarded-For", h)
			}
			if got := ClientAddr(r, trusted); got != tt.want {
				t.Errorf("ClientAddr = %q, want %q", got, tt.want)
			}
		})
	}
	if err := trusted.UnmarshalText([]byte("10.0.0.0/33")); err == nil {
		t.Error("a bad network was accepted")
	}
}

// TestClientAddrAllocs: the address of a direct IPv4 peer (every call
// inside the cluster, and most from outside) is read without allocating.
func TestClientAddrAllocs(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/rpc", nil)
	r.RemoteAddr = "203.0.113.5:4000"
	if n := testing.AllocsPerRun(100, func() { ClientAddr(r, nil) }); n != 0 {
		t.Errorf("ClientAddr of an IPv4 peer: %v allocations, want 0", n)
	}
}

func TestBearerToken(t *testing.T) {
	for h, want := range map[string]string{"Bearer abc": "abc", "bearer  abc ": "abc", "Basic abc": "", "Bearer ": "", "": ""} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		if h != "" {
			r.Header.Set("Authorization", h)
		}
		got, ok := BearerToken(r)
		if got != want || ok != (want != "") {
			t.Errorf("BearerToken(%q) = %q, %v; want %q", h, got, ok, want)
		}
	}
}

func TestAddrKey(t *testing.T) {
	for in, want := range map[string]string{
		"203.0.113.7":               "203.0.113.7",
		"2001:db8:1:2:aaaa::1":      "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff:ffff::9": "2001:db8:1:2::/64",
		"2001:db8:1:3::1":           "2001:db8:1:3::/64",
		"::ffff:203.0.113.7":        "::ffff:203.0.113.7",
		"":                          "",
		"not an address":            "not an address",
		"fe80::1%eth0":              "fe80::/64",
	} {
		if got := AddrKey(in); got != want {
			t.Errorf("AddrKey(%q) = %q; want %q", in, got, want)
		}
	}
}

// TestForwardedForNeedsATrustedPeer: X-Forwarded-For (or X-Real-Ip)
// names the client only when the connection comes from a trusted proxy;
// otherwise a client could pick the address its rate limits count.
func TestForwardedForNeedsATrustedPeer(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	for _, tc := range []struct {
		peer    string
		xff     []string
		trusted []netip.Prefix
		want    string
	}{
		{"198.51.100.7:5000", []string{"203.0.113.9"}, nil, "198.51.100.7"},
		{"198.51.100.7:5000", []string{"203.0.113.9"}, trusted, "198.51.100.7"},
		{"10.0.0.2:5000", []string{"203.0.113.9, 198.51.100.7"}, trusted, "198.51.100.7"},
		{"10.0.0.2:5000", []string{"203.0.113.9", "198.51.100.7, 10.0.0.3"}, trusted, "198.51.100.7"},
		{"[::ffff:198.51.100.7]:5000", []string{"203.0.113.9"}, trusted, "198.51.100.7"},
	} {
		r := httptest.NewRequest(http.MethodPost, "/rpc", nil)
		r.RemoteAddr = tc.peer
		r.Header["X-Forwarded-For"] = tc.xff
		r.Header.Set("X-Real-Ip", "192.0.2.66")
		r.Header.Set("True-Client-Ip", "192.0.2.66")
		if got := ClientAddr(r, tc.trusted); got != tc.want {
			t.Errorf("peer %s, X-Forwarded-For %q, trusted %v: %q, want %q", tc.peer, tc.xff, tc.trusted, got, tc.want)
		}
	}
}
