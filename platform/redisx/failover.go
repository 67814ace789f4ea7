package redisx

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/redis/go-redis/v9"
)

// failoverHook carries a cluster client's commands through a failover. When
// a primary dies, its slots answer "connection refused" and then
// CLUSTERDOWN until the other nodes have marked it failed (the cluster's
// node timeout) and promoted its replica, and go-redis keeps the old slot
// map until a node answers MOVED: a few seconds in which every command on
// those slots fails after go-redis's own few quick retries. The hook sends
// such a command again, with backoff, after asking for a fresh slot map,
// for at most wait in all and never past the caller's deadline.
//
// Only errors that prove the command did not run are retried (see notRun):
// this hook never sends twice an INCR that may have run. go-redis's own
// loop below it (ClusterClient.process) does, once, after io.EOF: a kill
// can make such a counter count once more than acknowledged (see
// TestClusterFailover's kill phase). In a pipeline, only the
// commands that failed that way are sent again, in their order; the others
// keep their results.
type failoverHook struct {
	client *redis.ClusterClient
	wait   time.Duration
}

func (h failoverHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h failoverHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		if !notRun(err) {
			return err
		}
		h.retry(ctx, func() bool {
			cmd.SetErr(nil)
			err = next(ctx, cmd)
			return !notRun(err)
		})
		return err
	}
}

func (h failoverHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		if err == nil {
			return nil
		}
		// A transaction comes wrapped in MULTI ... EXEC: the commands that
		// did not run are sent again in a transaction of their own.
		user, wrap := cmds, func(c []redis.Cmder) []redis.Cmder { return c }
		if n := len(cmds); n >= 2 && cmds[0].Name() == "multi" && cmds[n-1].Name() == "exec" {
			multi, exec := cmds[0], cmds[n-1]
			user = cmds[1 : n-1]
			wrap = func(c []redis.Cmder) []redis.Cmder {
				return append(append([]redis.Cmder{multi}, c...), exec)
			}
		}
		failed := unrun(user, nil)
		if len(failed) == 0 {
			return err
		}
		h.retry(ctx, func() bool {
			again := wrap(failed)
			for _, c := range again {
				c.SetErr(nil)
			}
			_ = next(ctx, again)
			failed = unrun(failed, failed[:0])
			return len(failed) == 0
		})
		return firstErr(user)
	}
}

// retry calls again until it reports done, the wait is over or the next
// pause would outlast ctx's deadline. Each try first asks for the cluster's
// current slot map.
func (h failoverHook) retry(ctx context.Context, again func() (done bool)) {
	end := time.Now().Add(h.wait)
	if dl, ok := ctx.Deadline(); ok && dl.Before(end) {
		end = dl
	}
	pause := 50 * time.Millisecond
	for time.Now().Add(pause).Before(end) {
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		h.client.ReloadState(ctx)
		if again() {
			return
		}
		pause = min(2*pause, 500*time.Millisecond)
	}
}

// unrun appends to dst the commands of cmds whose error proves they did not
// run.
func unrun(cmds, dst []redis.Cmder) []redis.Cmder {
	for _, c := range cmds {
		if notRun(c.Err()) {
			dst = append(dst, c)
		}
	}
	return dst
}

// firstErr is what go-redis returns for a pipeline: the first command's
// error, redis.Nil included.
func firstErr(cmds []redis.Cmder) error {
	for _, c := range cmds {
		if err := c.Err(); err != nil {
			return err
		}
	}
	return nil
}

// notRun reports whether err proves that the server did not run the
// command: no connection was made, or a node refused it because it cannot
// serve its slot now (CLUSTERDOWN, TRYAGAIN, MASTERDOWN, LOADING, a replica
// refusing a write, a MOVED or ASK that outlasted go-redis's redirects). A
// connection that broke mid-command is not one of them: the command may
// have run.
func notRun(err error) bool {
	if err == nil {
		return false
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	if _, ok := redis.IsMovedError(err); ok {
		return true
	}
	if _, ok := redis.IsAskError(err); ok {
		return true
	}
	return redis.IsClusterDownError(err) || redis.IsTryAgainError(err) || redis.IsMasterDownError(err) ||
		redis.IsLoadingError(err) || redis.IsReadOnlyError(err)
}
