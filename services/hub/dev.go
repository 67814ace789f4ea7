package hub

import (
	"context"
	"fmt"

	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/rpc"
)

// DevSignUp creates an organizer account on a hub that runs with
// HUB_DEV_MODE=true, as its owner would from the confirmation mail:
// auth.signUp through c, the mailed token read back with dev.lastToken
// through svc (a client that signs its calls as a service), then
// auth.confirmSignUp through c. For demos, tests and benchmarks; a hub
// without dev mode refuses dev.lastToken.
func DevSignUp(ctx context.Context, c, svc *rpc.Client, email, password, name string) (SignUpConfirmed, error) {
	if _, err := SignUp.Call(ctx, c, SignUpParams{Email: email}); err != nil {
		return SignUpConfirmed{}, fmt.Errorf("sign up %s: %w", email, err)
	}
	t, err := DevLastToken.Call(ctx, svc, DevTokenParams{Kind: TokenSignUp, Email: email})
	if err != nil {
		return SignUpConfirmed{}, fmt.Errorf("read the sign-up token of %s: %w", email, err)
	}
	return ConfirmSignUp.Call(ctx, c, ConfirmSignUpParams{Token: t.Token, Password: password, Name: name})
}

// DevJoin makes the organizer whose account token is inviteeToken a
// collaborator of p.App with p.Role on a hub with HUB_DEV_MODE=true:
// collaborator.invite with inviterToken (an app token of an owner or
// admin), the mailed token read back with dev.lastToken through svc, then
// collaborator.accept with inviteeToken. For demos, tests and benchmarks.
func DevJoin(ctx context.Context, c, svc *rpc.Client, inviterToken, inviteeToken string, p InviteParams) (Joined, error) {
	as := func(token string) context.Context {
		return auth.WithCaller(ctx, auth.Caller{Kind: auth.CallerUser, Token: token})
	}
	if _, err := Invite.Call(as(inviterToken), c, p); err != nil {
		return Joined{}, fmt.Errorf("invite %s: %w", p.Email, err)
	}
	t, err := DevLastToken.Call(ctx, svc, DevTokenParams{Kind: TokenInvitation, App: p.App, Email: p.Email})
	if err != nil {
		return Joined{}, fmt.Errorf("read the invitation token of %s: %w", p.Email, err)
	}
	return Accept.Call(as(inviteeToken), c, AcceptParams(t))
}
