// Package hubclient reads hub's members, the truth about them, through
// hub's JSON-RPC API as signed service calls: for the resync of the
// profiles social keeps from hub's member events, when those events are
// gone.
package hubclient

import (
	"context"

	"github.com/attendify/hub"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/social/internal/service"
)

// Client implements service.Members.
type Client struct {
	rpc *rpc.Client
}

var _ service.Members = (*Client)(nil)

// New returns a reader of hub's members on c, a client of hub that signs
// its calls.
func New(c *rpc.Client) *Client { return &Client{rpc: c} }

// AppIDs implements service.Members.
func (c *Client) AppIDs(ctx context.Context) ([]string, error) { return hub.AllAppIDs(ctx, c.rpc) }

// EachMember implements service.Members.
func (c *Client) EachMember(ctx context.Context, app string, fn func(hub.Member) error) error {
	return hub.EachMember(ctx, c.rpc, app, fn)
}
