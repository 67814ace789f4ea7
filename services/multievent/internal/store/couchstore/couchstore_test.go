package couchstore_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/attendify/multievent/internal/service"
	"github.com/attendify/multievent/internal/store/couchstore"
	"github.com/attendify/multievent/internal/store/storetest"
	"github.com/attendify/platform/flake"
	"github.com/attendify/platform/testkit"
)

func TestContentContract(t *testing.T) {
	storetest.Content(t, func(t *testing.T) service.Content {
		client := testkit.CouchDB(t)
		prefix := "tme" + strings.ToLower(flake.New(0).Next().String()[14:])
		s := couchstore.New(client, prefix)
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			names, _ := client.AllDBs(ctx)
			for _, n := range names {
				if strings.HasPrefix(n, prefix+"$") {
					_ = client.DestroyDB(ctx, n)
				}
			}
		})
		return s
	})
}
