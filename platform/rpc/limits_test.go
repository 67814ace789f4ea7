package rpc

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
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

// limitServer has methods of each kind of body limit, and an authenticator
// that knows user tokens.
func limitServer(t *testing.T) (*Server, string) {
	t.Helper()
	cfg, err := auth.LoadConfig()
	if err != nil {
		t.Fatal(err)
	}
	issuer, err := cfg.Issuer()
	if err != nil {
		t.Fatal(err)
	}
	token, err := issuer.Issue(auth.Claims{User: "u1", Role: auth.RoleOrganizer}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	s := NewServer(Options{Auth: &auth.Authenticator{Tokens: cfg.Verifier()}})
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
// as the caller's verified credentials allow.
func TestBodyLimitsByMethodAndCaller(t *testing.T) {
	s, token := limitServer(t)
	bearer := []string{"Authorization", "Bearer " + token}
	forged := []string{"Authorization", "Bearer " + token[:len(token)-4] + "AAAA"}
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
		{"user method, 900 KiB with a forged token", sized("user", 900<<10), forged, 413, "65536 bytes"},
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
// get the public limit; a forged signature with a known key is read but
// refused; large bodies past the gate's slots are refused as overloaded.
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
	if got := post(t, s, body, unknown...); got.status != 413 || !strings.Contains(got.body, "65536 bytes") {
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
