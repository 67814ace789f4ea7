package redisstore

import "github.com/attendify/platform/redisx"

// Keys are eventwall's Redis keys. Every key of a wall carries the hash tag
// {w:<wall id>}, so that the scripts that apply a decision or read a
// wall's changes touch one cluster slot. All of it is a copy or a product
// of what Postgres and social's CouchDB databases hold, rebuilt by the
// ingester when it is missing:
//
//	eventwall:{w:<wall>}:config    string: the screens' settings (service.ScreenRecord JSON)
//	eventwall:{w:<wall>}:cfgver    string: their version
//	eventwall:{w:<wall>}:epoch     string: names this incarnation of the change log
//	eventwall:{w:<wall>}:seq       string: the change log's last sequence number
//	eventwall:{w:<wall>}:changes   sorted set: post id (or "~cfg") -> sequence of its last change
//	eventwall:{w:<wall>}:floor     string: the sequence below which the log was trimmed
//	eventwall:{w:<wall>}:items     hash: post id -> the screen item (JSON), posts shown
//	eventwall:{w:<wall>}:entries   hash: post id -> service.Entry (JSON), posts shown or waiting
//	eventwall:{w:<wall>}:queue     sorted set: post id -> creation time (ms), posts waiting
//	eventwall:{w:<wall>}:verdicts  hash: post id -> "a:<text hash>" (approved) or "r" (rejected)
//	eventwall:{w:<wall>}:marks     hash: post id -> "pin" or "highlight"
//	eventwall:{w:<wall>}:modver    hash: post id -> the moderation version of its verdict and mark
//	eventwall:{w:<wall>}:loaded    string: the wall's moderation version loaded from Postgres;
//	                               absent: not loaded, and no decision is applied
//	eventwall:{w:<wall>}:revs      hash: post id -> the last revision number decided
//	eventwall:{w:<wall>}:blocked   set: member ids of the authors blocked on the wall
//	eventwall:{w:<wall>}:blockver  string: the settings version whose rules are in force (the
//	                               blocked set is from it); a decision made with older rules is refused.
//	                               Named for its first use, the blocked set's version: replicas of
//	                               the version before, during a rollout, keep it current
//	eventwall:{w:<wall>}:filled    string: fingerprint of the rules the posts were decided with
//	eventwall:lease:<name>         string: the holder of a lease (TTL)
//
// Channels (pub/sub): eventwall:changed ("<wall> <seq>": a wall's change
// log moved) and eventwall:walls ("<app> [<member>]": an app's walls or an
// author's profile changed).
type Keys struct {
	k redisx.Keys
}

// NewKeys returns eventwall's keys under namespace (empty in production).
func NewKeys(namespace string) Keys { return Keys{k: redisx.NewKeys(namespace, "eventwall")} }

// Prefix is the start of every eventwall key (tests drop them all).
func (k Keys) Prefix() string { return k.k.Prefix() }

func wallTag(wall string) string { return "w:" + wall }

// Wall returns the key of one part of a wall's state ("items", "seq"...).
func (k Keys) Wall(wall, part string) string { return k.k.Tagged(wallTag(wall), part) }

// Lease is the key of a lease.
func (k Keys) Lease(name string) string { return k.k.Key("lease", name) }

// ChangedChannel carries "<wall> <seq>" after every change of a wall's log.
func (k Keys) ChangedChannel() string { return k.k.Key("changed") }

// WallsChannel carries "<app>" or "<app> <member>" for the ingesters.
func (k Keys) WallsChannel() string { return k.k.Key("walls") }

// wallKeys lists the keys of a wall in the order the scripts use them.
func (k Keys) wallKeys(wall string, parts ...string) []string {
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = k.Wall(wall, p)
	}
	return out
}
