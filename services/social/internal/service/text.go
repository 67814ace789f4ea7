package service

import (
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

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
	for _, r := range body {
		if unicode.IsControl(r) && r != '\n' && r != '\t' && r != '\r' {
			return Text{}, errs.InvalidFields("bad text", errs.FieldError{Field: "/text", Message: "contains control characters"})
		}
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

// ParseNote validates a report's note as ParseText validates a text
// (trimmed, valid UTF-8, no control characters but newlines and tabs), with
// no hashtags or mentions; it may be empty.
func ParseNote(raw string) (string, error) {
	note := strings.TrimSpace(raw)
	if !utf8.ValidString(note) {
		return "", errs.InvalidFields("bad note", errs.FieldError{Field: "/note", Message: "is not valid UTF-8"})
	}
	for _, r := range note {
		if unicode.IsControl(r) && r != '\n' && r != '\t' && r != '\r' {
			return "", errs.InvalidFields("bad note", errs.FieldError{Field: "/note", Message: "contains control characters"})
		}
	}
	return note, nil
}

// hasMention reports whether ms mentions member.
func hasMention(ms []Mention, member string) bool {
	return slices.ContainsFunc(ms, func(m Mention) bool { return m.Member == member })
}

// Hashtags returns the hashtags of s: '#' at the start or after a character
// that is not part of a word, then letters, digits and '_' (at least one
// letter), lower-cased, deduplicated, at most social.MaxHashtags.
func Hashtags(s string) []string {
	tags := []string{}
	prev := ' '
	for i, r := range s {
		if r == '#' && !isWord(prev) {
			tag, n := scanTag(s[i+1:])
			if n > 0 {
				t := strings.ToLower(tag)
				if !slices.Contains(tags, t) {
					tags = append(tags, t)
					if len(tags) == social.MaxHashtags {
						break
					}
				}
			}
		}
		prev = r
	}
	return tags
}

func scanTag(s string) (string, int) {
	end, runes, letter := 0, 0, false
	for i, r := range s {
		if !isWord(r) {
			break
		}
		if unicode.IsLetter(r) {
			letter = true
		}
		runes++
		end = i + utf8.RuneLen(r)
		if runes == maxHashtagRunes {
			break
		}
	}
	if !letter {
		return "", 0
	}
	return s[:end], runes
}

func isWord(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }

// NormalizeTag is how a hashtag is looked up: lower-case, without '#'.
func NormalizeTag(s string) string {
	return strings.ToLower(strings.TrimPrefix(strings.TrimSpace(s), "#"))
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
