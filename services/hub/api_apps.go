package hub

import (
	"time"

	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/rpc"
)

// CreateAppParams create an app; the caller becomes its owner.
type CreateAppParams struct {
	Name string `json:"name" jsonschema:"minLength=1,maxLength=120"`
	Slug string `json:"slug" jsonschema:"minLength=3,maxLength=40,pattern=^[a-z0-9][a-z0-9-]*[a-z0-9]$"`
}

// AppList is the apps an organizer collaborates on.
type AppList struct {
	Apps []App `json:"apps"`
}

// PublicAppParams find an app by id or slug (exactly one).
type PublicAppParams struct {
	App  string `json:"app_id,omitempty" jsonschema:"maxLength=64"`
	Slug string `json:"slug,omitempty" jsonschema:"maxLength=40"`
}

// UpdateAppParams change an app's name, slug or branding; absent fields
// stay as they are.
type UpdateAppParams struct {
	rpc.AppRef
	Name         *string `json:"name,omitempty" jsonschema:"minLength=1,maxLength=120"`
	Slug         *string `json:"slug,omitempty" jsonschema:"minLength=3,maxLength=40,pattern=^[a-z0-9][a-z0-9-]*[a-z0-9]$"`
	PrimaryColor *string `json:"primary_color,omitempty" jsonschema:"pattern=^(#[0-9a-fA-F]{6})?$"`
	AccentColor  *string `json:"accent_color,omitempty" jsonschema:"pattern=^(#[0-9a-fA-F]{6})?$"`
	IconURL      *string `json:"icon_url,omitempty" jsonschema:"maxLength=500"`
	// WebOrigins replace the origins of the app's web apps, from which
	// browsers may call every service (CORS): scheme://host[:port], https
	// (http only for localhost), at most MaxWebOrigins.
	WebOrigins *[]string `json:"web_origins,omitempty" jsonschema:"maxItems=20"`
}

// SetAccessParams choose how members sign in to an app.
type SetAccessParams struct {
	rpc.AppRef
	Access   string `json:"access" jsonschema:"enum=open,enum=passcode,enum=invite"`
	Passcode string `json:"passcode,omitempty" jsonschema:"maxLength=64"`
}

// TransferOwnershipParams make another collaborator the owner; the old
// owner becomes an admin.
type TransferOwnershipParams struct {
	rpc.AppRef
	OrganizerID string `json:"organizer_id" jsonschema:"minLength=1,maxLength=64"`
}

// EmailCollisionsParams page through the email collisions of an app: the
// rows that migration 13 left with a dotted spelling of an address another
// row of theirs has (see README.md, "email_collisions").
type EmailCollisionsParams struct {
	rpc.AppRef
	// Table keeps the collisions of one table.
	Table string `json:"table,omitempty" jsonschema:"enum=members,enum=speakers,enum=organizers,enum=invitations"`
	// IncludeResolved lists the resolved collisions too (Open false).
	IncludeResolved bool   `json:"include_resolved,omitempty"`
	Limit           int    `json:"limit,omitempty" jsonschema:"minimum=1,maximum=200"`
	Cursor          string `json:"cursor,omitempty" jsonschema:"maxLength=400"`
}

// The resolutions of an email collision.
const (
	CollisionDeleted      = "deleted"       // the other entry is gone
	CollisionClosed       = "closed"        // the other invitation was accepted or revoked
	CollisionBlocked      = "blocked"       // the other member is blocked
	CollisionEmailChanged = "email_changed" // the other entry has another email
)

// EmailCollision is one address two entries of a table had, one spelled
// with trailing dots: the kept entry has it now (every lookup by email
// finds it), the other keeps its dotted spelling, which no lookup finds,
// until an organizer gives it another email, blocks or deletes it.
type EmailCollision struct {
	Table string `json:"table"` // members, speakers, organizers, invitations
	Email string `json:"email"` // the address they share
	// KeptID is the entry that has the address; KeptName its name (a
	// member's, speaker's or organizer's; none for invitations, for an
	// entry gone, or for an organizer who is no collaborator of the app).
	KeptID   string `json:"kept_id"`
	KeptName string `json:"kept_name,omitempty"`
	// OtherID is the entry that kept its dots, OtherName its name (as
	// KeptName), DottedEmail the spelling the migration left it and
	// OtherEmail its email now (none when it is gone).
	OtherID     string `json:"other_id"`
	OtherName   string `json:"other_name,omitempty"`
	DottedEmail string `json:"dotted_email"`
	OtherEmail  string `json:"other_email,omitempty"`
	// TokensRevoked: the other member's tokens were revoked (the kept
	// member is blocked: the other was their way back in).
	TokensRevoked bool      `json:"tokens_revoked"`
	FoundAt       time.Time `json:"found_at"`
	// Open: the other entry is still there with its dotted spelling (and,
	// a member, not blocked; an invitation, neither accepted nor revoked).
	Open bool `json:"open"`
	// Resolution says how a collision that is not open was resolved:
	// deleted, closed, blocked, email_changed.
	Resolution string `json:"resolution,omitempty"`
}

// EmailCollisionPage is one page of an app's email collisions, by table,
// address and other entry; NextCursor is empty on the last.
type EmailCollisionPage struct {
	Collisions []EmailCollision `json:"collisions"`
	NextCursor string           `json:"next_cursor,omitempty"`
}

// Methods of apps.
var (
	CreateApp = rpc.Method[CreateAppParams, App]{
		Name: "app.create", Auth: auth.User,
		Summary: "Create an app (unpublished, open access); the caller becomes its owner.",
		Errors:  []errs.Code{errs.CodeConflict},
	}
	ListApps = rpc.Method[NoParams, AppList]{
		Name: "app.list", ReadOnly: true, Auth: auth.User, Idempotent: true,
		Summary: "The apps the signed-in organizer collaborates on, with their role.",
	}
	PublicAppInfo = rpc.Method[PublicAppParams, PublicApp]{
		Name: "app.info", ReadOnly: true, Auth: auth.Public, Idempotent: true,
		Summary: "A published or expired app's name, branding and access mode, for the sign-in screen.",
		Errors:  []errs.Code{errs.CodeNotFound},
	}
	GetApp = rpc.Method[AppParams, App]{
		Name: "app.get", ReadOnly: true, Auth: auth.Member, Idempotent: true,
		Summary: "An app's configuration.",
	}
	UpdateApp = rpc.Method[UpdateAppParams, App]{
		Name: "app.update", Auth: auth.Admin,
		Summary: "Rename, re-slug or re-brand an app, or set its web origins.",
		Description: "icon_url is an http or https URL (or empty): anything else is invalid. " +
			"web_origins are the origins (scheme://host[:port], https except for localhost, at most 20) " +
			"of the app's web apps: browsers on them may call every service.",
		Errors: []errs.Code{errs.CodeConflict, errs.CodeNotFound, errs.CodeInvalid},
	}
	SetAccess = rpc.Method[SetAccessParams, App]{
		Name: "app.setAccess", Auth: auth.Admin, NoBatch: true,
		Summary: "Set an app's access mode (open, passcode, invite); passcode mode needs a passcode.",
		Errors:  []errs.Code{errs.CodeInvalid},
	}
	PublishApp = rpc.Method[AppParams, App]{
		Name: "app.publish", Auth: auth.Admin, Idempotent: true,
		Summary: "Publish an app: members can sign in.",
	}
	UnpublishApp = rpc.Method[AppParams, App]{
		Name: "app.unpublish", Auth: auth.Admin, Idempotent: true,
		Summary: "Unpublish an app: members can no longer sign in or read it.",
	}
	ExpireApp = rpc.Method[AppParams, App]{
		Name: "app.expire", Auth: auth.Admin, Idempotent: true,
		Summary:     "Expire an app: it stays readable to installed apps, but takes no new members.",
		Description: "Existing members may still sign in; content is read-only for members.",
	}
	DeleteApp = rpc.Method[AppParams, Empty]{
		Name: "app.delete", Auth: auth.Admin,
		Summary: "Delete an app and everything in it (owner only).",
	}
	ListEmailCollisions = rpc.Method[EmailCollisionsParams, EmailCollisionPage]{
		Name: "app.emailCollisions", ReadOnly: true, Auth: auth.Admin, Idempotent: true,
		Summary: "The app's email collisions left by migration 13: entries that kept a dotted spelling of an address another entry has, " +
			"for the organizers to give another email, block or delete (every organizer role).",
		Description: "Members, speakers and invitations of the app, and organizers' accounts where one of the two collaborates on the app " +
			"(an account that does not is shown by id only). Open ones only unless include_resolved; by table, address and other entry, " +
			"paginated with a cursor.",
		Errors: []errs.Code{errs.CodeInvalid},
	}
	TransferOwnership = rpc.Method[TransferOwnershipParams, App]{
		Name: "app.transferOwnership", Auth: auth.Admin,
		Summary: "Make another collaborator the owner (owner only); the old owner becomes an admin.",
		Errors:  []errs.Code{errs.CodeNotFound},
	}
)
