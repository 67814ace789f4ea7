package hub

import (
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/rpc"
)

// CreateEventParams create an event. Start and End are wall-clock times
// ("2025-06-12T09:00") in TimeZone (an IANA name).
type CreateEventParams struct {
	rpc.AppRef
	Name       string `json:"name" jsonschema:"minLength=1,maxLength=160"`
	TimeZone   string `json:"time_zone" jsonschema:"minLength=1,maxLength=64"`
	Start      string `json:"start" jsonschema:"pattern=^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}$"`
	End        string `json:"end" jsonschema:"pattern=^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}$"`
	Venue      string `json:"venue,omitempty" jsonschema:"maxLength=300"`
	Visibility string `json:"visibility,omitempty" jsonschema:"enum=public,enum=hidden"`
	Access     string `json:"access,omitempty" jsonschema:"enum=open,enum=code,enum=listed"`
	Code       string `json:"code,omitempty" jsonschema:"maxLength=64"`
}

// UpdateEventParams change an event; absent fields stay as they are. A
// new time zone keeps the wall-clock times of the event and its sessions.
type UpdateEventParams struct {
	rpc.AppRef
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

// EventParams address one event.
type EventParams struct {
	rpc.AppRef
	Event string `json:"event_id" jsonschema:"minLength=1,maxLength=64"`
}

// EventList is an app's events, by start.
type EventList struct {
	Events []Event `json:"events"`
}

// RegisterParams register the calling member to an event (code access
// needs the event code; listed events take registrations from organizers
// only; a hidden event is joined with its code or by the organizers).
type RegisterParams struct {
	rpc.AppRef
	Event string `json:"event_id" jsonschema:"minLength=1,maxLength=64"`
	Code  string `json:"code,omitempty" jsonschema:"maxLength=64"`
}

// AttendeesParams register (or unregister) members to an event.
type AttendeesParams struct {
	rpc.AppRef
	Event   string   `json:"event_id" jsonschema:"minLength=1,maxLength=64"`
	Members []string `json:"member_ids" jsonschema:"minItems=1,maxItems=1000"`
}

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
		Name: "event.list", ReadOnly: true, Auth: auth.Member, Idempotent: true,
		Summary: "An app's events by start; members see public events and those they are registered to.",
	}
	GetEvent = rpc.Method[EventParams, Event]{
		Name: "event.get", ReadOnly: true, Auth: auth.Member, Idempotent: true,
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
