package service

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/attendify/eventwall"
	"github.com/attendify/social"
)

// FormerMember is the name shown for a post whose author hub deleted.
const FormerMember = "a former member"

// PostID is the post id of a social post document id ("post:<id>"), or ""
// for any other document.
func PostID(docID string) string {
	id, ok := strings.CutPrefix(docID, "post:")
	if !ok {
		return ""
	}
	return id
}

// Decide applies a wall's rules to one revision of a post: whether it is
// shown, held for a moderator (with the reason) or dropped. It sees the
// document and the rules only (hub's access rules for a public wall are in
// them); the board adds the moderators' decisions.
func Decide(r Rules, doc *social.PostDoc) (outcome, reason string) {
	switch {
	case r.Scope != eventwall.ScopeApp && doc.Event != r.Event:
		return Drop, ""
	case r.Audience != nil && !r.Audience.MaySee(doc.Event):
		// A public wall shows no more than a reader who is not signed in
		// may see: no post of a hidden or restricted event, nothing of an
		// unpublished app.
		return Drop, ""
	case !doc.Visible() || doc.AuthorDeleted:
		// Hidden, deleted or blocked in social; a deleted member's posts
		// leave the wall too (they asked to be erased).
		return Drop, ""
	case r.PhotosOnly && len(doc.Photos) == 0:
		return Drop, ""
	case len(r.Hashtags) > 0 && !anyHashtag(r.Hashtags, doc.Hashtags):
		return Drop, ""
	case slices.Contains(r.BlockedAuthors, doc.Author):
		return Drop, ""
	case r.Mode == eventwall.ModerationOff, slices.Contains(r.AllowList, doc.Author):
		return Show, ""
	case r.Mode == eventwall.ModerationManual:
		return Hold, "manual"
	}
	// The blocklist sees what the screens would show (mentions as @Name).
	text, _ := ScreenText(doc.Text)
	if p := MatchPhrase(r.Blocklist, text); p != "" {
		return Hold, "blocklist: " + p
	}
	return Show, ""
}

func anyHashtag(want, have []string) bool {
	for _, h := range have {
		if slices.Contains(want, strings.ToLower(h)) {
			return true
		}
	}
	return false
}

// MatchPhrase returns the first phrase of list found in text, ignoring
// case, as whole words: "ass" matches "what an ass!" but not "class".
// Runs of spaces in a phrase match any run of white space.
func MatchPhrase(list []string, text string) string {
	if len(list) == 0 || text == "" {
		return ""
	}
	hay := strings.Join(strings.Fields(strings.ToLower(text)), " ")
	for _, phrase := range list {
		p := strings.Join(strings.Fields(strings.ToLower(phrase)), " ")
		if p == "" {
			continue
		}
		for from := 0; from < len(hay); {
			i := strings.Index(hay[from:], p)
			if i < 0 {
				break
			}
			start, end := from+i, from+i+len(p)
			if boundaryBefore(hay, start) && boundaryAfter(hay, end) {
				return phrase
			}
			_, size := utf8.DecodeRuneInString(hay[start:])
			from = start + size
		}
	}
	return ""
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' }

func boundaryBefore(s string, i int) bool {
	if i == 0 {
		return true
	}
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return !isWordRune(r)
}

func boundaryAfter(s string, i int) bool {
	if i >= len(s) {
		return true
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return !isWordRune(r)
}

// ScreenText is a post's text as screens show it: each mention's markup
// @[Name](member id) becomes @Name, as in the app, so that a public
// projector shows no member ids. It also returns the names mentioned
// (without '@', once each, in order of appearance) for the page to style.
// Every markup is rendered, also a mention social did not keep (not a
// member, or past social.MaxMentions). A name of white space only leaves
// nothing.
func ScreenText(text string) (string, []string) {
	if !strings.Contains(text, "@[") {
		return text, nil
	}
	var b strings.Builder
	var names []string
	last := 0
	for _, m := range social.MentionMarkup.FindAllStringSubmatchIndex(text, -1) {
		b.WriteString(text[last:m[0]])
		last = m[1]
		name := strings.TrimSpace(text[m[2]:m[3]]) // social trims it too
		if name == "" {
			continue
		}
		b.WriteString("@")
		b.WriteString(name)
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	if last == 0 {
		return text, nil
	}
	b.WriteString(text[last:])
	return b.String(), names
}

// PhotoPath is the path of a post's photo (thumb: its thumbnail) relative
// to the wall's screen URL (/walls/<token>/), served by eventwall from
// social's attachments. Relative, so that the items stored do not carry the
// wall's token, which an organizer may rotate.
func PhotoPath(post string, i int, thumb bool) string {
	p := "photos/" + post + "/" + strconv.Itoa(i)
	if thumb {
		p += "t"
	}
	return p
}

// renderVersion is part of every wall's rules fingerprint: changing what
// Render makes, or what the board keeps of a post (2: mentions read @Name;
// 3: photo paths relative to the wall's URL; 4: entries name the rules
// that judged them, which approvals check; 5: entries name the post's
// event, which approvals on a public wall check), re-decides, so
// re-renders, the posts of every wall once.
const renderVersion = 5

// Render makes the screen item of a post on a wall (without its mark,
// which the board adds).
func Render(doc *social.PostDoc, author Profile) eventwall.Item {
	post := PostID(doc.ID)
	text, mentions := ScreenText(doc.Text)
	it := eventwall.Item{
		ID:          post,
		Author:      author.Name,
		AuthorPhoto: author.PhotoURL,
		Text:        text,
		Mentions:    mentions,
		Hashtags:    doc.Hashtags,
		Photos:      make([]eventwall.ItemPhoto, 0, len(doc.Photos)),
		CreatedAt:   doc.CreatedAt.UTC(),
		EditedAt:    doc.EditedAt,
	}
	if it.Hashtags == nil {
		it.Hashtags = []string{}
	}
	if doc.AuthorDeleted || doc.Author == "" {
		it.Author, it.AuthorPhoto = FormerMember, ""
	}
	for i, p := range doc.Photos {
		it.Photos = append(it.Photos, eventwall.ItemPhoto{
			URL: PhotoPath(post, i, false), ThumbURL: PhotoPath(post, i, true),
			Width: p.Width, Height: p.Height,
		})
	}
	return it
}

// NewDecision decides about one revision of a post on a wall and renders
// what the board keeps. The decision carries the version of the wall's
// settings it was made with, which the board checks.
func NewDecision(w Wall, doc *social.PostDoc, author Profile) (Decision, error) {
	outcome, reason := Decide(w.Rules, doc)
	d := Decision{Post: PostID(doc.ID), Rev: RevNumber(doc.Rev), Outcome: outcome, Rules: w.Version}
	d.Entry = Entry{Post: d.Post, Author: doc.Author, Rev: d.Rev, Created: doc.CreatedAt.UnixMilli(), Reason: reason, Event: doc.Event, RulesID: w.RulesID()}
	if outcome == Drop {
		return d, nil
	}
	d.Entry.Hash = TextHash(doc.Text)
	item, err := json.Marshal(Render(doc, author))
	if err != nil {
		return d, err
	}
	d.Entry.Item = item
	return d, nil
}
