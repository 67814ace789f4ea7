package service

import (
	"slices"
	"strings"
	"testing"
	"unicode"

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

// TestHashtagsOfEveryScript: a hashtag is the whole word after '#' in
// every script, its combining marks included (Devanagari's vowel signs,
// a decomposed accent), and a word typed
// decomposed is the same tag as the word typed composed.
func TestHashtagsOfEveryScript(t *testing.T) {
	for in, want := range map[string][]string{
		"#नमस्ते दोस्तों":   {"नमस्ते"},
		"#cafe\u0301 #café": {"café"},
		"#İstanbul":         {"istanbul"},
		"#Straße":           {"straße"},
		"#\u0301x":          {}, // a mark does not start a word
	} {
		if got := Hashtags(in); !cmp.Equal(got, want) {
			t.Errorf("Hashtags(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestEveryParsedHashtagHasAFeed: every hashtag a text yields can be read
// back as a hashtag feed, as written in the post or as parsed: a tag that
// checkFeed refused would index posts in a feed nobody can open.
func TestEveryParsedHashtagHasAFeed(t *testing.T) {
	for _, text := range []string{
		"#İstanbul", "#नमस्ते", "#cafe\u0301", "#" + strings.Repeat("İ", maxHashtagRunes/2),
		"#" + strings.Repeat("a", maxHashtagRunes), "#Ǆemal",
	} {
		tags := Hashtags(text)
		if len(tags) != 1 {
			t.Errorf("Hashtags(%q) = %q, want one tag", text, tags)
			continue
		}
		for _, id := range []string{tags[0], strings.TrimPrefix(text, "#")} {
			f, err := checkFeed(Feed{Kind: social.FeedHashtag, ID: id})
			if err != nil || f.ID != tags[0] {
				t.Errorf("the feed of %q (from %q) = %+v, %v; want the feed of %q", id, text, f, err, tags[0])
			}
		}
	}
}

// TestInvisibleCharactersInHashtags: a character that shows nothing
// (Default_Ignorable_Code_Point) neither cuts a hashtag nor makes it
// another tag, so "#spon\u200bsor" cannot sit beside "#sponsor" in trends
// or search, nor index the post under "spon"; but the joiners are kept
// where they change how a Persian or Indic word is written.
func TestInvisibleCharactersInHashtags(t *testing.T) {
	for _, tt := range []struct {
		name, text string
		want       []string
	}{
		{"zero width space", "#spon\u200bsor #sponsor", []string{"sponsor"}},
		{"word joiner", "#spon\u2060sor", []string{"sponsor"}},
		{"byte order mark", "#\ufeffSponsor", []string{"sponsor"}},
		{"soft hyphen", "#spon\u00adsor", []string{"sponsor"}},
		{"joiners between Latin letters", "#spon\u200dsor #spon\u200csor", []string{"sponsor"}},
		{"a trailing mark", "#sponsor\u200e\u200b!", []string{"sponsor"}},
		{"combining grapheme joiner", "#spon\u034fsor", []string{"sponsor"}},
		{"variation selector", "#spon\ufe0fsor", []string{"sponsor"}},
		{"Hangul filler, a letter that shows nothing", "#spon\u3164sor", []string{"sponsor"}},
		{"nothing visible is no tag", "#\u3164 #\u200b #\u200d\u200c", []string{}},
		{"no tag in the middle of a word", "foo\u200b#bar", []string{}},
		// ZWNJ between letters that join: "I want" and "books" in
		// Persian, each unlike the same letters joined.
		{"Persian ZWNJ", "#می\u200cخواهم #میخواهم", []string{"می\u200cخواهم", "میخواهم"}},
		{"Persian plural", "#کتاب\u200cها", []string{"کتاب\u200cها"}},
		{"Persian ZWNJ doubled", "#می\u200c\u200cخواهم", []string{"می\u200cخواهم"}},
		// Alef never joins the next letter: a ZWNJ after it shows nothing.
		{"ZWNJ after alef", "#دا\u200cنش #دانش", []string{"دانش"}},
		// ZWJ and ZWNJ after a virama: Sinhala's "Sri", Malayalam's
		// "he" in the older chillu spelling, a Devanagari explicit halant.
		{"Sinhala ZWJ", "#ශ්\u200dරී", []string{"ශ්\u200dරී"}},
		{"Malayalam ZWJ", "#അവന്\u200d", []string{"അവന്\u200d"}},
		{"Devanagari ZWNJ", "#क्\u200cष", []string{"क्\u200cष"}},
		{"a ZWJ before an emoji joins no letter", "#party\u200d🎉", []string{"party"}},
		{"padded past what a tag may be as typed", "#spon" + strings.Repeat("\u200b", 4*maxHashtagRunes) + "sor #ok", []string{"ok"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := Hashtags(tt.text); !cmp.Equal(got, tt.want) {
				t.Errorf("Hashtags(%+q) = %+q, want %+q", tt.text, got, tt.want)
			}
			// The feed of a tag as typed, invisible characters and all,
			// is the feed the post is in.
			for _, tag := range tt.want {
				f, err := checkFeed(Feed{Kind: social.FeedHashtag, ID: tag})
				if err != nil || f.ID != tag {
					t.Errorf("the feed of %+q = %+v, %v", tag, f, err)
				}
			}
		})
	}
	if f, err := checkFeed(Feed{Kind: social.FeedHashtag, ID: "#Spon\u200bsor"}); err != nil || f.ID != "sponsor" {
		t.Errorf("the feed of #Spon\\u200bsor = %+v, %v; want sponsor's", f, err)
	}
}

// TestDefaultIgnorable: defaultIgnorable is Unicode's
// Default_Ignorable_Code_Point, as listed in the UCD's
// DerivedCoreProperties.txt for the Unicode version of Go's unicode
// tables (15.0), code point by code point. The property has not changed
// since; should a later Go's tables make this fail, check the new list.
func TestDefaultIgnorable(t *testing.T) {
	ranges := [][2]rune{
		{0x00ad, 0x00ad}, {0x034f, 0x034f}, {0x061c, 0x061c}, {0x115f, 0x1160}, {0x17b4, 0x17b5},
		{0x180b, 0x180f}, {0x200b, 0x200f}, {0x202a, 0x202e}, {0x2060, 0x206f}, {0x3164, 0x3164},
		{0xfe00, 0xfe0f}, {0xfeff, 0xfeff}, {0xffa0, 0xffa0}, {0xfff0, 0xfff8}, {0x1bca0, 0x1bca3},
		{0x1d173, 0x1d17a}, {0xe0000, 0xe0fff},
	}
	want := func(r rune) bool {
		return slices.ContainsFunc(ranges, func(rg [2]rune) bool { return rg[0] <= r && r <= rg[1] })
	}
	n := 0
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if got := defaultIgnorable(r); got != want(r) {
			t.Errorf("defaultIgnorable(U+%04X) = %v", r, got)
		}
		if want(r) {
			n++
		}
	}
	if n != 4174 { // DerivedCoreProperties.txt's total
		t.Errorf("%d code points listed, want 4174", n)
	}
}

// TestLongWordIsNoHashtag: a word after '#' longer than a hashtag may be
// is not a hashtag, rather than a tag cut to the first 50 characters that
// the text does not show (and whose feed the client cannot name).
func TestLongWordIsNoHashtag(t *testing.T) {
	long := strings.Repeat("a", maxHashtagRunes+10)
	if got := Hashtags("#" + long + " #ok"); !cmp.Equal(got, []string{"ok"}) {
		t.Errorf("Hashtags(#%d letters #ok) = %q, want [ok]", len(long), got)
	}
	_, err := checkFeed(Feed{Kind: social.FeedHashtag, ID: strings.Repeat("a", maxHashtagRunes+1)})
	if fe := fieldErrors(err); errs.KindOf(err) != errs.Invalid || len(fe) != 1 || !strings.Contains(fe[0].Message, "50") {
		t.Errorf("a hashtag feed of %d letters: %v (%+v), want invalid saying at most 50", maxHashtagRunes+1, err, fe)
	}
}

// TestTextRefusesBidiOverrides: bidirectional embeddings, overrides and
// isolates (U+202A-U+202E, U+2066-U+2069) make a text, a mention's name or
// a hashtag show other than it reads ("@[\u202enimda](x)" shows
// "admin"): refused, as control characters are. Marks that change no
// order (LRM, RLM, ALM), joiners (emoji sequences, Persian's ZWNJ) and
// right-to-left scripts are kept.
func TestTextRefusesBidiOverrides(t *testing.T) {
	for _, bad := range []string{
		"hi @[\u202enimda](x)", "pay \u202dattention", "a\u202ab", "a\u202bb", "a\u202cb",
		"\u2066isolated\u2069", "a\u2067b", "a\u2068b",
	} {
		_, err := ParseText(bad, false)
		if fe := fieldErrors(err); errs.KindOf(err) != errs.Invalid || len(fe) != 1 || fe[0].Field != "/text" {
			t.Errorf("ParseText(%q) = %v, want invalid on /text", bad, err)
		}
		if _, err := ParseNote(bad); errs.KindOf(err) != errs.Invalid {
			t.Errorf("ParseNote(%q) = %v, want invalid", bad, err)
		}
	}
	for _, good := range []string{
		"שלום עולם", "مرحبا \u200f#سلام", "a\u200eb", "می\u200cخواهم", "👨\u200d👩\u200d👧", "\u061c",
	} {
		if _, err := ParseText(good, false); err != nil {
			t.Errorf("ParseText(%q) = %v, want it kept", good, err)
		}
	}
}

func fieldErrors(err error) []errs.FieldError {
	if e, ok := errs.As(err); ok {
		return e.Fields
	}
	return nil
}

// TestRewriteMentionsWritesExactlyItsMentions: the markup RewriteMentions
// writes is exactly what the text parses to again, even when a mention
// made plain text, or a name shorter than the one typed, would otherwise
// join what surrounds it into a mention nobody settled.
func TestRewriteMentionsWritesExactlyItsMentions(t *testing.T) {
	names := map[string]string{"bob": "Bob", "ada": "Ada"} // kept members and their names
	shown := func(member, _ string) (string, bool) {
		n, ok := names[member]
		return n, ok
	}
	long := strings.Repeat("x", 60)
	tests := []struct {
		name, in, want string
		mentions       []Mention
	}{
		{"names replaced", "hi @[Organizers](bob) and @[ Ada L ](ada)", "hi @[Bob](bob) and @[Ada](ada)", []Mention{{"bob", "Bob"}, {"ada", "Ada"}}},
		{"no member is plain text", "ask @[Organizers](nobody) now", "ask @Organizers now", []Mention{}},
		{"plain text joining markup", "@[@[Organizers](nobody)](bob)", "@@\u2060[Organizers](bob)", []Mention{}},
		{"a shorter name reaching an earlier @[", "@[" + long + " @[" + long + "](bob)", "@\u2060[" + long + " @[Bob](bob)", []Mention{{"bob", "Bob"}}},
		{"an @ before a bracket across pieces", "@[x@](nobody)[y](bob) z", "@x@\u2060[y](bob) z", []Mention{}},
		{"stray @[ kept visible", "mail @[at] us", "mail @\u2060[at] us", []Mention{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := RewriteMentions(tt.in, shown)
			if got != tt.want {
				t.Errorf("RewriteMentions(%q) = %q, want %q", tt.in, got, tt.want)
			}
			parsed, err := ParseText(got, false)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.mentions, parsed.Mentions); diff != "" {
				t.Errorf("mentions of the rewritten text (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMentionName(t *testing.T) {
	for in, want := range map[string]string{
		"Bob":                          "Bob",
		"  Bob \n [staff]\t":           "Bob (staff)",
		"\u202eBob":                    "Bob",
		"":                             "",
		strings.Repeat("é", 79) + " x": strings.Repeat("é", 79),
	} {
		if got := MentionName(in); got != want {
			t.Errorf("MentionName(%q) = %q, want %q", in, got, want)
		}
	}
}
