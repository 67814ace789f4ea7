package hub

import (
	"time"

	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/rpc"
)

// RequestCodeParams ask for a one-time sign-in code by email.
type RequestCodeParams struct {
	App      string `json:"app_id" jsonschema:"minLength=1,maxLength=64"`
	Email    string `json:"email" jsonschema:"format=email,maxLength=254"`
	Passcode string `json:"passcode,omitempty" jsonschema:"maxLength=64"`
}

// CodeSent says a code was sent, or would have been: the answer is the
// same whether the email belongs to a member, a blocked member or nobody,
// in every access mode; only those who may sign in get the mail.
type CodeSent struct {
	ExpiresAt time.Time `json:"expires_at"`
}

// VerifyCodeParams exchange a one-time code for a member token.
type VerifyCodeParams struct {
	App   string `json:"app_id" jsonschema:"minLength=1,maxLength=64"`
	Email string `json:"email" jsonschema:"format=email,maxLength=254"`
	Code  string `json:"code" jsonschema:"pattern=^[0-9]{6}$"`
}

// MemberSession is a member token for one app and the member's profile.
type MemberSession struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	Member    Member    `json:"member"`
}

// DevCodeParams ask for the last code sent to an email (development only).
type DevCodeParams struct {
	App   string `json:"app_id" jsonschema:"minLength=1,maxLength=64"`
	Email string `json:"email" jsonschema:"format=email,maxLength=254"`
}

// DevCode is the last code sent.
type DevCode struct {
	Code string `json:"code"`
}

// Kinds of mailed tokens dev.lastToken returns.
const (
	TokenSignUp     = "sign_up"    // auth.signUp's confirmation
	TokenInvitation = "invitation" // collaborator.invite's
)

// DevTokenParams ask for the last token of a kind mailed to an email
// (development only): a sign-up's (no app) or an invitation to an app.
type DevTokenParams struct {
	Kind  string `json:"kind" jsonschema:"enum=sign_up,enum=invitation"`
	Email string `json:"email" jsonschema:"format=email,maxLength=254"`
	App   string `json:"app_id,omitempty" jsonschema:"maxLength=64"`
}

// DevToken is the last token mailed.
type DevToken struct {
	Token string `json:"token"`
}

// Methods of member sign-in.
var (
	RequestCode = rpc.Method[RequestCodeParams, CodeSent]{
		Name: "auth.requestCode", Auth: auth.Public, NoBatch: true,
		Summary: "Email a one-time sign-in code to a member of a published (or expired) app.",
		Description: "Codes last 10 minutes; at most 1 a minute and 5 an hour per email, 30 a minute and 300 an hour per " +
			"client address, 1000 a minute in all (configurable). Passcode apps need the passcode (wrong ones count as guesses, " +
			"see event.register); invite-only apps mail listed members only, expired apps existing members only, and " +
			"nobody mails a blocked member: the answer is the same for every email.",
		Errors: []errs.Code{errs.CodeNotFound, errs.CodeInvalid, errs.CodeRateLimited, errs.CodeUnavailable},
	}
	VerifyCode = rpc.Method[VerifyCodeParams, MemberSession]{
		Name: "auth.verifyCode", Auth: auth.Public, NoBatch: true,
		Summary: "Exchange a one-time code for a member token (creating the member in open and passcode apps).",
		Description: "A code works once; 5 wrong tries burn it. Wrong codes count as guesses per email and per client " +
			"address (see event.register).",
		Errors: []errs.Code{errs.CodeUnauthenticated, errs.CodeForbidden, errs.CodeRateLimited, errs.CodeUnavailable},
	}
	DevLastCode = rpc.Method[DevCodeParams, DevCode]{
		Name: "dev.lastCode", Auth: auth.Service,
		Summary: "The last sign-in code sent to an email; refused unless HUB_DEV_MODE is on (demo loader).",
		Errors:  []errs.Code{errs.CodeForbidden, errs.CodeNotFound},
	}
	DevLastToken = rpc.Method[DevTokenParams, DevToken]{
		Name: "dev.lastToken", Auth: auth.Service,
		Summary: "The last sign-up or invitation token mailed to an email; refused unless HUB_DEV_MODE is on (demo loader, tests).",
		Errors:  []errs.Code{errs.CodeForbidden, errs.CodeNotFound},
	}
)
