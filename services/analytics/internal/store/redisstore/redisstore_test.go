package redisstore_test

import (
	"context"
	"net"
	"os/exec"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/attendify/analytics"
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

// TestApplyOnAFreshServer: on a server that never saw the script (a
// restart), Apply sends it whole and still lists the app as waiting.
func TestApplyOnAFreshServer(t *testing.T) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatal("redis-server is not installed (make services installs it)")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command(bin, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { rdb.Close() })
	testkit.Eventually(t, "the private redis-server", func() bool { return rdb.Ping(context.Background()).Err() == nil })
	s := redisstore.New(rdb, "")
	at := time.Now()
	e := service.Event{App: "a1", Key: "k1", Kind: analytics.TypeScreenView, At: at, Install: "i1", Screen: "x"}
	got, err := s.Apply(context.Background(), "a1", []service.Change{{Key: e.Key, At: at, Scopes: e.Scopes(), Effects: service.EffectsOf(e)}})
	if err != nil || len(got) != 1 || !got[0] {
		t.Fatalf("Apply = %v, %v", got, err)
	}
	apps, err := s.WaitingApps(context.Background())
	if err != nil || len(apps) != 1 || apps[0] != "a1" {
		t.Errorf("waiting apps = %v, %v", apps, err)
	}
}
