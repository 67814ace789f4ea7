// Package memstore holds in-memory adapters of social's store ports, for
// the domain's unit tests: Docs (posts, comments, uploads), Ledger
// (reactions, changes, notifications, reports, blocks, profiles) and Index
// (feeds, caches, rate limits). Each passes the contract suite of its ports
// (internal/store/storetest) that the CouchDB, Postgres and Redis adapters
// pass; what they cannot show (concurrency across processes, Riak's
// siblings, CouchDB's sharded _changes) is tested on the real stores.
// They are not for production: nothing is persisted.
package memstore

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/attendify/platform/errs"
	"github.com/attendify/social"
	"github.com/attendify/social/internal/service"
	"github.com/attendify/social/internal/store/docform"
)

// Docs is the in-memory stand-in of the CouchDB documents: it implements
// service.PostStore, CommentStore, UploadStore and AppDocs. Documents are
// stored as JSON, as CouchDB stores them, so that callers never share one.
type Docs struct {
	mu      sync.Mutex
	docs    map[string]map[string]storedDoc // by app, then document id
	uploads map[string]upload               // by app + "/" + id
}

type storedDoc struct {
	rev         int
	body        []byte
	attachments map[string]attachment
}

type attachment struct {
	contentType string
	data        []byte
}

type upload struct {
	up service.Upload
	p  service.Photo
}

var (
	_ service.PostStore    = (*Docs)(nil)
	_ service.CommentStore = (*Docs)(nil)
	_ service.UploadStore  = (*Docs)(nil)
	_ service.AppDocs      = (*Docs)(nil)
)

// NewDocs returns an empty document store.
func NewDocs() *Docs {
	return &Docs{docs: map[string]map[string]storedDoc{}, uploads: map[string]upload{}}
}

func revString(n int) string { return fmt.Sprintf("%d-mem", n) }

// put writes a document at the revision rev read ("" for a new one), as
// CouchDB's PUT does, with the attachments atts and those of the
// revision read named by keep; it returns the new revision.
func (d *Docs) put(app, id, rev string, v any, atts map[string]attachment, keep []string) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", errs.Wrap(errs.Internal, err, "encode document")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	db := d.docs[app]
	if db == nil {
		db = map[string]storedDoc{}
		d.docs[app] = db
	}
	old, exists := db[id]
	if (exists && rev != revString(old.rev)) || (!exists && rev != "") {
		return "", errs.New(errs.Conflict, "document %s changed", id)
	}
	for _, name := range keep {
		if a, ok := old.attachments[name]; ok {
			if atts == nil {
				atts = map[string]attachment{}
			}
			atts[name] = a
		}
	}
	next := storedDoc{rev: old.rev + 1, body: b, attachments: atts}
	db[id] = next
	return revString(next.rev), nil
}

// get decodes a document into v and returns its revision, as CouchDB's
// _rev.
func (d *Docs) get(app, id string, v any) (rev string, err error) {
	d.mu.Lock()
	sd, ok := d.docs[app][id]
	d.mu.Unlock()
	if !ok {
		return "", errs.New(errs.NotFound, "document %s not found", id)
	}
	if err := json.Unmarshal(sd.body, v); err != nil {
		return "", errs.Wrap(errs.Internal, err, "decode document")
	}
	return revString(sd.rev), nil
}

// CreatePost implements service.PostStore.
func (d *Docs) CreatePost(_ context.Context, p *service.Post, photos []service.Photo) error {
	doc := docform.PostDoc(p)
	atts := map[string]attachment{}
	for i, p := range photos {
		ref := doc.Photos[i]
		atts[ref.Name] = attachment{p.ContentType, p.Data}
		atts[ref.Thumb] = attachment{p.ThumbType, p.Thumb}
	}
	rev, err := d.put(doc.App, doc.ID, doc.Rev, doc, atts, nil)
	if err != nil {
		return fmt.Errorf("create post %s: %w", doc.ID, err)
	}
	p.Rev = rev
	return nil
}

// Post implements service.PostStore.
func (d *Docs) Post(_ context.Context, app, id string) (*service.Post, error) {
	var doc social.PostDoc
	rev, err := d.get(app, service.PostDocID(id), &doc)
	if err != nil {
		return nil, err
	}
	if doc.Type != social.DocPost {
		return nil, errs.New(errs.NotFound, "not a post")
	}
	doc.Rev = rev
	return docform.Post(&doc), nil
}

// Posts implements service.PostStore.
func (d *Docs) Posts(ctx context.Context, app string, ids []string) (map[string]*service.Post, error) {
	out := make(map[string]*service.Post, len(ids))
	for _, id := range ids {
		if doc, err := d.Post(ctx, app, id); err == nil {
			out[id] = doc
		}
	}
	return out, nil
}

// UpdatePost implements service.PostStore as the CouchDB adapter does:
// update runs on the post read, outside the mutex, and the write checks
// under it that the revision read is still the latest (or starts again).
// So the store's conflicts and retries are CouchDB's, and update may read
// the store.
func (d *Docs) UpdatePost(ctx context.Context, ref service.PostRef, update func(*service.Post) error) (service.Post, error) {
	for attempt := 1; ; attempt++ {
		p, err := d.Post(ctx, ref.App, ref.ID)
		if err != nil {
			return service.Post{}, fmt.Errorf("read post %s: %w", ref.ID, err)
		}
		read := p.Rev
		if err := update(p); err != nil {
			return service.Post{}, err
		}
		p.ID, p.App, p.Rev = ref.ID, ref.App, read
		doc := docform.PostDoc(p)
		var keep []string
		for _, ph := range p.Photos {
			keep = append(keep, ph.Name, ph.Thumb)
		}
		rev, err := d.put(ref.App, doc.ID, read, doc, nil, keep)
		if errs.KindOf(err) == errs.Conflict && attempt < service.UpdateAttempts {
			continue
		}
		if err != nil {
			return service.Post{}, fmt.Errorf("update post %s (attempt %d): %w", ref.ID, attempt, err)
		}
		p.Rev = rev
		return *p, nil
	}
}

// Attachment implements service.PostStore.
func (d *Docs) Attachment(_ context.Context, app, post, name string) (string, io.ReadCloser, error) {
	d.mu.Lock()
	a, ok := d.docs[app][service.PostDocID(post)].attachments[name]
	d.mu.Unlock()
	if !ok {
		return "", nil, errs.New(errs.NotFound, "attachment %s not found", name)
	}
	return a.contentType, io.NopCloser(strings.NewReader(string(a.data))), nil
}

// CreateComment implements service.CommentStore.
func (d *Docs) CreateComment(_ context.Context, c *service.Comment) error {
	doc := docform.CommentDoc(c)
	rev, err := d.put(doc.App, doc.ID, doc.Rev, doc, nil, nil)
	if err != nil {
		return err
	}
	c.Rev = rev
	return nil
}

// Comment implements service.CommentStore.
func (d *Docs) Comment(_ context.Context, ref service.CommentRef) (*service.Comment, error) {
	var doc social.CommentDoc
	rev, err := d.get(ref.App, service.CommentDocID(ref.Post, ref.ID), &doc)
	if err != nil {
		return nil, err
	}
	doc.Rev = rev
	return docform.Comment(&doc), nil
}

// UpdateComment implements service.CommentStore as UpdatePost updates a
// post.
func (d *Docs) UpdateComment(ctx context.Context, ref service.CommentRef, update func(*service.Comment) error) (service.Comment, error) {
	for attempt := 1; ; attempt++ {
		c, err := d.Comment(ctx, ref)
		if err != nil {
			return service.Comment{}, fmt.Errorf("read comment %s: %w", ref.ID, err)
		}
		read := c.Rev
		if err := update(c); err != nil {
			return service.Comment{}, err
		}
		c.ID, c.App, c.Post, c.Rev = ref.ID, ref.App, ref.Post, read
		doc := docform.CommentDoc(c)
		rev, err := d.put(ref.App, doc.ID, read, doc, nil, nil)
		if errs.KindOf(err) == errs.Conflict && attempt < service.UpdateAttempts {
			continue
		}
		if err != nil {
			return service.Comment{}, fmt.Errorf("update comment %s (attempt %d): %w", ref.ID, attempt, err)
		}
		c.Rev = rev
		return *c, nil
	}
}

// Comments implements service.CommentStore.
func (d *Docs) Comments(ctx context.Context, app, post, after string, limit int) ([]*service.Comment, error) {
	prefix := service.CommentDocID(post, "")
	var out []*service.Comment
	for _, id := range d.ids(app, prefix) {
		if after != "" && id <= prefix+after {
			continue
		}
		if len(out) == limit {
			break
		}
		var c social.CommentDoc
		rev, err := d.get(app, id, &c)
		if err != nil || c.Type != social.DocComment {
			continue
		}
		c.Rev = rev
		out = append(out, docform.Comment(&c))
	}
	return out, nil
}

// ids returns the ids of app's documents that start with prefix, sorted.
func (d *Docs) ids(app, prefix string) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var ids []string
	for id := range maps.Keys(d.docs[app]) {
		if strings.HasPrefix(id, prefix) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// EachDoc implements service.AppDocs.
func (d *Docs) EachDoc(_ context.Context, app string, post func(*service.Post) error, comment func(*service.Comment) error) error {
	if post != nil {
		for _, id := range d.ids(app, "post:") {
			var p social.PostDoc
			rev, err := d.get(app, id, &p)
			if err != nil || p.Type != social.DocPost {
				continue
			}
			p.Rev = rev
			if err := post(docform.Post(&p)); err != nil {
				return err
			}
		}
	}
	if comment != nil {
		for _, id := range d.ids(app, "comment:") {
			var c social.CommentDoc
			rev, err := d.get(app, id, &c)
			if err != nil || c.Type != social.DocComment {
				continue
			}
			c.Rev = rev
			if err := comment(docform.Comment(&c)); err != nil {
				return err
			}
		}
	}
	return nil
}

// LastEvent implements service.AppDocs.
func (d *Docs) LastEvent(_ context.Context, app, docID string) (string, bool, error) {
	var doc struct {
		LastEvent string `json:"last_event"`
	}
	if _, err := d.get(app, docID, &doc); errs.KindOf(err) == errs.NotFound {
		return "", false, nil
	} else if err != nil {
		return "", false, err
	}
	return doc.LastEvent, true, nil
}

// PutUpload implements service.UploadStore.
func (d *Docs) PutUpload(_ context.Context, app string, up service.Upload, p service.Photo) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	up.App = app
	p.Data, p.Thumb = slices.Clone(p.Data), slices.Clone(p.Thumb)
	d.uploads[app+"/"+up.ID] = upload{up, p}
	return nil
}

// Upload implements service.UploadStore.
func (d *Docs) Upload(_ context.Context, app, id string) (service.Upload, service.Photo, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	u, ok := d.uploads[app+"/"+id]
	if !ok {
		return service.Upload{}, service.Photo{}, errs.New(errs.NotFound, "upload %s not found", id)
	}
	u.p.Data, u.p.Thumb = slices.Clone(u.p.Data), slices.Clone(u.p.Thumb)
	return u.up, u.p, nil
}

// DeleteUpload implements service.UploadStore.
func (d *Docs) DeleteUpload(_ context.Context, app, id string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.uploads, app+"/"+id)
	return nil
}
