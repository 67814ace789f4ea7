package app

import (
	"context"
	"strings"
	"time"

	kivik "github.com/go-kivik/kivik/v4"

	"github.com/attendify/platform/couch"
	"github.com/attendify/platform/runner"
	"github.com/attendify/social"
	"github.com/attendify/social/internal/store/couchstore"
)

// sweepUploads deletes, every interval, the photo uploads that no post used
// within social.UploadTTL, in every app database.
func sweepUploads(ctx context.Context, cc *kivik.Client, docs *couchstore.Store, prefix string, interval time.Duration, svc *runner.Service) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		dbs, err := cc.AllDBs(ctx)
		if err != nil {
			svc.Log.Warn("list databases for the upload sweep", "error", couch.Err(err))
			continue
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
				svc.Log.Warn("sweep uploads", "app", app, "error", err)
			} else if n > 0 {
				svc.Log.Info("swept unused uploads", "app", app, "count", n)
			}
		}
	}
}
