package couch_test

// These tests pin down the CouchDB behaviour that kivik v4 (couchdb driver,
// default options) relies on. They pass against Apache CouchDB 3 and against
// the dev server (dev/couchdb); each one fails against a bare pouchdb-server
// 4.2.0 (see dev/README.md). They use kivik directly, not couch.Open, so that
// they can be pointed at any server with COUCHDB_URL.

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/attendify/platform/testkit"
	kivik "github.com/go-kivik/kivik/v4"
)

// rawClient is a plain kivik client for the test server, with no /_up check.
func rawClient(t *testing.T) *kivik.Client {
	t.Helper()
	client, err := kivik.New("couch", testConfig(t).URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	return client
}

// newDB creates a database for the test (deleted when it ends).
func newDB(t *testing.T, client *kivik.Client) *kivik.DB {
	t.Helper()
	name := testkit.CouchDBName(t)
	if err := client.CreateDB(testkit.Context(t), name); err != nil {
		t.Fatalf("CreateDB(%s): %v (run make services)", name, err)
	}
	return client.DB(name)
}

// TestCompatUp: CouchDB 2+ answers GET /_up; kivik's Ping is HEAD /_up.
func TestCompatUp(t *testing.T) {
	up, err := rawClient(t).Ping(testkit.Context(t))
	if err != nil || !up {
		t.Fatalf("Ping() = %v, %v; want true, nil", up, err)
	}
}

// TestCompatRevisions: the revision kivik reports after Get, GetRev, Copy
// and Delete is the document's real revision. kivik reads it from the ETag
// header, which must be CouchDB's strong "<rev>", not a weak W/"..." one.
func TestCompatRevisions(t *testing.T) {
	ctx := testkit.Context(t)
	db := newDB(t, rawClient(t))

	rev1, err := db.Put(ctx, "doc", map[string]any{"n": 1})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(rev1, "1-") {
		t.Fatalf("Put returned rev %q; want 1-...", rev1)
	}
	row := db.Get(ctx, "doc")
	if got, err := row.Rev(); err != nil || got != rev1 {
		t.Errorf("Get().Rev() = %q, %v; want %q", got, err, rev1)
	}
	var body struct {
		Rev string `json:"_rev"`
		N   int    `json:"n"`
	}
	if err := row.ScanDoc(&body); err != nil || body.Rev != rev1 || body.N != 1 {
		t.Errorf("Get().ScanDoc() = %+v, %v; want _rev %q, n 1", body, err, rev1)
	}
	if got, err := db.GetRev(ctx, "doc"); err != nil || got != rev1 {
		t.Errorf("GetRev() = %q, %v; want %q", got, err, rev1)
	}

	crev, err := db.Copy(ctx, "copy", "doc")
	if err != nil {
		t.Fatalf("Copy: %v", err)
	}
	if got, err := db.GetRev(ctx, "copy"); err != nil || got != crev {
		t.Errorf("Copy returned rev %q; the copy has %q (%v)", crev, got, err)
	}

	rev2, err := db.Put(ctx, "doc", map[string]any{"_rev": rev1, "n": 2})
	if err != nil || !strings.HasPrefix(rev2, "2-") {
		t.Fatalf("Put(update) = %q, %v; want 2-...", rev2, err)
	}
	rev3, err := db.Delete(ctx, "doc", rev2)
	if err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if !strings.HasPrefix(rev3, "3-") {
		t.Fatalf("Delete returned rev %q; want 3-...", rev3)
	}
	var tomb map[string]any
	if err := db.Get(ctx, "doc", kivik.Rev(rev3)).ScanDoc(&tomb); err != nil || tomb["_deleted"] != true {
		t.Errorf("Get(rev %s) = %v, %v; want the deletion tombstone", rev3, tomb, err)
	}

	// _local documents (where followers keep checkpoints).
	lrev, err := db.Put(ctx, "_local/cp", map[string]any{"seq": "1"})
	if err != nil {
		t.Fatal(err)
	}
	var cp map[string]any
	if err := db.Get(ctx, "_local/cp").ScanDoc(&cp); err != nil || cp["seq"] != "1" {
		t.Fatalf("Get(_local/cp) = %v, %v", cp, err)
	}
	if _, err := db.Put(ctx, "_local/cp", map[string]any{"_rev": lrev, "seq": "2"}); err != nil {
		t.Errorf("update _local/cp with rev %q: %v", lrev, err)
	}
}

// TestCompatAttachments: an attachment comes back byte for byte. kivik
// gzips request bodies, so the server must decompress them before storing.
func TestCompatAttachments(t *testing.T) {
	ctx := testkit.Context(t)
	db := newDB(t, rawClient(t))
	rev, err := db.Put(ctx, "doc", map[string]any{"title": "photo"})
	if err != nil {
		t.Fatal(err)
	}

	random := make([]byte, 300<<10)
	_, _ = rand.Read(random)
	var gz bytes.Buffer // content that is itself gzip, as an uploaded .gz file
	w := gzip.NewWriter(&gz)
	_, _ = w.Write(bytes.Repeat([]byte("attendify "), 1000))
	_ = w.Close()
	tests := []struct {
		name, ctype string
		data        []byte
	}{
		{"text.txt", "text/plain", bytes.Repeat([]byte("hello attachment\n"), 500)},
		{"random.bin", "application/octet-stream", random},
		{"archive.gz", "application/gzip", gz.Bytes()},
		{"empty.txt", "text/plain", []byte{}},
	}
	for _, tt := range tests {
		rev, err = db.PutAttachment(ctx, "doc", &kivik.Attachment{
			Filename: tt.name, ContentType: tt.ctype, Content: io.NopCloser(bytes.NewReader(tt.data)),
		}, kivik.Rev(rev))
		if err != nil {
			t.Fatalf("PutAttachment(%s): %v", tt.name, err)
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			att, err := db.GetAttachment(ctx, "doc", tt.name)
			if err != nil {
				t.Fatalf("GetAttachment: %v", err)
			}
			got, err := io.ReadAll(att.Content)
			_ = att.Content.Close()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tt.data) {
				t.Errorf("attachment is %d bytes, differs from the %d bytes stored", len(got), len(tt.data))
			}
			if att.ContentType != tt.ctype {
				t.Errorf("content type %q, want %q", att.ContentType, tt.ctype)
			}
			if att.Digest == "" || strings.HasPrefix(att.Digest, "W/") {
				t.Errorf("digest %q; want the attachment's md5", att.Digest)
			}
		})
	}
}

// TestCompatContinuousChanges: a change reaches a feed=continuous reader
// while the feed stays open (no response compression holding it back).
func TestCompatContinuousChanges(t *testing.T) {
	ctx := testkit.Context(t)
	db := newDB(t, rawClient(t))
	if _, err := db.Put(ctx, "before", map[string]any{}); err != nil {
		t.Fatal(err)
	}

	feedCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	changes := db.Changes(feedCtx, kivik.Params(map[string]any{"feed": "continuous", "since": "now", "heartbeat": 1000}))
	if err := changes.Err(); err != nil {
		t.Fatal(err)
	}
	defer changes.Close()
	got := make(chan string, 10)
	go func() {
		for changes.Next() {
			got <- changes.ID()
		}
		close(got)
	}()

	for _, id := range []string{"first", "second"} {
		if _, err := db.Put(ctx, id, map[string]any{}); err != nil {
			t.Fatal(err)
		}
		select {
		case gotID, ok := <-got:
			if !ok {
				t.Fatalf("feed ended: %v", changes.Err())
			}
			if gotID != id {
				t.Fatalf("change for %q, want %q", gotID, id)
			}
		case <-time.After(20 * time.Second):
			// Far above any real latency: a held-back feed never delivers.
			t.Fatalf("no change for %q on the open feed", id)
		}
	}
}

// TestCompatConfig: kivik's config calls use CouchDB 2+'s
// /_node/_local/_config and a gzipped body.
func TestCompatConfig(t *testing.T) {
	ctx := testkit.Context(t)
	client := rawClient(t)
	const section, key = "attendify_test", "compat"
	value := strings.ToLower(t.Name())
	if _, err := client.SetConfigValue(ctx, "_local", section, key, value); err != nil {
		t.Fatalf("SetConfigValue: %v", err)
	}
	t.Cleanup(func() { _, _ = client.DeleteConfigKey(context.Background(), "_local", section, key) })
	got, err := client.ConfigValue(ctx, "_local", section, key)
	if err != nil || got != value {
		t.Fatalf("ConfigValue = %q, %v; want %q", got, err, value)
	}
}

// TestCompatAdminOnly: once an admin exists, creating or deleting a database
// without credentials is refused with 401, and the server keeps serving.
// Deleting a database that does not exist is 404.
func TestCompatAdminOnly(t *testing.T) {
	ctx := testkit.Context(t)
	admin := rawClient(t)
	name := testkit.CouchDBName(t)
	anonURL := strings.Replace(testConfig(t).Redacted(), "admin:xxxxx@", "", 1)
	anon, err := kivik.New("couch", anonURL)
	if err != nil {
		t.Fatal(err)
	}
	defer anon.Close()

	if err := anon.CreateDB(ctx, name); kivik.HTTPStatus(err) != http.StatusUnauthorized {
		t.Errorf("anonymous CreateDB: %v (status %d); want 401", err, kivik.HTTPStatus(err))
	}
	if err := admin.CreateDB(ctx, name); err != nil {
		t.Fatalf("admin CreateDB after the refused one: %v", err)
	}
	if err := anon.DestroyDB(ctx, name); kivik.HTTPStatus(err) != http.StatusUnauthorized {
		t.Errorf("anonymous DestroyDB: %v (status %d); want 401", err, kivik.HTTPStatus(err))
	}
	all, err := admin.AllDBs(ctx)
	if err != nil {
		t.Fatalf("AllDBs after the refused calls: %v", err)
	}
	if !contains(all, name) {
		t.Errorf("AllDBs() lacks %s after a refused anonymous delete", name)
	}
	if err := admin.DestroyDB(ctx, name+"_missing"); kivik.HTTPStatus(err) != http.StatusNotFound {
		t.Errorf("DestroyDB of a missing database: %v (status %d); want 404", err, kivik.HTTPStatus(err))
	}
	// Nothing here may expect the system databases (_users, _replicator):
	// CouchDB 3 creates them only with [couchdb] single_node = true or when
	// a cluster's setup finishes, and a node with default settings has none.
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestCompatSessionCookieExpires: the session cookie carries its expiry, so
// that kivik's cookie auth renews the session before the server forgets it
// (else the first request after an idle period fails with 401).
func TestCompatSessionCookieExpires(t *testing.T) {
	u, err := url.Parse(testConfig(t).URL)
	if err != nil {
		t.Fatal(err)
	}
	pass, _ := u.User.Password()
	body, _ := json.Marshal(map[string]string{"name": u.User.Username(), "password": pass})
	u.User = nil
	u.Path = "/_session"
	req, err := http.NewRequestWithContext(testkit.Context(t), http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /_session: %s", resp.Status)
	}
	for _, c := range resp.Cookies() {
		if c.Name != "AuthSession" {
			continue
		}
		if c.MaxAge <= 0 && c.Expires.IsZero() {
			t.Errorf("AuthSession cookie without expiry: %s", c)
		}
		return
	}
	t.Errorf("no AuthSession cookie in %q", resp.Header.Values("Set-Cookie"))
}
