package hub

import (
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/rpc"
)

// RoomParams create or change a room of an event (Room empty: create).
type RoomParams struct {
	rpc.AppRef
	Event    string `json:"event_id" jsonschema:"minLength=1,maxLength=64"`
	Room     string `json:"room_id,omitempty" jsonschema:"maxLength=64"`
	Name     string `json:"name" jsonschema:"minLength=1,maxLength=120"`
	Capacity int    `json:"capacity,omitempty" jsonschema:"minimum=0,maximum=1000000"`
}

// TrackParams create or change a track of an event (Track empty: create).
type TrackParams struct {
	rpc.AppRef
	Event string `json:"event_id" jsonschema:"minLength=1,maxLength=64"`
	Track string `json:"track_id,omitempty" jsonschema:"maxLength=64"`
	Name  string `json:"name" jsonschema:"minLength=1,maxLength=120"`
	Color string `json:"color,omitempty" jsonschema:"pattern=^(#[0-9a-fA-F]{6})?$"`
}

// ItemParams address one room, track, speaker or session of an app.
type ItemParams struct {
	rpc.AppRef
	ID string `json:"id" jsonschema:"minLength=1,maxLength=64"`
}

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
	rpc.AppRef
	Speaker string `json:"speaker_id,omitempty" jsonschema:"maxLength=64"`
	SpeakerInput
}

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
	rpc.AppRef
	Event   string `json:"event_id" jsonschema:"minLength=1,maxLength=64"`
	Session string `json:"session_id,omitempty" jsonschema:"maxLength=64"`
	SessionInput
}

// AgendaParams read an event's agenda, optionally one day ("2025-06-12",
// in the event's zone) and one track.
type AgendaParams struct {
	rpc.AppRef
	Event string `json:"event_id" jsonschema:"minLength=1,maxLength=64"`
	Day   string `json:"day,omitempty" jsonschema:"pattern=^([0-9]{4}-[0-9]{2}-[0-9]{2})?$"`
	Track string `json:"track_id,omitempty" jsonschema:"maxLength=64"`
}

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
		Name: "speaker.list", ReadOnly: true, Auth: auth.Member, Idempotent: true,
		Summary: "An app's speakers by name; a member is not shown those who speak only at events whose agenda they may not read.",
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
		Name: "session.get", ReadOnly: true, Auth: auth.Member, Idempotent: true,
		Summary:     "One session with its room, track and speakers.",
		Description: "A session of a hidden event the member is not registered to is not_found, as a session that does not exist.",
		Errors:      []errs.Code{errs.CodeNotFound},
	}
	GetAgenda = rpc.Method[AgendaParams, Agenda]{
		Name: "agenda.get", ReadOnly: true, Auth: auth.Member, Idempotent: true,
		Summary:     "An event's agenda by day (in the event's zone), optionally one day and one track.",
		Description: "A hidden event the member is not registered to is not_found, as an event that does not exist.",
		Errors:      []errs.Code{errs.CodeNotFound, errs.CodeForbidden},
	}
)
