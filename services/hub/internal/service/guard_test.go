package service_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"

	"github.com/attendify/hub"
	"github.com/attendify/hub/internal/service"
	"github.com/attendify/hub/internal/store/postgres"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/testkit"
)

// from is ctx with an anonymous caller at addr.
func from(ctx context.Context, addr string) context.Context {
	return auth.WithCaller(ctx, auth.Caller{Addr: addr})
}

// TestGuessWaitsGrow checks the waits wrong event codes impose on one
// member: none for the free ones, then doubling with each wrong guess, and
// gone after a right one.
func TestGuessWaitsGrow(t *testing.T) {
	s := newSignIn(t)
	ctx := testkit.Context(t)
	err := postgres.New(s.pool).InTx(ctx, func(q service.Queries) error {
		now := s.clock.Now()
		if err := q.CreateEvent(ctx, service.Event{ID: "ev", AppID: s.app, Name: "E", TimeZone: "UTC", Start: now, End: now.Add(time.Hour),
			Visibility: hub.VisibilityPublic, Access: hub.EventAccessCode, Code: "SECRET"}); err != nil {
			return err
		}
		_, err := q.CreateMember(ctx, service.Member{ID: "m", AppID: s.app, Email: "m@x.io", Name: "M", Role: hub.MemberAttendee})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	mctx := auth.WithCaller(ctx, auth.Caller{Kind: auth.CallerUser, User: "m", App: s.app, Role: auth.RoleAttendee, Addr: "198.51.100.7"})
	register := func(code string) error {
		_, err := s.svc.Register(mctx, s.app, "ev", code)
		return err
	}
	free := service.GuessByActor.Free
	for i := 1; i <= free; i++ {
		if err := register(fmt.Sprint("GUESS", i)); errs.KindOf(err) != errs.Invalid {
			t.Fatalf("free wrong code %d: %v, want invalid", i, err)
		}
	}
	want := service.GuessByActor.Base
	for i := free + 1; i <= free+8; i++ {
		if err := register(fmt.Sprint("GUESS", i)); errs.KindOf(err) != errs.Invalid {
			t.Fatalf("wrong code %d: %v, want invalid", i, err)
		}
		// Any code now waits, the right one too.
		e, ok := errs.As(register("SECRET"))
		if !ok || e.Code != errs.CodeRateLimited || e.RetryAfter != want {
			t.Fatalf("after wrong code %d: %v, want rate_limited with retry after %v", i, e, want)
		}
		s.clock.Add(e.RetryAfter)
		want *= 2
	}
	// After the wait the right code works, and the count starts again.
	if err := register("SECRET"); err != nil {
		t.Fatalf("right code after the wait: %v", err)
	}
	if err := register("WRONG"); errs.KindOf(err) != errs.Invalid {
		t.Fatalf("wrong code after a right one: %v", err)
	}
	if err := register("SECRET"); err != nil {
		t.Errorf("a wrong code after a right one is free again: %v", err)
	}
}

// TestCodeQuotas checks the limits of auth.requestCode: per client
// address, and for every client together, each for its window.
func TestCodeQuotas(t *testing.T) {
	s := newSignIn(t, func(o *service.Options) {
		o.Limits = service.Limits{CodesPerAddrMinute: 2, CodesPerAddrHour: 3, CodesPerMinute: 5}
	})
	// The quotas count in clock-aligned windows, and the test moves two
	// minutes on within one hour: start at the top of an hour (the clock
	// starts at the real time, and a run in an hour's last two minutes
	// crossed into the next hour's window).
	now := s.clock.Now()
	s.clock.Add(now.Truncate(time.Hour).Add(time.Hour + time.Second).Sub(now))
	ctx := testkit.Context(t)
	n := 0
	request := func(addr string) error {
		n++
		_, err := s.svc.RequestCode(from(ctx, addr), s.app, fmt.Sprintf("q%d@x.io", n), "")
		return err
	}
	limited := func(what string, err error) {
		t.Helper()
		if e, ok := errs.As(err); !ok || e.Code != errs.CodeRateLimited || e.RetryAfter <= 0 || e.RetryAfter > time.Hour {
			t.Errorf("%s: %v, want rate_limited with retry_after", what, err)
		}
	}
	for i := range 2 {
		if err := request("192.0.2.1"); err != nil {
			t.Fatalf("request %d from one address: %v", i, err)
		}
	}
	limited("third request from one address in a minute", request("192.0.2.1"))
	// An IPv6 client is counted by its /64.
	for i := range 2 {
		if err := request(fmt.Sprintf("2001:db8:1:2::%d", i+1)); err != nil {
			t.Fatalf("request %d from one /64: %v", i, err)
		}
	}
	limited("third request from one /64 in a minute", request("2001:db8:1:2::99"))
	// Everyone together: 4 taken, the 5th passes, the 6th waits.
	if err := request("192.0.2.50"); err != nil {
		t.Fatal(err)
	}
	limited("sixth request of all clients in a minute", request("192.0.2.51"))
	// The next minute: the first address gets its hour's third and last.
	s.clock.Add(time.Minute)
	if err := request("192.0.2.1"); err != nil {
		t.Errorf("first address, next minute: %v", err)
	}
	s.clock.Add(time.Minute)
	limited("fourth request from one address in an hour", request("192.0.2.1"))
	// Nothing was mailed for the refused requests.
	for i := 1; i <= n; i++ {
		ms := s.mails(t, fmt.Sprintf("q%d@x.io", i))
		if len(ms) > 1 {
			t.Errorf("q%d got %d mails", i, len(ms))
		}
	}
}

// downThrottle is a throttle whose Redis cannot be reached.
type downThrottle struct{}

var errDown = errs.New(errs.Unavailable, "redis unavailable")

func (downThrottle) Wait(context.Context, time.Time, []service.GuessKey) (time.Duration, error) {
	return 0, errDown
}
func (downThrottle) Fail(context.Context, time.Time, []service.GuessKey) (time.Duration, error) {
	return 0, errDown
}
func (downThrottle) Succeed(context.Context, []service.GuessKey) error { return errDown }
func (downThrottle) Take(context.Context, time.Time, []service.Quota) (time.Duration, error) {
	return 0, errDown
}
func (downThrottle) LockedOut(context.Context, time.Time, string) (time.Duration, error) {
	return 0, errDown
}
func (downThrottle) FailLockOut(context.Context, time.Time, service.LockOut) (time.Duration, bool, error) {
	return 0, false, errDown
}

// TestGuardedMethodsWithoutThrottle checks that the methods the throttle
// guards refuse to run unthrottled when its counters cannot be read:
// unavailable (retryable), nothing mailed.
func TestGuardedMethodsWithoutThrottle(t *testing.T) {
	s := newSignIn(t, func(o *service.Options) { o.Throttle = downThrottle{} })
	ctx := from(testkit.Context(t), "192.0.2.1")
	_, err := s.svc.RequestCode(ctx, s.app, "a@x.io", "")
	if !errors.Is(err, errs.Unavailable) {
		t.Errorf("requestCode: %v, want unavailable", err)
	}
	if ms := s.mails(t, "a@x.io"); len(ms) != 0 {
		t.Errorf("mailed %d codes", len(ms))
	}
	if _, _, err := s.svc.VerifyCode(ctx, s.app, "a@x.io", "123456"); !errors.Is(err, errs.Unavailable) {
		t.Errorf("verifyCode: %v, want unavailable", err)
	}
	if _, _, err := s.svc.LogIn(ctx, "o@x.io", "a password"); !errors.Is(err, errs.Unavailable) {
		t.Errorf("logIn: %v, want unavailable", err)
	}
	if _, err := s.svc.SignUp(ctx, "o@x.io", ""); !errors.Is(err, errs.Unavailable) {
		t.Errorf("signUp: %v, want unavailable", err)
	}
	if ms := s.mails(t, "o@x.io"); len(ms) != 0 {
		t.Errorf("mailed %d sign-up tokens", len(ms))
	}
	if _, _, _, err := s.svc.ConfirmSignUp(ctx, "AAAAAAAAAAAAAAAAAAAAAAAAAA", "a long password", "O"); !errors.Is(err, errs.Unavailable) {
		t.Errorf("confirmSignUp: %v, want unavailable", err)
	}
	octx := auth.WithCaller(ctx, auth.Caller{Kind: auth.CallerUser, User: "o", Role: auth.RoleOrganizer, Addr: "192.0.2.1"})
	if _, err := s.svc.Accept(octx, "AAAAAAAAAAAAAAAAAAAAAAAAAA"); !errors.Is(err, errs.Unavailable) {
		t.Errorf("accept: %v, want unavailable", err)
	}
}

// TestLogInLockOutOfUnknownEmails checks that an email without an account
// is locked out as an account is, on the service's clock: the same
// answers (code, message, wait) at every wrong password, the lock for
// LockOutFor at the MaxFailedLogins-th, the count started again at the
// lock (MaxFailedLogins more once it is over), and tries made at once
// counted one at a time (one of them locks).
func TestLogInLockOutOfUnknownEmails(t *testing.T) {
	s := newSignIn(t, func(o *service.Options) { o.PasswordParams = cheapHashes })
	ctx := testkit.Context(t)
	hash, err := argon2id.CreateHash("right password", cheapHashes)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := postgres.New(s.pool).CreateOrganizer(ctx, service.Organizer{ID: "o1", Email: "known@x.io", Name: "Known", PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
	// Each email from its own address: the address counters do not add up.
	logIn := func(email, addr, pw string) string {
		_, _, err := s.svc.LogIn(from(ctx, addr), email, pw)
		if err == nil {
			return "ok"
		}
		e, _ := errs.As(err)
		return fmt.Sprintf("%s: %s (wait %v)", e.Code.Name(), e.Msg, e.RetryAfter)
	}
	step := func(what, pw string, want errs.Code) {
		t.Helper()
		k, u := logIn("known@x.io", "192.0.2.1", pw), logIn("unknown@x.io", "192.0.2.2", "wrong password")
		if k != u {
			t.Errorf("%s: the account answers %q, the unknown email %q", what, k, u)
		}
		if !strings.HasPrefix(k, want.Name()+":") {
			t.Errorf("%s: %q, want %s", what, k, want.Name())
		}
	}
	for round := range 2 {
		for i := 1; i < service.MaxFailedLogins; i++ {
			step(fmt.Sprintf("round %d, wrong password %d", round, i), "wrong password", errs.CodeUnauthenticated)
		}
		step(fmt.Sprintf("round %d, the locking one", round), "wrong password", errs.CodeRateLimited)
		s.clock.Add(service.LockOutFor - time.Minute)
		step(fmt.Sprintf("round %d, a minute before the end of the lock", round), "right password", errs.CodeRateLimited)
		s.clock.Add(time.Minute) // the lock is over; the count started again at it
	}
	if got := logIn("known@x.io", "192.0.2.1", "right password"); got != "ok" {
		t.Errorf("the right password after the lock: %s", got)
	}

	// Wrong passwords to an unknown email at once: one locks it.
	calls := make([]func() error, service.MaxFailedLogins)
	for i := range calls {
		calls[i] = func() error {
			_, _, err := s.svc.LogIn(from(ctx, "192.0.2.3"), "raced@x.io", "wrong password")
			return err
		}
	}
	got := race(calls...)
	if count(got, errs.CodeRateLimited) != 1 || count(got, errs.CodeUnauthenticated) != len(calls)-1 {
		t.Errorf("outcomes %v: want the last wrong password to lock the email", got)
	}
}
