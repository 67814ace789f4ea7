package app

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	kivik "github.com/go-kivik/kivik/v4"

	"github.com/attendify/platform/couch"
	"github.com/attendify/social"
	"github.com/attendify/social/internal/store/couchstore"
)

// sweepUploads deletes the photo uploads that no post used within
// social.UploadTTL, in every app database (one round of the
// "upload-sweeper" periodic job). An app whose sweep fails is logged and
// the others are swept.
func sweepUploads(ctx context.Context, cc *kivik.Client, docs *couchstore.Store, prefix string, log *slog.Logger) error {
	dbs, err := cc.AllDBs(ctx)
	if err != nil {
		return fmt.Errorf("list databases for the upload sweep: %w", couch.Err(err))
	}
	cutoff := time.Now().Add(-social.UploadTTL)
	for _, name := range dbs {
		if !strings.HasPrefix(name, prefix+"$") {
			continue
		}
		_, app, err := couch.ParseDBName(name)
		if err != nil {
			continue
		}
		n, err := docs.SweepUploads(ctx, app, cutoff)
		if err != nil {
			log.Warn("sweep uploads", "app", app, "error", err)
		} else if n > 0 {
			log.Info("swept unused uploads", "app", app, "count", n)
		}
	}
	return nil
}
