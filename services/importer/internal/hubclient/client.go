// Package hubclient calls hub for the importer, signed as the importer
// service: listings to compare a file with (speakers, agenda, events) and
// the bulk upserts that check (dry run) and commit it.
package hubclient

import (
	"context"

	"github.com/attendify/hub"
	"github.com/attendify/importer/internal/service"
	"github.com/attendify/platform/rpc"
)

// Client implements service.Hub.
type Client struct {
	c *rpc.Client
}

var _ service.Hub = (*Client)(nil)

// New wraps an rpc client of hub.
func New(c *rpc.Client) *Client { return &Client{c: c} }

// Events lists an app's events.
func (h *Client) Events(ctx context.Context, app string) ([]hub.Event, error) {
	l, err := hub.ListEvents.Call(ctx, h.c, hub.AppParams{AppRef: rpc.AppRef{App: app}})
	return l.Events, err
}

// Speakers lists an app's speakers.
func (h *Client) Speakers(ctx context.Context, app string) ([]hub.Speaker, error) {
	l, err := hub.ListSpeakers.Call(ctx, h.c, hub.AppParams{AppRef: rpc.AppRef{App: app}})
	return l.Speakers, err
}

// Agenda reads an event's agenda.
func (h *Client) Agenda(ctx context.Context, p hub.AgendaParams) (hub.Agenda, error) {
	return hub.GetAgenda.Call(ctx, h.c, p)
}

// BulkMembers upserts members.
func (h *Client) BulkMembers(ctx context.Context, p hub.BulkMembersParams) (hub.BulkResult, error) {
	return hub.BulkMembers.Call(ctx, h.c, p)
}

// BulkSpeakers upserts speakers.
func (h *Client) BulkSpeakers(ctx context.Context, p hub.BulkSpeakersParams) (hub.BulkResult, error) {
	return hub.BulkSpeakers.Call(ctx, h.c, p)
}

// BulkSessions upserts sessions.
func (h *Client) BulkSessions(ctx context.Context, p hub.BulkSessionsParams) (hub.BulkResult, error) {
	return hub.BulkSessions.Call(ctx, h.c, p)
}
