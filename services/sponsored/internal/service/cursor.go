package service

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"

	"github.com/attendify/platform/errs"
)

// campaignCursor is where a page of campaigns ends: the id of its last
// campaign, bound to the listing (app and state) it was given for. The
// stores page on the (created_at, id) the campaign has in them, so a
// cursor carries no time a caller could make up, and one naming no
// campaign of the app is refused.
type campaignCursor struct {
	List string `json:"l"`
	ID   string `json:"i"`
}

// listKey binds a cursor to its app and state.
func listKey(app, state string) string {
	sum := sha256.Sum256([]byte("campaigns\x00" + app + "\x00" + state))
	return base64.RawURLEncoding.EncodeToString(sum[:9])
}

// CampaignCursor is the cursor of the page of q's listing that follows
// the campaign last (the last of a page).
func CampaignCursor(q CampaignQuery, last string) string {
	b, _ := json.Marshal(campaignCursor{List: listKey(q.App, q.State), ID: last})
	return base64.RawURLEncoding.EncodeToString(b)
}

// CampaignAfter is the id of the campaign q.Cursor ends at ("" when there
// is no cursor); a cursor that is not one of q's listing (malformed, made
// up, or given for another app or state) is BadCampaignCursor. The store
// refuses the same way a cursor whose campaign it does not hold.
func CampaignAfter(q CampaignQuery) (string, error) {
	if q.Cursor == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(q.Cursor)
	var c campaignCursor
	// One spelling: base64 that decodes the same bytes written another way
	// (line breaks, unused low bits) is not a cursor given out.
	if err != nil || base64.RawURLEncoding.EncodeToString(b) != q.Cursor ||
		json.Unmarshal(b, &c) != nil || c.ID == "" || c.List != listKey(q.App, q.State) {
		return "", BadCampaignCursor()
	}
	return c.ID, nil
}

// BadCampaignCursor is the error of a cursor that is not one of the
// listing's: Invalid, on /cursor.
func BadCampaignCursor() error {
	return errs.InvalidFields("bad cursor", errs.FieldError{Field: "/cursor", Message: "not a cursor of this listing (send next_cursor back with the same state)"})
}
