package auth

import (
	"bytes"
	"net/http"
	"net/http/httptest"
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
