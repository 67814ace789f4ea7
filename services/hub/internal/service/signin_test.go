package service_test

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/attendify/hub"
	"github.com/attendify/hub/internal/readmodel"
	"github.com/attendify/hub/internal/service"
	"github.com/attendify/hub/internal/store/postgres"
	"github.com/attendify/hub/internal/throttle"
	"github.com/attendify/hub/migrations"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/testkit"
)

// clock is a time the test moves by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// signIn is a service on its own database and Redis namespace, running on
// a clock the test moves, with one open, published app.
type signIn struct {
	svc   *service.Service
	pool  *pgxpool.Pool
	clock *clock
	app   string
}

func newSignIn(t *testing.T, options ...func(*service.Options)) *signIn {
	t.Helper()
	ctx := testkit.Context(t)
	pool := testkit.Postgres(t, migrations.Schema, migrations.All...)
	rdb, ns := testkit.Redis(t)
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	store := postgres.New(pool)
	s := &signIn{pool: pool, clock: &clock{t: time.Now().Truncate(time.Second)}, app: "app"}
	o := service.Options{
		Store: store, ReadModel: readmodel.NewWriter(rdb, ns), Issuer: auth.NewIssuer("test", key), Now: s.clock.Now,
		Throttle: throttle.New(rdb, ns),
	}
	for _, f := range options {
		f(&o)
	}
	s.svc = service.New(o)
	err = store.InTx(ctx, func(q service.Queries) error {
		_, err := q.CreateApp(ctx, service.App{ID: s.app, Slug: s.app, Name: "Sign-in", Status: hub.StatusPublished, Access: hub.AccessOpen})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// mails returns the mail.requested events in the outbox addressed to email,
// oldest first.
func (s *signIn) mails(t *testing.T, email string) []hub.MailPayload {
	t.Helper()
	ctx := testkit.Context(t)
	const q = `SELECT app, subject, data FROM outbox WHERE type = $1 ORDER BY occurred_at, id`
	rows, err := s.pool.Query(ctx, q, hub.EventMailRequested)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []hub.MailPayload
	for rows.Next() {
		var app, subject string
		var data []byte
		if err := rows.Scan(&app, &subject, &data); err != nil {
			t.Fatal(err)
		}
		var p hub.MailPayload
		if err := json.Unmarshal(data, &p); err != nil {
			t.Fatal(err)
		}
		if p.To != email {
			continue
		}
		if app != s.app || subject != email {
			t.Errorf("mail.requested to %s has app %q, subject %q", email, app, subject)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// request asks for a code for email and returns the code as mailed.
func (s *signIn) request(t *testing.T, email string) string {
	t.Helper()
	if _, err := s.svc.RequestCode(testkit.Context(t), s.app, email, ""); err != nil {
		t.Fatalf("request a code for %s: %v", email, err)
	}
	ms := s.mails(t, email)
	if len(ms) == 0 {
		t.Fatalf("no mail.requested for %s", email)
	}
	return ms[len(ms)-1].Data["code"]
}

// verify exchanges a code and returns the error code of a refusal (0 when
// it signed in).
func (s *signIn) verify(t *testing.T, email, code string) errs.Code {
	t.Helper()
	_, _, err := s.svc.VerifyCode(testkit.Context(t), s.app, email, code)
	return refusal(err)
}

// refusal is the error code of err, 0 for nil.
func refusal(err error) errs.Code {
	if err == nil {
		return 0
	}
	return errs.CodeOf(err)
}

// wrongCode is a code that is not code.
func wrongCode(code string) string {
	if code == "000000" {
		return "000001"
	}
	return "000000"
}

func TestCodeIsMailed(t *testing.T) {
	s := newSignIn(t)
	ctx := testkit.Context(t)
	expires, err := s.svc.RequestCode(ctx, s.app, " Ann@Example.com ", "")
	if err != nil {
		t.Fatal(err)
	}
	if want := s.clock.Now().Add(service.CodeTTL); !expires.Equal(want) {
		t.Errorf("expires at %v, want %v", expires, want)
	}
	ms := s.mails(t, "ann@example.com")
	want := []hub.MailPayload{{To: "ann@example.com", Template: "sign_in_code", AppID: s.app, Data: map[string]string{
		"app_name": "Sign-in", "expires_at": expires.UTC().Format(time.RFC3339)}}}
	ignoreCode := cmpopts.IgnoreMapEntries(func(k, _ string) bool { return k == "code" })
	if diff := cmp.Diff(want, ms, ignoreCode); diff != "" {
		t.Fatalf("mail.requested events (-want +got):\n%s", diff)
	}
	code := ms[0].Data["code"]
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		t.Errorf("code %q is not six digits", code)
	}
	m, tok, err := s.svc.VerifyCode(ctx, s.app, "ann@example.com", code)
	if err != nil {
		t.Fatalf("the mailed code does not sign in: %v", err)
	}
	if m.Email != "ann@example.com" || tok.Token == "" {
		t.Errorf("signed in as %+v with token %q", m, tok.Token)
	}
	if got := s.verify(t, "ann@example.com", code); got != errs.CodeUnauthenticated {
		t.Errorf("the code a second time: %v, want %v", got, errs.CodeUnauthenticated)
	}
}

func TestCodeExpires(t *testing.T) {
	s := newSignIn(t)
	early := s.request(t, "early@x.io")
	late := s.request(t, "late@x.io")
	s.clock.Add(service.CodeTTL - time.Second)
	if got := s.verify(t, "early@x.io", early); got != 0 {
		t.Errorf("a code a second before it expires: %v", got)
	}
	s.clock.Add(2 * time.Second)
	if got := s.verify(t, "late@x.io", late); got != errs.CodeUnauthenticated {
		t.Errorf("a code a second after it expired: %v, want %v", got, errs.CodeUnauthenticated)
	}
}

func TestCodesPerHour(t *testing.T) {
	s := newSignIn(t)
	ctx := testkit.Context(t)
	start := s.clock.Now()
	for range service.CodesPerHour {
		s.request(t, "busy@x.io")
		s.clock.Add(service.CodeInterval + time.Second)
	}
	_, err := s.svc.RequestCode(ctx, s.app, "busy@x.io", "")
	if e, ok := errs.As(err); !ok || e.Code != errs.CodeRateLimited || e.RetryAfter <= 0 {
		t.Errorf("code %d within the hour: %v", service.CodesPerHour+1, err)
	}
	if n := len(s.mails(t, "busy@x.io")); n != service.CodesPerHour {
		t.Errorf("%d codes mailed, want %d", n, service.CodesPerHour)
	}
	// Another email is not held back.
	s.request(t, "calm@x.io")
	// An hour after the first code, the next may go.
	s.clock.Add(start.Add(time.Hour + time.Second).Sub(s.clock.Now()))
	s.request(t, "busy@x.io")
}

// TestParallelCodeRequests sends many requests for one email at once: one
// code goes out, the others are rate limited.
func TestParallelCodeRequests(t *testing.T) {
	s := newSignIn(t)
	ctx := testkit.Context(t)
	// Open the pool's connections first, so that the requests run side by
	// side instead of queueing behind connection setup.
	conns := make([]*pgxpool.Conn, s.pool.Config().MaxConns)
	for i := range conns {
		c, err := s.pool.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns[i] = c
	}
	for _, c := range conns {
		c.Release()
	}
	const n = 12
	for round := range 4 {
		email := fmt.Sprintf("rush%d@x.io", round)
		got := make([]errs.Code, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				_, err := s.svc.RequestCode(ctx, s.app, email, "")
				got[i] = refusal(err)
			})
		}
		close(start)
		wg.Wait()
		sent := 0
		for _, c := range got {
			switch c {
			case 0:
				sent++
			case errs.CodeRateLimited:
			default:
				t.Errorf("a parallel request: %v", c)
			}
		}
		if m := len(s.mails(t, email)); sent != 1 || m != 1 {
			t.Errorf("%d of %d parallel requests sent a code (%d mails), want 1", sent, n, m)
		}
	}
}

// TestGuessesAcrossCodes burns the newest code: an older one, still
// within its TTL, gives no new guesses.
func TestGuessesAcrossCodes(t *testing.T) {
	s := newSignIn(t)
	older := s.request(t, "guess@x.io")
	s.clock.Add(service.CodeInterval + time.Second)
	newer := s.request(t, "guess@x.io")
	for range service.MaxCodeAttempts {
		if got := s.verify(t, "guess@x.io", wrongCode(newer)); got != errs.CodeUnauthenticated {
			t.Fatalf("a wrong code: %v", got)
		}
	}
	if got := s.verify(t, "guess@x.io", newer); got != errs.CodeUnauthenticated {
		t.Errorf("the burnt code: %v, want %v", got, errs.CodeUnauthenticated)
	}
	if older != newer { // one in a million they are the same
		if got := s.verify(t, "guess@x.io", older); got != errs.CodeUnauthenticated {
			t.Errorf("the older code after the newer was burnt: %v, want %v", got, errs.CodeUnauthenticated)
		}
	}
	// A new code works.
	s.clock.Add(service.CodeInterval + time.Second)
	if got := s.verify(t, "guess@x.io", s.request(t, "guess@x.io")); got != 0 {
		t.Errorf("a new code after the burnt one: %v", got)
	}
}
