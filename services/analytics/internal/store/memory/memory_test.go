package memory_test

import (
	"context"
	"testing"
	"time"

	"github.com/attendify/analytics/internal/service"
	"github.com/attendify/analytics/internal/store/memory"
	"github.com/attendify/analytics/internal/store/storetest"
)

func TestContract(t *testing.T) {
	ctx := context.Background()
	t.Run("RawEvents", func(t *testing.T) {
		storetest.RawEvents(t, ctx, func(*testing.T) service.RawEvents { return memory.New() })
	})
	t.Run("Members", func(t *testing.T) {
		storetest.Members(t, ctx, func(*testing.T) service.Members { return memory.New() })
	})
	t.Run("Rollups", func(t *testing.T) {
		storetest.Rollups(t, ctx, func(*testing.T) service.Rollups { return memory.New() })
	})
	t.Run("Jobs", func(t *testing.T) {
		storetest.Jobs(t, ctx, func(*testing.T) service.Jobs { return memory.New() })
	})
	t.Run("Live", func(t *testing.T) {
		now := time.Now()
		storetest.Live(t, ctx, now, func(*testing.T) service.Live {
			l := memory.NewLive()
			l.Now = func() time.Time { return now }
			return l
		})
	})
}
