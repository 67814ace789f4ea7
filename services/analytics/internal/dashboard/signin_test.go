package dashboard_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/attendify/analytics/internal/dashboard"
	"github.com/attendify/platform/errs"
)

// TestSignIn: the page's sign-in hands hub's answer back: the app token,
// or hub's refusal with its status.
func TestSignIn(t *testing.T) {
	signIn := func(_ context.Context, email, password, app string) (string, error) {
		if email == "olga@example.com" && password == "right-password" && app == "app1" {
			return "app-token", nil
		}
		return "", errs.WithCode(errs.CodeUnauthenticated, "wrong email or password")
	}
	mux := chi.NewRouter()
	dashboard.Routes(mux, &dashboard.Gate{}, signIn, slog.New(slog.DiscardHandler))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	tests := []struct {
		name   string
		body   string
		status int
		token  string
	}{
		{"right credentials", `{"email":"olga@example.com","password":"right-password"}`, http.StatusOK, "app-token"},
		{"wrong password", `{"email":"olga@example.com","password":"nope"}`, http.StatusUnauthorized, ""},
		{"not JSON", `email=olga`, http.StatusBadRequest, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.Post(srv.URL+"/dashboard/app1/signin", "application/json", strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var got struct {
				Token string `json:"token"`
			}
			_ = json.NewDecoder(resp.Body).Decode(&got)
			if resp.StatusCode != tt.status || got.Token != tt.token {
				t.Errorf("got %d %q, want %d %q", resp.StatusCode, got.Token, tt.status, tt.token)
			}
		})
	}
}
