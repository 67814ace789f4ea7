package hub_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/attendify/hub"
	"github.com/attendify/hub/internal/app"
	"github.com/attendify/hub/internal/hubtest"
	"github.com/attendify/hub/internal/rpcapi"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/testkit"
)

// TestLogInFlood: 40 sign-ins at once, each a real 64 MiB argon2id hash,
// against one hashing worker and a queue of one. Each is answered at once,
// either by its hash (wrong password) or with the retryable overloaded
// error and a retry hint; none waits for the others or times out; the
// organizer signs in afterwards. In a batch, sign-ins are refused.
func TestLogInFlood(t *testing.T) {
	env := hubtest.StartWith(t, func(c *app.Config) {
		c.PasswordMemoryKiB = 64 << 10
		c.PasswordWorkers, c.PasswordQueue = 1, 1
	})
	ctx := testkit.Context(t)
	must(hub.DevSignUp(ctx, env.Client, env.Service, "flood@x.io", password, "Flood"))(t)

	// A client of its own: the overloaded answers open a client's circuit.
	flood, err := rpc.NewClient(rpc.ClientOptions{Endpoints: []string{env.URL}, MaxAttempts: 1, ConsecutiveFailures: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	const n = 40
	codes := make([]errs.Code, n)
	var retryHint bool
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := hub.LogIn.Call(ctx, flood, hub.LogInParams{Email: fmt.Sprintf("nobody%d@x.io", i), Password: "guess"})
			codes[i] = errs.CodeOf(err)
			if e, ok := errs.As(err); ok && e.Code == errs.CodeOverloaded && e.RetryAfter > 0 {
				mu.Lock()
				retryHint = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	count := map[errs.Code]int{}
	for _, c := range codes {
		count[c]++
	}
	t.Logf("answers by code: %v", count)
	if count[errs.CodeUnauthenticated]+count[errs.CodeOverloaded] != n || count[errs.CodeOverloaded] == 0 || !retryHint {
		t.Errorf("answers by code: %v; want only unauthenticated and overloaded (with retry_after_ms), some overloaded", count)
	}
	if _, err := hub.LogIn.Call(ctx, env.Client, hub.LogInParams{Email: "flood@x.io", Password: password}); err != nil {
		t.Errorf("sign-in after the flood: %v", err)
	}

	// A batch of sign-ins: each refused, the rest of the batch answered.
	var calls []*rpc.BatchCall
	for i := range 3 {
		var out hub.AccountSession
		calls = append(calls, rpc.NewBatchCall(hub.LogIn, hub.LogInParams{Email: fmt.Sprintf("b%d@x.io", i), Password: "guess"}, &out))
	}
	var info hub.PublicApp
	calls = append(calls, rpc.NewBatchCall(hub.PublicAppInfo, hub.PublicAppParams{Slug: "no-such-app"}, &info))
	if err := env.Client.Batch(ctx, calls...); err != nil {
		t.Fatal(err)
	}
	for _, c := range calls[:3] {
		var re *rpc.RemoteError
		if !errors.As(c.Err, &re) || re.Code != rpc.CodeInvalidRequest || !strings.Contains(re.Message, "cannot be called in a batch") {
			t.Errorf("auth.logIn in a batch: %v", c.Err)
		}
	}
	if !errors.Is(calls[3].Err, errs.NotFound) {
		t.Errorf("app.info in the same batch: %v", calls[3].Err)
	}
}

// TestExpensiveMethodsAreNotBatchable: every method that hashes a
// password or passcode, checks a sign-in code or sends an email says so in
// the discovery document, and public methods take small bodies.
func TestExpensiveMethodsAreNotBatchable(t *testing.T) {
	srv := rpc.NewServer(rpc.Options{Name: "hub"})
	rpcapi.Register(srv, nil)
	var doc struct {
		Methods []struct {
			Name    string `json:"name"`
			Auth    string `json:"x-auth"`
			MaxBody int64  `json:"x-max-body-bytes"`
			NoBatch bool   `json:"x-no-batch"`
		} `json:"methods"`
	}
	if err := json.Unmarshal(srv.Discover(), &doc); err != nil {
		t.Fatal(err)
	}
	expensive := map[string]bool{
		"auth.signUp": true, "auth.confirmSignUp": true, "auth.logIn": true, "organizer.changePassword": true,
		"auth.requestCode": true, "auth.verifyCode": true, "app.setAccess": true, "collaborator.invite": true,
		"collaborator.accept": true,
	}
	for _, m := range doc.Methods {
		if m.NoBatch != expensive[m.Name] {
			t.Errorf("%s: x-no-batch %v, want %v", m.Name, m.NoBatch, expensive[m.Name])
		}
		if m.Auth == "public" && m.MaxBody > 64<<10 {
			t.Errorf("public %s takes %d bytes", m.Name, m.MaxBody)
		}
		if strings.HasPrefix(m.Name, "bulk.") != (m.MaxBody > 1<<20) {
			t.Errorf("%s takes %d bytes", m.Name, m.MaxBody)
		}
	}
}
