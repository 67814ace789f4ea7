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
	n := decodedBytes(cfg)
	if ct == "image/jpeg" {
		n = jpegDecodedBytes(data, cfg)
	}
	if n > social.MaxPhotoDecodedBytes {
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

// jpegDecodedBytes is the memory image/jpeg takes to decode a JPEG, from
// its frame header (SOF): the planes it allocates, rounded up to whole
// MCUs (a grey plane; Y, Cb and Cr by their subsampling; for 4 components
// the black plane and the CMYK or RGBA image it converts into), and for a
// progressive JPEG the 64 coefficients of 4 bytes it keeps for every block
// of every component until the last scan: 4 bytes a pixel a component
// more, so that a progressive 24 Mpixel 4:4:4 file of 140 KB takes 360 MiB
// where its pixels take 69. Without a frame header it can read, it counts
// the most any JPEG of cfg's size could take.
func jpegDecodedBytes(data []byte, cfg image.Config) int64 {
	pixels := int64(cfg.Width) * int64(cfg.Height)
	worst := pixels * (4 + 4 + 4*4 + 4) // YCbCr, black, coefficients, CMYK
	marker, sof := jpegFrame(data)
	if len(sof) < 6 {
		return worst
	}
	n := int(sof[5])
	if (n != 1 && n != 3 && n != 4) || len(sof) < 6+3*n {
		return worst
	}
	hv := func(i int) (int64, int64) {
		if n == 1 {
			return 1, 1 // a lone component is not interleaved
		}
		f := sof[6+3*i+1]
		return max(int64(f>>4), 1), max(int64(f&0x0f), 1)
	}
	h0, v0 := hv(0)
	mxx := (int64(cfg.Width) + 8*h0 - 1) / (8 * h0)
	myy := (int64(cfg.Height) + 8*v0 - 1) / (8 * v0)
	var total int64
	switch n {
	case 1:
		total = 64 * mxx * myy
	default:
		luma := 64 * h0 * mxx * v0 * myy
		h1, v1 := hv(1)
		total = luma + 2*luma/max((h0/h1)*(v0/v1), 1)
		if n == 4 {
			h3, v3 := hv(3)
			total += 64*h3*mxx*v3*myy + 4*pixels // the black plane, the converted image
		}
	}
	if marker == 0xc2 { // progressive
		for i := range n {
			h, v := hv(i)
			total += 256 * mxx * myy * h * v
		}
	}
	return total
}

// jpegFrame returns the marker and the payload of a JPEG's frame header
// (the first SOFn segment), or a nil payload when there is none before its
// first scan.
func jpegFrame(data []byte) (byte, []byte) {
	i := 2
	for i+4 <= len(data) {
		if data[i] != 0xff {
			i++
			continue
		}
		m := data[i+1]
		switch {
		case m == 0xff || m == 0x00 || m == 0x01 || (m >= 0xd0 && m <= 0xd8):
			i++ // fill, stuffing, or a marker without a length
			if m != 0xff {
				i++
			}
			continue
		case m == 0xda || m == 0xd9: // a scan or the end before any frame
			return 0, nil
		}
		l := int(data[i+2])<<8 | int(data[i+3])
		if l < 2 || i+2+l > len(data) {
			return 0, nil
		}
		if m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc {
			return m, data[i+4 : i+2+l]
		}
		i += 2 + l
	}
	return 0, nil
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
