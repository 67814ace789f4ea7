// Package couchstore writes the content databases to CouchDB: one
// database per content group of an app, named couch.DBName(prefix,
// "<app>-<group>") ("multievent$<app>-all", "multievent$<app>-e<event>").
// Documents are written with _bulk_docs, naming the revision they replace,
// after deleting the losing revisions of those in conflict
// (couch.DropConflicts);
// reading back what a database holds uses _all_docs. Nothing here relies on
// an order of _changes: phones replicate with CouchDB's own protocol.
package couchstore

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"

	kivik "github.com/go-kivik/kivik/v4"

	"github.com/attendify/multievent/internal/derr"
	"github.com/attendify/multievent/internal/service"
	"github.com/attendify/platform/couch"
	"github.com/attendify/platform/errs"
)

// Store implements service.Content on CouchDB.
type Store struct {
	client *kivik.Client
	prefix string   // the service part of the names: "multievent" (tests use their own)
	known  sync.Map // database name -> struct{}: created
}

var _ service.Content = (*Store)(nil)

// New returns a store on client; prefix is the service part of the
// database names ("multievent" in production).
func New(client *kivik.Client, prefix string) *Store { return &Store{client: client, prefix: prefix} }

// DBName implements service.Content.
func (s *Store) DBName(g service.GroupDB) (string, error) {
	return couch.DBName(s.prefix, g.App+"-"+g.Group)
}

// appPrefix is what the names of app's databases start with.
func (s *Store) appPrefix(app string) (string, error) {
	n, err := s.DBName(service.GroupDB{App: app, Group: "x"})
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(n, "x"), nil
}

// db returns g's database, creating it on first use.
func (s *Store) db(ctx context.Context, g service.GroupDB) (*kivik.DB, error) {
	name, err := s.DBName(g)
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

// Write implements service.Content.
func (s *Store) Write(ctx context.Context, g service.GroupDB, docs []service.ContentDoc) (_ []service.WriteResult, err error) {
	defer derr.Wrap(&err, "Write(%q, %q, %d docs)", g.App, g.Group, len(docs))
	db, err := s.db(ctx, g)
	if err != nil {
		return nil, err
	}
	body := make([]any, len(docs))
	for i, d := range docs {
		m := map[string]any{}
		if !d.Deleted {
			if err := json.Unmarshal(d.Body, &m); err != nil {
				return nil, errs.Wrap(errs.Invalid, err, "document %s", d.ID)
			}
		} else {
			m["_deleted"] = true
		}
		m["_id"] = d.ID
		if d.Rev != "" {
			m["_rev"] = d.Rev
		}
		body[i] = m
	}
	// The losing revisions of documents in conflict go first: the
	// writer's content is the one to keep, and a deletion must not bring a
	// loser back (couch.DropConflicts).
	ids := make([]string, len(docs))
	for i, d := range docs {
		ids[i] = d.ID
	}
	err = couch.DropConflicts(ctx, db, ids)
	var res []kivik.BulkResult
	if err == nil {
		res, err = db.BulkDocs(ctx, body)
	}
	if kivik.HTTPStatus(err) == http.StatusNotFound {
		// The database was deleted behind our back: create it again.
		s.known.Delete(db.Name())
		if db, err = s.db(ctx, g); err != nil {
			return nil, err
		}
		res, err = db.BulkDocs(ctx, body)
	}
	if err != nil {
		return nil, couch.Err(err)
	}
	if len(res) != len(docs) {
		return nil, errs.New(errs.Internal, "_bulk_docs answered %d results for %d documents", len(res), len(docs))
	}
	// The results are matched to the documents by id, not by position: the
	// CouchDB dev server has answered a batch out of order under load (a
	// document then took another's revision, and its next update
	// conflicted). A batch that names an id twice gets its results in turn.
	byID := make(map[string][]kivik.BulkResult, len(res))
	for _, r := range res {
		byID[r.ID] = append(byID[r.ID], r)
	}
	out := make([]service.WriteResult, len(docs))
	for i, d := range docs {
		rs := byID[d.ID]
		if len(rs) == 0 {
			return nil, errs.New(errs.Internal, "_bulk_docs answered no result for %s", d.ID)
		}
		r := rs[0]
		byID[d.ID] = rs[1:]
		out[i] = service.WriteResult{ID: d.ID, Rev: r.Rev}
		if r.Error != nil {
			out[i].Err = couch.Err(r.Error)
		}
	}
	return out, nil
}

// Rev implements service.Content.
func (s *Store) Rev(ctx context.Context, d service.DocRef) (_ string, err error) {
	defer derr.Wrap(&err, "Rev(%q, %q, %q)", d.App, d.Group, d.ID)
	db, err := s.db(ctx, d.GroupDB)
	if err != nil {
		return "", err
	}
	rev, err := db.GetRev(ctx, d.ID)
	if kivik.HTTPStatus(err) == http.StatusNotFound {
		return "", nil
	}
	return rev, couch.Err(err)
}

// Databases lists the names of app's databases with their groups.
func (s *Store) Databases(ctx context.Context, app string) (_ map[string]string, err error) {
	defer derr.Wrap(&err, "Databases(%q)", app)
	prefix, err := s.appPrefix(app)
	if err != nil {
		return nil, err
	}
	names, err := s.client.AllDBs(ctx, kivik.Params(map[string]any{"startkey": prefix, "endkey": prefix + "\uffff"}))
	if err != nil {
		return nil, couch.Err(err)
	}
	out := map[string]string{}
	for _, n := range names {
		if rest, ok := strings.CutPrefix(n, prefix); ok {
			out[n] = groupOf(app, rest)
		}
	}
	return out, nil
}

// groupOf recovers a group from the end of a database name: "all", or
// "e" and an event id whose letters DBName lower-cased (app ids and event
// ids are flake ids, in upper case).
func groupOf(app, rest string) string {
	if rest == service.GroupAll {
		return rest
	}
	if strings.ToUpper(app) == app {
		return "e" + strings.ToUpper(strings.TrimPrefix(rest, "e"))
	}
	return rest
}

// Placed implements service.Content.
func (s *Store) Placed(ctx context.Context, app string) (_ []service.Placement, err error) {
	defer derr.Wrap(&err, "Placed(%q)", app)
	dbs, err := s.Databases(ctx, app)
	if err != nil {
		return nil, err
	}
	var out []service.Placement
	for name, group := range dbs {
		rows := s.client.DB(name).AllDocs(ctx, kivik.Params(map[string]any{"include_docs": true}))
		for rows.Next() {
			id, _ := rows.ID()
			var d struct {
				Rev string `json:"_rev"`
				H   string `json:"h"`
			}
			if err := rows.ScanDoc(&d); err != nil || strings.HasPrefix(id, "_design/") {
				continue
			}
			out = append(out, service.Placement{DocID: id, Group: group, Rev: d.Rev, Hash: d.H})
		}
		err := rows.Err()
		_ = rows.Close()
		if err != nil {
			return nil, couch.Err(err)
		}
	}
	return out, nil
}

// Compact implements service.Content: POST /<db>/_compact, which CouchDB
// runs in the background. A database that is gone has nothing to compact.
func (s *Store) Compact(ctx context.Context, g service.GroupDB) (err error) {
	defer derr.Wrap(&err, "Compact(%q, %q)", g.App, g.Group)
	name, err := s.DBName(g)
	if err != nil {
		return err
	}
	if err := s.client.DB(name).Compact(ctx); err != nil && kivik.HTTPStatus(err) != http.StatusNotFound {
		return couch.Err(err)
	}
	return nil
}

// Drop implements service.Content.
func (s *Store) Drop(ctx context.Context, app string) (err error) {
	defer derr.Wrap(&err, "Drop(%q)", app)
	dbs, err := s.Databases(ctx, app)
	if err != nil {
		return err
	}
	for name := range dbs {
		s.known.Delete(name)
		if err := s.client.DestroyDB(ctx, name); err != nil && kivik.HTTPStatus(err) != http.StatusNotFound {
			return couch.Err(err)
		}
	}
	return nil
}
