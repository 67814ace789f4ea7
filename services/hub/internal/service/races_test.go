package service_test

// The read-modify-write use cases racing on Postgres, where transactions
// really run at once (memstore runs them one after another): each reads
// and writes its row under the row lock, so the rule it checks still
// holds when it writes.

import (
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/attendify/hub"
	"github.com/attendify/hub/internal/service"
	"github.com/attendify/hub/internal/store/postgres"
	"github.com/attendify/hub/migrations"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/testkit"
)

// pgWorld is the rule tests' world on Postgres (a database of its own), in
// dev mode: the codes and tokens it mails are kept for the test.
type pgWorld struct {
	svc   *service.Service
	store service.Store
}

func newPGWorld(t *testing.T) *pgWorld {
	t.Helper()
	pool := testkit.Postgres(t, migrations.Schema, migrations.All...)
	store := postgres.New(pool)
	w := &pgWorld{svc: startWorld(t, store, &clock{t: time.Now().UTC().Truncate(time.Second)}, true), store: store}
	// Open the connections the racers take, so that none starts late
	// while connecting.
	ctx := testkit.Context(t)
	var conns []*pgxpool.Conn
	for range racers {
		c, err := pool.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	for _, c := range conns {
		c.Release()
	}
	return w
}

// racers is the most use cases a race runs at once.
const racers = service.MaxFailedLogins

// rounds is how many times each race runs, on a world of its own each.
const rounds = 3

// race calls each of calls at once and returns their outcomes' codes (0
// for success), in the order of calls.
func race(calls ...func() error) []errs.Code {
	out := make([]errs.Code, len(calls))
	var start, done sync.WaitGroup
	start.Add(1)
	for i, call := range calls {
		done.Go(func() {
			start.Wait()
			out[i] = refusal(call())
		})
	}
	start.Done()
	done.Wait()
	return out
}

// count is how many of codes are code.
func count(codes []errs.Code, code errs.Code) int {
	n := 0
	for _, c := range codes {
		if c == code {
			n++
		}
	}
	return n
}

// owners lists the app's collaborators whose role is owner.
func (w *pgWorld) owners(t *testing.T) []string {
	t.Helper()
	cs, err := w.store.Collaborators(testkit.Context(t), appID)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range cs {
		if c.Role == hub.RoleOwner {
			out = append(out, c.OrganizerID)
		}
	}
	return out
}

// TestRaceTransferOwnership: of transfers made at once, one makes an owner
// and the others are refused (the old owner is no longer one).
func TestRaceTransferOwnership(t *testing.T) {
	for range rounds {
		w := newPGWorld(t)
		ctx := auth.WithCaller(testkit.Context(t), asOwner)
		var calls []func() error
		for _, to := range []string{hub.RoleAdmin, hub.RoleModerator, hub.RoleMember} {
			calls = append(calls, func() error {
				_, err := w.svc.TransferOwnership(ctx, appID, to)
				return err
			})
		}
		got := race(calls...)
		if count(got, 0) != 1 || count(got, errs.CodeForbidden) != len(calls)-1 {
			t.Errorf("outcomes %v: want one success, the others forbidden", got)
		}
		if owners := w.owners(t); len(owners) != 1 {
			t.Fatalf("owners after the transfers: %v", owners)
		}
	}
}

// TestRaceSetRoleAndTransfer: a role change racing a transfer to the same
// collaborator never demotes the new owner.
func TestRaceSetRoleAndTransfer(t *testing.T) {
	for range rounds {
		w := newPGWorld(t)
		ctx := auth.WithCaller(testkit.Context(t), asOwner)
		race(func() error {
			_, err := w.svc.TransferOwnership(ctx, appID, hub.RoleAdmin)
			return err
		}, func() error {
			_, err := w.svc.SetRole(ctx, appID, hub.RoleAdmin, hub.RoleModerator)
			return err
		})
		if owners := w.owners(t); len(owners) != 1 {
			t.Fatalf("owners after the race: %v", owners)
		}
	}
}

// TestRaceRemoveAndTransfer: removing a collaborator while the owner
// transfers the app to them never leaves the app without an owner.
func TestRaceRemoveAndTransfer(t *testing.T) {
	for range rounds {
		w := newPGWorld(t)
		ctx := auth.WithCaller(testkit.Context(t), asOwner)
		race(func() error {
			_, err := w.svc.TransferOwnership(ctx, appID, hub.RoleAdmin)
			return err
		}, func() error {
			return w.svc.RemoveCollaborator(ctx, appID, hub.RoleAdmin)
		})
		if owners := w.owners(t); len(owners) != 1 {
			t.Fatalf("owners after the race: %v", owners)
		}
	}
}

// TestRaceVerifyCode: one code given several times at once signs in once.
func TestRaceVerifyCode(t *testing.T) {
	for range rounds {
		w := newPGWorld(t)
		ctx := testkit.Context(t)
		if _, err := w.svc.RequestCode(ctx, appID, "ann@x.io", ""); err != nil {
			t.Fatal(err)
		}
		code, err := w.svc.DevLastCode(appID, "ann@x.io")
		if err != nil {
			t.Fatal(err)
		}
		verify := func() error {
			_, _, err := w.svc.VerifyCode(ctx, appID, "ann@x.io", code)
			return err
		}
		got := race(verify, verify, verify)
		if count(got, 0) != 1 || count(got, errs.CodeUnauthenticated) != 2 {
			t.Errorf("outcomes %v: want one success, two unauthenticated", got)
		}
	}
}

// TestRaceAccept: an invitation accepted by two accounts at once makes one
// collaborator.
func TestRaceAccept(t *testing.T) {
	for range rounds {
		w := newPGWorld(t)
		ctx := testkit.Context(t)
		if _, err := w.store.CreateOrganizer(ctx, service.Organizer{ID: "stranger", Email: "stranger@org.io", Name: "stranger"}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Invite(auth.WithCaller(ctx, asOwner), appID, "outsider@org.io", hub.RoleModerator); err != nil {
			t.Fatal(err)
		}
		token, err := w.svc.DevLastToken(hub.TokenInvitation, appID, "outsider@org.io")
		if err != nil {
			t.Fatal(err)
		}
		accept := func(who string) func() error {
			return func() error {
				_, err := w.svc.Accept(auth.WithCaller(ctx, account(who)), token)
				return err
			}
		}
		got := race(accept("outsider"), accept("stranger"))
		if count(got, 0) != 1 || count(got, errs.CodeNotFound) != 1 {
			t.Errorf("outcomes %v: want one success, one not found", got)
		}
		cs, err := w.store.Collaborators(ctx, appID)
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) != 5 {
			t.Errorf("%d collaborators after the race, want 5", len(cs))
		}
	}
}

// TestRaceLogIn: wrong passwords given at once all count: the one that
// reaches MaxFailedLogins locks the account.
func TestRaceLogIn(t *testing.T) {
	w := newPGWorld(t)
	ctx := testkit.Context(t)
	hash, err := argon2id.CreateHash("right password", cheapHashes)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.store.SetPassword(ctx, "outsider", hash); err != nil {
		t.Fatal(err)
	}
	wrong := func() error {
		_, _, err := w.svc.LogIn(ctx, "outsider@org.io", "wrong password")
		return err
	}
	calls := make([]func() error, service.MaxFailedLogins)
	for i := range calls {
		calls[i] = wrong
	}
	got := race(calls...)
	if count(got, errs.CodeRateLimited) != 1 || count(got, errs.CodeUnauthenticated) != len(calls)-1 {
		t.Errorf("outcomes %v: want the last wrong password to lock the account", got)
	}
	if _, _, err := w.svc.LogIn(ctx, "outsider@org.io", "right password"); refusal(err) != errs.CodeRateLimited {
		t.Errorf("the right password after the lock: %v, want rate limited", err)
	}
}
