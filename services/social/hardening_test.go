package social_test

import (
	"bytes"
	"image"
	"testing"

	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/testkit"
	"github.com/attendify/social"
	"github.com/attendify/social/internal/socialtest"
	"github.com/attendify/social/internal/testimage"
)

// TestPhotosServedWithoutMetadata: a phone's photo carries where it was
// taken (Exif GPS, XMP, IPTC, comments); every member who may read the
// post downloads it, so social keeps and serves it without them (the
// pixels as uploaded).
func TestPhotosServedWithoutMetadata(t *testing.T) {
	env := socialtest.Start(t, socialtest.Options{})
	ctx := testkit.Context(t)
	app := env.CreateApp()
	ada := env.AddMember(app, "Ada", auth.RoleAttendee)
	bob := env.AddMember(app, "Bob", auth.RoleAttendee)
	plain := jpegImage(64, 48)
	up := upload(t, env, ada, app, "image/jpeg", testimage.JPEGWithGPS(plain, 1))
	if up.Bytes != len(plain) {
		t.Errorf("upload of %d bytes, want %d (the JPEG without its metadata)", up.Bytes, len(plain))
	}
	post, err := social.CreatePost.Call(ada.Ctx(ctx), env.Client, social.CreatePostParams{AppRef: rpc.AppRef{App: app}, Text: "at the venue", PhotoIDs: []string{up.PhotoID}})
	if err != nil {
		t.Fatal(err)
	}
	got := get(t, env, bob, post.Photos[0].URL)
	for _, leak := range [][]byte{testimage.GPSLatitude, []byte("GPSLatitude"), []byte("Paris")} {
		if bytes.Contains(got, leak) {
			t.Errorf("the photo served carries %q", leak)
		}
	}
	if !bytes.Equal(got, plain) {
		t.Errorf("the photo served (%d bytes) is not the JPEG uploaded without its metadata (%d bytes)", len(got), len(plain))
	}
	if cfg, _, err := image.DecodeConfig(bytes.NewReader(got)); err != nil || cfg.Width != 64 || cfg.Height != 48 {
		t.Errorf("photo served: %v %+v", err, cfg)
	}
}

// TestReportNoteIsText: a report's note is text as a post's is: a NUL or
// another control character is refused as invalid, not stored (Postgres
// refuses NUL in text: it was an internal error).
func TestReportNoteIsText(t *testing.T) {
	env := socialtest.Start(t, socialtest.Options{})
	ctx := testkit.Context(t)
	app := env.CreateApp()
	ref := rpc.AppRef{App: app}
	ada := env.AddMember(app, "Ada", auth.RoleAttendee)
	bob := env.AddMember(app, "Bob", auth.RoleAttendee)
	post, err := social.CreatePost.Call(ada.Ctx(ctx), env.Client, social.CreatePostParams{AppRef: ref, Text: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	for _, note := range []string{"nul\x00byte", "bell\a", "escape \x1b[31m"} {
		err := func() error {
			_, err := social.ReportPost.Call(bob.Ctx(ctx), env.Client, social.ReportParams{AppRef: ref, PostID: post.ID, Reason: social.ReasonOther, Note: note})
			return err
		}()
		if e, ok := errs.As(err); !ok || e.Code != errs.CodeInvalid {
			t.Errorf("report with note %q: %v, want invalid", note, err)
		}
	}
	if _, err := social.ReportPost.Call(bob.Ctx(ctx), env.Client, social.ReportParams{AppRef: ref, PostID: post.ID, Reason: social.ReasonOther, Note: "  rude\nreally  "}); err != nil {
		t.Errorf("a plain note: %v", err)
	}
}
