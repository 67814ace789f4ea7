package auth

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/testkit"
)

// capturedCall is a signed service call as it went over the wire: what an
// attacker who saw it could send again.
type capturedCall struct {
	header http.Header
	body   []byte
}

func (c capturedCall) request() *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/rpc", bytes.NewReader(c.body))
	r.Header = c.header.Clone()
	return r
}

// signUntilAccepted signs a call and sends it, signing it again while it
// is refused as stale, after the wait the refusal asks for, as the rpc
// client does; it returns the accepted call.
func signUntilAccepted(t *testing.T, v *ServiceVerifier, s Signer) capturedCall {
	t.Helper()
	for range 10 {
		r := httptest.NewRequest(http.MethodPost, "/rpc", bytes.NewReader(testBody))
		s.Sign(r, testBody)
		_, err := v.Verify(context.Background(), r, testBody)
		if err == nil {
			return capturedCall{r.Header.Clone(), testBody}
		}
		e, ok := errs.As(err)
		if !ok || e.Code != errs.CodeSignatureStale || !e.Code.Retryable() {
			t.Fatalf("a freshly signed call: %v, want accepted or signature_stale (retryable)", err)
		}
		time.Sleep(e.RetryAfter)
	}
	t.Fatal("a freshly signed call is still refused as stale after 10 tries")
	return capturedCall{}
}

// TestReplayAfterRedisRestart: a signed call accepted before Redis restarted
// empty (losing its nonce) is refused when replayed afterwards, within the
// timestamp window; a call signed afresh is accepted.
func TestReplayAfterRedisRestart(t *testing.T) {
	srv := testkit.StartRedisServer(t)
	store := NewRedisNonces(srv.Client(), "")
	v := &ServiceVerifier{Keys: map[string][]byte{"s1": testSecret}, Nonces: store}
	s := Signer{KeyID: "s1", Secret: testSecret, Service: "social"}

	var captured []capturedCall
	for range 20 {
		captured = append(captured, signUntilAccepted(t, v, s))
	}
	if _, err := v.Verify(context.Background(), captured[0].request(), testBody); errs.CodeOf(err) != errs.CodeNonceReplayed {
		t.Fatalf("replay before the restart: %v, want nonce_replayed", err)
	}

	srv.Restart()

	// Replayed at once, together: the first round trip after the restart
	// may be a batch, which finds the script missing from Redis.
	errc := make([]error, len(captured))
	var wg sync.WaitGroup
	for i, c := range captured {
		wg.Go(func() { _, errc[i] = v.Verify(context.Background(), c.request(), testBody) })
	}
	wg.Wait()
	for i, err := range errc {
		if errs.CodeOf(err) != errs.CodeSignatureStale {
			t.Errorf("replay %d after the restart: %v, want signature_stale", i, err)
		}
	}
	// Still refused later, while still inside the timestamp window.
	if _, err := v.Verify(context.Background(), captured[0].request(), testBody); errs.CodeOf(err) != errs.CodeSignatureStale {
		t.Errorf("replay after the restart: %v, want signature_stale", err)
	}
	signUntilAccepted(t, v, s)
}

// TestRedisNoncesBatchReloadsScript: a batch sent to a Redis that lost its
// scripts (a restart) is answered in full, each check run exactly once.
func TestRedisNoncesBatchReloadsScript(t *testing.T) {
	// A batch runs the script by its hash; a server that does not have it
	// (a new one, like one that restarted) answers NOSCRIPT without running
	// it. SCRIPT FLUSH would do the same, but to every test's scripts on the
	// shared server.
	srv := testkit.StartRedisServer(t)
	store := NewRedisNonces(srv.Client(), "")
	ctx := testkit.Context(t)
	// Signed after the new server's first second, which its epoch refuses.
	signed := time.Now().Unix() + 2
	check := func(nonce string) *nonceCheck {
		return &nonceCheck{keys: store.nonceKeys(nonce), signed: signed, ttl: time.Minute, done: make(chan struct{})}
	}
	var batch []*nonceCheck
	for i := range 8 {
		batch = append(batch, check(fmt.Sprintf("reload-nonce-%04d", i)), check(fmt.Sprintf("reload-nonce-%04d", i)))
	}
	store.sendBatch(ctx, batch)
	for i, c := range batch {
		if c.err != nil {
			t.Fatalf("check %d: %v", i, c.err)
		}
		if want := i%2 == 0; c.fresh != want {
			t.Errorf("check %d: fresh = %v, want %v (first of each pair fresh, second a replay)", i, c.fresh, want)
		}
	}
}
