package service

import (
	"bytes"
	"context"
	"image"
	"image/color"
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
// claims), checks from its header that it is within social.MaxPhotoPixels
// and social.MaxPhotoDecodedBytes, then, through the decoding gate (at most
// so many at once; overloaded past its queue), decodes it fully (so a
// truncated or corrupt file is refused) and makes a thumbnail of at most
// social.ThumbSize pixels on the longest side: PNG for PNG sources, JPEG
// otherwise. The photo is kept without its metadata (stripMetadata: Exif
// and its GPS position, XMP, text chunks...).
func ProcessPhoto(ctx context.Context, r io.Reader, decoding Gate) (Photo, error) {
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
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > social.MaxPhotoPixels {
		return Photo{}, errs.New(errs.Invalid, "the photo's size %dx%d is out of bounds (at most %d pixels)", cfg.Width, cfg.Height, social.MaxPhotoPixels)
	}
	if n := decodedBytes(cfg); n > social.MaxPhotoDecodedBytes {
		return Photo{}, errs.New(errs.Invalid, "the photo of %dx%d pixels would take %d MiB once decoded (at most %d MiB)",
			cfg.Width, cfg.Height, n>>20, social.MaxPhotoDecodedBytes>>20)
	}
	var p Photo
	if gerr := decoding.Do(ctx, func() { p, err = decodePhoto(data, ct, cfg, decode) }); gerr != nil {
		return Photo{}, gerr
	}
	if err != nil {
		return Photo{}, err
	}
	if p.Data, err = stripMetadata(ct, data); err != nil {
		return Photo{}, errs.Wrap(errs.Invalid, err, "the photo cannot be decoded as %s", ct)
	}
	return p, nil
}

// decodedBytes is the memory the decoders take for an image of cfg: its
// pixels times the bytes per pixel of the image type they return for its
// colour model (YCbCr counted as 4:4:4, the largest).
func decodedBytes(cfg image.Config) int64 {
	var perPixel int64
	switch cfg.ColorModel {
	case color.GrayModel, color.AlphaModel:
		perPixel = 1
	case color.Gray16Model, color.Alpha16Model:
		perPixel = 2
	case color.YCbCrModel:
		perPixel = 3
	case color.RGBA64Model, color.NRGBA64Model:
		perPixel = 8
	default: // RGBA, NRGBA, CMYK, NYCbCrA
		perPixel = 4
	}
	if _, ok := cfg.ColorModel.(color.Palette); ok {
		perPixel = 1
	}
	return int64(cfg.Width) * int64(cfg.Height) * perPixel
}

// decodePhoto decodes data and makes its thumbnail.
func decodePhoto(data []byte, ct string, cfg image.Config, decode func(io.Reader) (image.Image, error)) (Photo, error) {
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
