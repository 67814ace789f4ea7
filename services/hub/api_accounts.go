package hub

import (
	"time"

	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/rpc"
)

// SignUpParams start an organizer's sign-up: a token that confirms the
// address is mailed to it. Invitation is the token of a collaborator
// invitation to accept when the sign-up is confirmed.
type SignUpParams struct {
	Email      string `json:"email" jsonschema:"format=email,maxLength=254"`
	Invitation string `json:"invitation,omitempty" jsonschema:"pattern=^[A-Z2-7]{26}$"`
}

// SignUpStarted is the answer of auth.signUp, the same for every address:
// when the mailed token (if one was mailed) stops working.
type SignUpStarted struct {
	ExpiresAt time.Time `json:"expires_at"`
}

// ConfirmSignUpParams create the account of a confirmed address: the
// token mailed by auth.signUp, and the account's password and name.
type ConfirmSignUpParams struct {
	Token    string `json:"token" jsonschema:"pattern=^[A-Z2-7]{26}$"`
	Password string `json:"password" jsonschema:"minLength=10,maxLength=200"`
	Name     string `json:"name" jsonschema:"minLength=1,maxLength=120"`
}

// SignUpConfirmed is the new account signed in, with the app it joined
// when its sign-up carried an invitation that was still pending.
type SignUpConfirmed struct {
	AccountSession
	Joined *Joined `json:"joined,omitempty"`
}

// LogInParams sign an organizer in.
type LogInParams struct {
	Email    string `json:"email" jsonschema:"format=email,maxLength=254"`
	Password string `json:"password" jsonschema:"minLength=1,maxLength=200"`
}

// ChangePasswordParams change the caller's password.
type ChangePasswordParams struct {
	OldPassword string `json:"old_password" jsonschema:"minLength=1,maxLength=200"`
	NewPassword string `json:"new_password" jsonschema:"minLength=10,maxLength=200"`
}

// NoParams is the params of methods that take none.
type NoParams struct{}

// AppParams address one app.
type AppParams struct {
	rpc.AppRef
}

// Methods of organizer accounts.
var (
	SignUp = rpc.Method[SignUpParams, SignUpStarted]{
		Name: "auth.signUp", Auth: auth.Public, NoBatch: true,
		Summary: "Start an organizer's sign-up: mail the address a token that confirms it (auth.confirmSignUp).",
		Description: "The answer is the same whether or not the address has an account: a new address gets the token " +
			"(template sign_up_confirmation, valid 24 hours), an address with an account a notice (sign_up_existing). " +
			"With invitation (a collaborator invitation's token) the role is taken when the sign-up is confirmed. " +
			"At most 5 an hour per email, 20 an hour per client address, 200 a minute in all (configurable).",
		Errors: []errs.Code{errs.CodeInvalid, errs.CodeRateLimited, errs.CodeUnavailable},
	}
	ConfirmSignUp = rpc.Method[ConfirmSignUpParams, SignUpConfirmed]{
		Name: "auth.confirmSignUp", Auth: auth.Public, NoBatch: true,
		Summary: "Create an organizer account with the token auth.signUp mailed, and sign in.",
		Description: "A token works once. The password and name are chosen here, by whoever holds the token. " +
			"Wrong tokens count as guesses per client address (see event.register); an address that has an account by then is a conflict.",
		Errors: []errs.Code{errs.CodeUnauthenticated, errs.CodeConflict, errs.CodeRateLimited, errs.CodeUnavailable},
	}
	LogIn = rpc.Method[LogInParams, AccountSession]{
		Name: "auth.logIn", Auth: auth.Public, NoBatch: true,
		Summary: "Sign an organizer in with email and password.",
		Description: "After 5 failures in a row the account is locked for 15 minutes (rate_limited with retry_after_ms). " +
			"An email without an account answers alike: wrong email or password, then the same lock after 5. " +
			"Wrong passwords also count per client address: past 20, each makes the next attempt from it wait (1 s, doubling, at most 1 min).",
		Errors: []errs.Code{errs.CodeUnauthenticated, errs.CodeRateLimited, errs.CodeUnavailable},
	}
	AppTokenFor = rpc.Method[AppParams, AppToken]{
		Name: "auth.appToken", Auth: auth.User,
		Summary:     "Exchange an organizer's account token for a token of one app.",
		Description: "The token's role is the organizer's current collaborator role in the app; it lasts an hour.",
		Errors:      []errs.Code{errs.CodeNotFound},
	}
	Me = rpc.Method[NoParams, Organizer]{
		Name: "organizer.me", ReadOnly: true, Auth: auth.User, Idempotent: true,
		Summary: "The signed-in organizer's account.",
		Errors:  []errs.Code{errs.CodeTokenInvalid},
	}
	ChangePassword = rpc.Method[ChangePasswordParams, AccountSession]{
		Name: "organizer.changePassword", Auth: auth.User, NoBatch: true,
		Summary: "Change the signed-in organizer's password; every token issued to them before stops working.",
		Description: "The account token and the app tokens of every app issued before the change are refused from then on " +
			"(token_invalid), in hub at once and in the other services at their next read of hub's read model. " +
			"The result is a new account token. A wrong old password counts as a wrong password of auth.logIn " +
			"(per account and per client address; see event.register).",
		Errors: []errs.Code{errs.CodeInvalid, errs.CodeTokenInvalid, errs.CodeRateLimited, errs.CodeUnavailable},
	}
	SignOut = rpc.Method[NoParams, Empty]{
		Name: "auth.signOut", Auth: auth.User,
		Summary: "Sign the caller out everywhere: every token issued to them before stops working.",
		Description: "An organizer (with any of their tokens) loses their account token and their app tokens of every app; " +
			"a member their tokens of the app. Refused tokens answer token_invalid.",
		Errors: []errs.Code{errs.CodeTokenInvalid},
	}
)
