package rpc

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/auth/authtest"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/testkit"
)

type textParams struct {
	Text string `json:"text"`
}

// filler is an endless reader of 'x': a large request body that the test
// itself does not hold in memory.
type filler struct{}

func (filler) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}

// bigCall is a JSON-RPC call of method whose text param makes the body
// size bytes long.
func bigCall(method string, size int64) io.Reader {
	head := `{"jsonrpc":"2.0","method":"` + method + `","id":1,"params":{"text":"`
	tail := `"}}`
	return io.MultiReader(strings.NewReader(head),
		io.LimitReader(filler{}, size-int64(len(head)+len(tail))), strings.NewReader(tail))
}

func heap() (inuse, total uint64) {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse, m.TotalAlloc
}

// TestFloodOfLargeBodiesStaysSmall: 40 clients at once send 15 MiB bodies
// to a public method of a server whose default body limit is 16 MiB (hub's
// was). The server reads no more of each than a public method may take,
// refuses them, and the process neither allocated nor kept much.
func TestFloodOfLargeBodiesStaysSmall(t *testing.T) {
	s := NewServer(Options{MaxBodyBytes: 16 << 20})
	Handle(s, Method[textParams, int]{Name: "echo", Auth: auth.Public},
		func(_ context.Context, p textParams) (int, error) { return len(p.Text), nil })
	ts := httptest.NewServer(s)
	defer ts.Close()

	const clients, size = 40, 15 << 20
	inuse0, total0 := heap()
	var wg sync.WaitGroup
	statuses := make([]int, clients)
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Post(ts.URL, "application/json", bigCall("echo", size))
			if err != nil {
				return // the server may close the connection once it has answered
			}
			defer resp.Body.Close()
			_, _ = io.Copy(io.Discard, resp.Body)
			statuses[i] = resp.StatusCode
		}()
	}
	wg.Wait()
	inuse1, total1 := heap()
	const bound = 64 << 20
	t.Logf("the flood allocated %d KiB; heap in use after GC moved by %d KiB", (total1-total0)>>10, (int64(inuse1)-int64(inuse0))>>10)
	if grew := int64(total1) - int64(total0); grew > bound {
		t.Errorf("the flood allocated %d MiB, want under %d MiB", grew>>20, bound>>20)
	}
	if grew := int64(inuse1) - int64(inuse0); grew > bound {
		t.Errorf("the heap in use grew by %d MiB and stayed, want under %d MiB", grew>>20, bound>>20)
	}
	for i, st := range statuses {
		if st != 0 && st != http.StatusRequestEntityTooLarge {
			t.Errorf("client %d: status %d, want 413", i, st)
		}
	}
	got := post(t, s, `{"jsonrpc":"2.0","method":"echo","params":{"text":"hi"},"id":2}`)
	if got.body != `{"jsonrpc":"2.0","result":2,"id":2}` {
		t.Errorf("a normal call after the flood: %s", got.body)
	}
}

// issueToken issues a token of c for an hour with the environment's keys
// (the development keys when AUTH_* is unset), and returns it with the
// verifier of those keys.
func issueToken(t *testing.T, c auth.Claims) (string, *auth.Verifier) {
	t.Helper()
	cfg, err := auth.LoadConfig()
	if err != nil {
		t.Fatal(err)
	}
	issuer, err := cfg.Issuer()
	if err != nil {
		t.Fatal(err)
	}
	token, err := issuer.Issue(c, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return token, cfg.Verifier()
}

// limitServer has methods of each kind of body limit, and an authenticator
// that knows user tokens.
func limitServer(t *testing.T) (*Server, string) {
	t.Helper()
	token, tokens := issueToken(t, auth.Claims{User: "u1", Role: auth.RoleOrganizer})
	s := NewServer(Options{Auth: &auth.Authenticator{Tokens: tokens}})
	length := func(_ context.Context, p textParams) (int, error) { return len(p.Text), nil }
	Handle(s, Method[textParams, int]{Name: "public", Auth: auth.Public}, length)
	Handle(s, Method[textParams, int]{Name: "tiny", Auth: auth.Public, MaxBody: 4 << 10}, length)
	Handle(s, Method[textParams, int]{Name: "user", Auth: auth.User}, length)
	Handle(s, Method[textParams, int]{Name: "upload", Auth: auth.User, MaxBody: 3 << 20}, length)
	return s, token
}

func sized(method string, size int) string {
	b, _ := io.ReadAll(bigCall(method, int64(size)))
	return string(b)
}

// TestBodyLimitsByMethodAndCaller: public methods take 64 KiB, others the
// server's 1 MiB, a method may declare its own; a body is read only as far
// as the caller's verified credentials allow, and past 64 KiB credentials
// that do not verify are refused.
func TestBodyLimitsByMethodAndCaller(t *testing.T) {
	s, token := limitServer(t)
	bearer := []string{"Authorization", "Bearer " + token}
	forged := []string{"Authorization", "Bearer " + authtest.Forge(token)}
	tests := []struct {
		name   string
		body   string
		header []string
		status int
		want   string // in the body
	}{
		{"public, small", sized("public", 60<<10), nil, 200, `"result":`},
		{"public, over 64 KiB", sized("public", 65<<10), nil, 413, "65536 bytes"},
		{"public, over 64 KiB with a token", sized("public", 65<<10), bearer, 413, "public's limit of 65536 bytes"},
		{"a method's own smaller limit", sized("tiny", 5<<10), nil, 413, "tiny's limit of 4096 bytes"},
		{"under a method's own limit", sized("tiny", 3<<10), nil, 200, `"result":`},
		{"user method, 900 KiB with a token", sized("user", 900<<10), bearer, 200, `"result":`},
		{"user method, 900 KiB without a token", sized("user", 900<<10), nil, 413, "65536 bytes"},
		{"user method, 900 KiB with a forged token", sized("user", 900<<10), forged, 200, `"reason":"token_invalid"`},
		{"user method over 1 MiB", sized("user", 1100<<10), bearer, 413, "user's limit of 1048576 bytes"},
		{"a method's own larger limit", sized("upload", 2<<20), bearer, 200, `"result":`},
		{"past every limit", sized("upload", 4<<20), bearer, 413, "3145728 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := post(t, s, tt.body, tt.header...)
			if got.status != tt.status || !strings.Contains(got.body, tt.want) {
				t.Errorf("got %d %.300s; want %d with %q", got.status, got.body, tt.status, tt.want)
			}
			if tt.status == 413 && !strings.Contains(got.body, `"code":-32600`) {
				t.Errorf("not an invalid request: %.300s", got.body)
			}
		})
	}
	t.Run("batch member over its method's limit", func(t *testing.T) {
		body := "[" + sized("tiny", 5<<10) + "," + `{"jsonrpc":"2.0","method":"tiny","params":{"text":"ok"},"id":2}` + "]"
		got := post(t, s, body)
		if !strings.Contains(got.body, `"code":-32600`) || !strings.Contains(got.body, "tiny's limit") ||
			!strings.Contains(got.body, `{"jsonrpc":"2.0","result":2,"id":2}`) {
			t.Errorf("got %d %s", got.status, got.body)
		}
	})
}

type pwParams struct {
	Password string `json:"password"`
}

// TestNoBatchMethodsAreRefusedInBatches: a method declared NoBatch answers
// a lone call, and an invalid request for each of its calls in a batch,
// whose other members are still answered.
func TestNoBatchMethodsAreRefusedInBatches(t *testing.T) {
	s := NewServer(Options{})
	var runs int
	var mu sync.Mutex
	Handle(s, Method[pwParams, string]{Name: "logIn", Auth: auth.Public, NoBatch: true},
		func(context.Context, pwParams) (string, error) { mu.Lock(); runs++; mu.Unlock(); return "token", nil })
	Handle(s, Method[textParams, int]{Name: "public", Auth: auth.Public},
		func(_ context.Context, p textParams) (int, error) { return len(p.Text), nil })

	got := post(t, s, `{"jsonrpc":"2.0","method":"logIn","params":{"password":"p"},"id":1}`)
	if got.body != `{"jsonrpc":"2.0","result":"token","id":1}` {
		t.Fatalf("alone: %s", got.body)
	}
	var batch []string
	for i := range 5 {
		batch = append(batch, fmt.Sprintf(`{"jsonrpc":"2.0","method":"logIn","params":{"password":"p%d"},"id":%d}`, i, 10+i))
	}
	batch = append(batch, `{"jsonrpc":"2.0","method":"public","params":{"text":"abc"},"id":99}`)
	got = post(t, s, "["+strings.Join(batch, ",")+"]")
	if n := strings.Count(got.body, `"code":-32600,"message":"invalid request: logIn cannot be called in a batch`); n != 5 {
		t.Errorf("%d refusals in %s, want 5", n, got.body)
	}
	if !strings.Contains(got.body, `{"jsonrpc":"2.0","result":3,"id":99}`) {
		t.Errorf("the other member is not answered: %s", got.body)
	}
	if runs != 1 {
		t.Errorf("the method ran %d times, want once (alone)", runs)
	}
}

// TestGrownBuffersAreNotPooled: after a large request and a large answer,
// the pool holds no buffer grown past maxPooledBuffer.
func TestGrownBuffersAreNotPooled(t *testing.T) {
	s := NewServer(Options{})
	Handle(s, Method[textParams, string]{Name: "big", Auth: auth.Public},
		func(_ context.Context, p textParams) (string, error) { return strings.Repeat("y", 512<<10), nil })
	Handle(s, Method[textParams, int]{Name: "public", Auth: auth.Public, MaxBody: 1 << 20},
		func(_ context.Context, p textParams) (int, error) { return len(p.Text), nil })
	for _, body := range []string{sized("public", 512<<10), `{"jsonrpc":"2.0","method":"big","params":{"text":""},"id":1}`} {
		post(t, s, body)
		for range 4 {
			b := bufPool.Get().(*[]byte)
			if c := cap(*b); c > 64<<10 {
				t.Fatalf("the pool kept a buffer of %d KiB", c>>10)
			}
		}
	}
}

// serviceServer has a service-level bulk method taking 6 MiB, served to
// signed service calls, at most one large body at a time.
func serviceServer(t *testing.T, bulk func(context.Context, textParams) (int, error)) (*Server, auth.Signer) {
	t.Helper()
	signer := auth.Signer{KeyID: "k1", Secret: []byte("0123456789abcdef0123456789abcdef"), Service: "importer"}
	authn := &auth.Authenticator{Services: &auth.ServiceVerifier{Keys: map[string][]byte{"k1": signer.Secret}, Nonces: auth.NewMemoryNonces()}}
	s := NewServer(Options{Auth: authn, LargeBodies: 1, LargeBodyWait: time.Millisecond})
	Handle(s, Method[textParams, int]{Name: "bulk", Auth: auth.Service, MaxBody: 6 << 20}, bulk)
	return s, signer
}

func signed(signer auth.Signer, body string, forge bool) []string {
	r := httptest.NewRequest(http.MethodPost, "/rpc", nil)
	signer.Sign(r, []byte(body))
	h := []string{}
	for _, k := range []string{auth.HeaderService, auth.HeaderKeyID, auth.HeaderTimestamp, auth.HeaderNonce, auth.HeaderSignature} {
		v := r.Header.Get(k)
		if forge && k == auth.HeaderSignature {
			v = "forged" + v[6:]
		}
		h = append(h, k, v)
	}
	return h
}

// TestServiceCallsReadLargeBodiesOneGateAtATime: a signed call may send a
// body as large as a service method takes; headers naming an unknown key
// are refused once the body passes the public limit; a forged signature
// with a known key is read but refused; large bodies past the gate's
// slots are refused as overloaded.
func TestServiceCallsReadLargeBodiesOneGateAtATime(t *testing.T) {
	entered, release := make(chan struct{}, 1), make(chan struct{})
	s, signer := serviceServer(t, func(_ context.Context, p textParams) (int, error) {
		if strings.HasPrefix(p.Text, "hold") {
			entered <- struct{}{}
			<-release
		}
		return len(p.Text), nil
	})
	body := sized("bulk", 5<<20)
	if got := post(t, s, body, signed(signer, body, false)...); got.status != 200 || !strings.Contains(got.body, `"result":`) {
		t.Fatalf("a signed 5 MiB call: %d %.300s", got.status, got.body)
	}
	if got := post(t, s, body, signed(signer, body, true)...); !strings.Contains(got.body, `"reason":"signature_invalid"`) {
		t.Errorf("a forged signature: %d %.300s", got.status, got.body)
	}
	unknown := signed(auth.Signer{KeyID: "k9", Secret: signer.Secret, Service: "x"}, body, false)
	if got := post(t, s, body, unknown...); !strings.Contains(got.body, `"reason":"signature_invalid"`) {
		t.Errorf("an unknown key: %d %.300s", got.status, got.body)
	}

	held := `{"jsonrpc":"2.0","method":"bulk","id":1,"params":{"text":"hold` + strings.Repeat("x", 2<<20) + `"}}`
	done := make(chan exchange, 1)
	go func() { done <- post(t, s, held, signed(signer, held, false)...) }()
	<-entered
	if got := post(t, s, body, signed(signer, body, false)...); got.status != 503 || !strings.Contains(got.body, `"reason":"overloaded"`) {
		t.Errorf("a second large body while one is held: %d %.300s", got.status, got.body)
	}
	small := `{"jsonrpc":"2.0","method":"bulk","id":1,"params":{"text":"small"}}`
	if got := post(t, s, small, signed(signer, small, false)...); got.status != 200 {
		t.Errorf("a small body while a large one is held: %d %.300s", got.status, got.body)
	}
	close(release)
	if got := <-done; got.status != 200 {
		t.Errorf("the held call: %d %.300s", got.status, got.body)
	}
	if got := post(t, s, body, signed(signer, body, false)...); got.status != 200 {
		t.Errorf("a large body after the held one: %d %.300s", got.status, got.body)
	}
}

// TestClientSeesLimitsAsInvalid: a typed call over its method's limit, or
// of a NoBatch method in a batch, fails as invalid for the caller, with
// the server's reason.
func TestClientSeesLimitsAsInvalid(t *testing.T) {
	s := NewServer(Options{})
	tiny := Method[textParams, int]{Name: "tiny", Auth: auth.Public, MaxBody: 100}
	once := Method[textParams, int]{Name: "once", Auth: auth.Public, NoBatch: true}
	length := func(_ context.Context, p textParams) (int, error) { return len(p.Text), nil }
	Handle(s, tiny, length)
	Handle(s, once, length)
	ts := httptest.NewServer(s)
	defer ts.Close()
	c, err := NewClient(ClientOptions{Endpoints: []string{ts.URL}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tiny.Call(t.Context(), c, textParams{Text: strings.Repeat("x", 200)}); errs.KindOf(err) != errs.Invalid || !strings.Contains(err.Error(), "tiny's limit of 100 bytes") {
		t.Errorf("over the limit: %v", err)
	}
	var n1, n2 int
	calls := []*BatchCall{NewBatchCall(once, textParams{Text: "a"}, &n1), NewBatchCall(tiny, textParams{Text: "ab"}, &n2)}
	if err := c.Batch(t.Context(), calls...); err != nil {
		t.Fatal(err)
	}
	if errs.KindOf(calls[0].Err) != errs.Invalid || calls[1].Err != nil || n2 != 2 {
		t.Errorf("batch: %v, %v (%d)", calls[0].Err, calls[1].Err, n2)
	}
}

// TestSlowForgedBodyLosesItsLargeBodySlot: headers that only look like a
// service call's (a known key id, which is no secret, a well-formed
// nonce, the current time, any signature) reach the large-body gate: the
// signature covers the body, so it is checked only once the body is in.
// Such a call that sends its first MiB and a half and then nothing keeps
// its slot only for the time its body is allowed (Options.LargeBodyTime,
// plus its remaining bytes at LargeBodyRate): it is then answered 408 and
// its slot goes to a genuine bulk call that was waiting for it. Before,
// it kept the slot until the server's read timeout (60 s in the runner),
// and LargeBodies of them refused every genuine bulk call as overloaded.
// Over HTTP/1.1 and HTTP/2 (h2c, as the runner serves).
func TestSlowForgedBodyLosesItsLargeBodySlot(t *testing.T) {
	for _, h2 := range []bool{false, true} {
		t.Run(map[bool]string{false: "HTTP/1.1", true: "h2c"}[h2], func(t *testing.T) {
			reg := prometheus.NewRegistry()
			signer := auth.Signer{KeyID: "k1", Secret: []byte("0123456789abcdef0123456789abcdef"), Service: "importer"}
			authn := &auth.Authenticator{Services: &auth.ServiceVerifier{Keys: map[string][]byte{"k1": signer.Secret}, Nonces: auth.NewMemoryNonces()}}
			const allowance = 500 * time.Millisecond
			s := NewServer(Options{Auth: authn, Registerer: reg, LargeBodies: 1, LargeBodyWait: 5 * time.Second,
				LargeBodyTime: allowance, LargeBodyRate: 1 << 30})
			Handle(s, Method[textParams, int]{Name: "bulk", Auth: auth.Service, MaxBody: 6 << 20},
				func(_ context.Context, p textParams) (int, error) { return len(p.Text), nil })
			ts := httptest.NewUnstartedServer(s)
			ts.Config.Protocols = new(http.Protocols)
			ts.Config.Protocols.SetHTTP1(true)
			ts.Config.Protocols.SetUnencryptedHTTP2(true)
			ts.Start()
			defer ts.Close()
			hc := &http.Client{Transport: &http.Transport{}}
			if h2 {
				tr := &http.Transport{Protocols: new(http.Protocols)}
				tr.Protocols.SetUnencryptedHTTP2(true)
				hc.Transport = tr
			}
			defer hc.CloseIdleConnections()

			// The attacker: a forged signature, a MiB and a half at once,
			// then nothing more (a byte now and then would do).
			pr, pw := io.Pipe()
			defer pw.Close()
			req, err := http.NewRequest(http.MethodPost, ts.URL, pr)
			if err != nil {
				t.Fatal(err)
			}
			h := signed(signer, "whatever", true)
			for i := 0; i+1 < len(h); i += 2 {
				req.Header.Set(h[i], h[i+1])
			}
			answered := make(chan exchange, 1)
			go func() {
				resp, err := hc.Do(req)
				if err != nil {
					answered <- exchange{body: err.Error()}
					return
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				answered <- exchange{status: resp.StatusCode, body: string(b)}
			}()
			go func() { _, _ = io.Copy(pw, io.LimitReader(bigCall("bulk", 6<<20), 3<<19)) }()
			busy := func() bool {
				n, _ := gaugeValue(reg, "gate_busy")
				return n == 1
			}
			testkit.Eventually(t, "the forged call holding the large-body slot", busy)

			// A genuine signed bulk call waits for the slot, and gets it
			// once the forged call's time is up.
			start := time.Now()
			body := sized("bulk", 2<<20)
			if got := post(t, s, body, signed(signer, body, false)...); got.status != 200 || !strings.Contains(got.body, `"result":`) {
				t.Errorf("a genuine signed bulk call while a forged one trickles its body: %d %.200s", got.status, got.body)
			}
			if waited := time.Since(start); waited > allowance+2*time.Second {
				t.Errorf("the genuine call waited %v for the slot; the forged body had %v", waited, allowance)
			}
			select {
			case got := <-answered:
				if got.status != http.StatusRequestTimeout || !strings.Contains(got.body, `"code":-32600`) {
					t.Errorf("the forged, slow call: %d %.300s; want 408 with a JSON-RPC error", got.status, got.body)
				}
			case <-time.After(5 * time.Second):
				t.Error("the forged, slow call was not answered")
			}
			if n, _ := gaugeValue(reg, "gate_busy"); n != 0 {
				t.Errorf("gate_busy %v after both calls", n)
			}
		})
	}
}

// headersOf is r's values of names, as post takes them.
func headersOf(r *http.Request, names ...string) []string {
	var h []string
	for _, k := range names {
		if v := r.Header.Get(k); v != "" {
			h = append(h, k, v)
		}
	}
	return h
}

// TestFailedCredentialsTakeNoLargeBodySlot: a call whose credentials
// already fail on its headers (a forged or expired user token, alone or
// as the user a service call acts for; a service call naming an unknown
// key, signed outside the time window, or a session call repeating a
// sequence number) never enters the large-body gate: once its body goes
// past what a call without credentials may send without a slot (64 KiB,
// or MaxBodyBytes where a public method takes more), it is refused with
// its credentials' error. Genuine calls enter the gate, and so do calls
// without credentials when a public method takes large bodies. The
// gate's admissions are counted by its wait histogram.
func TestFailedCredentialsTakeNoLargeBodySlot(t *testing.T) {
	for _, level := range []auth.Level{auth.User, auth.Public} {
		t.Run("large bodies for "+level.String()+" methods", func(t *testing.T) {
			testFailedCredentials(t, level)
		})
	}
}

// testFailedCredentials is TestFailedCredentialsTakeNoLargeBodySlot on a
// server whose method "upload", of level, takes large bodies.
func testFailedCredentials(t *testing.T, level auth.Level) {
	reg := prometheus.NewRegistry()
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	valid, err := auth.NewIssuer("t1", priv).Issue(auth.Claims{User: "u1", Role: auth.RoleOrganizer}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	old := jwt.NewWithClaims(jwt.SigningMethodEdDSA, jwt.MapClaims{"iss": auth.TokenIssuer, "sub": "u1",
		"role": auth.RoleOrganizer, "iat": now.Add(-2 * time.Hour).Unix(), "exp": now.Add(-time.Hour).Unix()})
	old.Header["kid"] = "t1"
	expired, err := old.SignedString(priv)
	if err != nil {
		t.Fatal(err)
	}
	signer := auth.Signer{KeyID: "k1", Secret: []byte("0123456789abcdef0123456789abcdef"), Service: "importer"}
	authn := &auth.Authenticator{Tokens: auth.NewVerifier(map[string]ed25519.PublicKey{"t1": pub}),
		Services: &auth.ServiceVerifier{Keys: map[string][]byte{"k1": signer.Secret}, Nonces: auth.NewMemoryNonces(), Sessions: auth.NewSessions()}}
	s := NewServer(Options{Auth: authn, Registerer: reg})
	length := func(_ context.Context, p textParams) (int, error) { return len(p.Text), nil }
	Handle(s, Method[textParams, int]{Name: "upload", Auth: level, MaxBody: 6 << 20}, length)
	Handle(s, Method[textParams, int]{Name: "bulk", Auth: auth.Service, MaxBody: 6 << 20}, length)

	upload, bulk := sized("upload", 2<<20), sized("bulk", 2<<20)
	serviceHeaders := []string{auth.HeaderService, auth.HeaderKeyID, auth.HeaderTimestamp, auth.HeaderNonce,
		auth.HeaderSignature, auth.HeaderSession, "Authorization"}
	// sign returns the headers of a call of body signed by sg, acting for
	// token when it is not empty, changed by change.
	sign := func(sg auth.Signer, body, token string, change func(http.Header)) []string {
		r := httptest.NewRequest(http.MethodPost, "/rpc", nil)
		if token != "" {
			auth.SetBearerToken(r, token)
		}
		sg.Sign(r, []byte(body))
		if change != nil {
			change(r.Header)
		}
		return headersOf(r, serviceHeaders...)
	}
	// A session, and a call of it already accepted.
	small := `{"jsonrpc":"2.0","method":"bulk","id":1,"params":{"text":"small"}}`
	opened := post(t, s, small, sign(signer, small, "", func(h http.Header) { h.Set(auth.HeaderSession, auth.SessionOpen) })...)
	session := signer.Session(opened.header.Get(auth.HeaderSession))
	sessionCall := func(body string) []string {
		r := httptest.NewRequest(http.MethodPost, "/rpc", nil)
		session.Sign(r, []byte(body))
		return headersOf(r, serviceHeaders...)
	}
	used := sessionCall(small)
	if got := post(t, s, small, used...); got.status != 200 {
		t.Fatalf("a session call: %d %.300s", got.status, got.body)
	}

	// answer is an exchange's status and parts of its body.
	type answer struct {
		status     int
		part, more string
	}
	admitted := answer{200, `"result":`, `"id":1`}
	// refused is the answer to a call refused from its headers, before
	// its request was read (so its id is not known).
	refused := func(reason string) answer { return answer{200, `"reason":"` + reason + `"`, `"id":null`} }
	anonymous := answer{413, "exceeds 65536 bytes", `"id":null`}
	if level == auth.Public {
		anonymous = admitted
	}
	tests := []struct {
		name   string
		body   string
		header []string
		want   answer
	}{
		{"no credentials", upload, nil, anonymous},
		{"a user token", upload, []string{"Authorization", "Bearer " + valid}, admitted},
		{"a forged user token", upload, []string{"Authorization", "Bearer " + authtest.Forge(valid)}, refused("token_invalid")},
		{"an expired user token", upload, []string{"Authorization", "Bearer " + expired}, refused("token_expired")},
		{"a signed call", bulk, sign(signer, bulk, "", nil), admitted},
		{"a signed call acting for a user", bulk, sign(signer, bulk, valid, nil), admitted},
		{"a signed call with an unknown key id", bulk, sign(auth.Signer{KeyID: "k9", Secret: signer.Secret, Service: "importer"}, bulk, "", nil),
			refused("signature_invalid")},
		{"a signed call out of the time window", bulk, sign(signer, bulk, "", func(h http.Header) {
			h.Set(auth.HeaderTimestamp, strconv.FormatInt(now.Add(-time.Hour).Unix(), 10))
		}), refused("signature_expired")},
		{"a signed call acting for a forged user token", bulk, sign(signer, bulk, authtest.Forge(valid), nil), refused("token_invalid")},
		{"a signed call acting for an expired user token", bulk, sign(signer, bulk, expired, nil), refused("token_expired")},
		{"a session call", bulk, sessionCall(bulk), admitted},
		{"a session call with a used sequence number", bulk, used, refused("nonce_replayed")},
		{"a session call of a session this replica does not have", bulk, func() []string {
			r := httptest.NewRequest(http.MethodPost, "/rpc", nil)
			signer.Session("0123456789abcdef").Sign(r, []byte(bulk))
			return headersOf(r, serviceHeaders...)
		}(), refused("signature_stale")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := admissions(reg)
			got := post(t, s, tt.body, tt.header...)
			n, want := admissions(reg)-before, uint64(0)
			if tt.want == admitted {
				want = 1
			}
			if got.status != tt.want.status || !strings.Contains(got.body, tt.want.part) || !strings.Contains(got.body, tt.want.more) || n != want {
				t.Errorf("got %d %.300s, %d admissions to the large-body gate; want %d with %s and %s, %d admissions",
					got.status, got.body, n, tt.want.status, tt.want.part, tt.want.more, want)
			}
		})
	}
}

// admissions is how many exchanges the large-body gate of reg admitted.
func admissions(reg *prometheus.Registry) uint64 {
	mfs, err := reg.Gather()
	if err != nil {
		return 0
	}
	for _, mf := range mfs {
		if mf.GetName() != "gate_wait_seconds" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "gate" && l.GetValue() == "large_body" {
					return m.GetHistogram().GetSampleCount()
				}
			}
		}
	}
	return 0
}

// TestLargeBodyTime: the time a body admitted to the large-body gate has
// for the rest of it goes by what it declares, never past what its caller
// may send.
func TestLargeBodyTime(t *testing.T) {
	s := NewServer(Options{})
	for _, tc := range []struct {
		declared, most int64
		want           time.Duration
	}{
		{2 << 20, 15 << 20, 12 * time.Second},
		{-1, 15 << 20, 25 * time.Second},
		{100 << 20, 15 << 20, 25 * time.Second},
		{0, 15 << 20, 10 * time.Second},
		{1 << 19, 15 << 20, 10*time.Second + 500*time.Millisecond},
		{-1, 1 << 62, 10*time.Second + 24*time.Hour},
	} {
		if got := s.largeBodyTime(tc.declared, tc.most); got != tc.want {
			t.Errorf("largeBodyTime(%d, %d) = %v, want %v", tc.declared, tc.most, got, tc.want)
		}
	}
}

// gaugeValue is the value of the gauge name in reg (the first series).
func gaugeValue(reg *prometheus.Registry, name string) (float64, bool) {
	mfs, err := reg.Gather()
	if err != nil {
		return 0, false
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) > 0 {
			return mf.GetMetric()[0].GetGauge().GetValue(), true
		}
	}
	return 0, false
}

// TestSignedBodyIsReadAsSigned: the signature covers the bytes the
// server parses: a gzip-encoded body is not inflated behind the
// signature's back (it is a parse error, the method does not run), and
// a body that is changed after signing is refused.
func TestSignedBodyIsReadAsSigned(t *testing.T) {
	runs := 0
	s, signer := serviceServer(t, func(_ context.Context, p textParams) (int, error) { runs++; return len(p.Text), nil })
	plain := `{"jsonrpc":"2.0","method":"bulk","id":1,"params":{"text":"abc"}}`
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	_, _ = zw.Write([]byte(plain))
	_ = zw.Close()
	gz := z.String()
	got := post(t, s, gz, append(signed(signer, gz, false), "Content-Encoding", "gzip")...)
	if !strings.Contains(got.body, `"code":-32700`) || runs != 0 {
		t.Errorf("a gzip body: %s (ran %d times)", got.body, runs)
	}
	got = post(t, s, plain, append(signed(signer, gz, false), "Content-Encoding", "gzip")...)
	if !strings.Contains(got.body, `"reason":"signature_invalid"`) || runs != 0 {
		t.Errorf("the gzip body's signature on the plain body: %s (ran %d times)", got.body, runs)
	}
	h := signed(signer, plain, false)
	got = post(t, s, plain+" ", h...)
	if !strings.Contains(got.body, `"reason":"signature_invalid"`) || runs != 0 {
		t.Errorf("a body with a byte added after signing: %s", got.body)
	}
	got = post(t, s, plain, h...)
	if !strings.Contains(got.body, `"result":3`) || runs != 1 {
		t.Errorf("the call as signed: %s", got.body)
	}
	got = post(t, s, plain, h...)
	if !strings.Contains(got.body, `"reason":"nonce_replayed"`) || runs != 1 {
		t.Errorf("the call sent again: %s", got.body)
	}
}
