package auth_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/auth/authtest"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/rpc"
)

func routeKey(name string) (ed25519.PublicKey, ed25519.PrivateKey) {
	seed := sha256.Sum256([]byte("route test key " + name))
	priv := ed25519.NewKeyFromSeed(seed[:])
	return priv.Public().(ed25519.PublicKey), priv
}

// TestRouteCaller: a plain route authenticated with RouteCaller and failing
// with rpc.WriteHTTPError answers every refused token the same way: 401,
// a bearer challenge, and the JSON-RPC error object with the token's code.
func TestRouteCaller(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	pub, priv := routeKey("hub-1")
	_, foreignPriv := routeKey("elsewhere")
	verifier := auth.NewVerifierAt(map[string]ed25519.PublicKey{"hub-1": pub}, clock)
	issue := func(kid string, key ed25519.PrivateKey, at time.Time, ttl time.Duration) string {
		is := auth.NewIssuer(kid, key)
		auth.SetIssuerClock(is, func() time.Time { return at })
		tok, err := is.Issue(auth.Claims{User: "u1", App: "app1", Role: auth.RoleAttendee}, ttl)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	good := issue("hub-1", priv, now, time.Hour)

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, c, err := verifier.RouteCaller(r)
		if err != nil {
			rpc.WriteHTTPError(w, r, nil, err)
			return
		}
		if auth.CallerFrom(ctx).User != c.User {
			t.Error("the context does not carry the caller")
		}
		_, _ = io.WriteString(w, c.User+" "+c.App)
	}))
	defer srv.Close()

	tests := []struct {
		name, header string
		code         errs.Code
		challenge    string
	}{
		{"missing", "", errs.CodeUnauthenticated, `Bearer realm="attendify"`},
		{"another scheme", "Basic dTE6cHc=", errs.CodeUnauthenticated, `Bearer realm="attendify"`},
		{"empty bearer", "Bearer ", errs.CodeUnauthenticated, `Bearer realm="attendify"`},
		{"malformed", "Bearer not-a-token", errs.CodeTokenInvalid, `Bearer realm="attendify", error="invalid_token"`},
		{"tampered", "Bearer " + authtest.Forge(good), errs.CodeTokenInvalid, `Bearer realm="attendify", error="invalid_token"`},
		{"expired", "Bearer " + issue("hub-1", priv, now.Add(-3*time.Hour), time.Hour), errs.CodeTokenExpired,
			`Bearer realm="attendify", error="invalid_token", error_description="the token has expired"`},
		{"foreign key", "Bearer " + issue("elsewhere", foreignPriv, now, time.Hour), errs.CodeTokenInvalid, `Bearer realm="attendify", error="invalid_token"`},
		{"foreign key under a known kid", "Bearer " + issue("hub-1", foreignPriv, now, time.Hour), errs.CodeTokenInvalid, `Bearer realm="attendify", error="invalid_token"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", srv.URL, nil)
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body struct {
				Error struct {
					Code int `json:"code"`
				} `json:"error"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("status %d, want 401", resp.StatusCode)
			}
			if got := resp.Header.Get("WWW-Authenticate"); got != tt.challenge {
				t.Errorf("WWW-Authenticate %q, want %q", got, tt.challenge)
			}
			if body.Error.Code != int(tt.code) {
				t.Errorf("error code %d, want %d (%s)", body.Error.Code, tt.code, tt.code.Name())
			}
		})
	}

	req, _ := http.NewRequest("GET", srv.URL, nil)
	auth.SetBearerToken(req, good)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(b) != "u1 app1" || resp.Header.Get("WWW-Authenticate") != "" {
		t.Errorf("a good token: %d %q (WWW-Authenticate %q)", resp.StatusCode, b, resp.Header.Get("WWW-Authenticate"))
	}
}
