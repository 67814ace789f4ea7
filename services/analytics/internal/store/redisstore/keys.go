package redisstore

import (
	"strconv"
	"time"

	"github.com/attendify/platform/redisx"
)

// keys names every Redis key of analytics. An app's keys share the hash
// tag {a:<app>}, so that one script updates them all, also on a cluster:
//
//	analytics:{a:<app>}:seen:<event key>          dedupe mark of an event
//	analytics:{a:<app>}:c:<scope>:<level>:<unix>  hash: counters of a bucket
//	analytics:{a:<app>}:um:<scope>:<level>:<unix> HyperLogLog: members of a bucket
//	analytics:{a:<app>}:ui:<scope>:<level>:<unix> HyperLogLog: installs of a bucket
//	analytics:{a:<app>}:it:<day unix>             hash: item counts of a day ("kind|id")
//	analytics:{a:<app>}:top:<list>:<day unix>     sorted set: a day's top list (decayed weights)
//	analytics:{a:<app>}:lb                        sorted set: the leaderboard (points)
//	analytics:{a:<app>}:lbm:<points key>:<window> mark: points given in a 30 s window
//	analytics:{a:<app>}:pm, :pi                   sorted sets: members, installs by last seen (ms)
//	analytics:{a:<app>}:dirty                     sorted set: "<scope>|<minute unix>" waiting to be folded
//	analytics:{a:<app>}:seq                       counter: the marks of the dirty set
//	analytics:{a:<app>}:folds                     the fold generation: random, new at every fold
//	analytics:{a:<app>}:rl:<install>:<minute>     counter: an install's events this minute
//	analytics:signin:<address>:<minute>           counter: dashboard sign-ins from a client address this minute
//	analytics:dirty-apps                          set: apps with minutes waiting
//	analytics:ready                               present once the live state is complete
//	analytics:rebuilding                          the rebuild lock
type keys struct{ k redisx.Keys }

func tag(app string) string { return "a:" + app }

func unix(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

func (k keys) seen(app, key string) string { return k.k.Tagged(tag(app), "seen", key) }
func (k keys) counts(app, scope, level string, t time.Time) string {
	return k.k.Tagged(tag(app), "c", scope, level, unix(t))
}
func (k keys) members(app, scope, level string, t time.Time) string {
	return k.k.Tagged(tag(app), "um", scope, level, unix(t))
}
func (k keys) installs(app, scope, level string, t time.Time) string {
	return k.k.Tagged(tag(app), "ui", scope, level, unix(t))
}
func (k keys) items(app string, day time.Time) string { return k.k.Tagged(tag(app), "it", unix(day)) }
func (k keys) top(app, list string, day time.Time) string {
	return k.k.Tagged(tag(app), "top", list, unix(day))
}
func (k keys) leaderboard(app string) string { return k.k.Tagged(tag(app), "lb") }
func (k keys) pointsMark(app, pk string, window int64) string {
	return k.k.Tagged(tag(app), "lbm", pk, strconv.FormatInt(window, 10))
}
func (k keys) presentMembers(app string) string  { return k.k.Tagged(tag(app), "pm") }
func (k keys) presentInstalls(app string) string { return k.k.Tagged(tag(app), "pi") }
func (k keys) dirty(app string) string           { return k.k.Tagged(tag(app), "dirty") }
func (k keys) seq(app string) string             { return k.k.Tagged(tag(app), "seq") }
func (k keys) folds(app string) string           { return k.k.Tagged(tag(app), "folds") }
func (k keys) rate(app, install string, minute time.Time) string {
	return k.k.Tagged(tag(app), "rl", install, unix(minute))
}
func (k keys) signIns(addr string, minute time.Time) string {
	return k.k.Key("signin", addr, unix(minute))
}
func (k keys) appPrefix(app string) string { return k.k.Tagged(tag(app)) }
func (k keys) dirtyApps() string           { return k.k.Key("dirty-apps") }
func (k keys) ready() string               { return k.k.Key("ready") }
func (k keys) rebuilding() string          { return k.k.Key("rebuilding") }
