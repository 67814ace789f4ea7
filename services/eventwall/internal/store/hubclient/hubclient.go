// Package hubclient reads hub's member directory, the truth about members,
// through hub's JSON-RPC API as signed service calls: for the authors
// eventwall has not heard of through hub's member events, and for the
// resync of every author when those events are gone.
package hubclient

import (
	"context"
	"time"

	"github.com/attendify/eventwall/internal/service"
	"github.com/attendify/hub"
	"github.com/attendify/platform/rpc"
)

// Client implements service.Directory.
type Client struct {
	rpc *rpc.Client
}

var _ service.Directory = (*Client)(nil)

// New returns a directory on c, a client of hub that signs its calls.
func New(c *rpc.Client) *Client { return &Client{rpc: c} }

// Profile implements service.Directory.
func (c *Client) Profile(ctx context.Context, app, member string) (service.Profile, time.Time, error) {
	m, err := hub.GetMember.Call(ctx, c.rpc, hub.MemberParams{AppRef: rpc.AppRef{App: app}, Member: member})
	if err != nil {
		return service.Profile{}, time.Time{}, err
	}
	return service.Profile{Name: m.Name, PhotoURL: m.PhotoURL}, m.CreatedAt, nil
}

// AppIDs implements service.Directory.
func (c *Client) AppIDs(ctx context.Context) ([]string, error) { return hub.AllAppIDs(ctx, c.rpc) }

// EachMember implements service.Directory.
func (c *Client) EachMember(ctx context.Context, app string, fn func(member string, p service.Profile) error) error {
	return hub.EachMember(ctx, c.rpc, app, func(m hub.Member) error {
		return fn(m.ID, service.Profile{Name: m.Name, PhotoURL: m.PhotoURL})
	})
}
