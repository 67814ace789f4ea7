package service

import (
	"bytes"
	"encoding/binary"
	"errors"
)

// Photos are kept and served as uploaded, but for their metadata: what a
// camera or an editor writes beside the pixels (Exif with the GPS position
// and the camera's serial number, XMP, IPTC, comments, PNG text chunks,
// anything after the image's end) goes to every member who may see the
// post, so stripMetadata drops it. A JPEG keeps its Exif orientation alone
// (phones store portraits sideways and say so there), in an Exif segment
// of its own.

var errPhotoStructure = errors.New("malformed photo structure")

// stripMetadata returns data, a decoded photo of content type ct, without
// its metadata; data itself when it has none.
func stripMetadata(ct string, data []byte) ([]byte, error) {
	switch ct {
	case "image/jpeg":
		return stripJPEG(data)
	case "image/png":
		return stripPNG(data)
	case "image/webp":
		return stripWebP(data)
	}
	return data, nil
}

// stripJPEG keeps a JPEG's segments but APP1 to APP15 (Exif, XMP, IPTC,
// maker notes...) and comments, with three exceptions: an Exif orientation
// other than 1 (in a segment of its own), the ICC profile (APP2) and
// Adobe's colour transform (APP14), which change the colours; JFIF's APP0
// loses its thumbnail. Bytes after the end of image are dropped.
func stripJPEG(data []byte) ([]byte, error) {
	if len(data) < 4 || data[0] != 0xff || data[1] != 0xd8 {
		return nil, errPhotoStructure
	}
	out := make([]byte, 0, len(data))
	out = append(out, 0xff, 0xd8)
	changed := false
	for i := 2; ; {
		// Junk before a marker is skipped, as image/jpeg and libjpeg do.
		for i < len(data) && data[i] != 0xff {
			i, changed = i+1, true
		}
		for i < len(data) && data[i] == 0xff {
			i++
		}
		if i >= len(data) {
			return nil, errPhotoStructure
		}
		m := data[i]
		i++
		if m == 0xd9 { // end of image
			out = append(out, 0xff, 0xd9)
			if changed || i < len(data) {
				return out, nil
			}
			return data, nil
		}
		if m == 0x00 {
			// A stuffed 0xff outside a scan: extraneous data, skipped as
			// image/jpeg and libjpeg skip it (not a segment with a length).
			changed = true
			continue
		}
		if m == 0x01 || (m >= 0xd0 && m <= 0xd7) { // no length
			out = append(out, 0xff, m)
			continue
		}
		if i+2 > len(data) {
			return nil, errPhotoStructure
		}
		n := int(binary.BigEndian.Uint16(data[i:]))
		if n < 2 || i+n > len(data) {
			return nil, errPhotoStructure
		}
		seg := data[i+2 : i+n]
		i += n
		keep := seg
		switch {
		case m == 0xe0 && bytes.HasPrefix(seg, []byte("JFIF\x00")) && len(seg) >= 14:
			if len(seg) > 14 || seg[12] != 0 || seg[13] != 0 { // a thumbnail
				keep = append(bytes.Clone(seg[:12]), 0, 0)
				changed = true
			}
		case m == 0xe1 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")):
			changed = true
			keep = nil
			if o := exifOrientation(seg[6:]); o >= 2 && o <= 8 {
				keep = orientationExif(o)
			}
		case m == 0xe2 && bytes.HasPrefix(seg, []byte("ICC_PROFILE\x00")),
			m == 0xee && bytes.HasPrefix(seg, []byte("Adobe")):
		case m >= 0xe0 && m <= 0xef, m == 0xfe:
			changed = true
			keep = nil
		}
		if keep != nil {
			out = append(out, 0xff, m)
			out = binary.BigEndian.AppendUint16(out, uint16(len(keep)+2))
			out = append(out, keep...)
		}
		if m != 0xda {
			continue
		}
		// A scan's entropy-coded data runs to the next marker: 0xff
		// followed by neither 0 (a stuffed 0xff), a restart marker nor
		// another 0xff (fill).
		j := i
		for ; j+1 < len(data); j++ {
			if data[j] == 0xff && data[j+1] != 0 && data[j+1] != 0xff && (data[j+1] < 0xd0 || data[j+1] > 0xd7) {
				break
			}
		}
		if j+1 >= len(data) {
			return nil, errPhotoStructure
		}
		out = append(out, data[i:j]...)
		i = j
	}
}

// exifOrientation reads the orientation (tag 0x0112) of IFD0 from an Exif
// block (a TIFF header and its IFDs); 0 when it has none.
func exifOrientation(tiff []byte) uint16 {
	if len(tiff) < 8 {
		return 0
	}
	var bo binary.ByteOrder
	switch string(tiff[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0
	}
	if bo.Uint16(tiff[2:]) != 42 {
		return 0
	}
	off := int64(bo.Uint32(tiff[4:]))
	if off < 8 || off+2 > int64(len(tiff)) {
		return 0
	}
	n := int64(bo.Uint16(tiff[off:]))
	for k := range n {
		e := off + 2 + 12*k
		if e+12 > int64(len(tiff)) {
			return 0
		}
		if bo.Uint16(tiff[e:]) == 0x0112 && bo.Uint16(tiff[e+2:]) == 3 { // SHORT
			return bo.Uint16(tiff[e+8:])
		}
	}
	return 0
}

// orientationExif is an Exif APP1 payload holding orientation o alone.
func orientationExif(o uint16) []byte {
	b := []byte("Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01")
	b = binary.BigEndian.AppendUint16(b, o)
	return append(b, 0, 0, 0, 0, 0, 0) // value padding, no next IFD
}

// pngKept are the PNG chunks kept: the image and what changes how it
// looks. Text (tEXt, zTXt, iTXt), Exif (eXIf), times, animation and
// private chunks are dropped.
var pngKept = map[string]bool{
	"IHDR": true, "PLTE": true, "IDAT": true, "IEND": true,
	"tRNS": true, "cHRM": true, "gAMA": true, "iCCP": true, "sBIT": true, "sRGB": true, "bKGD": true, "pHYs": true,
}

// stripPNG keeps the chunks of pngKept, up to IEND.
func stripPNG(data []byte) ([]byte, error) {
	const sig = "\x89PNG\r\n\x1a\n"
	if !bytes.HasPrefix(data, []byte(sig)) {
		return nil, errPhotoStructure
	}
	out := make([]byte, 0, len(data))
	out = append(out, sig...)
	changed := false
	for i := len(sig); ; {
		if i+12 > len(data) {
			return nil, errPhotoStructure
		}
		end := int64(i) + 12 + int64(binary.BigEndian.Uint32(data[i:]))
		if end > int64(len(data)) {
			return nil, errPhotoStructure
		}
		typ := string(data[i+4 : i+8])
		if pngKept[typ] {
			out = append(out, data[i:end]...)
		} else {
			changed = true
		}
		i = int(end)
		if typ == "IEND" {
			if changed || i < len(data) {
				return out, nil
			}
			return data, nil
		}
	}
}

// stripWebP keeps the chunks of the image (VP8X, VP8, VP8L, ALPH, ICCP,
// ANIM, ANMF) and clears VP8X's flags of the EXIF and XMP chunks it drops.
func stripWebP(data []byte) ([]byte, error) {
	if len(data) < 12 || string(data[:4]) != "RIFF" || string(data[8:12]) != "WEBP" {
		return nil, errPhotoStructure
	}
	end := 8 + int64(binary.LittleEndian.Uint32(data[4:]))
	changed := end < int64(len(data))
	end = min(end, int64(len(data)))
	out := make([]byte, 0, len(data))
	out = append(out, data[:12]...)
	for i := int64(12); i < end; {
		if i+8 > end {
			return nil, errPhotoStructure
		}
		fourcc := string(data[i : i+4])
		n := int64(binary.LittleEndian.Uint32(data[i+4:]))
		next := min(i+8+n+n%2, end) // chunks are padded to an even size
		if i+8+n > end {
			return nil, errPhotoStructure
		}
		switch fourcc {
		case "VP8X":
			chunk := bytes.Clone(data[i:next])
			if n > 0 && chunk[8]&(0x08|0x04) != 0 { // Exif, XMP
				chunk[8] &^= 0x08 | 0x04
				changed = true
			}
			out = append(out, chunk...)
		case "VP8 ", "VP8L", "ALPH", "ICCP", "ANIM", "ANMF":
			out = append(out, data[i:next]...)
		default:
			changed = true
		}
		i = next
	}
	if !changed {
		return data, nil
	}
	binary.LittleEndian.PutUint32(out[4:], uint32(len(out)-8))
	return out, nil
}
