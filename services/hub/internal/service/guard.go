package service

import (
	"context"
	"time"

	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
)

// Kinds of guessed secrets, as the audit log names them.
const (
	GuessEventCode  = "event_code"   // event.register with a code
	GuessPasscode   = "passcode"     // auth.requestCode of a passcode app
	GuessSignInCode = "sign_in_code" // auth.verifyCode
	GuessPassword   = "password"     // auth.logIn
	// GuessSignUpToken is auth.confirmSignUp's token.
	GuessSignUpToken = "sign_up_token"
	// GuessInvitation is an invitation's token (collaborator.accept,
	// auth.signUp).
	GuessInvitation = "invitation_token"
)

// How wrong guesses slow the guesser down, per counter. Each counter lets
// Free wrong guesses pass, then makes the next guess wait Base, doubling
// with each further wrong guess up to Max; it is forgotten Forget after
// its last wrong guess. A right guess resets the guesser's and the
// target's counters, not the address's: one success does not vouch for
// everyone behind an address, and a member who knows one event's code
// could otherwise clear it between guesses of another's.
var (
	// GuessByActor counts the wrong guesses of one member (or of one
	// email, where nobody is signed in yet).
	GuessByActor = GuessKey{Free: 3, Base: time.Second, Max: 15 * time.Minute, Forget: 24 * time.Hour}
	// GuessByAddr counts those from one client address (an IPv6 address by
	// its /64); whole venues share an address, hence the short Max.
	GuessByAddr = GuessKey{Free: 20, Base: time.Second, Max: time.Minute, Forget: time.Hour}
	// GuessByTarget counts those of one secret (an event's code, an app's
	// passcode) from everyone; short Max, so that guessers cannot keep the
	// members who know it out for long.
	GuessByTarget = GuessKey{Free: 10, Base: time.Second, Max: time.Minute, Forget: time.Hour}
)

// Limits bound the methods that send mail (fixed windows):
// auth.requestCode, auth.signUp and collaborator.invite.
type Limits struct {
	CodesPerAddrMinute int // auth.requestCode per client address and minute
	CodesPerAddrHour   int // auth.requestCode per client address and hour
	CodesPerMinute     int // auth.requestCode from every client together, per minute

	SignUpsPerAddrHour  int // auth.signUp per client address and hour
	SignUpsPerEmailHour int // auth.signUp per email given and hour
	SignUpsPerMinute    int // auth.signUp from every client together, per minute

	InvitesPerInviterHour int // collaborator.invite per inviting organizer and hour
	InvitesPerAppHour     int // collaborator.invite per app and hour
	InvitesPerEmailHour   int // collaborator.invite per app and email invited, and hour
}

// DefaultLimits are the limits unless configured otherwise: an address
// may be a whole venue's (or a mobile carrier's NAT), so its limits leave
// room for a crowd signing in at the doors. Organizers sign up and invite
// far less often; the limits per email bound the mail a stranger (or an
// admin) can have sent to one address.
var DefaultLimits = Limits{CodesPerAddrMinute: 30, CodesPerAddrHour: 300, CodesPerMinute: 1000,
	SignUpsPerAddrHour: 20, SignUpsPerEmailHour: 5, SignUpsPerMinute: 200,
	InvitesPerInviterHour: 100, InvitesPerAppHour: 50, InvitesPerEmailHour: 5}

// withDefaults is l with DefaultLimits' value in every field not above 0.
func (l Limits) withDefaults() Limits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.CodesPerAddrMinute, DefaultLimits.CodesPerAddrMinute)
	def(&l.CodesPerAddrHour, DefaultLimits.CodesPerAddrHour)
	def(&l.CodesPerMinute, DefaultLimits.CodesPerMinute)
	def(&l.SignUpsPerAddrHour, DefaultLimits.SignUpsPerAddrHour)
	def(&l.SignUpsPerEmailHour, DefaultLimits.SignUpsPerEmailHour)
	def(&l.SignUpsPerMinute, DefaultLimits.SignUpsPerMinute)
	def(&l.InvitesPerInviterHour, DefaultLimits.InvitesPerInviterHour)
	def(&l.InvitesPerAppHour, DefaultLimits.InvitesPerAppHour)
	def(&l.InvitesPerEmailHour, DefaultLimits.InvitesPerEmailHour)
	return l
}

// guess is one guess of a secret in progress.
type guess struct {
	s     *Service
	keys  []GuessKey
	reset []GuessKey // the keys a right guess resets
	g     Guess
}

// newGuess starts a guess of a secret of kind: target (an event id, an app
// id; "" for none counted), by actor (a member id or an email; "" for
// none), from the caller's address (services are not counted by address:
// they act for many).
func (s *Service) newGuess(ctx context.Context, kind, app, target, actor string) guess {
	c := auth.CallerFrom(ctx)
	x := guess{s: s, g: Guess{Kind: kind, App: app, Target: target, Actor: actor, Addr: c.Addr}}
	add := func(policy GuessKey, key, id string, reset bool) {
		if id == "" {
			return
		}
		k := policy
		k.Key = key
		x.keys = append(x.keys, k)
		if reset {
			x.reset = append(x.reset, k)
		}
	}
	// The guesser and the target within the app; the address across apps
	// (a guesser may spray them all).
	add(GuessByActor, kind+":actor:"+app+":"+actor, actor, true)
	add(GuessByTarget, kind+":target:"+app+":"+target, target, true)
	if c.Kind != auth.CallerService {
		a := auth.AddrKey(c.Addr)
		add(GuessByAddr, kind+":addr:"+a, a, false)
	}
	return x
}

// allow refuses the guess while one of its counters makes it wait.
func (x guess) allow(ctx context.Context) error {
	wait, err := x.s.throttle.Wait(ctx, x.s.now(), x.keys)
	if err != nil {
		return errs.Wrap(errs.Unavailable, err, "cannot check the rate limits; retry")
	}
	if wait > 0 {
		return &errs.Error{Code: errs.CodeRateLimited, Msg: "too many wrong guesses: wait before the next one", RetryAfter: wait}
	}
	return nil
}

// failed counts a wrong guess and records it in the audit log (failures
// to do so are logged: the guesser's answer does not change).
func (x guess) failed(ctx context.Context) {
	ctx = context.WithoutCancel(ctx) // the guesser hanging up does not erase the guess
	wait, err := x.s.throttle.Fail(ctx, x.s.now(), x.keys)
	if err != nil {
		x.s.log.ErrorContext(ctx, "cannot count a wrong guess", "kind", x.g.Kind, "error", err)
	}
	x.g.At, x.g.Delay = x.s.now(), wait
	if err := x.s.store.RecordGuess(ctx, x.g); err != nil {
		x.s.log.ErrorContext(ctx, "cannot record a wrong guess", "kind", x.g.Kind, "error", err)
	}
	x.s.log.InfoContext(ctx, "wrong guess", "kind", x.g.Kind, "app", x.g.App, "target", x.g.Target,
		"addr", x.g.Addr, "wait_ms", wait.Milliseconds())
}

// succeeded resets the guesser's and the target's counters.
func (x guess) succeeded(ctx context.Context) {
	if err := x.s.throttle.Succeed(context.WithoutCancel(ctx), x.reset); err != nil {
		x.s.log.WarnContext(ctx, "cannot reset guess counters", "kind", x.g.Kind, "error", err)
	}
}

// takeQuotas counts a request against quotas; rate_limited with msg when
// one is spent.
func (s *Service) takeQuotas(ctx context.Context, quotas []Quota, msg string) error {
	wait, err := s.throttle.Take(ctx, s.now(), quotas)
	if err != nil {
		return errs.Wrap(errs.Unavailable, err, "cannot check the rate limits; retry")
	}
	if wait > 0 {
		return &errs.Error{Code: errs.CodeRateLimited, Msg: msg, RetryAfter: wait}
	}
	return nil
}

// codeQuotas are the quotas an auth.requestCode counts against: its
// client address's (not for services) and everyone's.
func (s *Service) codeQuotas(ctx context.Context) []Quota {
	c := auth.CallerFrom(ctx)
	var qs []Quota
	if c.Kind != auth.CallerService && c.Addr != "" {
		a := auth.AddrKey(c.Addr)
		qs = append(qs, Quota{Key: "codes:addr:" + a, Limit: s.limits.CodesPerAddrMinute, Window: time.Minute},
			Quota{Key: "codes:addr-hour:" + a, Limit: s.limits.CodesPerAddrHour, Window: time.Hour})
	}
	return append(qs, Quota{Key: "codes:all", Limit: s.limits.CodesPerMinute, Window: time.Minute})
}
