// Package couchstore reads social's published CouchDB databases (one per
// app, social.PostDoc documents): it follows their _changes feeds with a
// checkpoint, scans their posts and reads their photo attachments. It never
// writes a document, only the follower's checkpoint (_local/<FollowerID>),
// which is how CouchDB consumers keep their place.
package couchstore

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	kivik "github.com/go-kivik/kivik/v4"

	"github.com/attendify/eventwall/internal/screen"
	"github.com/attendify/eventwall/internal/service"
	"github.com/attendify/platform/couch"
	"github.com/attendify/social"
)

// FollowerID names eventwall's checkpoint in each app's database.
const FollowerID = "eventwall"

// Store implements service.Feed and screen.Photos.
type Store struct {
	client  *kivik.Client
	service string // the service part of the databases' names ("social")
	log     *slog.Logger
}

var (
	_ service.Feed  = (*Store)(nil)
	_ screen.Photos = (*Store)(nil)
)

// New returns a store reading the databases couch.DBName(dbService, app).
func New(client *kivik.Client, dbService string, log *slog.Logger) *Store {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Store{client: client, service: dbService, log: log}
}

func (s *Store) db(app string) (*kivik.DB, error) {
	name, err := couch.DBName(s.service, app)
	if err != nil {
		return nil, err
	}
	return s.client.DB(name), nil
}

// Follow implements service.Feed. The database may not exist yet (social
// creates it with the app's first post): the follower retries every
// couple of seconds until it does.
func (s *Store) Follow(ctx context.Context, app string, handle func(context.Context, *social.PostDoc) error) error {
	db, err := s.db(app)
	if err != nil {
		return err
	}
	f := &couch.Follower{
		DB:            db,
		ID:            FollowerID,
		IncludeDocs:   true,
		Heartbeat:     5 * time.Second,
		FlushInterval: time.Second,
		MinBackoff:    100 * time.Millisecond,
		MaxBackoff:    2 * time.Second,
		Logger:        s.log.With("app", app),
		Handle: func(ctx context.Context, c couch.Change) error {
			doc, ok := postDoc(c)
			if !ok {
				return nil
			}
			return handle(ctx, doc)
		},
	}
	return f.Run(ctx)
}

// postDoc decodes a change of a post document; a deleted document (social
// never deletes them, but an operator might) is a deleted post.
func postDoc(c couch.Change) (*social.PostDoc, bool) {
	if service.PostID(c.ID) == "" {
		return nil, false
	}
	if c.Deleted || c.Doc == nil {
		rev := ""
		if len(c.Revs) > 0 {
			rev = c.Revs[0]
		}
		return &social.PostDoc{ID: c.ID, Rev: rev, Type: social.DocPost, Moderation: social.Moderation{Deleted: true}}, true
	}
	var doc social.PostDoc
	if err := json.Unmarshal(c.Doc, &doc); err != nil {
		return nil, false
	}
	return &doc, doc.Type == social.DocPost
}

// scanPage is how many documents one _all_docs request of a scan reads.
const scanPage = 500

// EachPost implements service.Feed. A missing database has no posts.
func (s *Store) EachPost(ctx context.Context, app string, fn func(*social.PostDoc) error) error {
	db, err := s.db(app)
	if err != nil {
		return err
	}
	const prefix = "post:"
	start, skip := prefix, 0
	for {
		rows := db.AllDocs(ctx, kivik.Params(map[string]any{
			"startkey": start, "endkey": prefix + "\uffff", "include_docs": true, "limit": scanPage, "skip": skip,
		}))
		n, last := 0, ""
		var ferr error
		for rows.Next() {
			n++
			last, _ = rows.ID()
			var doc social.PostDoc
			if err := rows.ScanDoc(&doc); err != nil || doc.Type != social.DocPost {
				continue
			}
			if ferr = fn(&doc); ferr != nil {
				break
			}
		}
		err := rows.Err()
		_ = rows.Close()
		if ferr != nil {
			return ferr
		}
		if kivik.HTTPStatus(err) == 404 {
			return nil
		}
		if err != nil {
			return couch.Err(err)
		}
		if n < scanPage {
			return nil
		}
		start, skip = last, 1
	}
}

// Photo implements screen.Photos. It reads one attachment with
// GetAttachment (never kivik's AttachmentsIterator, which crashes the
// process on a double close in v4.5.2).
func (s *Store) Photo(ctx context.Context, ref screen.PhotoRef) (screen.Photo, error) {
	db, err := s.db(ref.App)
	if err != nil {
		return screen.Photo{}, err
	}
	att, err := db.GetAttachment(ctx, "post:"+ref.Post, ref.Attachment)
	if err != nil {
		return screen.Photo{}, couch.Err(err)
	}
	return screen.Photo{ContentType: att.ContentType, Digest: att.Digest, Body: att.Content, Size: att.Size}, nil
}
