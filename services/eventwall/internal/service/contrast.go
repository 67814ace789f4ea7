package service

import (
	"math"
	"strconv"
)

// MinContrast is the contrast ratio a wall's text keeps against its
// background: WCAG's 4.5:1 for normal text (AA), read from the back of a
// room on a projector that washes colours out.
const MinContrast = 4.5

// MinAccentContrast is what the accent (hashtags, mentions, borders) keeps
// against the background: WCAG's 3:1 for large text and graphics.
const MinAccentContrast = 3.0

// Luminance is the WCAG 2 relative luminance of a #rrggbb colour, from 0
// (black) to 1 (white); ok is false for anything else.
func Luminance(c string) (l float64, ok bool) {
	if !validColor(c) {
		return 0, false
	}
	channel := func(hex string) float64 {
		v, _ := strconv.ParseUint(hex, 16, 8)
		s := float64(v) / 255
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*channel(c[1:3]) + 0.7152*channel(c[3:5]) + 0.0722*channel(c[5:7]), true
}

// Contrast is the WCAG 2 contrast ratio of two #rrggbb colours, from 1 to
// 21; 1 when either is not a colour.
func Contrast(a, b string) float64 {
	la, okA := Luminance(a)
	lb, okB := Luminance(b)
	if !okA || !okB {
		return 1
	}
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// Readable returns text when it contrasts with bg by at least min, else
// white or black, whichever contrasts more (one of them always reaches
// 4.5:1).
func Readable(bg, text string, min float64) string {
	if Contrast(bg, text) >= min {
		return text
	}
	if Contrast(bg, "#ffffff") >= Contrast(bg, "#000000") {
		return "#ffffff"
	}
	return "#000000"
}
