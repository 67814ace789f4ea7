// Package hub is the contract of the hub service: its JSON-RPC methods with
// their params and results, the events it publishes, and the reader of its
// Redis read model that other services use to check access on every request
// without calling hub.
//
// Hub owns organizers, apps, collaborators and their roles, events, members
// (attendee profiles), the agenda (sessions, speakers, rooms, tracks),
// access rules and token issuing. See README.md for the permission matrix
// and the read-model contract; docs/methods.md lists every method with an
// example request.
package hub

import (
	"time"

	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/rpc"
)

// Token lifetimes.
const (
	// AccountTokenTTL is how long an organizer's account token lasts.
	AccountTokenTTL = 12 * time.Hour
	// AppTokenTTL is how long an organizer's app token lasts; exchange the
	// account token again for a fresh one.
	AppTokenTTL = time.Hour
	// MemberTokenTTL is how long a member's (attendee's) token lasts.
	MemberTokenTTL = 30 * 24 * time.Hour
	// SignUpTTL is how long the token mailed by auth.signUp confirms the
	// address.
	SignUpTTL = 24 * time.Hour
	// InvitationTTL is how long the token mailed by collaborator.invite
	// can be accepted.
	InvitationTTL = 7 * 24 * time.Hour
)

// Limits.
const (
	// MaxCollaborators bounds the collaborators and pending invitations of
	// one app.
	MaxCollaborators = 25
	// MaxBulkRows bounds the rows of one bulk upsert.
	MaxBulkRows = 10000
	// MaxBulkBytes bounds the body of one bulk upsert; every other method
	// takes the platform's defaults (64 KiB public, 1 MiB the others).
	MaxBulkBytes = 16 << 20
	// MaxPageSize bounds one page of a listing.
	MaxPageSize = 200
)

// Collaborator roles, from the most to the least powerful. "member" is an
// organizer who edits content; its token role is auth.RoleCollaborator.
const (
	RoleOwner     = "owner"
	RoleAdmin     = "admin"
	RoleModerator = "moderator"
	RoleMember    = "member"
)

// TokenRole is the auth role an app token carries for a collaborator role.
func TokenRole(collaboratorRole string) string {
	switch collaboratorRole {
	case RoleOwner:
		return auth.RoleOwner
	case RoleAdmin:
		return auth.RoleAdmin
	case RoleModerator:
		return auth.RoleModerator
	case RoleMember:
		return auth.RoleCollaborator
	}
	return ""
}

// CollaboratorRole is the collaborator role whose app tokens carry
// tokenRole (the inverse of TokenRole), or "" for a role no collaborator has.
func CollaboratorRole(tokenRole string) string {
	for _, r := range []string{RoleOwner, RoleAdmin, RoleModerator, RoleMember} {
		if TokenRole(r) == tokenRole {
			return r
		}
	}
	return ""
}

// Member roles (what an attendee is at the conference).
const (
	MemberAttendee = "attendee"
	MemberSpeaker  = "speaker"
	MemberSponsor  = "sponsor"
	MemberStaff    = "staff"
)

// App statuses and access modes.
const (
	StatusUnpublished = "unpublished"
	StatusPublished   = "published"
	StatusExpired     = "expired"

	AccessOpen     = "open"     // anyone with the app signs in with an email code
	AccessPasscode = "passcode" // the app's passcode is needed as well
	AccessInvite   = "invite"   // only listed members sign in
)

// Event visibility and access.
const (
	VisibilityPublic = "public"
	VisibilityHidden = "hidden"

	EventAccessOpen   = "open"   // any member of the app
	EventAccessCode   = "code"   // members who registered with the event code
	EventAccessListed = "listed" // members an organizer registered
)

// LocalTimeLayout is the wire form of a wall-clock time in an event's time
// zone: "2025-06-12T09:30".
const LocalTimeLayout = "2006-01-02T15:04"

// ---------------------------------------------------------------------------
// Wire types shared by several methods.

// Empty is the result of methods with nothing to return.
type Empty struct{}

// Organizer is an organizer's account.
type Organizer struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// AccountSession is an organizer's account token: it signs in to hub
// itself (list apps, create one) and is exchanged for app tokens.
type AccountSession struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	Organizer Organizer `json:"organizer"`
}

// AppToken is an organizer's token for one app, carrying their role in it.
type AppToken struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	AppID     string    `json:"app_id"`
	Role      string    `json:"role"` // the collaborator role: owner, admin, moderator, member
}

// Branding is how an app looks.
type Branding struct {
	PrimaryColor string `json:"primary_color"`
	AccentColor  string `json:"accent_color"`
	IconURL      string `json:"icon_url"`
}

// App is an app's configuration as its organizers see it.
type App struct {
	ID        string    `json:"id"`
	Slug      string    `json:"slug"`
	Name      string    `json:"name"`
	Status    string    `json:"status"`
	Access    string    `json:"access"`
	Branding  Branding  `json:"branding"`
	Role      string    `json:"role,omitempty"` // the caller's collaborator role, in listings
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// PublicApp is what the sign-in screen of a mobile app shows.
type PublicApp struct {
	ID       string   `json:"id"`
	Slug     string   `json:"slug"`
	Name     string   `json:"name"`
	Status   string   `json:"status"`
	Access   string   `json:"access"`
	Branding Branding `json:"branding"`
}

// Collaborator is an organizer with a role in an app.
type Collaborator struct {
	OrganizerID string `json:"organizer_id"`
	Email       string `json:"email"`
	Name        string `json:"name"`
	Role        string `json:"role"`
}

// The states of an invitation.
const (
	InvitationPending  = "pending"  // its token may be accepted
	InvitationAccepted = "accepted" // by AcceptedBy
	InvitationRevoked  = "revoked"  // by RevokedBy, or replaced by a newer invitation of the email
	InvitationExpired  = "expired"  // not accepted within InvitationTTL
)

// Invitation is an invitation to collaborate on an app, as its organizers
// see it: never its token, which only the invitee's mail carries.
type Invitation struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"` // the address the token was mailed to
	Role      string    `json:"role"`
	Status    string    `json:"status"`     // pending, accepted, revoked, expired
	InvitedBy string    `json:"invited_by"` // organizer id
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	// AcceptedBy is the account that presented the token (its email may
	// differ from Email), AcceptedEmail that account's email.
	AcceptedBy    string     `json:"accepted_by,omitempty"`
	AcceptedEmail string     `json:"accepted_email,omitempty"`
	AcceptedAt    *time.Time `json:"accepted_at,omitempty"`
	RevokedBy     string     `json:"revoked_by,omitempty"`
	RevokedAt     *time.Time `json:"revoked_at,omitempty"`
}

// Joined is the app an organizer joined by accepting an invitation.
type Joined struct {
	AppID   string `json:"app_id"`
	AppName string `json:"app_name"`
	Role    string `json:"role"`
}

// Event is one event of an app. Start and End are wall-clock times in the
// event's time zone; StartUTC and EndUTC the same instants.
type Event struct {
	ID         string    `json:"id"`
	AppID      string    `json:"app_id"`
	Name       string    `json:"name"`
	TimeZone   string    `json:"time_zone"`
	Start      string    `json:"start"`
	End        string    `json:"end"`
	StartUTC   time.Time `json:"start_utc"`
	EndUTC     time.Time `json:"end_utc"`
	Venue      string    `json:"venue"`
	Visibility string    `json:"visibility"`
	Access     string    `json:"access"`
	Code       string    `json:"code,omitempty"` // the event code, for organizers only
	Registered bool      `json:"registered,omitempty"`
}

// Link is a labelled URL on a profile.
type Link struct {
	Label string `json:"label" jsonschema:"maxLength=40"`
	URL   string `json:"url" jsonschema:"format=uri,maxLength=500"`
}

// Member is an attendee's profile. Email and ExternalID are shown to
// organizers and to the member themself only.
type Member struct {
	ID         string    `json:"id"`
	AppID      string    `json:"app_id"`
	Email      string    `json:"email,omitempty"`
	ExternalID string    `json:"external_id,omitempty"`
	Name       string    `json:"name"`
	Company    string    `json:"company"`
	Title      string    `json:"title"`
	PhotoURL   string    `json:"photo_url"`
	Bio        string    `json:"bio"`
	Links      []Link    `json:"links"`
	Role       string    `json:"role"`
	Blocked    bool      `json:"blocked,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	// Phone (as written, with its E.164 form when the number says its
	// country: see PhoneE164), TicketType and Custom are shown to
	// organizers and the member themself.
	Phone      string            `json:"phone,omitempty"`
	PhoneE164  string            `json:"phone_e164,omitempty"`
	TicketType string            `json:"ticket_type,omitempty"`
	Custom     map[string]string `json:"custom,omitempty"`
}

// Room is a place sessions happen in, per event.
type Room struct {
	ID       string `json:"id"`
	EventID  string `json:"event_id"`
	Name     string `json:"name"`
	Capacity int    `json:"capacity,omitempty"`
}

// Track is a thematic line of sessions, per event.
type Track struct {
	ID      string `json:"id"`
	EventID string `json:"event_id"`
	Name    string `json:"name"`
	Color   string `json:"color,omitempty"`
}

// Speaker is a speaker's agenda profile; MemberID links it to the member
// with the same email, when there is one.
type Speaker struct {
	ID         string `json:"id"`
	ExternalID string `json:"external_id,omitempty"`
	Email      string `json:"email,omitempty"` // organizers only
	Name       string `json:"name"`
	Company    string `json:"company"`
	Title      string `json:"title"`
	Bio        string `json:"bio"`
	PhotoURL   string `json:"photo_url"`
	MemberID   string `json:"member_id,omitempty"`
}

// Session is one agenda item. Start and End are wall-clock times in the
// event's time zone.
type Session struct {
	ID          string    `json:"id"`
	EventID     string    `json:"event_id"`
	ExternalID  string    `json:"external_id,omitempty"`
	Title       string    `json:"title"`
	Description string    `json:"description"`
	Start       string    `json:"start"`
	End         string    `json:"end"`
	StartUTC    time.Time `json:"start_utc"`
	EndUTC      time.Time `json:"end_utc"`
	Room        *Room     `json:"room,omitempty"`
	Track       *Track    `json:"track,omitempty"`
	Capacity    int       `json:"capacity,omitempty"`
	Speakers    []Speaker `json:"speakers"`
}

// ---------------------------------------------------------------------------
// Organizer accounts.

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
	App string `json:"app_id" jsonschema:"minLength=1,maxLength=64"`
}

// AppID implements rpc.AppScoped.
func (p AppParams) AppID() string { return p.App }

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
		Name: "organizer.me", Auth: auth.User, Idempotent: true,
		Summary: "The signed-in organizer's account.",
		Errors:  []errs.Code{errs.CodeTokenInvalid},
	}
	ChangePassword = rpc.Method[ChangePasswordParams, AccountSession]{
		Name: "organizer.changePassword", Auth: auth.User, NoBatch: true,
		Summary: "Change the signed-in organizer's password; every token issued to them before stops working.",
		Description: "The account token and the app tokens of every app issued before the change are refused from then on " +
			"(token_invalid), in hub at once and in the other services at their next read of hub's read model. " +
			"The result is a new account token.",
		Errors: []errs.Code{errs.CodeInvalid, errs.CodeTokenInvalid},
	}
	SignOut = rpc.Method[NoParams, Empty]{
		Name: "auth.signOut", Auth: auth.User,
		Summary: "Sign the caller out everywhere: every token issued to them before stops working.",
		Description: "An organizer (with any of their tokens) loses their account token and their app tokens of every app; " +
			"a member their tokens of the app. Refused tokens answer token_invalid.",
		Errors: []errs.Code{errs.CodeTokenInvalid},
	}
)

// ---------------------------------------------------------------------------
// Apps.

// CreateAppParams create an app; the caller becomes its owner.
type CreateAppParams struct {
	Name string `json:"name" jsonschema:"minLength=1,maxLength=120"`
	Slug string `json:"slug" jsonschema:"minLength=3,maxLength=40,pattern=^[a-z0-9][a-z0-9-]*[a-z0-9]$"`
}

// AppList is the apps an organizer collaborates on.
type AppList struct {
	Apps []App `json:"apps"`
}

// PublicAppParams find an app by id or slug (exactly one).
type PublicAppParams struct {
	App  string `json:"app_id,omitempty" jsonschema:"maxLength=64"`
	Slug string `json:"slug,omitempty" jsonschema:"maxLength=40"`
}

// UpdateAppParams change an app's name, slug or branding; absent fields
// stay as they are.
type UpdateAppParams struct {
	App          string  `json:"app_id" jsonschema:"minLength=1,maxLength=64"`
	Name         *string `json:"name,omitempty" jsonschema:"minLength=1,maxLength=120"`
	Slug         *string `json:"slug,omitempty" jsonschema:"minLength=3,maxLength=40,pattern=^[a-z0-9][a-z0-9-]*[a-z0-9]$"`
	PrimaryColor *string `json:"primary_color,omitempty" jsonschema:"pattern=^(#[0-9a-fA-F]{6})?$"`
	AccentColor  *string `json:"accent_color,omitempty" jsonschema:"pattern=^(#[0-9a-fA-F]{6})?$"`
	IconURL      *string `json:"icon_url,omitempty" jsonschema:"maxLength=500"`
}

// AppID implements rpc.AppScoped.
func (p UpdateAppParams) AppID() string { return p.App }

// SetAccessParams choose how members sign in to an app.
type SetAccessParams struct {
	App      string `json:"app_id" jsonschema:"minLength=1,maxLength=64"`
	Access   string `json:"access" jsonschema:"enum=open,enum=passcode,enum=invite"`
	Passcode string `json:"passcode,omitempty" jsonschema:"maxLength=64"`
}

// AppID implements rpc.AppScoped.
func (p SetAccessParams) AppID() string { return p.App }

// TransferOwnershipParams make another collaborator the owner; the old
// owner becomes an admin.
type TransferOwnershipParams struct {
	App         string `json:"app_id" jsonschema:"minLength=1,maxLength=64"`
	OrganizerID string `json:"organizer_id" jsonschema:"minLength=1,maxLength=64"`
}

// AppID implements rpc.AppScoped.
func (p TransferOwnershipParams) AppID() string { return p.App }

// Methods of apps.
var (
	CreateApp = rpc.Method[CreateAppParams, App]{
		Name: "app.create", Auth: auth.User,
		Summary: "Create an app (unpublished, open access); the caller becomes its owner.",
		Errors:  []errs.Code{errs.CodeConflict},
	}
	ListApps = rpc.Method[NoParams, AppList]{
		Name: "app.list", Auth: auth.User, Idempotent: true,
		Summary: "The apps the signed-in organizer collaborates on, with their role.",
	}
	PublicAppInfo = rpc.Method[PublicAppParams, PublicApp]{
		Name: "app.info", Auth: auth.Public, Idempotent: true,
		Summary: "A published or expired app's name, branding and access mode, for the sign-in screen.",
		Errors:  []errs.Code{errs.CodeNotFound},
	}
	GetApp = rpc.Method[AppParams, App]{
		Name: "app.get", Auth: auth.Member, Idempotent: true,
		Summary: "An app's configuration.",
	}
	UpdateApp = rpc.Method[UpdateAppParams, App]{
		Name: "app.update", Auth: auth.Admin,
		Summary:     "Rename, re-slug or re-brand an app.",
		Description: "icon_url is an http or https URL (or empty): anything else is invalid.",
		Errors:      []errs.Code{errs.CodeConflict, errs.CodeNotFound, errs.CodeInvalid},
	}
	SetAccess = rpc.Method[SetAccessParams, App]{
		Name: "app.setAccess", Auth: auth.Admin, NoBatch: true,
		Summary: "Set an app's access mode (open, passcode, invite); passcode mode needs a passcode.",
		Errors:  []errs.Code{errs.CodeInvalid},
	}
	PublishApp = rpc.Method[AppParams, App]{
		Name: "app.publish", Auth: auth.Admin, Idempotent: true,
		Summary: "Publish an app: members can sign in.",
	}
	UnpublishApp = rpc.Method[AppParams, App]{
		Name: "app.unpublish", Auth: auth.Admin, Idempotent: true,
		Summary: "Unpublish an app: members can no longer sign in or read it.",
	}
	ExpireApp = rpc.Method[AppParams, App]{
		Name: "app.expire", Auth: auth.Admin, Idempotent: true,
		Summary:     "Expire an app: it stays readable to installed apps, but takes no new members.",
		Description: "Existing members may still sign in; content is read-only for members.",
	}
	DeleteApp = rpc.Method[AppParams, Empty]{
		Name: "app.delete", Auth: auth.Admin,
		Summary: "Delete an app and everything in it (owner only).",
	}
	TransferOwnership = rpc.Method[TransferOwnershipParams, App]{
		Name: "app.transferOwnership", Auth: auth.Admin,
		Summary: "Make another collaborator the owner (owner only); the old owner becomes an admin.",
		Errors:  []errs.Code{errs.CodeNotFound},
	}
)

// ---------------------------------------------------------------------------
// Collaborators.

// InviteParams invite an organizer (by email) to an app with a role.
type InviteParams struct {
	App   string `json:"app_id" jsonschema:"minLength=1,maxLength=64"`
	Email string `json:"email" jsonschema:"format=email,maxLength=254"`
	Role  string `json:"role" jsonschema:"enum=admin,enum=moderator,enum=member"`
}

// AppID implements rpc.AppScoped.
func (p InviteParams) AppID() string { return p.App }

// InvitationParams address one invitation of an app.
type InvitationParams struct {
	App        string `json:"app_id" jsonschema:"minLength=1,maxLength=64"`
	Invitation string `json:"invitation_id" jsonschema:"minLength=1,maxLength=64"`
}

// AppID implements rpc.AppScoped.
func (p InvitationParams) AppID() string { return p.App }

// AcceptParams accept an invitation with the token its mail carried.
type AcceptParams struct {
	Token string `json:"token" jsonschema:"pattern=^[A-Z2-7]{26}$"`
}

// SetRoleParams change a collaborator's role (not to or from owner: use
// app.transferOwnership).
type SetRoleParams struct {
	App         string `json:"app_id" jsonschema:"minLength=1,maxLength=64"`
	OrganizerID string `json:"organizer_id" jsonschema:"minLength=1,maxLength=64"`
	Role        string `json:"role" jsonschema:"enum=admin,enum=moderator,enum=member"`
}

// AppID implements rpc.AppScoped.
func (p SetRoleParams) AppID() string { return p.App }

// RemoveCollaboratorParams remove a collaborator. Any collaborator but the
// owner may remove themself.
type RemoveCollaboratorParams struct {
	App         string `json:"app_id" jsonschema:"minLength=1,maxLength=64"`
	OrganizerID string `json:"organizer_id" jsonschema:"minLength=1,maxLength=64"`
}

// AppID implements rpc.AppScoped.
func (p RemoveCollaboratorParams) AppID() string { return p.App }

// CollaboratorList is an app's collaborators.
type CollaboratorList struct {
	Collaborators []Collaborator `json:"collaborators"`
}

// InvitationList is an app's invitations, newest first: the pending ones
// and those closed in the last 30 days.
type InvitationList struct {
	Invitations []Invitation `json:"invitations"`
}

// Methods of collaborators.
var (
	ListCollaborators = rpc.Method[AppParams, CollaboratorList]{
		Name: "collaborator.list", Auth: auth.Admin, Idempotent: true,
		Summary: "An app's collaborators (collaborator.invitations lists the invitations).",
	}
	Invite = rpc.Method[InviteParams, Invitation]{
		Name: "collaborator.invite", Auth: auth.Admin, NoBatch: true,
		Summary: "Invite someone by email to collaborate on an app with a role: mail them a token to accept (collaborator.accept).",
		Description: "The role is taken only by whoever accepts the mailed token (template collaborator_invitation, valid 7 days, " +
			"once), signed in with any account or signing up with it; an address that has an account is not added without " +
			"accepting, and the answer does not say whether it has one. Inviting an address again replaces its pending invitation " +
			"(the older token stops working). At most 25 collaborators and pending invitations; 50 invitations an hour per app, " +
			"5 per app and address, 100 per inviter.",
		Errors: []errs.Code{errs.CodeConflict, errs.CodeRateLimited, errs.CodeUnavailable},
	}
	ListInvitations = rpc.Method[AppParams, InvitationList]{
		Name: "collaborator.invitations", Auth: auth.Admin, Idempotent: true,
		Summary: "An app's invitations, pending and recently closed (who accepted, who revoked), without their tokens.",
	}
	RevokeInvitation = rpc.Method[InvitationParams, Invitation]{
		Name: "collaborator.revokeInvitation", Auth: auth.Admin,
		Summary: "Revoke a pending invitation: its token stops working.",
		Errors:  []errs.Code{errs.CodeNotFound},
	}
	Accept = rpc.Method[AcceptParams, Joined]{
		Name: "collaborator.accept", Auth: auth.User, NoBatch: true,
		Summary: "Accept an invitation with the token its mail carried: the signed-in organizer (account token) takes its role.",
		Description: "The token is the proof: the account's email need not be the invited one; the invitation records who accepted. " +
			"A token works once, for 7 days, unless revoked. Wrong tokens count as guesses per account and per client address (see event.register).",
		Errors: []errs.Code{errs.CodeNotFound, errs.CodeConflict, errs.CodeForbidden, errs.CodeRateLimited, errs.CodeUnavailable},
	}
	SetRole = rpc.Method[SetRoleParams, Collaborator]{
		Name: "collaborator.setRole", Auth: auth.Admin,
		Summary: "Change a collaborator's role.",
		Errors:  []errs.Code{errs.CodeNotFound},
	}
	RemoveCollaborator = rpc.Method[RemoveCollaboratorParams, Empty]{
		Name: "collaborator.remove", Auth: auth.Admin,
		Summary: "Remove a collaborator; anyone but the owner may leave.",
		Errors:  []errs.Code{errs.CodeNotFound},
	}
)

// ---------------------------------------------------------------------------
// Events.

// CreateEventParams create an event. Start and End are wall-clock times
// ("2025-06-12T09:00") in TimeZone (an IANA name).
type CreateEventParams struct {
	App        string `json:"app_id" jsonschema:"minLength=1,maxLength=64"`
	Name       string `json:"name" jsonschema:"minLength=1,maxLength=160"`
	TimeZone   string `json:"time_zone" jsonschema:"minLength=1,maxLength=64"`
	Start      string `json:"start" jsonschema:"pattern=^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}$"`
	End        string `json:"end" jsonschema:"pattern=^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}$"`
	Venue      string `json:"venue,omitempty" jsonschema:"maxLength=300"`
	Visibility string `json:"visibility,omitempty" jsonschema:"enum=public,enum=hidden"`
	Access     string `json:"access,omitempty" jsonschema:"enum=open,enum=code,enum=listed"`
	Code       string `json:"code,omitempty" jsonschema:"maxLength=64"`
}

// AppID implements rpc.AppScoped.
func (p CreateEventParams) AppID() string { return p.App }

// UpdateEventParams change an event; absent fields stay as they are. A
// new time zone keeps the wall-clock times of the event and its sessions.
type UpdateEventParams struct {
	App        string  `json:"app_id" jsonschema:"minLength=1,maxLength=64"`
	Event      string  `json:"event_id" jsonschema:"minLength=1,maxLength=64"`
	Name       *string `json:"name,omitempty" jsonschema:"minLength=1,maxLength=160"`
	TimeZone   *string `json:"time_zone,omitempty" jsonschema:"minLength=1,maxLength=64"`
	Start      *string `json:"start,omitempty" jsonschema:"pattern=^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}$"`
	End        *string `json:"end,omitempty" jsonschema:"pattern=^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}$"`
	Venue      *string `json:"venue,omitempty" jsonschema:"maxLength=300"`
	Visibility *string `json:"visibility,omitempty" jsonschema:"enum=public,enum=hidden"`
	Access     *string `json:"access,omitempty" jsonschema:"enum=open,enum=code,enum=listed"`
	Code       *string `json:"code,omitempty" jsonschema:"maxLength=64"`
}

// AppID implements rpc.AppScoped.
func (p UpdateEventParams) AppID() string { return p.App }

// EventParams address one event.
type EventParams struct {
	App   string `json:"app_id" jsonschema:"minLength=1,maxLength=64"`
	Event string `json:"event_id" jsonschema:"minLength=1,maxLength=64"`
}

// AppID implements rpc.AppScoped.
func (p EventParams) AppID() string { return p.App }

// EventList is an app's events, by start.
type EventList struct {
	Events []Event `json:"events"`
}

// RegisterParams register the calling member to an event (code access
// needs the event code; listed events take registrations from organizers
// only; a hidden event is joined with its code or by the organizers).
type RegisterParams struct {
	App   string `json:"app_id" jsonschema:"minLength=1,maxLength=64"`
	Event string `json:"event_id" jsonschema:"minLength=1,maxLength=64"`
	Code  string `json:"code,omitempty" jsonschema:"maxLength=64"`
}

// AppID implements rpc.AppScoped.
func (p RegisterParams) AppID() string { return p.App }

// AttendeesParams register (or unregister) members to an event.
type AttendeesParams struct {
	App     string   `json:"app_id" jsonschema:"minLength=1,maxLength=64"`
	Event   string   `json:"event_id" jsonschema:"minLength=1,maxLength=64"`
	Members []string `json:"member_ids" jsonschema:"minItems=1,maxItems=1000"`
}

// AppID implements rpc.AppScoped.
func (p AttendeesParams) AppID() string { return p.App }

// Count is how many objects a call changed.
type Count struct {
	Count int `json:"count"`
}

// Methods of events.
var (
	CreateEvent = rpc.Method[CreateEventParams, Event]{
		Name: "event.create", Auth: auth.Admin,
		Summary: "Create an event in an app.",
		Errors:  []errs.Code{errs.CodeInvalid},
	}
	UpdateEvent = rpc.Method[UpdateEventParams, Event]{
		Name: "event.update", Auth: auth.Admin,
		Summary: "Change an event.",
		Errors:  []errs.Code{errs.CodeInvalid, errs.CodeNotFound},
	}
	DeleteEvent = rpc.Method[EventParams, Empty]{
		Name: "event.delete", Auth: auth.Admin,
		Summary: "Delete an event and its agenda (owner and admin only).",
		Errors:  []errs.Code{errs.CodeNotFound},
	}
	ListEvents = rpc.Method[AppParams, EventList]{
		Name: "event.list", Auth: auth.Member, Idempotent: true,
		Summary: "An app's events by start; members see public events and those they are registered to.",
	}
	GetEvent = rpc.Method[EventParams, Event]{
		Name: "event.get", Auth: auth.Member, Idempotent: true,
		Summary:     "One event.",
		Description: "A hidden event the member is not registered to is not_found, as an event that does not exist.",
		Errors:      []errs.Code{errs.CodeNotFound},
	}
	Register = rpc.Method[RegisterParams, Event]{
		Name: "event.register", Auth: auth.Member, Idempotent: true,
		Summary: "Register the calling member to an event (with its code when its access is code).",
		Description: "A hidden event is joined only with its code (code access) or by the organizers; otherwise it is " +
			"not_found, as an event that does not exist. Wrong codes and unknown event ids count as guesses per member " +
			"(3 free), per event and per client address; past the free ones each makes the next attempt wait " +
			"(rate_limited with retry_after_ms, doubling).",
		Errors: []errs.Code{errs.CodeNotFound, errs.CodeInvalid, errs.CodeForbidden, errs.CodeRateLimited, errs.CodeUnavailable},
	}
	AddAttendees = rpc.Method[AttendeesParams, Count]{
		Name: "event.addAttendees", Auth: auth.Admin, Idempotent: true,
		Summary: "Register members to an event.",
		Errors:  []errs.Code{errs.CodeNotFound},
	}
	RemoveAttendees = rpc.Method[AttendeesParams, Count]{
		Name: "event.removeAttendees", Auth: auth.Admin, Idempotent: true,
		Summary: "Unregister members from an event.",
	}
)

// ---------------------------------------------------------------------------
// Members.

// MemberInput is a member's profile as organizers write it.
type MemberInput struct {
	Email      string `json:"email" jsonschema:"format=email,maxLength=254"`
	ExternalID string `json:"external_id,omitempty" jsonschema:"maxLength=128"`
	Name       string `json:"name" jsonschema:"minLength=1,maxLength=160"`
	Company    string `json:"company,omitempty" jsonschema:"maxLength=160"`
	Title      string `json:"title,omitempty" jsonschema:"maxLength=160"`
	PhotoURL   string `json:"photo_url,omitempty" jsonschema:"maxLength=500"`
	Bio        string `json:"bio,omitempty" jsonschema:"maxLength=4000"`
	Links      []Link `json:"links,omitempty" jsonschema:"maxItems=10"`
	Role       string `json:"role,omitempty" jsonschema:"enum=attendee,enum=speaker,enum=sponsor,enum=staff"`
	Phone      string `json:"phone,omitempty" jsonschema:"maxLength=40"`
	// TicketType is the attendee's ticket, pass or registration type as
	// the registration system names it ("VIP", "Early Bird"): organizers
	// see it and filter the directory by it.
	TicketType string `json:"ticket_type,omitempty" jsonschema:"maxLength=80"`
	// Custom are the app's own profile fields, by name (see
	// MaxCustomFields); not searched.
	Custom map[string]string `json:"custom,omitempty"`
}

// Bounds of a member's custom profile fields.
const (
	MaxCustomFields   = 50   // fields per member
	MaxCustomNameLen  = 60   // characters of a field's name
	MaxCustomValueLen = 1000 // characters of a field's value
)

// CreateMemberParams add a member to an app.
type CreateMemberParams struct {
	App string `json:"app_id" jsonschema:"minLength=1,maxLength=64"`
	MemberInput
}

// AppID implements rpc.AppScoped.
func (p CreateMemberParams) AppID() string { return p.App }

// ProfileChanges change a profile; absent fields stay as they are.
type ProfileChanges struct {
	Name     *string `json:"name,omitempty" jsonschema:"minLength=1,maxLength=160"`
	Company  *string `json:"company,omitempty" jsonschema:"maxLength=160"`
	Title    *string `json:"title,omitempty" jsonschema:"maxLength=160"`
	PhotoURL *string `json:"photo_url,omitempty" jsonschema:"maxLength=500"`
	Bio      *string `json:"bio,omitempty" jsonschema:"maxLength=4000"`
	Links    []Link  `json:"links,omitempty" jsonschema:"maxItems=10"`
	Phone    *string `json:"phone,omitempty" jsonschema:"maxLength=40"`
}

// UpdateMemberParams change a member (organizers).
type UpdateMemberParams struct {
	App    string  `json:"app_id" jsonschema:"minLength=1,maxLength=64"`
	Member string  `json:"member_id" jsonschema:"minLength=1,maxLength=64"`
	Email  *string `json:"email,omitempty" jsonschema:"format=email,maxLength=254"`
	Role   *string `json:"role,omitempty" jsonschema:"enum=attendee,enum=speaker,enum=sponsor,enum=staff"`
	// TicketType changes the ticket type ("" clears it).
	TicketType *string `json:"ticket_type,omitempty" jsonschema:"maxLength=80"`
	// Custom replaces the member's custom profile fields (absent: kept).
	Custom map[string]string `json:"custom,omitempty"`
	ProfileChanges
}

// AppID implements rpc.AppScoped.
func (p UpdateMemberParams) AppID() string { return p.App }

// UpdateMeParams change the calling member's own profile.
type UpdateMeParams struct {
	App string `json:"app_id" jsonschema:"minLength=1,maxLength=64"`
	ProfileChanges
}

// AppID implements rpc.AppScoped.
func (p UpdateMeParams) AppID() string { return p.App }

// MemberParams address one member.
type MemberParams struct {
	App    string `json:"app_id" jsonschema:"minLength=1,maxLength=64"`
	Member string `json:"member_id" jsonschema:"minLength=1,maxLength=64"`
}

// AppID implements rpc.AppScoped.
func (p MemberParams) AppID() string { return p.App }

// SearchMembersParams page through an app's member directory, sorted by
// name. Query matches the starts of the words of name and company, ignoring
// case and accents ("jo sm" finds "Jöhn Smith"); every word must match.
type SearchMembersParams struct {
	App   string `json:"app_id" jsonschema:"minLength=1,maxLength=64"`
	Query string `json:"query,omitempty" jsonschema:"maxLength=100"`
	Role  string `json:"role,omitempty" jsonschema:"enum=attendee,enum=speaker,enum=sponsor,enum=staff"`
	Event string `json:"event_id,omitempty" jsonschema:"maxLength=64"`
	// TicketType keeps the members of this ticket type (any case); for
	// organizers only.
	TicketType string `json:"ticket_type,omitempty" jsonschema:"maxLength=80"`
	Limit      int    `json:"limit,omitempty" jsonschema:"minimum=1,maximum=200"`
	Cursor     string `json:"cursor,omitempty" jsonschema:"maxLength=400"`
}

// AppID implements rpc.AppScoped.
func (p SearchMembersParams) AppID() string { return p.App }

// MemberPage is one page of the directory; NextCursor is empty on the last.
type MemberPage struct {
	Members    []Member `json:"members"`
	NextCursor string   `json:"next_cursor,omitempty"`
}

// Methods of members.
var (
	CreateMember = rpc.Method[CreateMemberParams, Member]{
		Name: "member.create", Auth: auth.Admin,
		Summary:     "Add a member to an app.",
		Description: "photo_url and the links' url are http or https URLs (or empty): anything else is invalid.",
		Errors:      []errs.Code{errs.CodeConflict, errs.CodeInvalid},
	}
	UpdateMember = rpc.Method[UpdateMemberParams, Member]{
		Name: "member.update", Auth: auth.Admin,
		Summary:     "Change a member's profile, email or role.",
		Description: "photo_url and the links' url are http or https URLs (or empty): anything else is invalid.",
		Errors:      []errs.Code{errs.CodeNotFound, errs.CodeConflict, errs.CodeInvalid},
	}
	GetMember = rpc.Method[MemberParams, Member]{
		Name: "member.get", Auth: auth.Member, Idempotent: true,
		Summary: "One member's profile (email for organizers only).",
		Errors:  []errs.Code{errs.CodeNotFound},
	}
	SearchMembers = rpc.Method[SearchMembersParams, MemberPage]{
		Name: "member.search", Auth: auth.Member, Idempotent: true,
		Summary:     "The member directory: name/company word-prefix search, by name, paginated with a cursor.",
		Description: "Organizers may also filter by ticket type (ticket_type); a member who does is forbidden.",
		Errors:      []errs.Code{errs.CodeNotFound, errs.CodeForbidden},
	}
	BlockMember = rpc.Method[MemberParams, Member]{
		Name: "member.block", Auth: auth.Admin, Idempotent: true,
		Summary: "Block a member: their token stops working in every service.",
		Errors:  []errs.Code{errs.CodeNotFound},
	}
	UnblockMember = rpc.Method[MemberParams, Member]{
		Name: "member.unblock", Auth: auth.Admin, Idempotent: true,
		Summary: "Unblock a member.",
		Errors:  []errs.Code{errs.CodeNotFound},
	}
	DeleteMember = rpc.Method[MemberParams, Empty]{
		Name: "member.delete", Auth: auth.Admin,
		Summary:     "Delete a member and erase their personal data.",
		Description: "member.deleted (ids only) tells the other services to erase or anonymise what they hold.",
		Errors:      []errs.Code{errs.CodeNotFound},
	}
	MemberMe = rpc.Method[AppParams, Member]{
		Name: "member.me", Auth: auth.Member, Idempotent: true,
		Summary: "The calling member's own profile.",
	}
	UpdateMe = rpc.Method[UpdateMeParams, Member]{
		Name: "member.updateMe", Auth: auth.Member,
		Summary:     "Change the calling member's own profile.",
		Description: "photo_url and the links' url are http or https URLs (or empty): anything else is invalid.",
		Errors:      []errs.Code{errs.CodeInvalid},
	}
	DeleteMe = rpc.Method[AppParams, Empty]{
		Name: "member.deleteMe", Auth: auth.Member,
		Summary: "Delete the calling member's account and erase their personal data.",
	}
)

// ---------------------------------------------------------------------------
// Member sign-in.

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

// ---------------------------------------------------------------------------
// Agenda.

// RoomParams create or change a room of an event (Room empty: create).
type RoomParams struct {
	App      string `json:"app_id" jsonschema:"minLength=1,maxLength=64"`
	Event    string `json:"event_id" jsonschema:"minLength=1,maxLength=64"`
	Room     string `json:"room_id,omitempty" jsonschema:"maxLength=64"`
	Name     string `json:"name" jsonschema:"minLength=1,maxLength=120"`
	Capacity int    `json:"capacity,omitempty" jsonschema:"minimum=0,maximum=1000000"`
}

// AppID implements rpc.AppScoped.
func (p RoomParams) AppID() string { return p.App }

// TrackParams create or change a track of an event (Track empty: create).
type TrackParams struct {
	App   string `json:"app_id" jsonschema:"minLength=1,maxLength=64"`
	Event string `json:"event_id" jsonschema:"minLength=1,maxLength=64"`
	Track string `json:"track_id,omitempty" jsonschema:"maxLength=64"`
	Name  string `json:"name" jsonschema:"minLength=1,maxLength=120"`
	Color string `json:"color,omitempty" jsonschema:"pattern=^(#[0-9a-fA-F]{6})?$"`
}

// AppID implements rpc.AppScoped.
func (p TrackParams) AppID() string { return p.App }

// ItemParams address one room, track, speaker or session of an app.
type ItemParams struct {
	App string `json:"app_id" jsonschema:"minLength=1,maxLength=64"`
	ID  string `json:"id" jsonschema:"minLength=1,maxLength=64"`
}

// AppID implements rpc.AppScoped.
func (p ItemParams) AppID() string { return p.App }

// SpeakerInput is a speaker's profile; Email links the speaker to the
// member with that email.
type SpeakerInput struct {
	ExternalID string `json:"external_id,omitempty" jsonschema:"maxLength=128"`
	Email      string `json:"email,omitempty" jsonschema:"maxLength=254"`
	Name       string `json:"name" jsonschema:"minLength=1,maxLength=160"`
	Company    string `json:"company,omitempty" jsonschema:"maxLength=160"`
	Title      string `json:"title,omitempty" jsonschema:"maxLength=160"`
	Bio        string `json:"bio,omitempty" jsonschema:"maxLength=4000"`
	PhotoURL   string `json:"photo_url,omitempty" jsonschema:"maxLength=500"`
}

// SpeakerParams create or replace a speaker (Speaker empty: create).
type SpeakerParams struct {
	App     string `json:"app_id" jsonschema:"minLength=1,maxLength=64"`
	Speaker string `json:"speaker_id,omitempty" jsonschema:"maxLength=64"`
	SpeakerInput
}

// AppID implements rpc.AppScoped.
func (p SpeakerParams) AppID() string { return p.App }

// SessionInput is an agenda item; Start and End are wall-clock times in
// the event's time zone; rooms, tracks and speakers are given by id.
type SessionInput struct {
	ExternalID  string   `json:"external_id,omitempty" jsonschema:"maxLength=128"`
	Title       string   `json:"title" jsonschema:"minLength=1,maxLength=300"`
	Description string   `json:"description,omitempty" jsonschema:"maxLength=10000"`
	Start       string   `json:"start" jsonschema:"pattern=^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}$"`
	End         string   `json:"end" jsonschema:"pattern=^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}$"`
	Room        string   `json:"room_id,omitempty" jsonschema:"maxLength=64"`
	Track       string   `json:"track_id,omitempty" jsonschema:"maxLength=64"`
	Capacity    int      `json:"capacity,omitempty" jsonschema:"minimum=0,maximum=1000000"`
	Speakers    []string `json:"speaker_ids,omitempty" jsonschema:"maxItems=50"`
}

// SessionParams create or replace a session (Session empty: create).
// Sessions of one room may not overlap.
type SessionParams struct {
	App     string `json:"app_id" jsonschema:"minLength=1,maxLength=64"`
	Event   string `json:"event_id" jsonschema:"minLength=1,maxLength=64"`
	Session string `json:"session_id,omitempty" jsonschema:"maxLength=64"`
	SessionInput
}

// AppID implements rpc.AppScoped.
func (p SessionParams) AppID() string { return p.App }

// AgendaParams read an event's agenda, optionally one day ("2025-06-12",
// in the event's zone) and one track.
type AgendaParams struct {
	App   string `json:"app_id" jsonschema:"minLength=1,maxLength=64"`
	Event string `json:"event_id" jsonschema:"minLength=1,maxLength=64"`
	Day   string `json:"day,omitempty" jsonschema:"pattern=^([0-9]{4}-[0-9]{2}-[0-9]{2})?$"`
	Track string `json:"track_id,omitempty" jsonschema:"maxLength=64"`
}

// AppID implements rpc.AppScoped.
func (p AgendaParams) AppID() string { return p.App }

// AgendaDay is one day of an agenda.
type AgendaDay struct {
	Date     string    `json:"date"`
	Sessions []Session `json:"sessions"`
}

// Agenda is an event's sessions by day, with its rooms and tracks.
type Agenda struct {
	Event  Event       `json:"event"`
	Days   []AgendaDay `json:"days"`
	Rooms  []Room      `json:"rooms"`
	Tracks []Track     `json:"tracks"`
}

// SpeakerList is an app's speakers by name.
type SpeakerList struct {
	Speakers []Speaker `json:"speakers"`
}

// Methods of the agenda.
var (
	SaveRoom = rpc.Method[RoomParams, Room]{
		Name: "room.save", Auth: auth.Admin,
		Summary: "Create a room of an event, or rename it.",
		Errors:  []errs.Code{errs.CodeConflict, errs.CodeNotFound},
	}
	DeleteRoom = rpc.Method[ItemParams, Empty]{
		Name: "room.delete", Auth: auth.Admin,
		Summary: "Delete a room that no session uses.",
		Errors:  []errs.Code{errs.CodeNotFound, errs.CodeInvalid},
	}
	SaveTrack = rpc.Method[TrackParams, Track]{
		Name: "track.save", Auth: auth.Admin,
		Summary: "Create a track of an event, or change it.",
		Errors:  []errs.Code{errs.CodeConflict, errs.CodeNotFound},
	}
	DeleteTrack = rpc.Method[ItemParams, Empty]{
		Name: "track.delete", Auth: auth.Admin,
		Summary: "Delete a track that no session uses.",
		Errors:  []errs.Code{errs.CodeNotFound, errs.CodeInvalid},
	}
	SaveSpeaker = rpc.Method[SpeakerParams, Speaker]{
		Name: "speaker.save", Auth: auth.Admin,
		Summary:     "Create or replace a speaker; an email links them to the member with that email.",
		Description: "photo_url is an http or https URL (or empty): anything else is invalid.",
		Errors:      []errs.Code{errs.CodeConflict, errs.CodeNotFound, errs.CodeInvalid},
	}
	DeleteSpeaker = rpc.Method[ItemParams, Empty]{
		Name: "speaker.delete", Auth: auth.Admin,
		Summary: "Delete a speaker (and take them off their sessions).",
		Errors:  []errs.Code{errs.CodeNotFound},
	}
	ListSpeakers = rpc.Method[AppParams, SpeakerList]{
		Name: "speaker.list", Auth: auth.Member, Idempotent: true,
		Summary: "An app's speakers by name.",
	}
	SaveSession = rpc.Method[SessionParams, Session]{
		Name: "session.save", Auth: auth.Admin,
		Summary: "Create or replace a session; sessions of one room may not overlap.",
		Errors:  []errs.Code{errs.CodeConflict, errs.CodeNotFound, errs.CodeInvalid},
	}
	DeleteSession = rpc.Method[ItemParams, Empty]{
		Name: "session.delete", Auth: auth.Admin,
		Summary: "Delete a session.",
		Errors:  []errs.Code{errs.CodeNotFound},
	}
	GetSession = rpc.Method[ItemParams, Session]{
		Name: "session.get", Auth: auth.Member, Idempotent: true,
		Summary:     "One session with its room, track and speakers.",
		Description: "A session of a hidden event the member is not registered to is not_found, as a session that does not exist.",
		Errors:      []errs.Code{errs.CodeNotFound},
	}
	GetAgenda = rpc.Method[AgendaParams, Agenda]{
		Name: "agenda.get", Auth: auth.Member, Idempotent: true,
		Summary:     "An event's agenda by day (in the event's zone), optionally one day and one track.",
		Description: "A hidden event the member is not registered to is not_found, as an event that does not exist.",
		Errors:      []errs.Code{errs.CodeNotFound, errs.CodeForbidden},
	}
)

// ---------------------------------------------------------------------------
// Bulk upsert (the importer).

// Modes of a bulk upsert: what it may do to the rows' objects, decided
// inside its transaction.
const (
	BulkUpsert = "upsert" // create the new objects, update the stored ones (the default)
	BulkCreate = "create" // create the new objects; the rows of stored ones are skipped
	BulkUpdate = "update" // update the stored objects; the rows of new ones are skipped
)

// BulkMembersParams upsert members keyed by external id, else email.
type BulkMembersParams struct {
	App string `json:"app_id" jsonschema:"minLength=1,maxLength=64"`
	// Event, when set, registers the member of every row to this event of
	// the app, in the same transaction (member.registered for each new
	// registration).
	Event string `json:"event_id,omitempty" jsonschema:"maxLength=64"`
	// DryRun checks the rows and says what each would do (BulkResult.Rows)
	// without writing anything.
	DryRun bool `json:"dry_run,omitempty"`
	// Merge makes an update keep the stored value of every field the row
	// leaves empty, the stored links whose label the row does not give,
	// and the stored custom fields it does not name (a spreadsheet's blank
	// cells and missing columns change nothing).
	Merge bool `json:"merge,omitempty"`
	// Mode is upsert (empty), create or update.
	Mode    string        `json:"mode,omitempty" jsonschema:"enum=upsert,enum=create,enum=update"`
	Members []MemberInput `json:"members" jsonschema:"minItems=1,maxItems=10000"`
}

// AppID implements rpc.AppScoped.
func (p BulkMembersParams) AppID() string { return p.App }

// BulkSpeakersParams upsert speakers keyed by external id, else email.
type BulkSpeakersParams struct {
	App string `json:"app_id" jsonschema:"minLength=1,maxLength=64"`
	// DryRun checks the rows and says what each would do without writing.
	DryRun bool `json:"dry_run,omitempty"`
	// Mode is upsert (empty), create or update.
	Mode     string         `json:"mode,omitempty" jsonschema:"enum=upsert,enum=create,enum=update"`
	Speakers []SpeakerInput `json:"speakers" jsonschema:"minItems=1,maxItems=10000"`
}

// AppID implements rpc.AppScoped.
func (p BulkSpeakersParams) AppID() string { return p.App }

// BulkSessionInput is a session of a bulk upsert: rooms and tracks by name
// (created when missing), speakers by external id or email.
type BulkSessionInput struct {
	ExternalID  string   `json:"external_id" jsonschema:"minLength=1,maxLength=128"`
	Title       string   `json:"title" jsonschema:"minLength=1,maxLength=300"`
	Description string   `json:"description,omitempty" jsonschema:"maxLength=10000"`
	Start       string   `json:"start" jsonschema:"pattern=^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}$"`
	End         string   `json:"end" jsonschema:"pattern=^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}$"`
	Room        string   `json:"room,omitempty" jsonschema:"maxLength=120"`
	Track       string   `json:"track,omitempty" jsonschema:"maxLength=120"`
	Capacity    int      `json:"capacity,omitempty" jsonschema:"minimum=0,maximum=1000000"`
	Speakers    []string `json:"speakers,omitempty" jsonschema:"maxItems=50"`
}

// BulkSessionsParams upsert the sessions of one event keyed by external id.
type BulkSessionsParams struct {
	App   string `json:"app_id" jsonschema:"minLength=1,maxLength=64"`
	Event string `json:"event_id" jsonschema:"minLength=1,maxLength=64"`
	// DryRun checks the rows and says what each would do without writing.
	DryRun bool `json:"dry_run,omitempty"`
	// Mode is upsert (empty), create or update: a session is stored when
	// this event has one with the row's external id.
	Mode     string             `json:"mode,omitempty" jsonschema:"enum=upsert,enum=create,enum=update"`
	Sessions []BulkSessionInput `json:"sessions" jsonschema:"minItems=1,maxItems=10000"`
}

// AppID implements rpc.AppScoped.
func (p BulkSessionsParams) AppID() string { return p.App }

// RowError is what is wrong with one row of a bulk upsert (Row counts from
// 0 in the request's list).
type RowError struct {
	Row     int    `json:"row"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Outcomes of one row of a bulk upsert (BulkResult.Rows).
const (
	RowCreated   = "created"
	RowUpdated   = "updated"
	RowUnchanged = "unchanged"
	RowSkipped   = "skipped" // left alone by the mode (create: stored; update: new)
	RowRejected  = "rejected"
)

// BulkResult is the outcome of a bulk upsert. A batch is all or nothing:
// when Errors is not empty, Applied is false and nothing was written. The
// counts and Rows say what was done or, in a dry run or a batch with
// errors, what would be done (a batch with errors: with the bad rows left
// out).
type BulkResult struct {
	Applied   bool `json:"applied"`
	Created   int  `json:"created"`
	Updated   int  `json:"updated"`
	Unchanged int  `json:"unchanged"`
	// Skipped counts the rows the mode left alone.
	Skipped int `json:"skipped,omitempty"`
	// Registered counts the new registrations to the event of a
	// bulk.members call with event_id.
	Registered int `json:"registered,omitempty"`
	// IDs is the id of each row's object, in order, when applied ("" for
	// a row skipped in update mode).
	IDs []string `json:"ids,omitempty"`
	// Rows is the outcome of each row, in order: created, updated,
	// unchanged, skipped or rejected.
	Rows   []string   `json:"rows,omitempty"`
	Errors []RowError `json:"errors,omitempty"`
}

// Methods of the bulk upsert.
var (
	BulkMembers = rpc.Method[BulkMembersParams, BulkResult]{
		Name: "bulk.members", Auth: auth.Service, Idempotent: true, Timeout: 2 * time.Minute, MaxBody: MaxBulkBytes,
		Summary: "Upsert up to 10000 members keyed by external id, else email; all or nothing.",
		Description: "Rows equal to what is stored count as unchanged and emit no event. With event_id the members are " +
			"registered to that event in the same transaction; dry_run says what each row would do and writes nothing; " +
			"merge keeps the stored value of the fields a row leaves empty; mode create skips the rows of stored members " +
			"(not registered either), mode update the rows of new ones.",
		Errors: []errs.Code{errs.CodeNotFound},
	}
	BulkSpeakers = rpc.Method[BulkSpeakersParams, BulkResult]{
		Name: "bulk.speakers", Auth: auth.Service, Idempotent: true, Timeout: 2 * time.Minute, MaxBody: MaxBulkBytes,
		Summary:     "Upsert up to 10000 speakers keyed by external id, else email; all or nothing.",
		Description: "dry_run says what each row would do and writes nothing; mode create skips the rows of stored speakers, mode update the rows of new ones.",
	}
	BulkSessions = rpc.Method[BulkSessionsParams, BulkResult]{
		Name: "bulk.sessions", Auth: auth.Service, Idempotent: true, Timeout: 2 * time.Minute, MaxBody: MaxBulkBytes,
		Summary:     "Upsert up to 10000 sessions of an event keyed by external id; all or nothing.",
		Description: "dry_run says what each row would do and writes nothing; mode create skips the rows of the event's stored sessions, mode update the rows of new ones.",
		Errors:      []errs.Code{errs.CodeNotFound},
	}
)
