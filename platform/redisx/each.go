package redisx

import (
	"context"
	"time"

	"github.com/attendify/platform/errs"
	"github.com/redis/go-redis/v9"
)

// eachPrimaryWait bounds how long EachPrimary walks again while a primary
// cannot be reached, when the caller's context sets no deadline: longer than
// a failover on a cluster with the default node timeout (15 s) takes.
const eachPrimaryWait = 30 * time.Second

// EachPrimary runs fn on every primary of a Redis Cluster, each through a
// client of its own node, or once on c itself when c is not a cluster
// client. It is for what must look at every node (SCAN, KEYS): repairs,
// resets and tests, not request paths.
//
// A walk that meets a primary it cannot reach (killed, its replica not yet
// promoted, or the client's slot map not yet reloaded) reloads the slot map
// and walks again from the start, until the context's deadline or, without
// one, for up to 30 s; reset, when not nil, runs before each walk, so fn can
// start from nothing. fn must be safe to run again on a node it has already
// run on, and to run on several nodes at once.
func EachPrimary(ctx context.Context, c redis.UniversalClient, reset func(), fn func(ctx context.Context, node redis.Cmdable) error) error {
	cc, ok := c.(*redis.ClusterClient)
	if !ok {
		if reset != nil {
			reset()
		}
		return Err(fn(ctx, c))
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(eachPrimaryWait)
	}
	for {
		if reset != nil {
			reset()
		}
		err := Err(cc.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error { return fn(ctx, node) }))
		if err == nil || errs.KindOf(err) != errs.Unavailable || time.Now().After(deadline) {
			return err
		}
		cc.ReloadState(ctx)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(250 * time.Millisecond):
		}
	}
}
