package hub

import (
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/rpc"
)

// MemberInput is a member's profile as organizers write it.
type MemberInput struct {
	Email      string `json:"email" jsonschema:"format=email,maxLength=254"`
	ExternalID string `json:"external_id,omitempty" jsonschema:"maxLength=128"`
	Name       string `json:"name" jsonschema:"minLength=1,maxLength=160"`
	Company    string `json:"company,omitempty" jsonschema:"maxLength=160"`
	Title      string `json:"title,omitempty" jsonschema:"maxLength=160"`
	PhotoURL   string `json:"photo_url,omitempty" jsonschema:"maxLength=500"`
	Bio        string `json:"bio,omitempty" jsonschema:"maxLength=4000"`
	Links      []Link `json:"links,omitempty" jsonschema:"maxItems=10"`
	Role       string `json:"role,omitempty" jsonschema:"enum=attendee,enum=speaker,enum=sponsor,enum=staff"`
	Phone      string `json:"phone,omitempty" jsonschema:"maxLength=40"`
	// TicketType is the attendee's ticket, pass or registration type as
	// the registration system names it ("VIP", "Early Bird"): organizers
	// see it and filter the directory by it.
	TicketType string `json:"ticket_type,omitempty" jsonschema:"maxLength=80"`
	// Custom are the app's own profile fields, by name (see
	// MaxCustomFields); not searched.
	Custom map[string]string `json:"custom,omitempty"`
}

// Bounds of a member's custom profile fields.
const (
	MaxCustomFields   = 50   // fields per member
	MaxCustomNameLen  = 60   // characters of a field's name
	MaxCustomValueLen = 1000 // characters of a field's value
)

// CreateMemberParams add a member to an app.
type CreateMemberParams struct {
	rpc.AppRef
	MemberInput
}

// ProfileChanges change a profile; absent fields stay as they are.
type ProfileChanges struct {
	Name     *string `json:"name,omitempty" jsonschema:"minLength=1,maxLength=160"`
	Company  *string `json:"company,omitempty" jsonschema:"maxLength=160"`
	Title    *string `json:"title,omitempty" jsonschema:"maxLength=160"`
	PhotoURL *string `json:"photo_url,omitempty" jsonschema:"maxLength=500"`
	Bio      *string `json:"bio,omitempty" jsonschema:"maxLength=4000"`
	Links    []Link  `json:"links,omitempty" jsonschema:"maxItems=10"`
	Phone    *string `json:"phone,omitempty" jsonschema:"maxLength=40"`
}

// UpdateMemberParams change a member (organizers).
type UpdateMemberParams struct {
	rpc.AppRef
	Member string  `json:"member_id" jsonschema:"minLength=1,maxLength=64"`
	Email  *string `json:"email,omitempty" jsonschema:"format=email,maxLength=254"`
	Role   *string `json:"role,omitempty" jsonschema:"enum=attendee,enum=speaker,enum=sponsor,enum=staff"`
	// TicketType changes the ticket type ("" clears it).
	TicketType *string `json:"ticket_type,omitempty" jsonschema:"maxLength=80"`
	// Custom replaces the member's custom profile fields (absent: kept).
	Custom map[string]string `json:"custom,omitempty"`
	ProfileChanges
}

// UpdateMeParams change the calling member's own profile.
type UpdateMeParams struct {
	rpc.AppRef
	ProfileChanges
}

// MemberParams address one member.
type MemberParams struct {
	rpc.AppRef
	Member string `json:"member_id" jsonschema:"minLength=1,maxLength=64"`
}

// SearchMembersParams page through an app's member directory, sorted by
// name. Query matches the starts of the words of name and company, ignoring
// case and accents ("jo sm" finds "Jöhn Smith"); every word must match.
type SearchMembersParams struct {
	rpc.AppRef
	Query string `json:"query,omitempty" jsonschema:"maxLength=100"`
	Role  string `json:"role,omitempty" jsonschema:"enum=attendee,enum=speaker,enum=sponsor,enum=staff"`
	Event string `json:"event_id,omitempty" jsonschema:"maxLength=64"`
	// TicketType keeps the members of this ticket type (any case); for
	// organizers only.
	TicketType string `json:"ticket_type,omitempty" jsonschema:"maxLength=80"`
	Limit      int    `json:"limit,omitempty" jsonschema:"minimum=1,maximum=200"`
	Cursor     string `json:"cursor,omitempty" jsonschema:"maxLength=400"`
}

// MemberPage is one page of the directory; NextCursor is empty on the last.
type MemberPage struct {
	Members    []Member `json:"members"`
	NextCursor string   `json:"next_cursor,omitempty"`
}

// Methods of members.
var (
	CreateMember = rpc.Method[CreateMemberParams, Member]{
		Name: "member.create", Auth: auth.Admin,
		Summary:     "Add a member to an app.",
		Description: "photo_url and the links' url are http or https URLs (or empty): anything else is invalid.",
		Errors:      []errs.Code{errs.CodeConflict, errs.CodeInvalid},
	}
	UpdateMember = rpc.Method[UpdateMemberParams, Member]{
		Name: "member.update", Auth: auth.Admin,
		Summary: "Change a member's profile, email or role.",
		Description: "photo_url and the links' url are http or https URLs (or empty): anything else is invalid. " +
			"A new email (not the same one written otherwise) refuses the member's tokens issued before (token_invalid), " +
			"in hub at once and in the other services at their next read of hub's read model.",
		Errors: []errs.Code{errs.CodeNotFound, errs.CodeConflict, errs.CodeInvalid},
	}
	GetMember = rpc.Method[MemberParams, Member]{
		Name: "member.get", ReadOnly: true, Auth: auth.Member, Idempotent: true,
		Summary: "One member's profile (email for organizers only).",
		Errors:  []errs.Code{errs.CodeNotFound},
	}
	SearchMembers = rpc.Method[SearchMembersParams, MemberPage]{
		Name: "member.search", ReadOnly: true, Auth: auth.Member, Idempotent: true,
		Summary:     "The member directory: name/company word-prefix search, by name, paginated with a cursor.",
		Description: "Organizers may also filter by ticket type (ticket_type); a member who does is forbidden.",
		Errors:      []errs.Code{errs.CodeNotFound, errs.CodeForbidden},
	}
	BlockMember = rpc.Method[MemberParams, Member]{
		Name: "member.block", Auth: auth.Admin, Idempotent: true,
		Summary: "Block a member: their token stops working in every service.",
		Errors:  []errs.Code{errs.CodeNotFound},
	}
	UnblockMember = rpc.Method[MemberParams, Member]{
		Name: "member.unblock", Auth: auth.Admin, Idempotent: true,
		Summary: "Unblock a member.",
		Errors:  []errs.Code{errs.CodeNotFound},
	}
	DeleteMember = rpc.Method[MemberParams, Empty]{
		Name: "member.delete", Auth: auth.Admin,
		Summary:     "Delete a member and erase their personal data.",
		Description: "member.deleted (ids only) tells the other services to erase or anonymise what they hold.",
		Errors:      []errs.Code{errs.CodeNotFound},
	}
	MemberMe = rpc.Method[AppParams, Member]{
		Name: "member.me", ReadOnly: true, Auth: auth.Member, Idempotent: true,
		Summary: "The calling member's own profile.",
	}
	UpdateMe = rpc.Method[UpdateMeParams, Member]{
		Name: "member.updateMe", Auth: auth.Member,
		Summary:     "Change the calling member's own profile.",
		Description: "photo_url and the links' url are http or https URLs (or empty): anything else is invalid.",
		Errors:      []errs.Code{errs.CodeInvalid},
	}
	DeleteMe = rpc.Method[AppParams, Empty]{
		Name: "member.deleteMe", Auth: auth.Member,
		Summary: "Delete the calling member's account and erase their personal data.",
	}
)
