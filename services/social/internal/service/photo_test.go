package service

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"runtime"
	"strings"
	"testing"
	"time"

	_ "golang.org/x/image/webp" // image.DecodeConfig of the thumbnails

	"github.com/attendify/platform/errs"
	"github.com/attendify/social"
	"github.com/attendify/social/internal/testimage"
)

// TestProcessPhoto: JPEG, PNG and WebP are recognised by their content and
// get a thumbnail of at most 320 px (PNG for PNG, JPEG otherwise).
func TestProcessPhoto(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 1000, 500))
	img.Set(1, 1, color.RGBA{255, 0, 0, 255})
	var pngData, jpegData bytes.Buffer
	_ = png.Encode(&pngData, img)
	_ = jpeg.Encode(&jpegData, img, nil)
	tests := []struct {
		name                string
		data                []byte
		wantType, wantThumb string
		w, h, tw, th        int
	}{
		{"png", pngData.Bytes(), "image/png", "image/png", 1000, 500, 320, 160},
		{"jpeg", jpegData.Bytes(), "image/jpeg", "image/jpeg", 1000, 500, 320, 160},
		{"webp", testimage.WebP(400, 800, color.NRGBA{10, 200, 30, 255}), "image/webp", "image/jpeg", 400, 800, 160, 320},
		{"small webp, not scaled up", testimage.WebP(30, 20, color.NRGBA{A: 255}), "image/webp", "image/jpeg", 30, 20, 30, 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ProcessPhoto(t.Context(), bytes.NewReader(tt.data), NewDecodingGate(nil))
			if err != nil {
				t.Fatal(err)
			}
			if p.ContentType != tt.wantType || p.Width != tt.w || p.Height != tt.h || p.ThumbType != tt.wantThumb || p.ThumbWidth != tt.tw || p.ThumbHeight != tt.th {
				t.Errorf("photo = %s %dx%d, thumb %s %dx%d; want %s %dx%d, thumb %s %dx%d",
					p.ContentType, p.Width, p.Height, p.ThumbType, p.ThumbWidth, p.ThumbHeight,
					tt.wantType, tt.w, tt.h, tt.wantThumb, tt.tw, tt.th)
			}
			if !bytes.Equal(p.Data, tt.data) {
				t.Error("the photo is not kept as uploaded")
			}
			cfg, format, err := image.DecodeConfig(bytes.NewReader(p.Thumb))
			if err != nil || "image/"+format != tt.wantThumb || cfg.Width != tt.tw || cfg.Height != tt.th {
				t.Errorf("thumbnail: %v %s %+v", err, format, cfg)
			}
		})
	}
}

// TestProcessPhotoRefusals: what is not a JPEG, PNG or WebP by its content,
// cannot be decoded, or is too large in pixels is invalid.
func TestProcessPhotoRefusals(t *testing.T) {
	var b bytes.Buffer
	_ = png.Encode(&b, image.NewRGBA(image.Rect(0, 0, 10, 10)))
	// A valid PNG header claiming a huge image.
	hugePNG := bytes.Clone(b.Bytes())
	binary.BigEndian.PutUint32(hugePNG[16:], 65536) // IHDR width
	binary.BigEndian.PutUint32(hugePNG[20:], 65536) // height
	binary.BigEndian.PutUint32(hugePNG[29:], crc32.ChecksumIEEE(hugePNG[12:29]))
	// A 16-bit RGBA PNG of 4000×4000: 16 Mpixels, 122 MiB once decoded.
	deepPNG := bytes.Clone(b.Bytes())
	binary.BigEndian.PutUint32(deepPNG[16:], 4000)
	binary.BigEndian.PutUint32(deepPNG[20:], 4000)
	deepPNG[24], deepPNG[25] = 16, 6 // bit depth, colour type RGBA
	binary.BigEndian.PutUint32(deepPNG[29:], crc32.ChecksumIEEE(deepPNG[12:29]))
	webp := testimage.WebP(64, 64, color.NRGBA{A: 255})
	tests := []struct {
		name string
		data []byte
		want string // in the message
	}{
		{"empty", nil, "empty"},
		{"text", []byte("hello, I am a photo"), "must be JPEG, PNG or WebP"},
		{"gif", []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"), "must be JPEG, PNG or WebP"},
		{"huge png", hugePNG, "out of bounds"},
		{"5 KB png of 6320x6320", testimage.PNGBomb(6320, 6320), "out of bounds (at most 24000000 pixels)"},
		{"16-bit png of 4000x4000", deepPNG, "would take 122 MiB once decoded"},
		{"huge webp", testimage.WebP(16384, 16384, color.NRGBA{A: 255}), "out of bounds"}, // 268 Mpixels in 34 bytes
		{"webp header, no image", []byte("RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00garbage garbage"), "cannot be read as image/webp"},
		{"truncated webp", webp[:len(webp)-6], "cannot be decoded as image/webp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ProcessPhoto(t.Context(), bytes.NewReader(tt.data), NewDecodingGate(nil))
			if errs.KindOf(err) != errs.Invalid || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want invalid: %s", err, tt.want)
			}
		})
	}
}

// refuseAll is a gate with no room.
type refuseAll struct{ asked int }

func (g *refuseAll) Do(context.Context, func()) error {
	g.asked++
	return &errs.Error{Code: errs.CodeOverloaded, Msg: "full", RetryAfter: time.Second}
}

// TestProcessPhotoDecodesThroughTheGate: a photo is decoded only through
// the gate, whose refusal the uploader gets; a photo refused from its
// header never asks the gate.
func TestProcessPhotoDecodesThroughTheGate(t *testing.T) {
	g := &refuseAll{}
	var b bytes.Buffer
	_ = png.Encode(&b, image.NewRGBA(image.Rect(0, 0, 10, 10)))
	if _, err := ProcessPhoto(t.Context(), bytes.NewReader(b.Bytes()), g); errs.CodeOf(err) != errs.CodeOverloaded || g.asked != 1 {
		t.Errorf("a full gate: %v (asked %d), want overloaded", err, g.asked)
	}
	if _, err := ProcessPhoto(t.Context(), bytes.NewReader(testimage.PNGBomb(6320, 6320)), g); errs.KindOf(err) != errs.Invalid || g.asked != 1 {
		t.Errorf("too many pixels: %v (asked %d), want invalid without asking the gate", err, g.asked)
	}
}

// TestProgressiveJPEGDecodeIsBounded: a progressive JPEG keeps 256 bytes of
// coefficients per 8×8 block of every component until its last scan,
// beside the image: 4 bytes a pixel a component more than its pixels take.
// A photo whose decode would take more than social.MaxPhotoDecodedBytes
// is refused from its header, progressive or not, and what is decoded
// stays within it.
func TestProgressiveJPEGDecodeIsBounded(t *testing.T) {
	tests := []struct {
		name                 string
		data                 []byte
		refused              bool
		w, h, thumbW, thumbH int
	}{
		// 24 Mpixels of 3 components 4:4:4: 69 MiB of pixels, 275 MiB
		// of coefficients.
		{"24 Mpixels, 4:4:4", testimage.ProgressiveJPEG(6000, 4000, 3, 1, 1), true, 0, 0, 0, 0},
		// Grey, 24 Mpixels: 23 MiB of pixels, 92 MiB of coefficients.
		{"24 Mpixels, grey", testimage.ProgressiveJPEG(6000, 4000, 1, 1, 1), true, 0, 0, 0, 0},
		// A phone's 12 Mpixels, 4:2:0: 17 MiB of pixels, 70 MiB of
		// coefficients: 87 MiB in all.
		{"12 Mpixels, 4:2:0", testimage.ProgressiveJPEG(4032, 3024, 3, 2, 2), false, 4032, 3024, 320, 240},
		{"small, 4:4:4", testimage.ProgressiveJPEG(640, 480, 3, 1, 1), false, 640, 480, 320, 240},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			p, err := ProcessPhoto(t.Context(), bytes.NewReader(tt.data), NewDecodingGate(nil))
			runtime.ReadMemStats(&after)
			allocated := after.TotalAlloc - before.TotalAlloc
			if tt.refused {
				if errs.KindOf(err) != errs.Invalid || !strings.Contains(err.Error(), "once decoded") {
					t.Errorf("got %v (%d MiB allocated), want invalid: would take too much once decoded", err, allocated>>20)
				}
				if allocated > 16<<20 {
					t.Errorf("refused after allocating %d MiB", allocated>>20)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Width != tt.w || p.Height != tt.h || p.ThumbWidth != tt.thumbW || p.ThumbHeight != tt.thumbH {
				t.Errorf("photo %dx%d, thumbnail %dx%d; want %dx%d, %dx%d", p.Width, p.Height, p.ThumbWidth, p.ThumbHeight, tt.w, tt.h, tt.thumbW, tt.thumbH)
			}
			// The decode, the thumbnail (the scaler's rows of at most 320
			// px by the photo's height, 32 bytes a pixel, its copy and
			// encoding) and the file read twice.
			if limit := uint64(social.MaxPhotoDecodedBytes + 32*social.ThumbSize*tt.h + 3*len(tt.data) + 4<<20); allocated > limit {
				t.Errorf("allocated %d MiB, want at most %d MiB", allocated>>20, limit>>20)
			}
		})
	}
}
