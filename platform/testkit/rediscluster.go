package testkit

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisCluster is a private Redis Cluster of six redis-server processes
// (three primaries, three replicas) on loopback, for a test that fails a
// primary over or kills one. `make test-redis-cluster` runs whole suites
// against such a cluster (dev/rediscluster.sh); this one belongs to a single
// test and is killed when it ends.
type RedisCluster struct {
	// Nodes are the six servers, in no lasting order of roles.
	Nodes []*RedisServer
	t     testing.TB
}

// StartRedisCluster starts six cluster nodes, gives each primary a third of
// the slots and a replica, and returns once every node says the cluster is
// ok. Without Debian's redis-server the test fails.
func StartRedisCluster(t testing.TB) *RedisCluster {
	t.Helper()
	c := &RedisCluster{t: t}
	var buses []int
	for range 6 {
		bus, err := freePort()
		if err != nil {
			t.Fatalf("testkit: find a free port for a cluster bus: %v", err)
		}
		buses = append(buses, bus)
		c.Nodes = append(c.Nodes, startRedisServer(t,
			"--cluster-enabled", "yes", "--cluster-port", strconv.Itoa(bus),
			"--cluster-node-timeout", "2000", "--cluster-replica-validity-factor", "0",
			"--repl-diskless-sync-delay", "0"))
	}
	ctx := Context(t)
	clients := make([]*redis.Client, len(c.Nodes))
	for i, n := range c.Nodes {
		clients[i] = n.Client()
	}
	// Three primaries with a third of the slots each.
	for i := range 3 {
		from, to := i*16384/3, (i+1)*16384/3-1
		if err := clients[i].Do(ctx, "CLUSTER", "ADDSLOTSRANGE", from, to).Err(); err != nil {
			t.Fatalf("testkit: CLUSTER ADDSLOTSRANGE %d %d on %s: %v", from, to, c.Nodes[i].Addr, err)
		}
	}
	for i, n := range c.Nodes[1:] {
		// The bus port is named: it is not the default (port + 10000).
		if err := clients[0].Do(ctx, "CLUSTER", "MEET", "127.0.0.1", n.port, buses[i+1]).Err(); err != nil {
			t.Fatalf("testkit: CLUSTER MEET %s: %v", n.Addr, err)
		}
	}
	// Each of the last three replicates one of the first three, once it
	// knows that node.
	for i := 3; i < 6; i++ {
		id := clients[i-3].ClusterMyID(ctx).Val()
		Eventually(t, "node "+c.Nodes[i].Addr+" to replicate "+c.Nodes[i-3].Addr, func() bool {
			return clients[i].ClusterReplicate(ctx, id).Err() == nil
		})
	}
	c.waitHealthy()
	return c
}

// Addrs are the nodes' addresses, for REDIS_CLUSTER_ADDRS or
// redisx.Config.ClusterAddrs.
func (c *RedisCluster) Addrs() []string {
	out := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		out[i] = n.Addr
	}
	return out
}

// Primaries returns the nodes that serve slots now.
func (c *RedisCluster) Primaries() []*RedisServer {
	var out []*RedisServer
	for _, n := range c.Nodes {
		if n.role() == "master" {
			out = append(out, n)
		}
	}
	return out
}

// shortClient is a client of the server for one question: close it.
func (s *RedisServer) shortClient() *redis.Client {
	return redis.NewClient(&redis.Options{Addr: s.Addr, MaxRetries: -1, DialTimeout: time.Second})
}

// role is the node's answer to ROLE ("master", "slave"), "" if it does not
// answer.
func (s *RedisServer) role() string {
	c := s.shortClient()
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	v, err := c.Do(ctx, "ROLE").Slice()
	if err != nil || len(v) == 0 {
		return ""
	}
	r, _ := v[0].(string)
	return r
}

// replicaOf returns the node that replicates primary.
func (c *RedisCluster) replicaOf(primary *RedisServer) *RedisServer {
	ctx := Context(c.t)
	id := c.myID(primary)
	for _, n := range c.Nodes {
		if n == primary {
			continue
		}
		nc := n.shortClient()
		nodes, err := nc.ClusterNodes(ctx).Result()
		_ = nc.Close()
		if err != nil {
			continue
		}
		for _, line := range strings.Split(nodes, "\n") {
			f := strings.Fields(line)
			if len(f) > 3 && strings.Contains(f[2], "myself") && f[3] == id {
				return n
			}
		}
	}
	c.t.Fatalf("testkit: no replica of %s", primary.Addr)
	return nil
}

// Failover has the replica of primary take its place (CLUSTER FAILOVER, the
// planned hand-over) and returns the new primary once the cluster is whole.
func (c *RedisCluster) Failover(primary *RedisServer) *RedisServer {
	c.t.Helper()
	r := c.replicaOf(primary)
	rc := r.shortClient()
	defer rc.Close()
	// Redis aborts a planned failover that does not complete in 5 s (the
	// replica must first reach the primary's offset, which a busy machine
	// under writes can delay), and the command has already answered OK:
	// ask again until the replica is the primary.
	deadline := time.Now().Add(90 * time.Second)
	for {
		if err := rc.ClusterFailover(Context(c.t)).Err(); err != nil {
			c.t.Fatalf("testkit: CLUSTER FAILOVER on %s: %v", r.Addr, err)
		}
		asked := time.Now()
		for r.role() != "master" && time.Since(asked) < 6*time.Second {
			time.Sleep(50 * time.Millisecond)
		}
		if r.role() == "master" {
			break
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("testkit: %s did not become a primary after CLUSTER FAILOVER, asked until %v", r.Addr, deadline.Format(time.TimeOnly))
		}
	}
	c.waitHealthy()
	return r
}

// KillPrimary kills primary (SIGKILL), waits until its replica has taken
// over, then starts it again: it comes back empty and rejoins as a replica.
// It returns the new primary.
//
// Under a loaded machine the replica is sometimes not promoted for over
// 30 s (Redis's election, not the clients' behaviour the tests check):
// after promoteWait without a promotion, what the nodes think is logged
// and the replica is promoted with CLUSTER FAILOVER TAKEOVER, as an
// operator would.
func (c *RedisCluster) KillPrimary(primary *RedisServer) *RedisServer {
	c.t.Helper()
	r := c.replicaOf(primary)
	primary.Kill()
	asked := time.Now()
	for r.role() != "master" && time.Since(asked) < promoteWait {
		time.Sleep(50 * time.Millisecond)
	}
	if r.role() != "master" {
		c.t.Logf("testkit: %s was not promoted %v after %s was killed; the nodes think:\n%s", r.Addr, promoteWait, primary.Addr, c.clusterNodes())
		rc := r.shortClient()
		err := rc.Do(Context(c.t), "CLUSTER", "FAILOVER", "TAKEOVER").Err()
		_ = rc.Close()
		if err != nil {
			c.t.Fatalf("testkit: CLUSTER FAILOVER TAKEOVER on %s: %v", r.Addr, err)
		}
	}
	Eventually(c.t, r.Addr+" to take over from the killed "+primary.Addr, func() bool { return r.role() == "master" })
	primary.start()
	c.waitHealthy()
	return r
}

// promoteWait is how long KillPrimary waits for the cluster to promote the
// replica by itself: the node timeout (2 s) and an election take 3 to 5 s
// here.
const promoteWait = 8 * time.Second

// myID is the node's cluster id.
func (c *RedisCluster) myID(n *RedisServer) string {
	nc := n.shortClient()
	defer nc.Close()
	id, err := nc.ClusterMyID(Context(c.t)).Result()
	if err != nil {
		c.t.Fatalf("testkit: CLUSTER MYID on %s: %v", n.Addr, err)
	}
	return id
}

// clusterNodes is every live node's CLUSTER NODES, for a log.
func (c *RedisCluster) clusterNodes() string {
	var b strings.Builder
	for _, n := range c.Nodes {
		nc := n.shortClient()
		v, err := nc.ClusterNodes(Context(c.t)).Result()
		_ = nc.Close()
		fmt.Fprintf(&b, "-- %s (%v):\n%s", n.Addr, err, v)
	}
	return b.String()
}

// waitHealthy waits until every node says cluster_state:ok with three
// primaries that each have a replica whose link to it is up (synchronised:
// a replica still in its handshake holds nothing).
func (c *RedisCluster) waitHealthy() {
	c.t.Helper()
	ctx := Context(c.t)
	Eventually(c.t, "the Redis Cluster to be whole", func() bool {
		for _, n := range c.Nodes {
			nc := n.shortClient()
			info, err := nc.ClusterInfo(ctx).Result()
			_ = nc.Close()
			if err != nil || !strings.Contains(info, "cluster_state:ok") {
				return false
			}
		}
		primaries, replicas := 0, 0
		for _, n := range c.Nodes {
			switch n.role() {
			case "master":
				primaries++
			case "slave":
				nc := n.shortClient()
				info, err := nc.Info(ctx, "replication").Result()
				_ = nc.Close()
				if err == nil && strings.Contains(info, "master_link_status:up") {
					replicas++
				}
			}
		}
		return primaries == 3 && replicas == 3
	})
}

// String names the nodes and their roles, for a test's failure message.
func (c *RedisCluster) String() string {
	var b strings.Builder
	for _, n := range c.Nodes {
		fmt.Fprintf(&b, "%s %s\n", n.Addr, n.role())
	}
	return b.String()
}
