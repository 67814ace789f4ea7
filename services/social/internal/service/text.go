package service

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/secure/precis"
	"golang.org/x/text/unicode/norm"

	"github.com/attendify/platform/errs"
	"github.com/attendify/social"
)

// Text is a validated post or comment text with what it references.
type Text struct {
	Body     string
	Hashtags []string // lower-case, without '#', in first-seen order
	Mentions []Mention
}

// maxHashtagRunes bounds one hashtag.
const maxHashtagRunes = 50

// maxRawHashtagRunes bounds a hashtag's word as typed, invisible
// characters and decomposed letters included (see scanTag).
const maxRawHashtagRunes = 4 * maxHashtagRunes

// ParseText validates a text (trimmed, at most social.MaxTextRunes
// characters, no control characters but newlines and tabs) and extracts its
// hashtags (#word: letters, digits and '_', with at least one letter) and
// mentions. empty says whether an empty text is acceptable.
func ParseText(raw string, empty bool) (Text, error) {
	body := strings.TrimSpace(raw)
	if !utf8.ValidString(body) {
		return Text{}, errs.InvalidFields("bad text", errs.FieldError{Field: "/text", Message: "is not valid UTF-8"})
	}
	if body == "" && !empty {
		return Text{}, errs.InvalidFields("empty text", errs.FieldError{Field: "/text", Message: "must not be empty"})
	}
	if n := utf8.RuneCountInString(body); n > social.MaxTextRunes {
		return Text{}, errs.InvalidFields("text too long", errs.FieldError{Field: "/text", Message: "is longer than 2000 characters"})
	}
	if msg := badChars(body); msg != "" {
		return Text{}, errs.InvalidFields("bad text", errs.FieldError{Field: "/text", Message: msg})
	}
	t := Text{Body: body, Hashtags: []string{}, Mentions: []Mention{}}
	for _, m := range social.MentionMarkup.FindAllStringSubmatch(body, -1) {
		if len(t.Mentions) >= social.MaxMentions {
			break
		}
		if !hasMention(t.Mentions, m[2]) {
			t.Mentions = append(t.Mentions, Mention{Member: m[2], Name: strings.TrimSpace(m[1])})
		}
	}
	// Hashtags outside the mention markup.
	plain := social.MentionMarkup.ReplaceAllString(body, " ")
	t.Hashtags = Hashtags(plain)
	return t, nil
}

// wordJoiner (U+2060, which shows nothing) is what RewriteMentions puts
// between an '@' and a '[' that stand side by side outside a mention's
// markup.
const wordJoiner = "\u2060"

// RewriteMentions rewrites the mention markup of body: shown says, for a
// member id and the name typed for it (trimmed), the name to show and
// whether the mention is kept; a mention not kept (or shown with no name)
// becomes plain text, '@' and the name as typed. Outside the markup it
// writes, no '@' is left just before a '[' (a word joiner goes between
// them), so that the text parsed again has exactly the mentions written:
// without it, "@[@[Organizers](nobody)](bob)", nobody being no member,
// would become "@@[Organizers](bob)", a mention of Bob named
// "Organizers"; and a name shorter than the one typed could let a "@["
// written earlier in the text reach the markup.
func RewriteMentions(body string, shown func(member, typed string) (name string, keep bool)) string {
	var out, plain strings.Builder
	flush := func() {
		out.WriteString(strings.ReplaceAll(plain.String(), "@[", "@"+wordJoiner+"["))
		plain.Reset()
	}
	last := 0
	for _, m := range social.MentionMarkup.FindAllStringSubmatchIndex(body, -1) {
		plain.WriteString(body[last:m[0]])
		typed, member := body[m[2]:m[3]], body[m[4]:m[5]]
		if name, keep := shown(member, strings.TrimSpace(typed)); keep && name != "" {
			flush()
			out.WriteString("@[" + name + "](" + member + ")")
		} else {
			plain.WriteString("@" + typed)
		}
		last = m[1]
	}
	plain.WriteString(body[last:])
	flush()
	return out.String()
}

// MentionName is name as a mention's markup may show it: brackets made
// parentheses (a ']' would end the markup), line breaks, tabs and control
// characters made spaces, bidirectional controls dropped (see badChars),
// spaces collapsed and trimmed, at most 80 characters (the markup's
// bound). "" when nothing is left.
func MentionName(name string) string {
	name = strings.Map(func(r rune) rune {
		switch {
		case r == '[':
			return '('
		case r == ']':
			return ')'
		case unicode.IsControl(r):
			return ' '
		case isBidiControl(r):
			return -1
		}
		return r
	}, name)
	name = strings.Join(strings.Fields(name), " ")
	if r := []rune(name); len(r) > maxMentionNameRunes {
		name = strings.TrimSpace(string(r[:maxMentionNameRunes]))
	}
	return name
}

// maxMentionNameRunes is the longest name social.MentionMarkup takes.
const maxMentionNameRunes = 80

// sameName reports whether two names read the same: compared case-folded,
// in compatibility form (NFKC: a fullwidth "Ｂｏｂ" is "Bob"), spaces
// collapsed. Lookalike letters of other scripts (a Cyrillic "о") are not
// caught.
func sameName(a, b string) bool {
	fold := func(s string) string { return strings.Join(strings.Fields(norm.NFKC.String(s)), " ") }
	return strings.EqualFold(fold(a), fold(b))
}

// ParseNote validates a report's note as ParseText validates a text
// (trimmed, valid UTF-8, no control characters but newlines and tabs), with
// no hashtags or mentions; it may be empty.
func ParseNote(raw string) (string, error) {
	note := strings.TrimSpace(raw)
	if !utf8.ValidString(note) {
		return "", errs.InvalidFields("bad note", errs.FieldError{Field: "/note", Message: "is not valid UTF-8"})
	}
	if msg := badChars(note); msg != "" {
		return "", errs.InvalidFields("bad note", errs.FieldError{Field: "/note", Message: msg})
	}
	return note, nil
}

// badChars says what is wrong with the characters of s, "" when nothing:
// control characters but newlines and tabs, and the bidirectional
// embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069),
// which make a text show other than it reads: "@[\u202enimda](x)" shows
// "@admin", and an override left open reorders whatever a client shows
// after it. The marks that reorder nothing (LRM, RLM, ALM) and the
// joiners (emoji sequences, Persian's ZWNJ) are kept.
func badChars(s string) string {
	for _, r := range s {
		switch {
		case unicode.IsControl(r) && r != '\n' && r != '\t' && r != '\r':
			return "contains control characters"
		case isBidiControl(r):
			return fmt.Sprintf("contains the bidirectional control character U+%04X", r)
		}
	}
	return ""
}

// isBidiControl reports whether r is a bidirectional embedding, override
// or isolate (U+202A-U+202E, U+2066-U+2069).
func isBidiControl(r rune) bool {
	return (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069')
}

// hasMention reports whether ms mentions member.
func hasMention(ms []Mention, member string) bool {
	return slices.ContainsFunc(ms, func(m Mention) bool { return m.Member == member })
}

// Hashtags returns the hashtags of s: '#' at the start or after a character
// that is not part of a word, then a word: a letter, digit or '_', then
// letters, digits, '_' and combining marks (Devanagari's vowel signs, a
// decomposed accent), with at least one letter. Invisible characters
// (Default_Ignorable_Code_Point) neither end a word nor start one: the
// word is what the text shows, and NormalizeTag takes them out of the tag.
// A tag is NormalizeTag's form of its word, deduplicated, at most
// social.MaxHashtags of them; a word longer than maxHashtagRunes so is no
// hashtag (cut, it would be a tag the text does not show).
func Hashtags(s string) []string {
	tags := []string{}
	prev := ' '
	for i, r := range s {
		if r == '#' && !isWord(prev) {
			if t := scanTag(s[i+1:]); t != "" && !slices.Contains(tags, t) {
				tags = append(tags, t)
				if len(tags) == social.MaxHashtags {
					break
				}
			}
		}
		if !defaultIgnorable(r) { // "a\u200b#b" shows as "a#b": no hashtag
			prev = r
		}
	}
	return tags
}

// scanTag returns the hashtag at the start of s (after its '#'), "" when
// there is none.
func scanTag(s string) string {
	end, n := len(s), 0
	for i, r := range s {
		if !isWord(r) && !defaultIgnorable(r) {
			end = i
			break
		}
		// A word is no tag past maxHashtagRunes once normalized; this
		// bound on it as typed (a character composes from at most 4)
		// spares NormalizeTag a word padded with hundreds of invisible
		// characters.
		if n++; n > maxRawHashtagRunes {
			return ""
		}
	}
	t := NormalizeTag(s[:end])
	first, _ := utf8.DecodeRuneInString(t)
	if !strings.ContainsFunc(t, unicode.IsLetter) || unicode.IsMark(first) || utf8.RuneCountInString(t) > maxHashtagRunes {
		return ""
	}
	return t
}

func isWord(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// NormalizeTag is how a hashtag is looked up: without '#', lower-case,
// without the invisible characters that mean nothing in it, composed
// (NFC). So "#Spon\u200bsor" (a zero width space), "#spon\u00adsor" (a
// soft hyphen) and "#spon\u3164sor" (a Hangul filler, a letter that shows
// nothing) are the tag "sponsor", and cannot stand beside it as another
// tag that reads the same in trends and search.
//
// Which characters: Unicode's Default_Ignorable_Code_Point, the
// characters a renderer shows nothing for, which UAX #31 (its hashtag
// identifiers are compared in NFKC_Casefold, which removes them all) and
// UTS #55 leave out of identifiers. The two joiners, ZWNJ and ZWJ, are the
// exception UAX #31 makes (section 2.3): they change how a word of
// Persian or of an Indic script is written ("می‌خواهم", a Persian word with
// a ZWNJ, shows unlike the same letters joined; "ශ්‍රී", Sinhala with a
// ZWJ), so they are kept where they can: a ZWNJ after a virama or between
// letters that would join (Arabic script), a ZWJ after a virama, the
// contexts of RFC 5892's CONTEXTJ rules, which x/text's PRECIS profiles
// check. Elsewhere ("spon\u200dsor") they show nothing and are removed.
// Emoji, where a ZWJ joins pictographs, are no part of a tag.
func NormalizeTag(s string) string {
	s = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(s), "#"))
	if !strings.ContainsFunc(s, defaultIgnorable) {
		return norm.NFC.String(s)
	}
	s = strings.Map(func(r rune) rune {
		if defaultIgnorable(r) && r != zwnj && r != zwj {
			return -1
		}
		return r
	}, s)
	// Each joiner is checked in the tag as kept so far, followed by the
	// rest without joiners: a joiner beside another one joins nothing.
	var kept strings.Builder
	for i, r := range s {
		if r != zwnj && r != zwj {
			kept.WriteRune(r)
			continue
		}
		rest := strings.Map(func(r rune) rune {
			if r == zwnj || r == zwj {
				return -1
			}
			return r
		}, s[i+utf8.RuneLen(r):])
		// Any refusal drops the joiner: the tag then reads as the same
		// letters unjoined, never as a second tag beside them.
		if _, err := joinerContext.String(kept.String() + string(r) + rest); err == nil {
			kept.WriteRune(r)
		}
	}
	return norm.NFC.String(kept.String())
}

// The joiners, U+200C ZERO WIDTH NON-JOINER and U+200D ZERO WIDTH JOINER.
const (
	zwnj = '\u200c'
	zwj  = '\u200d'
)

// joinerContext checks that the joiners of a string stand where RFC 5892's
// CONTEXTJ rules allow them (the PRECIS freeform class refuses one
// elsewhere).
var joinerContext = precis.NewFreeform()

// defaultIgnorable reports whether r is a Default_Ignorable_Code_Point.
// Neither Go's unicode package nor x/text exports that property (x/text
// keeps it inside its PRECIS tables), so it is derived here as the UCD
// derives it (DerivedCoreProperties.txt), from properties Go has:
// Other_Default_Ignorable_Code_Point, the format characters (Cf) and the
// variation selectors, less white space, the prepended concatenation marks
// (visible: U+0600, U+06DD...), the interlinear annotation characters
// (U+FFF9-U+FFFB) and the Egyptian hieroglyph format controls.
func defaultIgnorable(r rune) bool {
	switch {
	case unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r):
		return true
	case !unicode.Is(unicode.Cf, r) && !unicode.Is(unicode.Variation_Selector, r):
		return false
	}
	return !unicode.Is(unicode.White_Space, r) && !unicode.Is(unicode.Prepended_Concatenation_Mark, r) &&
		!(r >= 0xfff9 && r <= 0xfffb) && !unicode.Is(unicode.Egyptian_Hieroglyphs, r)
}

// WebURL returns s when it is an absolute http or https address with a
// host and no user info, and "" otherwise: a profile photo (or any link
// social stores or sends) that a client would put in an <img src> or
// <a href> must not be a javascript:, data: or relative address, nor one
// that shows a host it does not go to (https://trusted.example@evil.example),
// as hub refuses too.
func WebURL(s string) string {
	if s == "" || len(s) > 2048 || strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return ""
	}
	return s
}
