package redisstore

import (
	"github.com/attendify/platform/redisx"
	"github.com/attendify/social"
	"github.com/attendify/social/internal/service"
)

// Keys are social's Redis keys. Every key of an app carries the hash tag
// {<app id>}, so that the scripts and transactions that touch a post's feeds,
// its cache entry and a member's reactions together stay in one cluster slot:
//
//	social:{<app>}:feed:app                  sorted set: the app feed
//	social:{<app>}:feed:event:<event>        sorted set: an event's feed
//	social:{<app>}:feed:session:<session>    sorted set: a session's thread
//	social:{<app>}:feed:member:<member>      sorted set: a member's posts
//	social:{<app>}:feed:hashtag:<tag>        sorted set: a hashtag's posts
//	social:{<app>}:built                     string: the feeds are complete
//	social:{<app>}:rebuilding                string: a rebuild's lock
//	social:{<app>}:p:<post>                  hash: a post's cache entry
//	social:{<app>}:mr:<member>               hash: a member's reactions by post (until loaded, a fill's token)
//	social:{<app>}:prof:<member>             hash: an author's profile
//	social:{<app>}:rl:<action>:<member>      string: a rate limiter's state
//	social:{<app>}:pend:<member>             hash: a member's pending uploads, id -> "<expiry ms> <bytes>"
//
// Feeds are sorted sets whose members all have score 0, so Redis orders
// them by the post id, which sorts by creation time: a page is ZRANGE
// BYLEX REV from the cursor's id, exact and stable however many posts
// arrive meanwhile.
type Keys struct {
	k redisx.Keys
}

// NewKeys returns social's keys under namespace (empty in production).
func NewKeys(namespace string) Keys { return Keys{k: redisx.NewKeys(namespace, "social")} }

// Prefix is the start of every social key (for tests that drop them all).
func (k Keys) Prefix() string { return k.k.Prefix() }

// Feed is the key of one feed.
func (k Keys) Feed(app string, f service.Feed) string {
	if f.Kind == social.FeedApp {
		return k.k.Tagged(app, "feed", "app")
	}
	return k.k.Tagged(app, "feed", f.Kind, f.ID)
}

// Built is the key whose presence says the app's feeds are complete.
func (k Keys) Built(app string) string { return k.k.Tagged(app, "built") }

// Rebuilding is the lock of an app's rebuild.
func (k Keys) Rebuilding(app string) string { return k.k.Tagged(app, "rebuilding") }

// Post is a post's cache entry.
func (k Keys) Post(app, post string) string { return k.k.Tagged(app, "p", post) }

// Mine is a member's reactions by post.
func (k Keys) Mine(app, member string) string { return k.k.Tagged(app, "mr", member) }

// Profile is an author's profile.
func (k Keys) Profile(app, member string) string { return k.k.Tagged(app, "prof", member) }

// Rate is a member's rate limiter for action.
func (k Keys) Rate(app, action, member string) string { return k.k.Tagged(app, "rl", action, member) }

// Pending is a member's pending uploads.
func (k Keys) Pending(app, member string) string { return k.k.Tagged(app, "pend", member) }
