package hub

// The permission matrix: what each collaborator role may do in an app. Hub
// enforces it on every method; other services that act for an organizer
// (the importer writes members, speakers and sessions through hub's bulk
// methods, which only services may call) check it with Allowed before they
// act. README.md documents it.

// RoleService is the matrix column of calls from another service.
const RoleService = "service"

// Action is something the permission matrix rules on.
type Action uint8

// The actions of the permission matrix (README.md documents it).
const (
	ActView                Action = iota + 1 // the organizer's view: app.get, collaborators, emails
	ActEditApp                               // rename, brand, slug, access mode
	ActPublishApp                            // publish, unpublish, expire
	ActDeleteApp                             // delete the app
	ActTransferOwnership                     // make someone else the owner
	ActManageCollaborators                   // invite, change roles, remove others
	ActEditEvents                            // create and change events, register attendees
	ActDeleteEvents                          // delete events
	ActEditAgenda                            // rooms, tracks, speakers, sessions
	ActEditMembers                           // create and change members
	ActModerateMembers                       // block and unblock members
	ActDeleteMembers                         // delete members
)

// ActionNames name the actions in the README's matrix, in order.
var ActionNames = map[Action]string{
	ActView:                "view the app as an organizer (config, collaborators, member emails)",
	ActEditApp:             "rename, re-slug, brand, set the access mode",
	ActPublishApp:          "publish, unpublish, expire",
	ActDeleteApp:           "delete the app",
	ActTransferOwnership:   "transfer ownership",
	ActManageCollaborators: "invite collaborators, change their roles, remove them",
	ActEditEvents:          "create and edit events, register attendees",
	ActDeleteEvents:        "delete events",
	ActEditAgenda:          "edit the agenda (rooms, tracks, speakers, sessions)",
	ActEditMembers:         "create and edit members",
	ActModerateMembers:     "block and unblock members",
	ActDeleteMembers:       "delete members",
}

// MatrixRoles are the columns of the permission matrix.
var MatrixRoles = []string{RoleOwner, RoleAdmin, RoleModerator, RoleMember, RoleService}

// Matrix says which roles may take each action. Attendees take none of
// them: they read published content and manage their own profile.
var Matrix = map[Action][]string{
	ActView:                {RoleOwner, RoleAdmin, RoleModerator, RoleMember, RoleService},
	ActEditApp:             {RoleOwner, RoleAdmin, RoleService},
	ActPublishApp:          {RoleOwner, RoleAdmin, RoleService},
	ActDeleteApp:           {RoleOwner},
	ActTransferOwnership:   {RoleOwner},
	ActManageCollaborators: {RoleOwner, RoleAdmin},
	ActEditEvents:          {RoleOwner, RoleAdmin, RoleMember, RoleService},
	ActDeleteEvents:        {RoleOwner, RoleAdmin, RoleService},
	ActEditAgenda:          {RoleOwner, RoleAdmin, RoleMember, RoleService},
	ActEditMembers:         {RoleOwner, RoleAdmin, RoleModerator, RoleMember, RoleService},
	ActModerateMembers:     {RoleOwner, RoleAdmin, RoleModerator, RoleService},
	ActDeleteMembers:       {RoleOwner, RoleAdmin, RoleService},
}

// Allowed reports whether role may take action.
func Allowed(role string, a Action) bool {
	for _, r := range Matrix[a] {
		if r == role {
			return true
		}
	}
	return false
}
