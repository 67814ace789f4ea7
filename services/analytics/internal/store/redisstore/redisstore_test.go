package redisstore_test

import (
	"testing"
	"time"

	"github.com/attendify/analytics/internal/service"
	"github.com/attendify/analytics/internal/store/redisstore"
	"github.com/attendify/analytics/internal/store/storetest"
	"github.com/attendify/platform/testkit"
)

func TestContract(t *testing.T) {
	ctx := testkit.Context(t)
	storetest.Live(t, ctx, time.Now(), func(t *testing.T) service.Live {
		rdb, ns := testkit.Redis(t)
		return redisstore.New(rdb, ns)
	})
}
