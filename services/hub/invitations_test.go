package hub_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/attendify/hub"
	"github.com/attendify/hub/internal/app"
	"github.com/attendify/hub/internal/hubtest"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/testkit"
)

// invitationToken reads the token the last invitation of email to app
// mailed (dev mode keeps it as the mail carried it).
func invitationToken(t *testing.T, env *hubtest.Env, app, email string) string {
	t.Helper()
	return must(hub.DevLastToken.Call(testkit.Context(t), env.Service, hub.DevTokenParams{Kind: hub.TokenInvitation, App: app, Email: email}))(t).Token
}

// mailsTo lists the mail.requested payloads relayed to email, oldest first.
func mailsTo(t *testing.T, env *hubtest.Env, email string) []hub.MailPayload {
	t.Helper()
	var out []hub.MailPayload
	for _, e := range streamEvents(t, env, "mail") {
		var p hub.MailPayload
		if err := json.Unmarshal(e.Data, &p); err != nil {
			t.Fatal(err)
		}
		if e.Type == hub.EventMailRequested && p.To == email {
			out = append(out, p)
		}
	}
	return out
}

// roleIn is the role an account token gets in app, or the refusal.
func roleIn(ctx context.Context, env *hubtest.Env, accountToken, app string) string {
	at, err := hub.AppTokenFor.Call(hubtest.As(ctx, accountToken), env.Client, hub.AppParams{AppRef: rpc.AppRef{App: app}})
	if err != nil {
		return answer(err)
	}
	return at.Role
}

// TestSquatterGetsNoRole: someone who holds an account under the invitee's
// address (made before sign-ups were confirmed), or who tries to sign up
// with it after the invitation, does not get the role; the invitee, who
// reads the mail, takes it with whatever account they use.
func TestSquatterGetsNoRole(t *testing.T) {
	env := hubtest.Start(t)
	ctx := testkit.Context(t)
	app, owner := newApp(t, env, "squat")
	octx := hubtest.As(ctx, owner)
	// The squatter's account under the invitee's address.
	squatter := must(hub.DevSignUp(ctx, env.Client, env.Service, "invitee@x.io", password, "Mallory"))(t)

	inv := must(hub.Invite.Call(octx, env.Client, hub.InviteParams{AppRef: rpc.AppRef{App: app.ID}, Email: "invitee@x.io", Role: hub.RoleAdmin}))(t)
	if got := roleIn(ctx, env, squatter.Token, app.ID); got != "not_found: no such app among yours" {
		t.Errorf("the account of the invited address, before accepting: %s", got)
	}
	// Guessing the token gets nothing either.
	guessed := strings.Repeat("A", 26)
	if _, err := hub.Accept.Call(hubtest.As(ctx, squatter.Token), env.Client, hub.AcceptParams{Token: guessed}); !errors.Is(err, errs.NotFound) {
		t.Errorf("accept with a guessed token: %v, want not_found", err)
	}
	// Signing up again with the address makes no new token (the address
	// is mailed a notice; TestSignUpAnswersAlike).
	devToken := func() string {
		return must(hub.DevLastToken.Call(ctx, env.Service, hub.DevTokenParams{Kind: hub.TokenSignUp, Email: "invitee@x.io"}))(t).Token
	}
	before := devToken()
	must(hub.SignUp.Call(ctx, env.Client, hub.SignUpParams{Email: "invitee@x.io"}))(t)
	if devToken() != before {
		t.Errorf("a sign-up token was made for an address with an account")
	}
	// A stranger signing up with the invitee's address, before the invitee
	// has an account, never gets the confirmation token: it is mailed.
	must(hub.Invite.Call(octx, env.Client, hub.InviteParams{AppRef: rpc.AppRef{App: app.ID}, Email: "fresh@x.io", Role: hub.RoleAdmin}))(t)
	must(hub.SignUp.Call(ctx, env.Client, hub.SignUpParams{Email: "fresh@x.io"}))(t)
	if _, err := hub.ConfirmSignUp.Call(ctx, env.Client, hub.ConfirmSignUpParams{Token: guessed, Password: password, Name: "Mallory"}); !errors.Is(err, errs.Unauthenticated) {
		t.Errorf("confirm with a guessed token: %v, want unauthenticated", err)
	}

	// The invitee reads the mail and accepts with another account of theirs.
	var mailed string
	for _, m := range mailsTo(t, env, "invitee@x.io") {
		if m.Template == "collaborator_invitation" {
			mailed = m.Data["token"]
			if m.AppID != app.ID || m.Data["role"] != hub.RoleAdmin || m.Data["app_name"] != app.Name || m.Data["invitation_id"] != inv.ID {
				t.Errorf("invitation mail: %+v", m)
			}
		}
	}
	if !regexp.MustCompile(`^[A-Z2-7]{26}$`).MatchString(mailed) {
		t.Fatalf("mailed token %q is not 26 base32 characters (130 bits)", mailed)
	}
	real := must(hub.DevSignUp(ctx, env.Client, env.Service, "invitee.personal@y.io", password, "Ivy"))(t)
	joined := must(hub.Accept.Call(hubtest.As(ctx, real.Token), env.Client, hub.AcceptParams{Token: mailed}))(t)
	if diff := cmp.Diff(hub.Joined{AppID: app.ID, AppName: app.Name, Role: hub.RoleAdmin}, joined); diff != "" {
		t.Errorf("joined (-want +got):\n%s", diff)
	}
	if got := roleIn(ctx, env, real.Token, app.ID); got != hub.RoleAdmin {
		t.Errorf("the invitee after accepting: %s", got)
	}
	if got := roleIn(ctx, env, squatter.Token, app.ID); got != "not_found: no such app among yours" {
		t.Errorf("the squatter after the invitee accepted: %s", got)
	}
	// The invitation records who accepted; the token itself is stored only
	// as its hash.
	list := must(hub.ListInvitations.Call(octx, env.Client, hub.AppParams{AppRef: rpc.AppRef{App: app.ID}}))(t).Invitations
	i := slices.IndexFunc(list, func(x hub.Invitation) bool { return x.ID == inv.ID })
	if i < 0 || list[i].Status != hub.InvitationAccepted || list[i].AcceptedBy != real.Organizer.ID ||
		list[i].AcceptedEmail != "invitee.personal@y.io" || list[i].AcceptedAt == nil {
		t.Errorf("accepted invitation as listed: %+v", list)
	}
	var stored string
	if err := env.Pool.QueryRow(ctx, `SELECT token_hash FROM invitations WHERE id = $1`, inv.ID).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256([]byte(mailed)); stored != hex.EncodeToString(sum[:]) {
		t.Errorf("stored %q, want the token's SHA-256", stored)
	}
	var raw json.RawMessage
	if err := env.Client.Call(octx, "collaborator.invitations", false, hub.AppParams{AppRef: rpc.AppRef{App: app.ID}}, &raw); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(mailed)) || bytes.Contains(raw, []byte(stored)) || bytes.Contains(raw, []byte(`"token`)) {
		t.Errorf("collaborator.invitations shows a token: %s", raw)
	}
}

// TestInviteDoesNotAddExistingAccount: inviting the address of an account
// adds nobody until the mailed token is accepted, and the inviter learns
// nothing about whether the address has an account.
func TestInviteDoesNotAddExistingAccount(t *testing.T) {
	env := hubtest.Start(t)
	ctx := testkit.Context(t)
	app, owner := newApp(t, env, "existing")
	octx := hubtest.As(ctx, owner)
	known := must(hub.DevSignUp(ctx, env.Client, env.Service, "known@x.io", password, "Known"))(t)

	ki := must(hub.Invite.Call(octx, env.Client, hub.InviteParams{AppRef: rpc.AppRef{App: app.ID}, Email: "known@x.io", Role: hub.RoleModerator}))(t)
	ui := must(hub.Invite.Call(octx, env.Client, hub.InviteParams{AppRef: rpc.AppRef{App: app.ID}, Email: "unknown@x.io", Role: hub.RoleModerator}))(t)
	ignore := cmpopts.IgnoreFields(hub.Invitation{}, "ID", "Email", "CreatedAt", "ExpiresAt")
	if diff := cmp.Diff(ki, ui, ignore); diff != "" {
		t.Errorf("invite of an address with an account vs. without (-known +unknown):\n%s", diff)
	}
	cols := must(hub.ListCollaborators.Call(octx, env.Client, hub.AppParams{AppRef: rpc.AppRef{App: app.ID}}))(t).Collaborators
	if len(cols) != 1 {
		t.Errorf("collaborators right after the invitation: %+v", cols)
	}
	if got := roleIn(ctx, env, known.Token, app.ID); got != "not_found: no such app among yours" {
		t.Errorf("the invited account before accepting: %s", got)
	}
	must(hub.Accept.Call(hubtest.As(ctx, known.Token), env.Client, hub.AcceptParams{Token: invitationToken(t, env, app.ID, "known@x.io")}))(t)
	if got := roleIn(ctx, env, known.Token, app.ID); got != hub.RoleModerator {
		t.Errorf("the invited account after accepting: %s", got)
	}
	// Both invitations mailed the same template.
	for _, email := range []string{"known@x.io", "unknown@x.io"} {
		ms := mailsTo(t, env, email)
		if len(ms) == 0 || ms[len(ms)-1].Template != "collaborator_invitation" {
			t.Errorf("mails to %s: %+v", email, ms)
		}
	}
}

// TestInvitationTokenOnceAndRevoked: a token works once; a revoked one,
// or one replaced by a newer invitation, does not; a sign-up cannot carry
// a revoked one.
func TestInvitationTokenOnceAndRevoked(t *testing.T) {
	env := hubtest.Start(t)
	ctx := testkit.Context(t)
	app, owner := newApp(t, env, "once")
	octx := hubtest.As(ctx, owner)
	a := must(hub.DevSignUp(ctx, env.Client, env.Service, "a@x.io", password, "A"))(t)
	b := must(hub.DevSignUp(ctx, env.Client, env.Service, "b@x.io", password, "B"))(t)
	accept := func(acct hub.SignUpConfirmed, token string) error {
		_, err := hub.Accept.Call(hubtest.As(ctx, acct.Token), env.Client, hub.AcceptParams{Token: token})
		return err
	}

	// Once.
	first := must(hub.Invite.Call(octx, env.Client, hub.InviteParams{AppRef: rpc.AppRef{App: app.ID}, Email: "a@x.io", Role: hub.RoleMember}))(t)
	tok := invitationToken(t, env, app.ID, "a@x.io")
	if err := accept(a, tok); err != nil {
		t.Fatalf("accept: %v", err)
	}
	if err := accept(b, tok); answer(err) != "not_found: this invitation was accepted already" {
		t.Errorf("the token a second time, by another account: %v", err)
	}
	if _, err := hub.RevokeInvitation.Call(octx, env.Client, hub.InvitationParams{AppRef: rpc.AppRef{App: app.ID}, Invitation: first.ID}); !errors.Is(err, errs.Conflict) {
		t.Errorf("revoke an accepted invitation: %v, want conflict", err)
	}

	// Revoked.
	inv := must(hub.Invite.Call(octx, env.Client, hub.InviteParams{AppRef: rpc.AppRef{App: app.ID}, Email: "b@x.io", Role: hub.RoleAdmin}))(t)
	tok = invitationToken(t, env, app.ID, "b@x.io")
	revoked := must(hub.RevokeInvitation.Call(octx, env.Client, hub.InvitationParams{AppRef: rpc.AppRef{App: app.ID}, Invitation: inv.ID}))(t)
	if revoked.Status != hub.InvitationRevoked || revoked.RevokedAt == nil || revoked.RevokedBy == "" {
		t.Errorf("revoked: %+v", revoked)
	}
	if err := accept(b, tok); answer(err) != "not_found: this invitation was revoked: ask for a new one" {
		t.Errorf("a revoked token: %v", err)
	}
	if got := roleIn(ctx, env, b.Token, app.ID); got != "not_found: no such app among yours" {
		t.Errorf("after accepting a revoked token: %s", got)
	}
	if _, err := hub.SignUp.Call(ctx, env.Client, hub.SignUpParams{Email: "c@x.io", Invitation: tok}); !errors.Is(err, errs.Invalid) {
		t.Errorf("a sign-up carrying a revoked invitation: %v, want invalid", err)
	}

	// Replaced: inviting again revokes the older token.
	must(hub.Invite.Call(octx, env.Client, hub.InviteParams{AppRef: rpc.AppRef{App: app.ID}, Email: "b@x.io", Role: hub.RoleAdmin}))(t)
	older := invitationToken(t, env, app.ID, "b@x.io")
	must(hub.Invite.Call(octx, env.Client, hub.InviteParams{AppRef: rpc.AppRef{App: app.ID}, Email: "b@x.io", Role: hub.RoleModerator}))(t)
	newer := invitationToken(t, env, app.ID, "b@x.io")
	if err := accept(b, older); answer(err) != "not_found: this invitation was revoked: ask for a new one" {
		t.Errorf("a replaced token: %v", err)
	}
	if err := accept(b, newer); err != nil {
		t.Errorf("the newer token: %v", err)
	}
	if got := roleIn(ctx, env, b.Token, app.ID); got != hub.RoleModerator {
		t.Errorf("role from the newer invitation: %s", got)
	}
	// A collaborator accepting an invitation of their own app keeps their
	// role, and the invitation stays pending.
	must(hub.Invite.Call(octx, env.Client, hub.InviteParams{AppRef: rpc.AppRef{App: app.ID}, Email: "a-alias@x.io", Role: hub.RoleAdmin}))(t)
	if err := accept(a, invitationToken(t, env, app.ID, "a-alias@x.io")); !errors.Is(err, errs.Conflict) {
		t.Errorf("a collaborator accepting another invitation of the app: %v, want conflict", err)
	}
	// An address that collaborates already is not invited.
	if _, err := hub.Invite.Call(octx, env.Client, hub.InviteParams{AppRef: rpc.AppRef{App: app.ID}, Email: "a@x.io", Role: hub.RoleAdmin}); !errors.Is(err, errs.Conflict) {
		t.Errorf("invite a collaborator's address: %v, want conflict", err)
	}

	statuses := map[string]int{}
	for _, i := range must(hub.ListInvitations.Call(octx, env.Client, hub.AppParams{AppRef: rpc.AppRef{App: app.ID}}))(t).Invitations {
		statuses[i.Status]++
	}
	want := map[string]int{hub.InvitationAccepted: 2, hub.InvitationRevoked: 2, hub.InvitationPending: 1}
	if diff := cmp.Diff(want, statuses); diff != "" {
		t.Errorf("invitations by status (-want +got):\n%s", diff)
	}
}

// TestSignUpAnswersAlike checks that auth.signUp answers an address with an
// account exactly as a new one (HTTP status, body but for the time), does
// the same work for both (a sign-up row, one mail), and that only the new
// address is mailed a token.
func TestSignUpAnswersAlike(t *testing.T) {
	env := hubtest.Start(t)
	ctx := testkit.Context(t)
	must(hub.DevSignUp(ctx, env.Client, env.Service, "known@x.io", password, "Known"))(t)

	expires := regexp.MustCompile(`"expires_at":"[^"]*"`)
	raw := func(email string) (int, string) {
		t.Helper()
		body := fmt.Sprintf(`{"jsonrpc":"2.0","id":7,"method":"auth.signUp","params":{"email":%q}}`, email)
		resp, err := http.Post(env.URL+"/rpc", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, expires.ReplaceAllString(string(b), `"expires_at":"T"`)
	}
	for _, round := range []string{"first", "again"} {
		ks, kb := raw("known@x.io")
		ns, nb := raw("new@x.io")
		if ks != ns || kb != nb {
			t.Errorf("%s: an address with an account gets %d %s, a new one %d %s", round, ks, kb, ns, nb)
		}
		if ns != http.StatusOK || !strings.Contains(nb, `"result":{"expires_at":"T"}`) {
			t.Errorf("%s: %d %s", round, ns, nb)
		}
	}
	// The same work: a sign-up row and a mail each time.
	for _, email := range []string{"known@x.io", "new@x.io"} {
		var rows int
		if err := env.Pool.QueryRow(ctx, `SELECT count(*) FROM sign_ups WHERE email = $1`, email).Scan(&rows); err != nil {
			t.Fatal(err)
		}
		if rows != 2 {
			t.Errorf("%s: %d sign-up rows, want 2", email, rows)
		}
	}
	var templates []string
	for _, m := range mailsTo(t, env, "known@x.io") {
		templates = append(templates, m.Template)
		if m.Template == "sign_up_existing" && len(m.Data) != 0 {
			t.Errorf("the notice to an address with an account carries %v", m.Data)
		}
	}
	if want := []string{"sign_up_confirmation", "sign_up_existing", "sign_up_existing"}; !slices.Equal(templates, want) {
		t.Errorf("mails to the address with an account: %v, want %v", templates, want)
	}
	ms := mailsTo(t, env, "new@x.io")
	if len(ms) != 2 || ms[1].Template != "sign_up_confirmation" || ms[1].Data["token"] == "" {
		t.Fatalf("mails to the new address: %+v", ms)
	}
	// The older token was not spent by the newer sign-up; either confirms,
	// once, and then the address has an account.
	first := must(hub.ConfirmSignUp.Call(ctx, env.Client, hub.ConfirmSignUpParams{Token: ms[0].Data["token"], Password: password, Name: "New"}))(t)
	if first.Organizer.Email != "new@x.io" || first.Joined != nil {
		t.Errorf("confirmed: %+v", first)
	}
	if _, err := hub.ConfirmSignUp.Call(ctx, env.Client, hub.ConfirmSignUpParams{Token: ms[0].Data["token"], Password: password, Name: "New"}); !errors.Is(err, errs.Unauthenticated) {
		t.Errorf("the token a second time: %v, want unauthenticated", err)
	}
	if _, err := hub.ConfirmSignUp.Call(ctx, env.Client, hub.ConfirmSignUpParams{Token: ms[1].Data["token"], Password: password, Name: "New"}); !errors.Is(err, errs.Conflict) {
		t.Errorf("the other token once the account exists: %v, want conflict", err)
	}
	must(hub.LogIn.Call(ctx, env.Client, hub.LogInParams{Email: "new@x.io", Password: password}))(t)
}

// TestSignUpPerEmailLimit: the mail one address can be sent through
// auth.signUp is bounded, alike for an address with an account and a new
// one.
func TestSignUpPerEmailLimit(t *testing.T) {
	env := hubtest.Start(t)
	ctx := testkit.Context(t)
	must(hub.DevSignUp(ctx, env.Client, env.Service, "known@x.io", password, "Known"))(t)
	for _, email := range []string{"known@x.io", "new@x.io"} {
		var answers []string
		for range 6 {
			_, err := hub.SignUp.Call(ctx, env.Service, hub.SignUpParams{Email: email}) // a service: not counted by address
			answers = append(answers, answer(err))
		}
		sent := 5
		if email == "known@x.io" {
			sent = 4 // DevSignUp took one
		}
		want := slices.Repeat([]string{"ok"}, sent)
		for len(want) < 6 {
			want = append(want, "rate_limited: too many sign-ups asked for: try again later")
		}
		if diff := cmp.Diff(want, answers); diff != "" {
			t.Errorf("sign-ups of %s (-want +got):\n%s", email, diff)
		}
	}
}

// TestWrongTokensThrottled: wrong confirmation and invitation tokens are
// guesses: counted per client address (and per account for invitations),
// refused with rate_limited past the free ones, and audited.
func TestWrongTokensThrottled(t *testing.T) {
	env := hubtest.Start(t)
	ctx := testkit.Context(t)
	app, owner := newApp(t, env, "tokens")
	guess := func(i int) string {
		// 26 base32 characters, different for each i.
		const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
		b := []byte(strings.Repeat("Q", 26))
		for j := 0; i > 0; j++ {
			b[j] = alphabet[i%32]
			i /= 32
		}
		return string(b)
	}
	wrong := guessUntilLimitedAs(t, "wrong confirmation tokens", errs.Unauthenticated, 25, func(i int) error {
		_, err := hub.ConfirmSignUp.Call(ctx, env.Client, hub.ConfirmSignUpParams{Token: guess(i), Password: password, Name: "X"})
		return err
	})
	wantAudited(t, env, wrong, `kind = 'sign_up_token' AND addr = '127.0.0.1'`)

	// Signed up through a service client: the address waits now.
	acct := must(hub.DevSignUp(ctx, env.Service, env.Service, "guesser@x.io", password, "G"))(t)
	wrong = guessUntilLimitedAs(t, "wrong invitation tokens", errs.NotFound, 5, func(i int) error {
		_, err := hub.Accept.Call(hubtest.As(ctx, acct.Token), env.Client, hub.AcceptParams{Token: guess(1000 + i)})
		return err
	})
	wantAudited(t, env, wrong, `kind = 'invitation_token' AND actor = $1 AND addr = '127.0.0.1'`, acct.Organizer.ID)
	// The right token waits too while the account's counter does.
	must(hub.Invite.Call(hubtest.As(ctx, owner), env.Client, hub.InviteParams{AppRef: rpc.AppRef{App: app.ID}, Email: "guesser@x.io", Role: hub.RoleMember}))(t)
	if _, err := hub.Accept.Call(hubtest.As(ctx, acct.Token), env.Client, hub.AcceptParams{Token: invitationToken(t, env, app.ID, "guesser@x.io")}); errs.CodeOf(err) != errs.CodeRateLimited {
		t.Errorf("the right token during the wait: %v, want rate_limited", err)
	}
}

// BenchmarkSignUp times auth.signUp for an address with an account and for
// new addresses, in turns, and reports the median of each: they do the
// same work, so they should take the same time.
func BenchmarkSignUp(b *testing.B) {
	env := hubtest.StartWith(b, func(c *app.Config) {
		c.SignUpsPerAddrHour, c.SignUpsPerEmailHour, c.SignUpsPerMinute = 1<<30, 1<<30, 1<<30
	})
	ctx := testkit.Context(b)
	must(hub.DevSignUp(ctx, env.Client, env.Service, "known@x.io", password, "Known"))(b)
	var known, fresh []time.Duration
	for i := 0; b.Loop(); i++ {
		email, took := "known@x.io", &known
		if i%2 == 1 {
			email, took = fmt.Sprintf("new%d@x.io", i), &fresh
		}
		start := time.Now()
		must(hub.SignUp.Call(ctx, env.Client, hub.SignUpParams{Email: email}))(b)
		*took = append(*took, time.Since(start))
	}
	median := func(ds []time.Duration) float64 {
		if len(ds) == 0 {
			return 0
		}
		slices.Sort(ds)
		return float64(ds[len(ds)/2].Microseconds())
	}
	b.ReportMetric(median(known), "known-µs")
	b.ReportMetric(median(fresh), "new-µs")
}

// TestInvitationsDieWithTheirInviter: an invitation stands only while its
// inviter may still invite. An admin who is removed (or leaves) or is
// demoted to a role that may not invite cannot come back, or bring
// someone in, through an invitation they sent before: its token is
// refused as revoked, by the organizer who removed or demoted them. The
// other admins' invitations stay pending.
func TestInvitationsDieWithTheirInviter(t *testing.T) {
	env := hubtest.Start(t)
	ctx := testkit.Context(t)
	app, owner := newApp(t, env, "inviter")
	octx := hubtest.As(ctx, owner)
	ref := rpc.AppRef{App: app.ID}
	appToken := func(acct hub.SignUpConfirmed) string {
		return must(hub.AppTokenFor.Call(hubtest.As(ctx, acct.Token), env.Client, hub.AppParams{AppRef: ref}))(t).Token
	}
	admin := func(email string) (hub.SignUpConfirmed, string) {
		acct := must(hub.DevSignUp(ctx, env.Client, env.Service, email, password, email))(t)
		must(hub.DevJoin(ctx, env.Client, env.Service, owner, acct.Token, hub.InviteParams{AppRef: ref, Email: email, Role: hub.RoleAdmin}))(t)
		return acct, appToken(acct)
	}
	demoted, demotedToken := admin("demoted@x.io")
	removed, removedToken := admin("removed@x.io")
	left, leftToken := admin("left@x.io")
	invite := func(token, email string) string {
		must(hub.Invite.Call(hubtest.As(ctx, token), env.Client, hub.InviteParams{AppRef: ref, Email: email, Role: hub.RoleAdmin}))(t)
		return invitationToken(t, env, app.ID, email)
	}
	fromDemoted := invite(demotedToken, "demoted-alias@x.io")
	fromRemoved := invite(removedToken, "removed-alias@x.io")
	fromLeft := invite(leftToken, "left-alias@x.io")
	fromOwner := invite(owner, "friend@x.io")

	must(hub.SetRole.Call(octx, env.Client, hub.SetRoleParams{AppRef: ref, OrganizerID: demoted.Organizer.ID, Role: hub.RoleModerator}))(t)
	must(hub.RemoveCollaborator.Call(octx, env.Client, hub.RemoveCollaboratorParams{AppRef: ref, OrganizerID: removed.Organizer.ID}))(t)
	must(hub.RemoveCollaborator.Call(hubtest.As(ctx, leftToken), env.Client, hub.RemoveCollaboratorParams{AppRef: ref, OrganizerID: left.Organizer.ID}))(t)

	for i, tok := range []string{fromDemoted, fromRemoved, fromLeft} {
		acct := must(hub.DevSignUp(ctx, env.Client, env.Service, fmt.Sprintf("taker%d@x.io", i), password, "Taker"))(t)
		_, err := hub.Accept.Call(hubtest.As(ctx, acct.Token), env.Client, hub.AcceptParams{Token: tok})
		if answer(err) != "not_found: this invitation was revoked: ask for a new one" {
			t.Errorf("invitation %d of an inviter who may no longer invite: %v", i, err)
		}
		if got := roleIn(ctx, env, acct.Token, app.ID); got != "not_found: no such app among yours" {
			t.Errorf("invitation %d: the taker's role %s", i, got)
		}
		if _, err := hub.SignUp.Call(ctx, env.Client, hub.SignUpParams{Email: fmt.Sprintf("new%d@x.io", i), Invitation: tok}); !errors.Is(err, errs.Invalid) {
			t.Errorf("a sign-up carrying invitation %d: %v, want invalid", i, err)
		}
	}
	friend := must(hub.DevSignUp(ctx, env.Client, env.Service, "friend@x.io", password, "Friend"))(t)
	if _, err := hub.Accept.Call(hubtest.As(ctx, friend.Token), env.Client, hub.AcceptParams{Token: fromOwner}); err != nil {
		t.Errorf("the owner's invitation: %v", err)
	}

	// The list says who closed them.
	by := map[string]string{}
	for _, i := range must(hub.ListInvitations.Call(octx, env.Client, hub.AppParams{AppRef: ref}))(t).Invitations {
		by[i.Email] = i.Status + " " + i.RevokedBy
	}
	var ownerOrg string
	for _, c := range must(hub.ListCollaborators.Call(octx, env.Client, hub.AppParams{AppRef: ref}))(t).Collaborators {
		if c.Role == hub.RoleOwner {
			ownerOrg = c.OrganizerID
		}
	}
	want := map[string]string{
		"demoted-alias@x.io": hub.InvitationRevoked + " " + ownerOrg,
		"removed-alias@x.io": hub.InvitationRevoked + " " + ownerOrg,
		"left-alias@x.io":    hub.InvitationRevoked + " " + left.Organizer.ID,
		"friend@x.io":        hub.InvitationAccepted + " ",
	}
	for email, w := range want {
		if by[email] != w {
			t.Errorf("invitation of %s: %q, want %q", email, by[email], w)
		}
	}
}
