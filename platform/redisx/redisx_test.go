package redisx_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/redisx"
	"github.com/attendify/platform/testkit"
	"github.com/redis/go-redis/v9"
)

func TestKeys(t *testing.T) {
	prod := redisx.NewKeys("", "social")
	test := redisx.NewKeys("test-1f", "social")
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"plain", prod.Key("post", "42"), "social:post:42"},
		{"namespaced", test.Key("post", "42"), "test-1f:social:post:42"},
		{"no parts", prod.Key(), "social"},
		{"tagged", prod.Tagged("app7", "feed"), "social:{app7}:feed"},
		{"tagged, namespaced", test.Tagged("app7", "feed", "seen"), "test-1f:social:{app7}:feed:seen"},
		{"tag only", prod.Tagged("app7"), "social:{app7}"},
		{"empty tag is still a tag", prod.Tagged("", "x"), "social:{_}:x"},
		{"braces in parts cannot move the slot", prod.Key("a{b}", "c"), "social:a(b):c"},
		{"braces in a tag", prod.Tagged("{x}", "y"), "social:{(x)}:y"},
		{"prefix", test.Prefix(), "test-1f:social:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}

func TestNewKeysWithoutServicePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("NewKeys with an empty service did not panic")
		}
	}()
	redisx.NewKeys("ns", "")
}

// keySlot is the Redis Cluster slot of key, computed as the cluster
// specification says: CRC16 (XMODEM) of the hash tag, or of the whole key
// when it has none, modulo 16384. (CLUSTER KEYSLOT would do, but a server
// with cluster support disabled refuses it.)
func keySlot(key string) int {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			key = key[i+1 : i+1+j]
		}
	}
	var crc uint16
	for _, b := range []byte(key) {
		crc ^= uint16(b) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return int(crc) % 16384
}

func TestKeySlotMatchesTheSpecification(t *testing.T) {
	// Examples from the Redis Cluster specification and redis-cli.
	tests := map[string]int{"123456789": 0x31c3, "foo": 12182, "bar": 5061}
	for key, want := range tests {
		if got := keySlot(key); got != want {
			t.Errorf("keySlot(%q) = %d, want %d", key, got, want)
		}
	}
	if keySlot("{user1000}.following") != keySlot("{user1000}.followers") {
		t.Error("keys with the same tag must share a slot")
	}
	if keySlot("foo{}{bar}") == keySlot("bar") {
		t.Error("an empty {} must not act as a hash tag")
	}
}

// Tagged keys share the slot of their tag, whatever the namespace, service
// and parts; plain keys of one family spread over the slots.
func TestTaggedKeysShareASlot(t *testing.T) {
	k := redisx.NewKeys("test-1f", "social")
	slot := func(key string) int { return keySlot(key) }

	for _, app := range []string{"app1", "app2", "a:b", ""} {
		want := slot(k.Tagged(app))
		for _, key := range []string{
			k.Tagged(app, "feed"),
			k.Tagged(app, "feed", "seen"),
			redisx.NewKeys("", "social").Tagged(app, "likes"),        // another namespace
			redisx.NewKeys("test-2", "analytics").Tagged(app, "hll"), // another service
		} {
			if got := slot(key); got != want {
				t.Errorf("slot(%q) = %d, want %d like the other keys tagged %q", key, got, want, app)
			}
		}
	}

	slots := map[int]bool{}
	for _, id := range []string{"1", "2", "3", "4", "5", "6", "7", "8"} {
		slots[slot(k.Key("post", id))] = true
	}
	if len(slots) < 4 {
		t.Errorf("8 untagged keys landed in %d slots; want them spread", len(slots))
	}
}

// Tagged keys work together in one MULTI/EXEC and one multi-key command.
func TestTaggedKeysInOneTransaction(t *testing.T) {
	c, ns := testkit.Redis(t)
	ctx := testkit.Context(t)
	k := redisx.NewKeys(ns, "social")
	a, b := k.Tagged("app1", "feed"), k.Tagged("app1", "count")
	_, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.LPush(ctx, a, "post1")
		p.Incr(ctx, b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	n, err := c.Exists(ctx, a, b).Result()
	if err != nil || n != 2 {
		t.Errorf("EXISTS = %d, %v; want 2", n, err)
	}
}

func TestOpenUnreachableNamesServerNotPassword(t *testing.T) {
	_, err := redisx.Open(testkit.Context(t), redisx.Config{URL: "redis://:s3cret@127.0.0.1:1/0"})
	if !errors.Is(err, errs.Unavailable) {
		t.Fatalf("err = %v, want kind unavailable", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "127.0.0.1:1") || strings.Contains(msg, "s3cret") {
		t.Errorf("error %q should name the server and hide the password", msg)
	}
}

func TestOpenBadURL(t *testing.T) {
	_, err := redisx.Open(testkit.Context(t), redisx.Config{URL: "http://nope"})
	if !errors.Is(err, errs.Invalid) {
		t.Fatalf("err = %v, want kind invalid", err)
	}
}

func TestOpenAndReady(t *testing.T) {
	ctx := testkit.Context(t)
	c, err := redisx.Open(ctx, redisx.Config{URL: "redis://127.0.0.1:6379/0"})
	if err != nil {
		t.Fatalf("open the local Redis (run `make services`): %v", err)
	}
	ready := redisx.Ready(c)
	if err := ready(ctx); err != nil {
		t.Fatalf("ready on a live client: %v", err)
	}
	_ = c.Close()
	if err := ready(ctx); !errors.Is(err, errs.Unavailable) {
		t.Errorf("ready on a closed client = %v, want kind unavailable", err)
	}
}

func TestErr(t *testing.T) {
	c, ns := testkit.Redis(t)
	ctx := testkit.Context(t)
	k := redisx.NewKeys(ns, "test")

	_, missing := c.Get(ctx, k.Key("missing")).Result()
	watched := k.Key("watched")
	txFailed := c.Watch(ctx, func(tx *redis.Tx) error {
		if err := c.Set(ctx, watched, "changed behind the watch", 0).Err(); err != nil {
			return err
		}
		_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, watched, "mine", 0)
			return nil
		})
		return err
	}, watched)
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	canceledErr := c.Ping(canceled).Err()
	_, wrongType := c.LPush(ctx, watched, "x").Result()

	tests := []struct {
		name string
		err  error
		want errs.Kind
	}{
		{"nil reply", missing, errs.NotFound},
		{"watch failed", txFailed, errs.Conflict},
		{"canceled", canceledErr, errs.Canceled},
		{"loading", errors.New("LOADING Redis is loading the dataset in memory"), errs.Unavailable},
		{"cluster down", errors.New("CLUSTERDOWN The cluster is down"), errs.Unavailable},
		// What a cluster client returns once its redirects run out while
		// slots move (a failover): the topology is settling.
		{"moved past the redirects", errors.New("MOVED 13675 127.0.0.1:43947"), errs.Unavailable},
		{"ask past the redirects", errors.New("ASK 13675 127.0.0.1:43947"), errs.Unavailable},
		{"closed client", redis.ErrClosed, errs.Unavailable},
		{"wrong type is a bug", wrongType, errs.Internal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.err == nil {
				t.Fatal("no error to translate")
			}
			got := redisx.Err(tt.err)
			if k := errs.KindOf(got); k != tt.want {
				t.Errorf("Err(%v) kind = %v, want %v", tt.err, k, tt.want)
			}
			if !errors.Is(got, tt.err) {
				t.Errorf("Err(%v) = %v does not wrap the cause", tt.err, got)
			}
		})
	}
	if redisx.Err(nil) != nil {
		t.Error("Err(nil) != nil")
	}
}
