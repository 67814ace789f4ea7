package docform_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/attendify/social"
	"github.com/attendify/social/internal/store/docform"
)

// TestRoundTrip: a document with every field set comes back whole through
// the domain's types, so that no field is lost on a read-modify-write.
func TestRoundTrip(t *testing.T) {
	at := time.Date(2026, 5, 1, 9, 30, 0, 0, time.UTC)
	later := at.Add(time.Hour)
	mod := social.Moderation{
		Hidden: true, HiddenBy: "mona", HiddenReason: "spam", HiddenAt: &later,
		Deleted: true, DeletedBy: "ada", DeletedAt: &later, AuthorBlocked: true, AuthorDeleted: true,
	}
	post := &social.PostDoc{
		ID: "post:p1", Rev: "3-abc", Type: social.DocPost, App: "a1", Event: "e1", Session: "s1", Author: "ada",
		Text: "hi @[Bob](bob) #go", Hashtags: []string{"go"}, Mentions: []social.MentionRef{{Member: "bob", Name: "Bob"}},
		Photos:    []social.PhotoRef{{Name: "photo-0", Thumb: "photo-0-thumb", ContentType: "image/png", Width: 4, Height: 3, Bytes: 99}},
		CreatedAt: at, EditedAt: &later, LastEvent: "ev1", Moderation: mod,
	}
	if diff := cmp.Diff(post, docform.PostDoc(docform.Post(post))); diff != "" {
		t.Errorf("post (-want +got):\n%s", diff)
	}
	comment := &social.CommentDoc{
		ID: "comment:p1:c1", Rev: "2-def", Type: social.DocComment, App: "a1", Post: "p1", Event: "e1", Session: "s1",
		Author: "bob", Text: "yes #go", Hashtags: []string{"go"}, Mentions: []social.MentionRef{{Member: "ada", Name: "Ada"}},
		CreatedAt: at, EditedAt: &later, LastEvent: "ev2", Moderation: mod,
	}
	if diff := cmp.Diff(comment, docform.CommentDoc(docform.Comment(comment))); diff != "" {
		t.Errorf("comment (-want +got):\n%s", diff)
	}
	// Ids: the domain's are the post's and the comment's own.
	if p, c := docform.Post(post), docform.Comment(comment); p.ID != "p1" || c.ID != "c1" || c.Post != "p1" {
		t.Errorf("ids: post %q, comment %q of %q", p.ID, c.ID, c.Post)
	}
	// A field the document gains must be added to the conversion: the
	// document's JSON keys are the ones this test knows.
	b, _ := json.Marshal(post)
	var keys map[string]any
	_ = json.Unmarshal(b, &keys)
	if len(keys) != 23 { // every field but _attachments
		t.Errorf("social.PostDoc has %d JSON fields, this test knows 23: convert the new ones in docform", len(keys))
	}
}
