package social_test

import (
	"encoding/json"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/testkit"
	"github.com/attendify/social"
	"github.com/attendify/social/internal/socialtest"
)

// TestPendingUploads: a member has at most social.MaxPendingUploads photos
// uploaded and not yet posted; the next upload is refused as rate_limited
// (HTTP 429, Retry-After) until one is posted or expires, whatever the
// rate limits (off here). Uploads of one member at once never pass the
// bound together; other members are not counted with them; and losing
// social's Redis keys forgets the counts, never blocks anyone.
func TestPendingUploads(t *testing.T) {
	env := socialtest.Start(t, socialtest.Options{})
	ctx := testkit.Context(t)
	app := env.CreateApp()
	ada := env.AddMember(app, "Ada", auth.RoleAttendee)
	bob := env.AddMember(app, "Bob", auth.RoleAttendee)
	cy := env.AddMember(app, "Cy", auth.RoleAttendee)
	const n = social.MaxPendingUploads
	photo := pngImage(16, 16)

	var ids []string
	for i := range n {
		up, err := tryUpload(env, ada, app, "image/png", photo)
		if err != nil {
			t.Fatalf("upload %d: %v", i, err)
		}
		ids = append(ids, up.PhotoID)
	}
	refused := func(who string, err error) {
		t.Helper()
		e, ok := errs.As(err)
		if !ok || e.Code != errs.CodeRateLimited || e.RetryAfter < social.UploadTTL-time.Minute || e.RetryAfter > social.UploadTTL {
			t.Fatalf("%s: %v (%+v), want rate_limited, retry after about %v", who, err, e, social.UploadTTL)
		}
	}
	_, err := tryUpload(env, ada, app, "image/png", photo)
	refused("upload past the bound", err)

	// Another member uploads.
	if _, err := tryUpload(env, bob, app, "image/png", photo); err != nil {
		t.Errorf("another member's upload: %v", err)
	}

	// Posting one frees its place, and one only.
	if _, err := social.CreatePost.Call(ada.Ctx(ctx), env.Client, social.CreatePostParams{AppRef: rpc.AppRef{App: app}, Text: "one", PhotoIDs: ids[:1]}); err != nil {
		t.Fatal(err)
	}
	if _, err := tryUpload(env, ada, app, "image/png", photo); err != nil {
		t.Fatalf("upload after posting one: %v", err)
	}
	_, err = tryUpload(env, ada, app, "image/png", photo)
	refused("upload past the bound again", err)

	// 2n uploads of one member at once: n pass (those the decoding gate
	// refuses as overloaded are sent again), the others are refused.
	var wg sync.WaitGroup
	var passed, over atomic.Int32
	for i := range 2 * n {
		wg.Go(func() {
			for attempt := 0; ; attempt++ {
				_, err := tryUpload(env, cy, app, "image/png", photo)
				if e, ok := errs.As(err); ok && e.Code == errs.CodeOverloaded && attempt < 200 {
					time.Sleep(time.Duration(5+i) * time.Millisecond)
					continue
				}
				switch e, _ := errs.As(err); {
				case err == nil:
					passed.Add(1)
				case e != nil && e.Code == errs.CodeRateLimited:
					over.Add(1)
				default:
					t.Errorf("upload %d at once: %v", i, err)
				}
				return
			}
		})
	}
	wg.Wait()
	if passed.Load() != n || over.Load() != n {
		t.Errorf("%d uploads at once: %d passed, %d refused; want %d and %d", 2*n, passed.Load(), over.Load(), n, n)
	}

	// Redis lost: the counts are gone, and the members upload again.
	env.DropSocialKeys()
	if _, err := tryUpload(env, ada, app, "image/png", photo); err != nil {
		t.Errorf("upload after social's Redis keys were lost: %v", err)
	}
}

// tryUpload uploads body (of content type ct) as m and returns the upload,
// or the error answered (a 429 must carry Retry-After). Unlike upload, it
// may run outside the test's goroutine.
func tryUpload(env *socialtest.Env, m socialtest.Member, app, ct string, body []byte) (social.PhotoUpload, error) {
	resp, err := env.HTTP(m, http.MethodPost, "/apps/"+app+"/photos", ct, body)
	if err != nil {
		return social.PhotoUpload{}, err
	}
	if resp.StatusCode != http.StatusCreated {
		if resp.StatusCode == http.StatusTooManyRequests && resp.Header.Get("Retry-After") == "" {
			env.T.Error("upload: 429 without Retry-After")
		}
		return social.PhotoUpload{}, httpErr(resp, nil)
	}
	defer resp.Body.Close()
	var up social.PhotoUpload
	err = json.NewDecoder(resp.Body).Decode(&up)
	return up, err
}
