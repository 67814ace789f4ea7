package testkit_test

import (
	"fmt"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/attendify/platform/couch"
	"github.com/attendify/platform/testkit"
)

func TestCouchDBNameIsUniqueValidAndCleanedUp(t *testing.T) {
	ctx := testkit.Context(t)
	client := testkit.CouchDB(t)
	var names []string
	t.Run("Uses/Two Databases", func(t *testing.T) {
		for range 2 {
			name := testkit.CouchDBName(t)
			if !couch.ValidDBName(name) {
				t.Fatalf("CouchDBName() = %q: not a valid CouchDB name", name)
			}
			if err := couch.EnsureDB(testkit.Context(t), client, name); err != nil {
				t.Fatalf("EnsureDB(%s): %v", name, err)
			}
			names = append(names, name)
		}
		if names[0] == names[1] {
			t.Fatalf("CouchDBName() returned %q twice", names[0])
		}
		t.Run("unused name", func(t *testing.T) { testkit.CouchDBName(t) }) // never created: cleanup must not fail
	})
	for _, name := range names {
		if ok, err := client.DBExists(ctx, name); err != nil || ok {
			t.Errorf("database %s still exists after its test ended (%v)", name, err)
		}
	}
}

// fatalTB records a Fatalf and ends the goroutine, as testing.T does.
type fatalTB struct {
	testing.TB
	mu  sync.Mutex
	msg string
}

func (f *fatalTB) Helper() {}

func (f *fatalTB) Fatalf(format string, args ...any) {
	f.mu.Lock()
	f.msg = fmt.Sprintf(format, args...)
	f.mu.Unlock()
	runtime.Goexit()
}

func TestCouchDBFailsWithoutServer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	t.Setenv("COUCHDB_URL", "http://admin:s3cret@"+addr)

	tb := &fatalTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		testkit.CouchDB(tb)
	}()
	<-done
	if !strings.Contains(tb.msg, "run make services") || !strings.Contains(tb.msg, addr) {
		t.Errorf("failure message %q; want the server and \"run make services\"", tb.msg)
	}
	if strings.Contains(tb.msg, "s3cret") {
		t.Errorf("failure message %q shows the password", tb.msg)
	}
}
