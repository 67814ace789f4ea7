// Package testimage makes images for tests that no encoder of the standard
// library or x/image makes.
package testimage

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"image/color"
)

// WebP returns a valid lossless WebP (VP8L) image of w×h pixels (at most
// 16384 each) all of colour c: x/image has a WebP decoder but no encoder,
// so tests build the smallest bitstream there is. Each of the five prefix
// codes is a "simple" code of one symbol (so every pixel takes zero bits),
// with no transform, colour cache or meta prefix codes.
func WebP(w, h int, c color.NRGBA) []byte {
	var bw bitWriter
	bw.write(0x2f, 8) // VP8L signature
	bw.write(uint32(w-1), 14)
	bw.write(uint32(h-1), 14)
	bw.write(1, 1) // alpha is used
	bw.write(0, 3) // version
	bw.write(0, 1) // no transform
	bw.write(0, 1) // no colour cache
	bw.write(0, 1) // no meta prefix codes
	// Green, red, blue, alpha, distance: a simple code of one 8-bit symbol.
	for _, sym := range []uint8{c.G, c.R, c.B, c.A, 0} {
		bw.write(1, 1) // simple code
		bw.write(0, 1) // one symbol
		bw.write(1, 1) // of 8 bits
		bw.write(uint32(sym), 8)
	}
	data := bw.buf
	n := len(data)
	if n%2 == 1 {
		data = append(data, 0) // chunks are padded to an even size
	}
	out := []byte("RIFF\x00\x00\x00\x00WEBPVP8L\x00\x00\x00\x00")
	binary.LittleEndian.PutUint32(out[4:], uint32(4+8+len(data))) // "WEBP" and the chunk
	binary.LittleEndian.PutUint32(out[16:], uint32(n))
	return append(out, data...)
}

// bitWriter packs bits least significant first, as VP8L reads them.
type bitWriter struct {
	buf   []byte
	nbits uint
}

func (b *bitWriter) write(v uint32, n uint) {
	for i := range n {
		if b.nbits%8 == 0 {
			b.buf = append(b.buf, 0)
		}
		b.buf[len(b.buf)-1] |= byte(v>>i&1) << (b.nbits % 8)
		b.nbits++
	}
}

// PNGBomb returns a valid black PNG of w×h pixels, one bit each, made
// without holding its pixels: a 6320×6320 one is about 5 KB on the wire
// and 40 MB once decoded. image/png would need the whole image in memory
// to encode it.
func PNGBomb(w, h int) []byte {
	var idat bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&idat, zlib.BestCompression)
	row := make([]byte, 1+(w+7)/8) // filter byte "none", then the row's bits
	for range h {
		_, _ = zw.Write(row)
	}
	_ = zw.Close()
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8], ihdr[9] = 1, 0 // bit depth 1, grayscale
	out := []byte("\x89PNG\r\n\x1a\n")
	out = pngChunk(out, "IHDR", ihdr)
	out = pngChunk(out, "IDAT", idat.Bytes())
	return pngChunk(out, "IEND", nil)
}

func pngChunk(out []byte, typ string, data []byte) []byte {
	out = binary.BigEndian.AppendUint32(out, uint32(len(data)))
	start := len(out)
	out = append(out, typ...)
	out = append(out, data...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(out[start:]))
}

// GPSLatitude is the GPSLatitude value JPEGWithGPS writes (48° 51'
// 29.56"), as its three big-endian rationals: a test looks for these bytes
// in what is served.
var GPSLatitude = []byte{
	0, 0, 0, 48, 0, 0, 0, 1,
	0, 0, 0, 51, 0, 0, 0, 1,
	0, 0, 0x0b, 0x8c, 0, 0, 0, 100,
}

// JPEGWithGPS returns jpg (a JPEG from image/jpeg, which writes no
// metadata) with what a phone's camera adds after its start of image: an
// Exif APP1 segment whose IFD0 holds the orientation and a GPS IFD (the
// latitude, GPSLatitude), an XMP APP1 segment, a Photoshop (IPTC) APP13
// segment and a comment, each naming the place.
func JPEGWithGPS(jpg []byte, orientation uint16) []byte {
	be := binary.BigEndian
	// TIFF header, IFD0 at 8: two entries (orientation, the GPS IFD's
	// offset), no next IFD; the GPS IFD at 38: two entries (latitude
	// reference, latitude), its rationals at 68.
	tiff := []byte("MM\x00\x2a\x00\x00\x00\x08")
	tiff = be.AppendUint16(tiff, 2)
	tiff = append(tiff, 0x01, 0x12, 0, 3, 0, 0, 0, 1)
	tiff = be.AppendUint16(tiff, orientation)
	tiff = append(tiff, 0, 0)
	tiff = append(tiff, 0x88, 0x25, 0, 4, 0, 0, 0, 1, 0, 0, 0, 38)
	tiff = append(tiff, 0, 0, 0, 0)
	tiff = be.AppendUint16(tiff, 2)
	tiff = append(tiff, 0, 1, 0, 2, 0, 0, 0, 2, 'N', 0, 0, 0)
	tiff = append(tiff, 0, 2, 0, 5, 0, 0, 0, 3, 0, 0, 0, 68)
	tiff = append(tiff, 0, 0, 0, 0)
	tiff = append(tiff, GPSLatitude...)
	segment := func(marker byte, payload string) []byte {
		s := []byte{0xff, marker}
		s = be.AppendUint16(s, uint16(len(payload)+2))
		return append(s, payload...)
	}
	out := append([]byte{}, jpg[:2]...) // SOI
	out = append(out, segment(0xe1, "Exif\x00\x00"+string(tiff))...)
	out = append(out, segment(0xe1, "http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta><exif:GPSLatitude>48,51.4927N</exif:GPSLatitude></x:xmpmeta>")...)
	out = append(out, segment(0xed, "Photoshop 3.0\x008BIM\x04\x04\x00\x00\x00\x00\x00\x0e\x1c\x02\x5a\x00\x05Paris")...)
	out = append(out, segment(0xfe, "shot at 12 rue de Paris")...)
	return append(out, jpg[2:]...)
}

// PNGWithText returns p (a PNG from image/png) with the metadata chunks a
// camera or an editor adds before its image data, each naming the place:
// tEXt, iTXt, eXIf (an Exif block with GPSLatitude) and tIME;
// and bytes after its end.
func PNGWithText(p []byte) []byte {
	ihdrEnd := 8 + 8 + 13 + 4 // signature, IHDR
	out := append([]byte{}, p[:ihdrEnd]...)
	out = pngChunk(out, "tEXt", []byte("Location\x0048.8582 N, 2.2945 E"))
	out = pngChunk(out, "iTXt", []byte("XML:com.adobe.xmp\x00\x00\x00\x00\x00<exif:GPSLatitude>48,51.4927N</exif:GPSLatitude>"))
	out = pngChunk(out, "eXIf", append([]byte("MM\x00\x2a\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00"), GPSLatitude...))
	out = pngChunk(out, "tIME", []byte{0x07, 0xe8, 5, 17, 12, 30, 0})
	out = append(out, p[ihdrEnd:]...)
	return append(out, "<html>after the end</html>"...)
}

// WebPWithEXIF returns w (a simple lossless WebP from WebP) in the
// extended format a camera writes: a VP8X header announcing Exif and XMP
// metadata, the image, then an EXIF chunk (with GPSLatitude) and an XMP
// chunk naming the place.
func WebPWithEXIF(w []byte, width, height int) []byte {
	le := binary.LittleEndian
	chunk := func(out []byte, fourcc string, data []byte) []byte {
		out = append(out, fourcc...)
		out = le.AppendUint32(out, uint32(len(data)))
		out = append(out, data...)
		if len(data)%2 == 1 {
			out = append(out, 0)
		}
		return out
	}
	vp8x := []byte{0x08 | 0x04 | 0x10, 0, 0, 0} // Exif, XMP, alpha
	vp8x = append(vp8x, byte(width-1), byte((width-1)>>8), byte((width-1)>>16))
	vp8x = append(vp8x, byte(height-1), byte((height-1)>>8), byte((height-1)>>16))
	out := []byte("RIFF\x00\x00\x00\x00WEBP")
	out = chunk(out, "VP8X", vp8x)
	out = append(out, w[12:]...) // the VP8L chunk
	out = chunk(out, "EXIF", append([]byte("MM\x00\x2a\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00"), GPSLatitude...))
	out = chunk(out, "XMP ", []byte("<exif:GPSLatitude>48,51.4927N</exif:GPSLatitude>"))
	le.PutUint32(out[4:], uint32(len(out)-8))
	return out
}

// ProgressiveJPEG returns a valid progressive JPEG (SOF2) of w×h pixels
// (at most 65535 each), grey, of comps components (1 or 3), each sampled
// h×v (JPEG's sampling factors, the first component's; the others 1×1):
// one DC scan of every component whose differences are all zero, coded
// with a one-bit Huffman code, and no AC scan. image/jpeg has no
// progressive encoder; a progressive decode keeps every block's 64
// coefficients (256 bytes) until its last scan, so this file of w×h/64
// bits at most decodes into far more than its pixels.
func ProgressiveJPEG(w, h, comps, hs, vs int) []byte {
	seg := func(out []byte, marker byte, payload []byte) []byte {
		out = append(out, 0xff, marker)
		out = binary.BigEndian.AppendUint16(out, uint16(len(payload)+2))
		return append(out, payload...)
	}
	out := []byte{0xff, 0xd8}
	dqt := []byte{0x00} // 8-bit table 0
	for range 64 {
		dqt = append(dqt, 1)
	}
	out = seg(out, 0xdb, dqt)
	sof := []byte{8, byte(h >> 8), byte(h), byte(w >> 8), byte(w), byte(comps)}
	for i := range comps {
		f := byte(0x11)
		if i == 0 {
			f = byte(hs<<4 | vs)
		}
		sof = append(sof, byte(i+1), f, 0)
	}
	out = seg(out, 0xc2, sof)
	// DC table 0: one code of one bit, for category 0 (a zero difference).
	dht := []byte{0x00, 1}
	dht = append(dht, make([]byte, 15)...)
	dht = append(dht, 0)
	out = seg(out, 0xc4, dht)
	sos := []byte{byte(comps)}
	for i := range comps {
		sos = append(sos, byte(i+1), 0x00)
	}
	sos = append(sos, 0, 0, 0) // Ss, Se, Ah/Al: the DC scan
	out = seg(out, 0xda, sos)
	mcuW, mcuH := 8*hs, 8*vs
	if comps == 1 {
		mcuW, mcuH = 8, 8 // a lone component is not interleaved: one block an MCU
	}
	mcus := ((w + mcuW - 1) / mcuW) * ((h + mcuH - 1) / mcuH)
	bits := mcus * (hs*vs + comps - 1)
	if comps == 1 {
		bits = mcus
	}
	out = append(out, make([]byte, (bits+7)/8+1)...) // zero bits: zero differences
	return append(out, 0xff, 0xd9)
}
