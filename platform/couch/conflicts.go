package couch

import (
	"context"
	"fmt"
	"net/http"

	kivik "github.com/go-kivik/kivik/v4"
)

// DropConflicts deletes, in one _bulk_docs, the losing revisions of the
// documents ids that have conflicting ones; documents missing, deleted or
// without conflicts cost nothing more than the read (one _all_docs with
// conflicts=true).
//
// An Apache CouchDB cluster keeps both revisions of a document written
// concurrently through two nodes, or on both sides of a partition (a
// writer that retries a 409 with the revision it then reads can make
// one); it shows one, the winner, the same on every node and phone, and
// replicates all of them to phones. A loser stays until deleted, and
// becomes the document again when the winner is deleted: a document
// deleted (or written over as deleted) would come back, with content its
// writer meant to replace, to readers who may no longer see it. Call it
// before a write that deletes ids, or whose content must be the only one
// kept: the write then leaves a single revision. It cannot stop a
// conflict made after it reads (a write racing on another node).
func DropConflicts(ctx context.Context, db *kivik.DB, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	rows := db.AllDocs(ctx, kivik.Params(map[string]any{"keys": ids, "include_docs": true, "conflicts": true}))
	var losers []any
	for rows.Next() {
		var doc struct {
			ID        string   `json:"_id"`
			Conflicts []string `json:"_conflicts"`
		}
		if rows.ScanDoc(&doc) != nil {
			continue // missing or deleted (every leaf then is): nothing to drop
		}
		for _, rev := range doc.Conflicts {
			losers = append(losers, map[string]any{"_id": doc.ID, "_rev": rev, "_deleted": true})
		}
	}
	err := rows.Err()
	_ = rows.Close()
	if err != nil || len(losers) == 0 {
		return Err(err)
	}
	res, err := db.BulkDocs(ctx, losers)
	if err != nil {
		return Err(err)
	}
	for _, r := range res {
		// 409: that revision is no longer a leaf, another writer deleted
		// it meanwhile.
		if r.Error != nil && kivik.HTTPStatus(r.Error) != http.StatusConflict {
			return fmt.Errorf("delete a losing revision of %s: %w", r.ID, Err(r.Error))
		}
	}
	return nil
}
