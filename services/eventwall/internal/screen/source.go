// Package screen serves the screens: the projector page, the poll and
// stream endpoints and the photos. Each replica keeps every wall a screen
// asked for in memory, as an immutable snapshot with its encoded answers,
// and refreshes it from Redis when the wall's change log moves (pub/sub,
// and a periodic check of the log's head in case a message was lost), so
// that a poll costs no Redis call and an unchanged poll (304) almost
// nothing.
package screen

import (
	"context"
	"io"
)

// ConfigMember is the change log's member for a change of the settings.
const ConfigMember = "~cfg"

// State is a wall's whole state as stored.
type State struct {
	Epoch       string
	Head, Floor uint64
	// Config is the settings record (service.ScreenRecord JSON); nil when
	// the store has none.
	Config []byte
	// Items are the posts shown: post id -> the screen item (JSON).
	Items map[string][]byte
	// Seqs are the change log: post id (or ConfigMember) -> sequence of
	// its last change; posts not in Items were removed.
	Seqs map[string]uint64
}

// Delta is what changed in a wall's log after a sequence.
type Delta struct {
	Epoch       string
	Head, Floor uint64
	Config      []byte // when the settings changed
	ConfigSeq   uint64 // the sequence of that change
	Changes     []Change
}

// Change is one post's last change.
type Change struct {
	Post string
	Seq  uint64
	Item []byte // nil: removed
}

// Head is where a wall's change log is.
type Head struct {
	Epoch string
	Seq   uint64
}

// Source is where walls' states come from (Redis).
type Source interface {
	Load(ctx context.Context, wall string) (State, error)
	Since(ctx context.Context, wall string, seq uint64) (Delta, error)
	Heads(ctx context.Context, walls []string) (map[string]Head, error)
	// SubscribeChanges calls fn for every move of a wall's log until ctx
	// ends or the subscription fails.
	SubscribeChanges(ctx context.Context, fn func(wall string, seq uint64)) error
}

// Walls reads the truth about walls (Postgres) for what the store does not
// hold: which wall a screen token names, and a wall's settings after the
// store lost them.
type Walls interface {
	// WallOfToken returns the id of the wall whose screen token is token;
	// errs.NotFound when there is none.
	WallOfToken(ctx context.Context, token string) (string, error)
	// Republish publishes a wall's settings again; errs.NotFound when the
	// wall does not exist.
	Republish(ctx context.Context, wall string) error
}

// Photos reads the photos of social's posts.
type Photos interface {
	// Photo returns an attachment of a post document: its content type,
	// digest (for ETags) and content.
	Photo(ctx context.Context, ref PhotoRef) (Photo, error)
}

// PhotoRef names an attachment of a post document of an app.
type PhotoRef struct {
	App, Post  string
	Attachment string // "photo-0", "photo-0-thumb"
}

// Photo is one attachment.
type Photo struct {
	ContentType string
	Digest      string
	Body        io.ReadCloser
	Size        int64
}
