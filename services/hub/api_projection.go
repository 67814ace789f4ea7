package hub

import (
	"time"

	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/rpc"
)

// Listings for other services' projections of hub's events: when the
// events a projection consumed are gone (Redis lost its streams, or the
// consumer lagged past their retention), it rebuilds from hub itself. The
// content of an app comes from the methods a service may already call
// (event.list, speaker.list, agenda.get); app.ids says which apps exist.

// MaxAppIDsPage bounds a page of app.ids.
const MaxAppIDsPage = 1000

// AppIDsParams page through the ids of every app, in id order: the first
// page without after, each next one after the last id of the one before.
type AppIDsParams struct {
	After string `json:"after,omitempty" jsonschema:"maxLength=64"`
	Limit int    `json:"limit,omitempty" jsonschema:"minimum=1,maximum=1000"`
}

// AppIDPage is one page of app.ids; More says another page follows.
type AppIDPage struct {
	IDs  []string `json:"ids"`
	More bool     `json:"more,omitempty"`
}

// ListAppIDs lists every app's id, for services that rebuild a projection
// of hub's events from hub.
var ListAppIDs = rpc.Method[AppIDsParams, AppIDPage]{
	Name: "app.ids", Auth: auth.Service, Idempotent: true, Timeout: 30 * time.Second,
	Summary:     "The ids of every app, a page at a time, in id order.",
	Description: "For services that rebuild a projection of hub's events (multievent rebuild).",
	Errors:      []errs.Code{errs.CodeForbidden},
}
