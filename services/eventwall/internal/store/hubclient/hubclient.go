// Package hubclient reads hub's member directory, the truth about members,
// through hub's JSON-RPC API as a signed service call: for the authors
// eventwall has not heard of through hub's member events.
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
	m, err := hub.GetMember.Call(ctx, c.rpc, hub.MemberParams{App: app, Member: member})
	if err != nil {
		return service.Profile{}, time.Time{}, err
	}
	return service.Profile{Name: m.Name, PhotoURL: m.PhotoURL}, m.CreatedAt, nil
}
