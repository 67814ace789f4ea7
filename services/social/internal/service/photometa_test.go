package service

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"

	"github.com/attendify/social/internal/testimage"
)

// TestProcessPhotoStripsMetadata: what a camera or an editor writes beside
// the pixels (Exif with the GPS position, XMP, IPTC, comments, PNG text
// chunks, bytes after the image's end) is not kept: every member who may
// see a post downloads its photos. The pixels are kept as uploaded, and a
// JPEG keeps its Exif orientation, alone.
func TestProcessPhotoStripsMetadata(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for y := range 30 {
		for x := range 40 {
			img.Set(x, y, color.RGBA{uint8(x * 6), uint8(y * 8), 90, 255})
		}
	}
	var jpg, pngData bytes.Buffer
	_ = jpeg.Encode(&jpg, img, nil)
	_ = png.Encode(&pngData, img)
	webp := testimage.WebP(40, 30, color.NRGBA{R: 10, G: 20, B: 30, A: 255})
	tests := []struct {
		name        string
		data        []byte
		plain       []byte // the same image without metadata
		orientation uint16 // kept in a JPEG's Exif
	}{
		{"jpeg", testimage.JPEGWithGPS(jpg.Bytes(), 6), jpg.Bytes(), 6},
		{"jpeg, upright", testimage.JPEGWithGPS(jpg.Bytes(), 1), jpg.Bytes(), 0},
		{"png", testimage.PNGWithText(pngData.Bytes()), pngData.Bytes(), 0},
		{"webp", testimage.WebPWithEXIF(webp, 40, 30), nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ProcessPhoto(t.Context(), bytes.NewReader(tt.data), NewDecodingGate(nil))
			if err != nil {
				t.Fatal(err)
			}
			for _, leak := range [][]byte{testimage.GPSLatitude, []byte("GPSLatitude"), []byte("Paris"), []byte("48.8582"), []byte("<html>"), []byte("XMP"), []byte("tIME")} {
				if bytes.Contains(p.Data, leak) {
					t.Errorf("the photo kept %q", leak)
				}
			}
			if got := jpegOrientation(p.Data); got != tt.orientation {
				t.Errorf("orientation %d, want %d", got, tt.orientation)
			}
			if tt.plain != nil && tt.orientation == 0 && !bytes.Equal(p.Data, tt.plain) {
				t.Errorf("the photo without its metadata is not the image uploaded (%d bytes, want %d)", len(p.Data), len(tt.plain))
			}
			got, _, err := image.Decode(bytes.NewReader(p.Data))
			if err != nil {
				t.Fatalf("the photo kept does not decode: %v", err)
			}
			want, _, _ := image.Decode(bytes.NewReader(tt.data))
			if got.Bounds() != want.Bounds() || got.At(7, 5) != want.At(7, 5) {
				t.Errorf("the pixels changed: %v %v, want %v %v", got.Bounds(), got.At(7, 5), want.Bounds(), want.At(7, 5))
			}
			if p.Width != 40 || p.Height != 30 {
				t.Errorf("size %dx%d", p.Width, p.Height)
			}
		})
	}
}

// jpegOrientation is the Exif orientation of a JPEG, 0 when none.
func jpegOrientation(data []byte) uint16 {
	for i := 2; i+4 <= len(data) && data[i] == 0xff && data[i+1] != 0xda; {
		n := int(data[i+2])<<8 | int(data[i+3])
		if i+2+n > len(data) {
			return 0
		}
		if seg := data[i+4 : i+2+n]; data[i+1] == 0xe1 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")) {
			return exifOrientation(seg[6:])
		}
		i += 2 + n
	}
	return 0
}

// FuzzStripMetadata: whatever the bytes, stripping never panics, and a
// photo that decodes still decodes after it, to the same size.
func FuzzStripMetadata(f *testing.F) {
	img := image.NewRGBA(image.Rect(0, 0, 8, 6))
	var jpg, pngData bytes.Buffer
	_ = jpeg.Encode(&jpg, img, nil)
	_ = png.Encode(&pngData, img)
	webp := testimage.WebP(8, 6, color.NRGBA{R: 10, G: 20, B: 30, A: 255})
	for _, seed := range [][]byte{jpg.Bytes(), testimage.JPEGWithGPS(jpg.Bytes(), 6), pngData.Bytes(),
		testimage.PNGWithText(pngData.Bytes()), webp, testimage.WebPWithEXIF(webp, 8, 6)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, ct, err := image.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			return
		}
		if _, _, err := image.Decode(bytes.NewReader(data)); err != nil {
			return
		}
		out, err := stripMetadata("image/"+ct, data)
		if err != nil {
			return // refused: the upload is refused, nothing is kept
		}
		got, _, err := image.Decode(bytes.NewReader(out))
		if err != nil {
			t.Fatalf("a %s that decodes no longer does once stripped: %v", ct, err)
		}
		if b := got.Bounds(); b.Dx() != cfg.Width || b.Dy() != cfg.Height {
			t.Fatalf("stripped %s is %v, was %dx%d", ct, b, cfg.Width, cfg.Height)
		}
	})
}
