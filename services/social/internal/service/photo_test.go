package service

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"testing"

	"github.com/attendify/platform/errs"
)

func TestProcessPhoto(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 1000, 500))
	img.Set(1, 1, color.RGBA{255, 0, 0, 255})
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	p, err := ProcessPhoto(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if p.ContentType != "image/png" || p.ThumbType != "image/png" || p.ThumbWidth != 320 || p.ThumbHeight != 160 {
		t.Errorf("photo = %s %dx%d, thumb %s %dx%d", p.ContentType, p.Width, p.Height, p.ThumbType, p.ThumbWidth, p.ThumbHeight)
	}
	if cfg, _, err := image.DecodeConfig(bytes.NewReader(p.Thumb)); err != nil || cfg.Width != 320 {
		t.Errorf("thumbnail does not decode: %v %+v", err, cfg)
	}
	// A PNG header claiming a huge image is refused before decoding.
	huge := bytes.Clone(b.Bytes())
	huge[16], huge[17], huge[18], huge[19] = 0, 0x01, 0, 0 // width 65536
	huge[20], huge[21], huge[22], huge[23] = 0, 0x01, 0, 0 // height 65536
	if _, err := ProcessPhoto(bytes.NewReader(huge)); errs.KindOf(err) != errs.Invalid {
		t.Errorf("huge image: %v, want invalid", err)
	}
	if _, err := ProcessPhoto(bytes.NewReader([]byte("GIF89a..."))); errs.KindOf(err) != errs.Invalid {
		t.Errorf("gif: %v, want invalid", err)
	}
}
