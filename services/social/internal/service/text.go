package service

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

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
// decomposed accent), with at least one letter. A tag is lower-cased and
// composed (NFC: "café" typed decomposed is the tag "café"), deduplicated,
// at most social.MaxHashtags of them; a word longer than maxHashtagRunes
// so is no hashtag (cut, it would be a tag the text does not show).
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
		prev = r
	}
	return tags
}

// scanTag returns the hashtag at the start of s (after its '#'), "" when
// there is none.
func scanTag(s string) string {
	end, letter := 0, false
	for i, r := range s {
		if !isWord(r) || (i == 0 && unicode.IsMark(r)) {
			break
		}
		if unicode.IsLetter(r) {
			letter = true
		}
		end = i + utf8.RuneLen(r)
	}
	if !letter {
		return ""
	}
	t := NormalizeTag(s[:end])
	if utf8.RuneCountInString(t) > maxHashtagRunes {
		return ""
	}
	return t
}

func isWord(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// NormalizeTag is how a hashtag is looked up: lower-case, composed (NFC),
// without '#'.
func NormalizeTag(s string) string {
	return norm.NFC.String(strings.ToLower(strings.TrimPrefix(strings.TrimSpace(s), "#")))
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
