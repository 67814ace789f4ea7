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
	ID       string   `json:"id"`
	Slug     string   `json:"slug"`
	Name     string   `json:"name"`
	Status   string   `json:"status"`
	Access   string   `json:"access"`
	Branding Branding `json:"branding"`
	// WebOrigins are the origins of the app's web apps (see
	// UpdateAppParams.WebOrigins).
	WebOrigins []string  `json:"web_origins"`
	Role       string    `json:"role,omitempty"` // the caller's collaborator role, in listings
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
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
