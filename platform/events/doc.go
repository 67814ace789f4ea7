// Package events passes domain events between services over Redis Streams,
// at least once, with nothing committed ever lost.
//
// # Producing
//
// A service that changes its data and announces it writes the event in the
// same Postgres transaction (AddToOutbox, table from OutboxMigrations), and
// runs a Relay that moves the outbox to the streams. A service with nothing
// to commit may Publish directly.
//
//	err := pg.InTx(ctx, pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
//		if err := deleteMember(ctx, tx, id); err != nil {
//			return err
//		}
//		return events.AddToOutbox(ctx, tx, events.Event{Type: "member.deleted", App: app, Subject: id})
//	})
//
// # Streams
//
// The topic is the part of the event type before the first dot; each topic
// has one stream per namespace, "<namespace>:events:{<topic>}", and one
// dead-letter stream, "<namespace>:events:{<topic>}:dead" (see Streams).
// Streams are trimmed to about PublisherConfig.MaxLen entries.
//
// # Consuming
//
// Each consuming service has a consumer group per stream; every replica runs
// a Consumer with the same Group and its own Name. A handler's success is
// acknowledged; a failure is retried after ClaimIdle (by any replica), and
// after MaxAttempts deliveries the event moves to the dead letters. Pending
// events of a crashed replica are reclaimed after ClaimIdle. Undecodable
// entries go to the dead letters at once.
//
// A consumer whose place in a stream is gone (Redis restarted empty and
// its group with it, or the stream trimmed past a group that lagged) has
// missed events no redelivery brings back. With ConsumerConfig.Resync it
// notices before its next read, rebuilds its projection from the source of
// truth, and consumes again from where the stream ended when it noticed.
// The Redis that carries the streams keeps an append-only file
// (appendonly yes, appendfsync everysec); consumers and relays log a
// warning at start when it does not.
//
// Delivery is at least once, so handlers are made idempotent by event id:
// Idempotent with a RedisStore for effects outside Postgres (one narrow
// crash window, documented on RedisStore), or IdempotentTx for handlers that
// write to Postgres, which take effect exactly once.
package events
