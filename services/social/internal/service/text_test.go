package service

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/attendify/platform/errs"
	"github.com/attendify/social"
)

func TestParseText(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		tags     []string
		mentions []Mention
		bad      bool
	}{
		{"plain", "hello", []string{}, []Mention{}, false},
		{"tags", "#Go and #go, #café #2025 #x_1 a#b", []string{"go", "café", "x_1"}, []Mention{}, false},
		{"mention", "hi @[Ada L](01ABC) and @[Ada](01ABC) #[x](y)", []string{}, []Mention{{Member: "01ABC", Name: "Ada L"}}, false},
		{"empty", "   ", nil, nil, true},
		{"control", "a\x00b", nil, nil, true},
		{"too long", strings.Repeat("é", social.MaxTextRunes+1), nil, nil, true},
		{"longest", strings.Repeat("é", social.MaxTextRunes), []string{}, []Mention{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseText(tt.in, false)
			if tt.bad {
				if errs.KindOf(err) != errs.Invalid {
					t.Fatalf("err = %v, want invalid", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.tags, got.Hashtags); diff != "" {
				t.Errorf("hashtags (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.mentions, got.Mentions); diff != "" {
				t.Errorf("mentions (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCursorRoundTrip(t *testing.T) {
	c := encodeCursor("01JABCDEF")
	got, err := decodeCursor(c)
	if err != nil || got != "01JABCDEF" {
		t.Fatalf("decode(encode) = %q, %v", got, err)
	}
	for _, bad := range []string{"x", "cDE", encodeCursor("a b")} {
		if _, err := decodeCursor(bad); errs.KindOf(err) != errs.Invalid {
			t.Errorf("decode(%q) = %v, want invalid", bad, err)
		}
	}
}

func TestFeedsOfAPost(t *testing.T) {
	tests := []struct {
		e    IndexEntry
		want []Feed
	}{
		{IndexEntry{Author: "a", Hashtags: []string{"go"}}, []Feed{{"app", ""}, {"member", "a"}, {"hashtag", "go"}}},
		{IndexEntry{Author: "a", Event: "e"}, []Feed{{"app", ""}, {"event", "e"}, {"member", "a"}}},
		{IndexEntry{Author: "a", Event: "e", Session: "s"}, []Feed{{"session", "s"}, {"member", "a"}}},
		{IndexEntry{Event: "e"}, []Feed{{"app", ""}, {"event", "e"}}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, tt.e.Feeds()); diff != "" {
			t.Errorf("%+v (-want +got):\n%s", tt.e, diff)
		}
	}
}

func TestWebURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://cdn.example.test/a.jpg":             "https://cdn.example.test/a.jpg",
		"HTTP://cdn.example.test/a.jpg":              "HTTP://cdn.example.test/a.jpg",
		"javascript:alert(1)":                        "",
		" javascript:alert(1)":                       "",
		"java\tscript:alert(1)":                      "",
		"vbscript:msgbox(1)":                         "",
		"data:text/html,<script>":                    "",
		"https:///no-host":                           "",
		"//cdn.example.test/a.jpg":                   "",
		"a.jpg":                                      "",
		"https://cdn.example.test/a b":               "",
		"https://trusted.example@evil.example/a.jpg": "",
		"https://user:secret@cdn.example.test/a.jpg": "",
		"": "",
	} {
		if got := WebURL(in); got != want {
			t.Errorf("WebURL(%q) = %q, want %q", in, got, want)
		}
	}
}
