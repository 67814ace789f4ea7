package service

import (
	"time"
)

// Event is an event of an app as the projection keeps it; Start and End
// are instants (UTC), TimeZone the IANA zone its wall clock is in.
type Event struct {
	ID, AppID, Name, TimeZone, Venue string
	Visibility, Access               string // hub's settings
	Start, End                       time.Time
}

// Session is an agenda item of an event.
type Session struct {
	ID, AppID, EventID, Title, Description, RoomID, TrackID string
	Start, End                                              time.Time
	Capacity                                                int
	SpeakerIDs                                              []string
}

// Speaker is a speaker of an app (no email: hub never publishes it).
type Speaker struct {
	ID, AppID, Name, Company, Title, Bio, PhotoURL string
}

// Room is a room of an event.
type Room struct {
	ID, AppID, EventID, Name string
	Capacity                 int
}

// Track is a track of an event.
type Track struct {
	ID, AppID, EventID, Name, Color string
}

// Kind is the kind of object a Change is about.
type Kind string

// The kinds of objects the projection keeps.
const (
	KindEvent   Kind = "event"
	KindSession Kind = "session"
	KindSpeaker Kind = "speaker"
	KindRoom    Kind = "room"
	KindTrack   Kind = "track"
)

// Change is one fact from hub about one object: its new state, or its
// deletion. Version orders the changes of one object (the time hub
// recorded the change, or the start of a rebuild): a change older than
// what the projection holds is ignored, so late and replayed events never
// roll an object back, and a deletion leaves a tombstone that older
// changes cannot bring back.
type Change struct {
	Kind    Kind
	App, ID string
	Version time.Time
	Deleted bool
	// One of these is the new state when not Deleted.
	Event   Event
	Session Session
	Speaker Speaker
	Room    Room
	Track   Track
}

// Content groups: each is one CouchDB database of an app. GroupAll is what
// every member of the app may read; an event's own group ("e" + its id)
// what only its registered members (and organizers) may read.
const GroupAll = "all"

// EventGroup is the content group of an event's restricted content.
func EventGroup(event string) string { return "e" + event }

// Placement is where a content document is written: its group, the
// revision CouchDB gave it, and the hash of its content.
type Placement struct {
	DocID, Group, Rev, Hash string
}

// ContentState is what the content documents of some doc ids are made of,
// as the projection holds it now: the live objects among them (an object
// deleted, or of a deleted event, is absent) and, for speakers, the live
// events they speak at.
type ContentState struct {
	Events   map[string]Event
	Sessions map[string]Session
	Speakers map[string]Speaker
	Rooms    map[string]Room
	Tracks   map[string]Track
	// SpeakerEvents lists, per speaker among the doc ids, the events of
	// their live sessions that are not deleted: the live ones (with their
	// settings in Events) and those the projection does not hold yet (a
	// session may come before its event), which are absent from Events.
	SpeakerEvents map[string][]string
}
