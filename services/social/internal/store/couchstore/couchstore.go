// Package couchstore keeps social's documents in CouchDB: one database per
// app (couch.DBName("social", app)) holding posts, comments and photo
// uploads, in the shape documented in the social package (docs.go).
//
// Photos are inline attachments written with the document in one request,
// so the _changes feed never shows a post without its photos. Reads never
// use kivik's AttachmentsIterator (v4.5.2 crashes on a double close): an
// attachment is read with GetAttachment, one at a time. Listings use the
// _all_docs index over id ranges (ids sort by creation time); no views,
// Mango bookmarks or _purge, which the dev server lacks. A write that
// deletes a document (an upload; a post or comment deleted or anonymised,
// which stays as a document marked so) first deletes its conflicting
// revisions (couch.DropConflicts), so that none outlives it.
package couchstore

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	kivik "github.com/go-kivik/kivik/v4"

	"github.com/attendify/platform/couch"
	"github.com/attendify/platform/errs"
	"github.com/attendify/social"
	"github.com/attendify/social/internal/service"
	"github.com/attendify/social/internal/store/docform"
)

// Store is social's CouchDB documents: it implements service.PostStore,
// CommentStore, UploadStore and AppDocs.
type Store struct {
	client *kivik.Client
	// service is the database name prefix: "social" (tests use their own).
	service string
	known   sync.Map // database name -> struct{}: created
}

var (
	_ service.PostStore    = (*Store)(nil)
	_ service.CommentStore = (*Store)(nil)
	_ service.UploadStore  = (*Store)(nil)
	_ service.AppDocs      = (*Store)(nil)
)

// New returns a store on client; dbService is the service part of the
// database names ("social" in production).
func New(client *kivik.Client, dbService string) *Store {
	return &Store{client: client, service: dbService}
}

// DBName is the database of app.
func (s *Store) DBName(app string) (string, error) { return couch.DBName(s.service, app) }

// db returns the app's database, creating it on first use.
func (s *Store) db(ctx context.Context, app string) (*kivik.DB, error) {
	name, err := couch.DBName(s.service, app)
	if err != nil {
		return nil, err
	}
	if _, ok := s.known.Load(name); !ok {
		if err := couch.EnsureDB(ctx, s.client, name); err != nil {
			return nil, fmt.Errorf("ensure database %s: %w", name, err)
		}
		s.known.Store(name, struct{}{})
	}
	return s.client.DB(name), nil
}

// DropDB deletes the app's database (tests).
func (s *Store) DropDB(ctx context.Context, app string) error {
	name, err := couch.DBName(s.service, app)
	if err != nil {
		return err
	}
	s.known.Delete(name)
	return couch.Err(s.client.DestroyDB(ctx, name))
}

// inline is an inline attachment in a document written with Put.
type inline struct {
	ContentType string `json:"content_type"`
	Data        string `json:"data"` // base64
}

func inlineJSON(ct string, data []byte) json.RawMessage {
	b, _ := json.Marshal(inline{ContentType: ct, Data: base64.StdEncoding.EncodeToString(data)})
	return b
}

// CreatePost implements service.PostStore.
func (s *Store) CreatePost(ctx context.Context, p *service.Post, photos []service.Photo) error {
	doc := docform.PostDoc(p)
	db, err := s.db(ctx, doc.App)
	if err != nil {
		return err
	}
	if len(photos) > 0 {
		doc.Attachments = map[string]json.RawMessage{}
		for i, p := range photos {
			ref := doc.Photos[i]
			doc.Attachments[ref.Name] = inlineJSON(p.ContentType, p.Data)
			doc.Attachments[ref.Thumb] = inlineJSON(p.ThumbType, p.Thumb)
		}
	}
	rev, err := db.Put(ctx, doc.ID, doc)
	if err != nil {
		return fmt.Errorf("create post %s: %w", doc.ID, couch.Err(err))
	}
	p.Rev = rev
	return nil
}

// Post implements service.PostStore.
func (s *Store) Post(ctx context.Context, app, id string) (*service.Post, error) {
	db, err := s.db(ctx, app)
	if err != nil {
		return nil, err
	}
	var doc social.PostDoc
	if err := db.Get(ctx, service.PostDocID(id)).ScanDoc(&doc); err != nil {
		return nil, couch.Err(err)
	}
	if doc.Type != social.DocPost {
		return nil, errs.New(errs.NotFound, "not a post")
	}
	return docform.Post(&doc), nil
}

// Posts implements service.PostStore.
func (s *Store) Posts(ctx context.Context, app string, ids []string) (map[string]*service.Post, error) {
	out := make(map[string]*service.Post, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	db, err := s.db(ctx, app)
	if err != nil {
		return nil, err
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = service.PostDocID(id)
	}
	rows := db.AllDocs(ctx, kivik.Params(map[string]any{"keys": keys, "include_docs": true}))
	defer rows.Close()
	for rows.Next() {
		var doc social.PostDoc
		if err := rows.ScanDoc(&doc); err != nil || doc.Type != social.DocPost {
			continue // missing or deleted: no document
		}
		p := docform.Post(&doc)
		out[p.ID] = p
	}
	if err := rows.Err(); err != nil {
		return nil, couch.Err(err)
	}
	return out, nil
}

// UpdatePost implements service.PostStore: it reads the document (with
// the stubs of its attachments), runs update on its post and writes the
// result with the revision read (a PUT with _rev, which CouchDB refuses with
// 409 when another write came first: then it starts again). The stubs of
// the photos the post still lists are sent back, which keeps their
// attachments; the others are dropped.
func (s *Store) UpdatePost(ctx context.Context, ref service.PostRef, update func(*service.Post) error) (service.Post, error) {
	db, err := s.db(ctx, ref.App)
	if err != nil {
		return service.Post{}, err
	}
	id := service.PostDocID(ref.ID)
	for attempt := 1; ; attempt++ {
		var read social.PostDoc
		if err := db.Get(ctx, id).ScanDoc(&read); err != nil {
			return service.Post{}, fmt.Errorf("read post %s: %w", id, couch.Err(err))
		}
		if read.Type != social.DocPost {
			return service.Post{}, errs.New(errs.NotFound, "not a post")
		}
		p := docform.Post(&read)
		if err := update(p); err != nil {
			return service.Post{}, err
		}
		p.ID, p.App, p.Rev = ref.ID, read.App, read.Rev
		doc := docform.PostDoc(p)
		doc.Attachments = photoStubs(read.Attachments, p.Photos)
		if err := dropConflicts(ctx, db, id, read.Moderation, doc.Moderation); err != nil {
			return service.Post{}, err
		}
		rev, err := db.Put(ctx, id, doc)
		if kivik.HTTPStatus(err) == http.StatusConflict && attempt < service.UpdateAttempts {
			continue
		}
		if err != nil {
			return service.Post{}, fmt.Errorf("update post %s (attempt %d): %w", id, attempt, couch.Err(err))
		}
		p.Rev = rev
		return *p, nil
	}
}

// dropConflicts deletes the losing revisions of the document id
// (couch.DropConflicts) when its update from before to after deletes it
// (its author or a moderator) or anonymises it (hub deleted its author):
// a loser, a revision of the document as it was, would otherwise stay
// beside the deletion, replicated with it, and become the document again
// should the winner ever be deleted. One more request, on those writes
// only; a write racing on another node can still leave one (README).
func dropConflicts(ctx context.Context, db *kivik.DB, id string, before, after social.Moderation) error {
	if (!after.Deleted || before.Deleted) && (!after.AuthorDeleted || before.AuthorDeleted) {
		return nil
	}
	if err := couch.DropConflicts(ctx, db, []string{id}); err != nil {
		return fmt.Errorf("drop the conflicting revisions of %s: %w", id, err)
	}
	return nil
}

// photoStubs returns the attachment stubs among stubs of photos.
func photoStubs(stubs map[string]json.RawMessage, photos []service.PhotoRef) map[string]json.RawMessage {
	var out map[string]json.RawMessage
	for _, p := range photos {
		for _, name := range []string{p.Name, p.Thumb} {
			if stub, ok := stubs[name]; ok {
				if out == nil {
					out = map[string]json.RawMessage{}
				}
				out[name] = stub
			}
		}
	}
	return out
}

// EachDoc implements service.AppDocs.
func (s *Store) EachDoc(ctx context.Context, app string, post func(*service.Post) error, comment func(*service.Comment) error) error {
	db, err := s.db(ctx, app)
	if err != nil {
		return err
	}
	if post != nil {
		if err := scanRange(ctx, db, "post:", func(raw json.RawMessage) error {
			var d social.PostDoc
			if err := json.Unmarshal(raw, &d); err != nil || d.Type != social.DocPost {
				return nil
			}
			return post(docform.Post(&d))
		}); err != nil {
			return err
		}
	}
	if comment != nil {
		return scanRange(ctx, db, "comment:", func(raw json.RawMessage) error {
			var d social.CommentDoc
			if err := json.Unmarshal(raw, &d); err != nil || d.Type != social.DocComment {
				return nil
			}
			return comment(docform.Comment(&d))
		})
	}
	return nil
}

// scanPage is how many documents one _all_docs request of a scan reads.
var scanPage = 1000

// scanRange calls fn with every document whose id starts with prefix, in id
// order.
func scanRange(ctx context.Context, db *kivik.DB, prefix string, fn func(json.RawMessage) error) error {
	start := prefix
	skip := 0
	for {
		rows := db.AllDocs(ctx, kivik.Params(map[string]any{
			"startkey": start, "endkey": prefix + "\uffff", "include_docs": true, "limit": scanPage, "skip": skip,
		}))
		n := 0
		last := ""
		var ferr error
		for rows.Next() {
			n++
			id, _ := rows.ID()
			last = id
			var raw json.RawMessage
			if err := rows.ScanDoc(&raw); err != nil {
				continue
			}
			if err := fn(raw); err != nil {
				ferr = err
				break
			}
		}
		err := rows.Err()
		_ = rows.Close()
		if ferr != nil {
			return ferr
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

// CreateComment implements service.CommentStore.
func (s *Store) CreateComment(ctx context.Context, c *service.Comment) error {
	doc := docform.CommentDoc(c)
	db, err := s.db(ctx, doc.App)
	if err != nil {
		return err
	}
	rev, err := db.Put(ctx, doc.ID, doc)
	if err != nil {
		return couch.Err(err)
	}
	c.Rev = rev
	return nil
}

// Comment implements service.CommentStore.
func (s *Store) Comment(ctx context.Context, ref service.CommentRef) (*service.Comment, error) {
	db, err := s.db(ctx, ref.App)
	if err != nil {
		return nil, err
	}
	var doc social.CommentDoc
	if err := db.Get(ctx, service.CommentDocID(ref.Post, ref.ID)).ScanDoc(&doc); err != nil {
		return nil, couch.Err(err)
	}
	return docform.Comment(&doc), nil
}

// UpdateComment implements service.CommentStore as UpdatePost updates a
// post.
func (s *Store) UpdateComment(ctx context.Context, ref service.CommentRef, update func(*service.Comment) error) (service.Comment, error) {
	db, err := s.db(ctx, ref.App)
	if err != nil {
		return service.Comment{}, err
	}
	id := service.CommentDocID(ref.Post, ref.ID)
	for attempt := 1; ; attempt++ {
		var read social.CommentDoc
		if err := db.Get(ctx, id).ScanDoc(&read); err != nil {
			return service.Comment{}, fmt.Errorf("read comment %s: %w", id, couch.Err(err))
		}
		c := docform.Comment(&read)
		if err := update(c); err != nil {
			return service.Comment{}, err
		}
		c.ID, c.App, c.Post, c.Rev = ref.ID, read.App, ref.Post, read.Rev
		doc := docform.CommentDoc(c)
		if err := dropConflicts(ctx, db, id, read.Moderation, doc.Moderation); err != nil {
			return service.Comment{}, err
		}
		rev, err := db.Put(ctx, id, doc)
		if kivik.HTTPStatus(err) == http.StatusConflict && attempt < service.UpdateAttempts {
			continue
		}
		if err != nil {
			return service.Comment{}, fmt.Errorf("update comment %s (attempt %d): %w", id, attempt, couch.Err(err))
		}
		c.Rev = rev
		return *c, nil
	}
}

// Comments implements service.CommentStore.
func (s *Store) Comments(ctx context.Context, app, post, after string, limit int) ([]*service.Comment, error) {
	db, err := s.db(ctx, app)
	if err != nil {
		return nil, err
	}
	prefix := service.CommentDocID(post, "")
	start, extra := prefix, 0
	if after != "" {
		start, extra = prefix+after, 1
	}
	rows := db.AllDocs(ctx, kivik.Params(map[string]any{
		"startkey": start, "endkey": prefix + "\uffff", "include_docs": true, "limit": limit + extra,
	}))
	defer rows.Close()
	var out []*service.Comment
	for rows.Next() {
		var d social.CommentDoc
		if err := rows.ScanDoc(&d); err != nil || d.Type != social.DocComment {
			continue
		}
		if after != "" && d.ID == start {
			continue
		}
		out = append(out, docform.Comment(&d))
	}
	if err := rows.Err(); err != nil {
		return nil, couch.Err(err)
	}
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// LastEvent implements service.AppDocs.
func (s *Store) LastEvent(ctx context.Context, app, docID string) (string, bool, error) {
	db, err := s.db(ctx, app)
	if err != nil {
		return "", false, err
	}
	var doc struct {
		LastEvent string `json:"last_event"`
	}
	err = db.Get(ctx, docID).ScanDoc(&doc)
	if kivik.HTTPStatus(err) == 404 {
		return "", false, nil
	}
	if err != nil {
		return "", false, couch.Err(err)
	}
	return doc.LastEvent, true, nil
}

// uploadDoc is a photo waiting for its post.
type uploadDoc struct {
	ID          string                     `json:"_id"`
	Rev         string                     `json:"_rev,omitempty"`
	Type        string                     `json:"type"`
	App         string                     `json:"app"`
	Author      string                     `json:"author"`
	ContentType string                     `json:"content_type"`
	Width       int                        `json:"width"`
	Height      int                        `json:"height"`
	ThumbType   string                     `json:"thumb_type"`
	ThumbWidth  int                        `json:"thumb_width"`
	ThumbHeight int                        `json:"thumb_height"`
	CreatedAt   time.Time                  `json:"created_at"`
	Attachments map[string]json.RawMessage `json:"_attachments,omitempty"`
}

func uploadID(id string) string { return "upload:" + id }

// PutUpload implements service.UploadStore.
func (s *Store) PutUpload(ctx context.Context, app string, up service.Upload, p service.Photo) error {
	db, err := s.db(ctx, app)
	if err != nil {
		return err
	}
	doc := uploadDoc{
		ID: uploadID(up.ID), Type: social.DocUpload, App: app, Author: up.Author,
		ContentType: p.ContentType, Width: p.Width, Height: p.Height,
		ThumbType: p.ThumbType, ThumbWidth: p.ThumbWidth, ThumbHeight: p.ThumbHeight, CreatedAt: up.CreatedAt,
		Attachments: map[string]json.RawMessage{
			"photo": inlineJSON(p.ContentType, p.Data),
			"thumb": inlineJSON(p.ThumbType, p.Thumb),
		},
	}
	if _, err := db.Put(ctx, doc.ID, doc); err != nil {
		return couch.Err(err)
	}
	return nil
}

// Upload implements service.UploadStore.
func (s *Store) Upload(ctx context.Context, app, id string) (service.Upload, service.Photo, error) {
	db, err := s.db(ctx, app)
	if err != nil {
		return service.Upload{}, service.Photo{}, err
	}
	var doc uploadDoc
	if err := db.Get(ctx, uploadID(id)).ScanDoc(&doc); err != nil {
		return service.Upload{}, service.Photo{}, couch.Err(err)
	}
	if doc.Type != social.DocUpload {
		return service.Upload{}, service.Photo{}, errs.New(errs.NotFound, "not an upload")
	}
	photo, err := readAttachment(ctx, db, doc.ID, "photo")
	if err != nil {
		return service.Upload{}, service.Photo{}, err
	}
	thumb, err := readAttachment(ctx, db, doc.ID, "thumb")
	if err != nil {
		return service.Upload{}, service.Photo{}, err
	}
	up := service.Upload{ID: id, App: doc.App, Author: doc.Author, CreatedAt: doc.CreatedAt}
	p := service.Photo{
		ContentType: doc.ContentType, Data: photo, Width: doc.Width, Height: doc.Height,
		ThumbType: doc.ThumbType, Thumb: thumb, ThumbWidth: doc.ThumbWidth, ThumbHeight: doc.ThumbHeight,
	}
	return up, p, nil
}

func readAttachment(ctx context.Context, db *kivik.DB, docID, name string) ([]byte, error) {
	att, err := db.GetAttachment(ctx, docID, name)
	if err != nil {
		return nil, couch.Err(err)
	}
	defer att.Content.Close()
	b, err := io.ReadAll(io.LimitReader(att.Content, social.MaxPhotoBytes+1))
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, err, "read attachment")
	}
	return b, nil
}

// DeleteUpload implements service.UploadStore.
func (s *Store) DeleteUpload(ctx context.Context, app, id string) error {
	db, err := s.db(ctx, app)
	if err != nil {
		return err
	}
	// Deleting the winner of an upload in conflict would make a loser
	// the upload again, usable in a post once more.
	if err := couch.DropConflicts(ctx, db, []string{uploadID(id)}); err != nil {
		return fmt.Errorf("drop the conflicting revisions of %s: %w", uploadID(id), err)
	}
	rev, err := db.GetRev(ctx, uploadID(id))
	if kivik.HTTPStatus(err) == 404 {
		return nil
	}
	if err != nil {
		return couch.Err(err)
	}
	_, err = db.Delete(ctx, uploadID(id), rev)
	if kivik.HTTPStatus(err) == 404 || kivik.HTTPStatus(err) == 409 {
		return nil
	}
	return couch.Err(err)
}

// SweepUploads deletes the uploads of app created before cutoff (never
// used in a post); it returns how many.
func (s *Store) SweepUploads(ctx context.Context, app string, cutoff time.Time) (int, error) {
	db, err := s.db(ctx, app)
	if err != nil {
		return 0, err
	}
	var old []string
	err = scanRange(ctx, db, "upload:", func(raw json.RawMessage) error {
		var d uploadDoc
		if json.Unmarshal(raw, &d) == nil && d.CreatedAt.Before(cutoff) {
			old = append(old, strings.TrimPrefix(d.ID, "upload:"))
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, id := range old {
		if err := s.DeleteUpload(ctx, app, id); err != nil {
			return 0, err
		}
	}
	return len(old), nil
}

// Attachment implements service.PostStore.
func (s *Store) Attachment(ctx context.Context, app, post, name string) (string, io.ReadCloser, error) {
	db, err := s.db(ctx, app)
	if err != nil {
		return "", nil, err
	}
	att, err := db.GetAttachment(ctx, service.PostDocID(post), name)
	if err != nil {
		return "", nil, couch.Err(err)
	}
	return att.ContentType, att.Content, nil
}
