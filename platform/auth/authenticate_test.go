package auth

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/attendify/platform/errs"
	"github.com/google/go-cmp/cmp"
)

func TestAuthenticate(t *testing.T) {
	c := &clock{time.Now()}
	is := newTestIssuer("k1", c)
	tok := mustIssue(t, is, Claims{User: "u1", App: "a1", Role: RoleAttendee}, time.Hour)
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
		{"anonymous", func(*http.Request) {}, Caller{}, 0},
		{"user", func(r *http.Request) { SetBearerToken(r, tok) },
			Caller{Kind: CallerUser, User: "u1", App: "a1", Role: RoleAttendee, KeyID: "k1", Token: tok}, 0},
		{"service", func(r *http.Request) { signer.Sign(r, testBody) },
			Caller{Kind: CallerService, Service: "social", KeyID: "s1"}, 0},
		{"service on behalf of a user", func(r *http.Request) { SetBearerToken(r, tok); signer.Sign(r, testBody) },
			Caller{Kind: CallerService, Service: "social", KeyID: "s1", User: "u1", App: "a1", Role: RoleAttendee, Token: tok}, 0},
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
// (how far the rpc server reads the body).
func TestReach(t *testing.T) {
	c := &clock{time.Now()}
	tok := mustIssue(t, newTestIssuer("k1", c), Claims{User: "u1", App: "a1", Role: RoleAttendee}, time.Hour)
	v := &ServiceVerifier{Keys: map[string][]byte{"s1": testSecret}, Nonces: NewMemoryNonces(), Now: c.Now}
	a := &Authenticator{Tokens: newTestVerifier(c, "k1"), Services: v}
	signer := Signer{KeyID: "s1", Secret: testSecret, Service: "social"}
	tests := []struct {
		name    string
		prepare func(r *http.Request)
		want    Level
	}{
		{"nothing", func(*http.Request) {}, Public},
		{"a user token", func(r *http.Request) { SetBearerToken(r, tok) }, Admin},
		{"a bad token", func(r *http.Request) { SetBearerToken(r, tok+"x") }, Public},
		{"a service call", func(r *http.Request) { signer.Sign(r, testBody) }, Service},
		{"a service call, signature not yet checked", func(r *http.Request) { signer.Sign(r, []byte("other")) }, Service},
		{"an unknown service key", func(r *http.Request) {
			Signer{KeyID: "s9", Secret: testSecret, Service: "x"}.Sign(r, testBody)
		}, Public},
		{"an old service timestamp", func(r *http.Request) {
			signer.Sign(r, testBody)
			r.Header.Set(HeaderTimestamp, strconv.FormatInt(c.Now().Add(-time.Hour).Unix(), 10))
		}, Public},
		{"a bad nonce", func(r *http.Request) { signer.Sign(r, testBody); r.Header.Set(HeaderNonce, "x") }, Public},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/rpc", nil)
			tt.prepare(r)
			if got := a.Reach(r); got != tt.want {
				t.Errorf("Reach = %s, want %s", got, tt.want)
			}
		})
	}
	if got := (&Authenticator{}).Reach(httptest.NewRequest(http.MethodPost, "/rpc", nil)); got != Public {
		t.Errorf("no verifiers: %s", got)
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
