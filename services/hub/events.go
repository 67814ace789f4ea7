package hub

import "time"

// The event types hub publishes through its outbox (platform/events). The
// topic (before the dot) picks the stream: "app", "event", "member",
// "session", "speaker", "room", "track", "mail". Every event carries App (the app id) and Subject (the
// id of the object); Data is the payload type named next to each.
const (
	EventAppCreated     = "app.created"     // AppPayload
	EventAppUpdated     = "app.updated"     // AppPayload (name, slug, branding, access)
	EventAppPublished   = "app.published"   // AppPayload
	EventAppUnpublished = "app.unpublished" // AppPayload
	EventAppExpired     = "app.expired"     // AppPayload
	EventAppDeleted     = "app.deleted"     // IDsPayload: drop everything of the app

	EventCollaboratorAdded   = "app.collaborator_added"   // CollaboratorPayload
	EventCollaboratorChanged = "app.collaborator_changed" // CollaboratorPayload
	EventCollaboratorRemoved = "app.collaborator_removed" // CollaboratorPayload

	EventEventCreated = "event.created" // EventPayload
	EventEventUpdated = "event.updated" // EventPayload
	EventEventDeleted = "event.deleted" // IDsPayload

	EventMemberCreated      = "member.created"      // MemberPayload
	EventMemberUpdated      = "member.updated"      // MemberPayload
	EventMemberBlocked      = "member.blocked"      // MemberPayload
	EventMemberUnblocked    = "member.unblocked"    // MemberPayload
	EventMemberDeleted      = "member.deleted"      // IDsPayload only: erase or anonymise what you hold
	EventMemberRegistered   = "member.registered"   // RegistrationPayload
	EventMemberUnregistered = "member.unregistered" // RegistrationPayload

	EventSessionCreated = "session.created" // SessionPayload
	EventSessionUpdated = "session.updated" // SessionPayload
	EventSessionDeleted = "session.deleted" // IDsPayload (with EventID)

	// Speakers, rooms and tracks: their own topics, so that a projection of
	// the agenda (multievent) follows every change hub makes, bulk upserts
	// and the rooms and tracks they create included. A deleted speaker is
	// taken off their sessions without a session event; an event's
	// deletion takes its sessions, rooms and tracks without one either.
	EventSpeakerCreated = "speaker.created" // SpeakerPayload
	EventSpeakerUpdated = "speaker.updated" // SpeakerPayload
	EventSpeakerDeleted = "speaker.deleted" // IDsPayload
	EventRoomCreated    = "room.created"    // RoomPayload
	EventRoomUpdated    = "room.updated"    // RoomPayload
	EventRoomDeleted    = "room.deleted"    // IDsPayload (with EventID)
	EventTrackCreated   = "track.created"   // TrackPayload
	EventTrackUpdated   = "track.updated"   // TrackPayload
	EventTrackDeleted   = "track.deleted"   // IDsPayload (with EventID)

	// EventMailRequested asks a mailer to send an email (sign-in codes,
	// sign-up confirmations, invitations). It carries codes and tokens in
	// clear: the stream is internal.
	EventMailRequested = "mail.requested" // MailPayload
)

// AppPayload is the data of app.* events: the app's public configuration.
type AppPayload struct {
	ID       string   `json:"id"`
	Slug     string   `json:"slug"`
	Name     string   `json:"name"`
	Status   string   `json:"status"`
	Access   string   `json:"access"`
	Branding Branding `json:"branding"`
}

// IDsPayload is the data of *.deleted events: ids only.
type IDsPayload struct {
	AppID      string `json:"app_id"`
	ID         string `json:"id"`
	EventID    string `json:"event_id,omitempty"`
	ExternalID string `json:"external_id,omitempty"`
}

// CollaboratorPayload is the data of app.collaborator_* events.
type CollaboratorPayload struct {
	AppID       string `json:"app_id"`
	OrganizerID string `json:"organizer_id"`
	Role        string `json:"role,omitempty"` // empty when removed
}

// EventPayload is the data of event.created and event.updated.
type EventPayload struct {
	ID         string    `json:"id"`
	AppID      string    `json:"app_id"`
	Name       string    `json:"name"`
	TimeZone   string    `json:"time_zone"`
	StartUTC   time.Time `json:"start_utc"`
	EndUTC     time.Time `json:"end_utc"`
	Venue      string    `json:"venue"`
	Visibility string    `json:"visibility"`
	Access     string    `json:"access"`
}

// MemberPayload is the data of member.created, updated, blocked and
// unblocked: the public profile, never the email.
type MemberPayload struct {
	ID         string `json:"id"`
	AppID      string `json:"app_id"`
	ExternalID string `json:"external_id,omitempty"`
	Name       string `json:"name"`
	Company    string `json:"company"`
	Title      string `json:"title"`
	PhotoURL   string `json:"photo_url"`
	Role       string `json:"role"`
	Blocked    bool   `json:"blocked"`
}

// RegistrationPayload is the data of member.registered and unregistered.
type RegistrationPayload struct {
	AppID    string `json:"app_id"`
	EventID  string `json:"event_id"`
	MemberID string `json:"member_id"`
}

// SessionPayload is the data of session.created and session.updated.
// An event's new time zone moves its sessions (their wall-clock times
// stay): each gets a session.updated.
type SessionPayload struct {
	ID          string    `json:"id"`
	AppID       string    `json:"app_id"`
	EventID     string    `json:"event_id"`
	ExternalID  string    `json:"external_id,omitempty"`
	Title       string    `json:"title"`
	Description string    `json:"description,omitempty"`
	StartUTC    time.Time `json:"start_utc"`
	EndUTC      time.Time `json:"end_utc"`
	RoomID      string    `json:"room_id,omitempty"`
	TrackID     string    `json:"track_id,omitempty"`
	Capacity    int       `json:"capacity,omitempty"`
	SpeakerIDs  []string  `json:"speaker_ids"`
}

// SpeakerPayload is the data of speaker.created and speaker.updated: the
// public profile, never the email.
type SpeakerPayload struct {
	ID         string `json:"id"`
	AppID      string `json:"app_id"`
	ExternalID string `json:"external_id,omitempty"`
	Name       string `json:"name"`
	Company    string `json:"company"`
	Title      string `json:"title"`
	Bio        string `json:"bio"`
	PhotoURL   string `json:"photo_url"`
	MemberID   string `json:"member_id,omitempty"`
}

// RoomPayload is the data of room.created and room.updated.
type RoomPayload struct {
	ID       string `json:"id"`
	AppID    string `json:"app_id"`
	EventID  string `json:"event_id"`
	Name     string `json:"name"`
	Capacity int    `json:"capacity,omitempty"`
}

// TrackPayload is the data of track.created and track.updated.
type TrackPayload struct {
	ID      string `json:"id"`
	AppID   string `json:"app_id"`
	EventID string `json:"event_id"`
	Name    string `json:"name"`
	Color   string `json:"color,omitempty"`
}

// MailPayload is the data of mail.requested.
type MailPayload struct {
	To       string            `json:"to"`
	Template string            `json:"template"` // "sign_in_code", "sign_up_confirmation", "sign_up_existing", "collaborator_invitation"
	AppID    string            `json:"app_id,omitempty"`
	Data     map[string]string `json:"data"`
}
