package service

import (
	"math"
	"testing"
)

func TestContrast(t *testing.T) {
	tests := []struct {
		a, b string
		want float64
	}{
		{"#000000", "#ffffff", 21},
		{"#ffffff", "#000000", 21},
		{"#777777", "#ffffff", 4.48},  // the classic just-too-light grey
		{"#767676", "#ffffff", 4.54},  // the lightest grey that passes on white
		{"#0f1724", "#f4f6fb", 16.62}, // the default theme
		{"#112233", "#112233", 1},
		{"#FF0000", "#ffffff", 4.0},
		{"red", "#ffffff", 1}, // not a colour
	}
	for _, tt := range tests {
		if got := Contrast(tt.a, tt.b); math.Abs(got-tt.want) > 0.01 {
			t.Errorf("Contrast(%s, %s) = %.3f, want %.2f", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestReadable(t *testing.T) {
	tests := []struct {
		name, bg, text, want string
	}{
		{"readable text stays", "#0f1724", "#f4f6fb", "#f4f6fb"},
		{"a dark brand colour gets white", "#112233", "#223344", "#ffffff"},
		{"a light brand colour gets black", "#ffcc00", "#ffffff", "#000000"},
		{"a mid colour gets the better of the two", "#808080", "#888888", "#000000"},
		{"just readable stays", "#ffffff", "#767676", "#767676"},
		{"just unreadable changes", "#ffffff", "#777777", "#000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Readable(tt.bg, tt.text, MinContrast)
			if got != tt.want {
				t.Errorf("Readable(%s, %s) = %s, want %s", tt.bg, tt.text, got, tt.want)
			}
			if c := Contrast(tt.bg, got); c < MinContrast {
				t.Errorf("%s on %s: contrast %.2f", got, tt.bg, c)
			}
		})
	}
	// Every grey: black or white always reaches 4.5:1.
	for v := 0; v < 256; v++ {
		bg := "#" + hex2(v) + hex2(v) + hex2(v)
		if c := Contrast(bg, Readable(bg, bg, MinContrast)); c < MinContrast {
			t.Fatalf("on %s the best text reaches only %.2f", bg, c)
		}
	}
}

func hex2(v int) string { return string("0123456789abcdef"[v>>4]) + string("0123456789abcdef"[v&15]) }
