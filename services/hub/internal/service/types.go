// Package service is hub's domain logic: organizers and their sessions,
// apps and collaborators with the permission matrix, events, members and
// their sign-in, the agenda, bulk upserts, and keeping the Redis read model
// in step with Postgres. It works on plain Go types and declares the store
// and read-model ports it needs.
package service

import (
	"time"

	"github.com/attendify/hub"
)

// Organizer is an organizer's account.
type Organizer struct {
	ID           string
	Email        string
	Name         string
	PasswordHash string
	FailedLogins int
	LockedUntil  time.Time // zero when not locked
	// TokensRevoked is the organizer's revocation mark: their tokens whose
	// sequence number is at or below it are refused.
	TokensRevoked int64
	CreatedAt     time.Time
}

// Branding is how an app looks.
type Branding struct {
	PrimaryColor string
	AccentColor  string
	IconURL      string
}

// App is an app's configuration.
type App struct {
	ID           string
	Slug         string
	Name         string
	Status       string
	Access       string
	PasscodeHash string
	Branding     Branding
	// WebOrigins are the origins (scheme://host[:port]) of the app's web
	// apps: browsers on them may call the services (CORS).
	WebOrigins []string
	Version    int64
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// AppWithRole is an app with an organizer's role in it.
type AppWithRole struct {
	App
	Role string
}

// Collaborator is an organizer's role in an app.
type Collaborator struct {
	AppID       string
	OrganizerID string
	Email       string
	Name        string
	Role        string
	Version     int64
}

// Invitation is an invitation to collaborate on an app: its token, mailed
// to Email and stored only as TokenHash, gives Role to the account that
// presents it, once, before ExpiresAt, unless it was revoked.
type Invitation struct {
	ID        string
	AppID     string
	Email     string
	Role      string
	InvitedBy string
	TokenHash string // empty for invitations made before tokens: they cannot be accepted
	CreatedAt time.Time
	ExpiresAt time.Time
	// AcceptedBy is the account that accepted, AcceptedEmail its email.
	AcceptedBy    string
	AcceptedEmail string
	AcceptedAt    time.Time // zero while not accepted
	RevokedBy     string
	RevokedAt     time.Time // zero while not revoked
}

// Status is the invitation's state at now (hub.Invitation*).
func (i Invitation) Status(now time.Time) string {
	switch {
	case !i.AcceptedAt.IsZero():
		return hub.InvitationAccepted
	case !i.RevokedAt.IsZero():
		return hub.InvitationRevoked
	case !now.Before(i.ExpiresAt) || i.TokenHash == "":
		return hub.InvitationExpired
	}
	return hub.InvitationPending
}

// InvitationView is an invitation with its state when it was read.
type InvitationView struct {
	Invitation
	Status string
}

// Joined is the app an organizer joined by an invitation, with the role.
type Joined struct {
	AppID, AppName, Role string
}

// SignUp is an organizer's sign-up waiting for the confirmation of its
// address: the token mailed to Email, stored only as TokenHash.
type SignUp struct {
	ID        string
	Email     string
	TokenHash string
	// InvitationHash is the token hash of the invitation to accept on
	// confirmation, if any.
	InvitationHash string
	ExpiresAt      time.Time
	CreatedAt      time.Time
}

// Event is an event of an app; Start and End are instants.
type Event struct {
	ID         string
	AppID      string
	Name       string
	TimeZone   string
	Start      time.Time
	End        time.Time
	Venue      string
	Visibility string
	Access     string
	Code       string
}

// Link is a labelled URL.
type Link struct {
	Label string `json:"label"`
	URL   string `json:"url"`
}

// Member is an attendee's profile.
type Member struct {
	ID         string
	AppID      string
	Email      string
	ExternalID string
	Name       string
	Company    string
	Title      string
	PhotoURL   string
	Bio        string
	Links      []Link
	Role       string
	Blocked    bool
	Phone      string
	PhoneE164  string // derived from Phone by PhoneE164
	TicketType string
	Custom     map[string]string // never nil when read from the store
	Version    int64
	CreatedAt  time.Time
}

// Room is a room of an event.
type Room struct {
	ID       string
	AppID    string
	EventID  string
	Name     string
	Capacity int
}

// Track is a track of an event.
type Track struct {
	ID      string
	AppID   string
	EventID string
	Name    string
	Color   string
}

// Speaker is a speaker of an app.
type Speaker struct {
	ID         string
	AppID      string
	ExternalID string
	Email      string
	Name       string
	Company    string
	Title      string
	Bio        string
	PhotoURL   string
	MemberID   string
}

// Session is an agenda item; Start and End are instants.
type Session struct {
	ID          string
	AppID       string
	EventID     string
	ExternalID  string
	Title       string
	Description string
	Start       time.Time
	End         time.Time
	RoomID      string
	TrackID     string
	Capacity    int
	SpeakerIDs  []string
}

// SignInCode is a member's one-time sign-in code (hashed).
type SignInCode struct {
	ID        string
	AppID     string
	Email     string
	CodeHash  string
	Attempts  int
	Used      bool // spent: signed in with, tried too often, or replaced
	ExpiresAt time.Time
	CreatedAt time.Time
}

// MemberFilter selects a page of the member directory.
type MemberFilter struct {
	AppID   string
	Words   []string // every word must start a word of name or company
	Role    string
	EventID string
	// TicketType keeps the members of this ticket type, in any case.
	TicketType string
	// Blocked members are listed only when IncludeBlocked is set.
	IncludeBlocked bool
	Limit          int
	// After is the keyset position: the sort name and id of the last
	// member of the previous page.
	AfterName string
	AfterID   string
}

// BulkCounts are the outcome of a bulk upsert that was applied.
type BulkCounts struct {
	Created   int
	Updated   int
	Unchanged int
	IDs       []string
	// Rows is the outcome of each row: hub.RowCreated, RowUpdated,
	// RowUnchanged or RowRejected.
	Rows []string
}

// RowError is a problem with one row of a bulk upsert.
type RowError struct {
	Row     int
	Field   string
	Message string
}
