package events

import (
	"context"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"
)

// warnIfNotPersistent logs a warning when the Redis that carries the
// streams keeps no append-only file (CONFIG GET appendonly is "no"): a
// restart of that Redis loses every event not yet consumed, and the
// consumers then rebuild their projections from the services' truth
// (ConsumerConfig.Resync). It never fails: a Redis that refuses CONFIG
// (managed services often do) is only noted at debug level.
func warnIfNotPersistent(ctx context.Context, rdb redis.Cmdable, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	cfg, err := rdb.ConfigGet(ctx, "appendonly").Result()
	if err != nil {
		log.Debug("events: cannot read Redis's appendonly setting", "error", err)
		return
	}
	if v, ok := cfg["appendonly"]; ok && v != "yes" {
		log.Warn("events: Redis carries the streams without an append-only file (appendonly no): " +
			"a restart loses the events not yet consumed; run it with --appendonly yes --appendfsync everysec")
	}
}
