package hub

import (
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/rpc"
)

// InviteParams invite an organizer (by email) to an app with a role.
type InviteParams struct {
	rpc.AppRef
	Email string `json:"email" jsonschema:"format=email,maxLength=254"`
	Role  string `json:"role" jsonschema:"enum=admin,enum=moderator,enum=member"`
}

// InvitationParams address one invitation of an app.
type InvitationParams struct {
	rpc.AppRef
	Invitation string `json:"invitation_id" jsonschema:"minLength=1,maxLength=64"`
}

// AcceptParams accept an invitation with the token its mail carried.
type AcceptParams struct {
	Token string `json:"token" jsonschema:"pattern=^[A-Z2-7]{26}$"`
}

// SetRoleParams change a collaborator's role (not to or from owner: use
// app.transferOwnership).
type SetRoleParams struct {
	rpc.AppRef
	OrganizerID string `json:"organizer_id" jsonschema:"minLength=1,maxLength=64"`
	Role        string `json:"role" jsonschema:"enum=admin,enum=moderator,enum=member"`
}

// RemoveCollaboratorParams remove a collaborator. Any collaborator but the
// owner may remove themself.
type RemoveCollaboratorParams struct {
	rpc.AppRef
	OrganizerID string `json:"organizer_id" jsonschema:"minLength=1,maxLength=64"`
}

// CollaboratorList is an app's collaborators.
type CollaboratorList struct {
	Collaborators []Collaborator `json:"collaborators"`
}

// InvitationList is an app's invitations, newest first: the pending ones
// and those closed in the last 30 days.
type InvitationList struct {
	Invitations []Invitation `json:"invitations"`
}

// Methods of collaborators.
var (
	ListCollaborators = rpc.Method[AppParams, CollaboratorList]{
		Name: "collaborator.list", ReadOnly: true, Auth: auth.Admin, Idempotent: true,
		Summary: "An app's collaborators (collaborator.invitations lists the invitations).",
	}
	Invite = rpc.Method[InviteParams, Invitation]{
		Name: "collaborator.invite", Auth: auth.Admin, NoBatch: true,
		Summary: "Invite someone by email to collaborate on an app with a role: mail them a token to accept (collaborator.accept).",
		Description: "The role is taken only by whoever accepts the mailed token (template collaborator_invitation, valid 7 days, " +
			"once), signed in with any account or signing up with it; an address that has an account is not added without " +
			"accepting, and the answer does not say whether it has one. Inviting an address again replaces its pending invitation " +
			"(the older token stops working). At most 25 collaborators and pending invitations; 50 invitations an hour per app, " +
			"5 per app and address, 100 per inviter. An invitation stands while its inviter may invite: removing them, or " +
			"changing their role to one that may not, revokes their pending invitations.",
		Errors: []errs.Code{errs.CodeConflict, errs.CodeRateLimited, errs.CodeUnavailable},
	}
	ListInvitations = rpc.Method[AppParams, InvitationList]{
		Name: "collaborator.invitations", ReadOnly: true, Auth: auth.Admin, Idempotent: true,
		Summary: "An app's invitations, pending and recently closed (who accepted, who revoked), without their tokens.",
	}
	RevokeInvitation = rpc.Method[InvitationParams, Invitation]{
		Name: "collaborator.revokeInvitation", Auth: auth.Admin,
		Summary: "Revoke a pending invitation: its token stops working.",
		Errors:  []errs.Code{errs.CodeNotFound},
	}
	Accept = rpc.Method[AcceptParams, Joined]{
		Name: "collaborator.accept", Auth: auth.User, NoBatch: true,
		Summary: "Accept an invitation with the token its mail carried: the signed-in organizer (account token) takes its role.",
		Description: "The token is the proof: the account's email need not be the invited one; the invitation records who accepted. " +
			"A token works once, for 7 days, unless revoked. Wrong tokens count as guesses per account and per client address (see event.register).",
		Errors: []errs.Code{errs.CodeNotFound, errs.CodeConflict, errs.CodeForbidden, errs.CodeRateLimited, errs.CodeUnavailable},
	}
	SetRole = rpc.Method[SetRoleParams, Collaborator]{
		Name: "collaborator.setRole", Auth: auth.Admin,
		Summary: "Change a collaborator's role.",
		Errors:  []errs.Code{errs.CodeNotFound},
	}
	RemoveCollaborator = rpc.Method[RemoveCollaboratorParams, Empty]{
		Name: "collaborator.remove", Auth: auth.Admin,
		Summary: "Remove a collaborator; anyone but the owner may leave.",
		Errors:  []errs.Code{errs.CodeNotFound},
	}
)
