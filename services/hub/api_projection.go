package hub

import (
	"context"
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
	Name: "app.ids", ReadOnly: true, Auth: auth.Service, Idempotent: true, Timeout: 30 * time.Second,
	Summary:     "The ids of every app, a page at a time, in id order.",
	Description: "For services that rebuild a projection of hub's events (multievent rebuild).",
	Errors:      []errs.Code{errs.CodeForbidden},
}

// AllAppIDs lists every app's id through c, a client of hub that signs its
// calls as a service (app.ids, a page at a time).
func AllAppIDs(ctx context.Context, c *rpc.Client) ([]string, error) {
	var out []string
	after := ""
	for {
		page, err := ListAppIDs.Call(ctx, c, AppIDsParams{After: after, Limit: MaxAppIDsPage})
		if err != nil {
			return nil, err
		}
		out = append(out, page.IDs...)
		if !page.More || len(page.IDs) == 0 {
			return out, nil
		}
		after = page.IDs[len(page.IDs)-1]
	}
}

// EachMember calls fn with every member of app, blocked ones included,
// through c, a client of hub that signs its calls as a service
// (member.search without a query, which lists a service every member, a
// page at a time): for the services that keep members' profiles from the
// member.* events and rebuild them when those events are gone.
func EachMember(ctx context.Context, c *rpc.Client, app string, fn func(Member) error) error {
	cursor := ""
	for {
		page, err := SearchMembers.Call(ctx, c, SearchMembersParams{AppRef: rpc.AppRef{App: app}, Limit: 200, Cursor: cursor})
		if err != nil {
			return err
		}
		for _, m := range page.Members {
			if err := fn(m); err != nil {
				return err
			}
		}
		if page.NextCursor == "" {
			return nil
		}
		cursor = page.NextCursor
	}
}

// MemberSource reads hub's apps and members through a client of hub that
// signs its calls as a service: the source of truth of the services that
// keep profiles from hub's member.* events, for their resync when those
// events are gone (see events.ConsumerConfig.Resync).
type MemberSource struct{ c *rpc.Client }

// NewMemberSource returns a MemberSource on c.
func NewMemberSource(c *rpc.Client) MemberSource { return MemberSource{c: c} }

// AppIDs lists every app's id (AllAppIDs).
func (s MemberSource) AppIDs(ctx context.Context) ([]string, error) { return AllAppIDs(ctx, s.c) }

// EachMember calls fn with every member of app, blocked ones included
// (EachMember).
func (s MemberSource) EachMember(ctx context.Context, app string, fn func(Member) error) error {
	return EachMember(ctx, s.c, app, fn)
}
