package hub_test

import (
	"testing"

	"github.com/attendify/hub"
	"github.com/attendify/platform/auth"
)

func TestCollaboratorRoleInvertsTokenRole(t *testing.T) {
	for _, r := range []string{hub.RoleOwner, hub.RoleAdmin, hub.RoleModerator, hub.RoleMember} {
		if got := hub.CollaboratorRole(hub.TokenRole(r)); got != r {
			t.Errorf("CollaboratorRole(TokenRole(%q)) = %q", r, got)
		}
	}
	for _, tokenRole := range []string{auth.RoleAttendee, "", "root"} {
		if got := hub.CollaboratorRole(tokenRole); got != "" {
			t.Errorf("CollaboratorRole(%q) = %q, want none", tokenRole, got)
		}
	}
}
