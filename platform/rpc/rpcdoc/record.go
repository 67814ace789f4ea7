// Package rpcdoc writes a service's method reference (docs/methods.md) from
// its OpenRPC document and example calls recorded against the real service
// in a test, so that the reference and the service cannot drift apart.
//
// A service's docs test starts the service, calls every method through
// clients whose HTTP client comes from a Recorder, and compares Render's
// output with the committed file (Check; -update rewrites it). Values that
// change from run to run (ids, tokens, timestamps, secrets) are replaced in
// the examples by stable placeholders, so the file is deterministic.
package rpcdoc

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/rpc"
)

// Caller says how an example call was authenticated.
type Caller string

// The callers an example may show.
const (
	Anonymous Caller = "anonymous"
	User      Caller = "user token" // Authorization: Bearer <token>
	Service   Caller = "service call (HMAC-signed)"
)

// Example is one recorded call of a method: the JSON-RPC request object as
// sent and the response object as answered.
type Example struct {
	Method   string
	Caller   Caller
	Request  json.RawMessage
	Response json.RawMessage
	Failed   bool // the answer is an error
}

// Recorder keeps, per method, the first successful call made through its
// HTTP client (or, while none succeeded, the first call).
type Recorder struct {
	mu         sync.Mutex
	examples   map[string]Example
	masks      map[string]string
	start, end time.Time
}

// NewRecorder returns an empty recorder.
func NewRecorder() *Recorder {
	now := time.Now()
	return &Recorder{examples: map[string]Example{}, masks: map[string]string{}, start: now, end: now}
}

// HTTPClient returns an HTTP client that records the JSON-RPC calls it makes,
// for rpc.ClientOptions.HTTPClient.
func (r *Recorder) HTTPClient() *http.Client {
	return &http.Client{Transport: &recording{r: r, base: http.DefaultTransport}}
}

// Mask replaces value by placeholder wherever it appears whole in an example
// (a one-time code, a secret the automatic rules do not recognise).
func (r *Recorder) Mask(value, placeholder string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.masks[value] = placeholder
}

// Examples returns the recorded examples by method.
func (r *Recorder) Examples() map[string]Example {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]Example, len(r.examples))
	for k, v := range r.examples {
		out[k] = v
	}
	return out
}

func (r *Recorder) add(caller Caller, req, resp []byte) {
	var reqs, resps []json.RawMessage
	if !split(req, &reqs) || !split(resp, &resps) {
		return
	}
	byID := map[string]json.RawMessage{}
	for _, a := range resps {
		var m struct{ ID json.RawMessage }
		if json.Unmarshal(a, &m) == nil {
			byID[string(m.ID)] = a
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.end = time.Now()
	for _, q := range reqs {
		var m struct {
			Method string
			ID     json.RawMessage
		}
		if json.Unmarshal(q, &m) != nil || m.Method == "" {
			continue
		}
		a, ok := byID[string(m.ID)]
		if !ok {
			continue
		}
		var e struct{ Error json.RawMessage }
		_ = json.Unmarshal(a, &e)
		failed := len(e.Error) > 0 && string(e.Error) != "null"
		if old, seen := r.examples[m.Method]; seen && (failed || !old.Failed) {
			continue
		}
		r.examples[m.Method] = Example{Method: m.Method, Caller: caller, Request: q, Response: a, Failed: failed}
	}
}

// split reads a JSON-RPC body: one object or a batch of them.
func split(body []byte, into *[]json.RawMessage) bool {
	body = bytes.TrimSpace(body)
	if len(body) > 0 && body[0] == '[' {
		return json.Unmarshal(body, into) == nil
	}
	if !json.Valid(body) {
		return false
	}
	*into = []json.RawMessage{body}
	return true
}

type recording struct {
	r    *Recorder
	base http.RoundTripper
}

func (t *recording) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	caller := Anonymous
	switch {
	case req.Header.Get(auth.HeaderSignature) != "":
		caller = Service
	case req.Header.Get("Authorization") != "":
		caller = User
	}
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	answer, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(answer))
	t.r.add(caller, body, answer)
	return resp, nil
}

// Client returns a client of the service at url whose calls are recorded,
// signed as a service call when signer is not nil.
func (r *Recorder) Client(t testing.TB, url string, signer *auth.Signer) *rpc.Client {
	t.Helper()
	c, err := rpc.NewClient(rpc.ClientOptions{Endpoints: []string{url}, MaxAttempts: 1, HTTPClient: r.HTTPClient(), Signer: signer})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Discover fetches the OpenRPC document of the service at url.
func Discover(t testing.TB, url string) json.RawMessage {
	t.Helper()
	resp, err := http.Get(url + "/openrpc.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("rpcdoc: GET %s/openrpc.json: %d %v", url, resp.StatusCode, err)
	}
	return b
}
