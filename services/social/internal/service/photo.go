package service

import (
	"bytes"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"

	"golang.org/x/image/draw"
	"golang.org/x/image/webp"

	"github.com/attendify/platform/errs"
	"github.com/attendify/social"
)

// ProcessPhoto reads one uploaded photo (at most social.MaxPhotoBytes from
// r), recognises it by its content (JPEG, PNG or WebP, whatever the client
// claims), checks its dimensions before decoding the pixels (at most
// social.MaxPhotoPixels), decodes it fully (so a truncated or corrupt file is
// refused) and makes a thumbnail of at most social.ThumbSize pixels on the
// longest side: PNG for PNG sources, JPEG otherwise.
func ProcessPhoto(r io.Reader) (Photo, error) {
	data, err := io.ReadAll(io.LimitReader(r, social.MaxPhotoBytes+1))
	if err != nil {
		return Photo{}, errs.Wrap(errs.Invalid, err, "cannot read the photo")
	}
	if len(data) > social.MaxPhotoBytes {
		return Photo{}, errs.New(errs.Invalid, "the photo is larger than %d MiB", social.MaxPhotoBytes>>20)
	}
	if len(data) == 0 {
		return Photo{}, errs.New(errs.Invalid, "the photo is empty")
	}
	ct := http.DetectContentType(data)
	var decode func(io.Reader) (image.Image, error)
	var config func(io.Reader) (image.Config, error)
	switch ct {
	case "image/jpeg":
		decode, config = jpeg.Decode, jpeg.DecodeConfig
	case "image/png":
		decode, config = png.Decode, png.DecodeConfig
	case "image/webp":
		decode, config = webp.Decode, webp.DecodeConfig
	default:
		return Photo{}, errs.New(errs.Invalid, "a photo must be JPEG, PNG or WebP (this looks like %s)", ct)
	}
	cfg, err := config(bytes.NewReader(data))
	if err != nil {
		return Photo{}, errs.Wrap(errs.Invalid, err, "the photo cannot be read as %s", ct)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > social.MaxPhotoPixels {
		return Photo{}, errs.New(errs.Invalid, "the photo's size %dx%d is out of bounds (at most %d pixels)", cfg.Width, cfg.Height, social.MaxPhotoPixels)
	}
	img, err := decode(bytes.NewReader(data))
	if err != nil {
		return Photo{}, errs.Wrap(errs.Invalid, err, "the photo cannot be decoded as %s", ct)
	}
	p := Photo{ContentType: ct, Data: data, Width: cfg.Width, Height: cfg.Height}
	thumb := Thumbnail(img, social.ThumbSize)
	var buf bytes.Buffer
	if ct == "image/png" {
		p.ThumbType = "image/png"
		err = (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, thumb)
	} else {
		p.ThumbType = "image/jpeg"
		err = jpeg.Encode(&buf, thumb, &jpeg.Options{Quality: 80})
	}
	if err != nil {
		return Photo{}, errs.Wrap(errs.Internal, err, "encode thumbnail")
	}
	p.Thumb = buf.Bytes()
	p.ThumbWidth, p.ThumbHeight = thumb.Bounds().Dx(), thumb.Bounds().Dy()
	return p, nil
}

// Thumbnail scales img down so that its longest side is at most size (never
// up), keeping the aspect ratio.
func Thumbnail(img image.Image, size int) image.Image {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= size && h <= size {
		dst := image.NewRGBA(image.Rect(0, 0, w, h))
		draw.Draw(dst, dst.Bounds(), img, b.Min, draw.Src)
		return dst
	}
	tw, th := size, h*size/w
	if h > w {
		tw, th = w*size/h, size
	}
	tw, th = max(tw, 1), max(th, 1)
	dst := image.NewRGBA(image.Rect(0, 0, tw, th))
	draw.CatmullRom.Scale(dst, dst.Bounds(), img, b, draw.Src, nil)
	return dst
}
