package hub

import (
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
	TransferOwnership = rpc.Method[TransferOwnershipParams, App]{
		Name: "app.transferOwnership", Auth: auth.Admin,
		Summary: "Make another collaborator the owner (owner only); the old owner becomes an admin.",
		Errors:  []errs.Code{errs.CodeNotFound},
	}
)
