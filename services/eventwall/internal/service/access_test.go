package service_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/attendify/eventwall/internal/service"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
)

// call is one of the organizers' methods on wall w.
type call struct {
	name string
	do   func(ctx context.Context, e *env, w service.Wall) error
}

// manageCalls are for the app's owner and admins only.
var manageCalls = []call{
	{"create", func(ctx context.Context, e *env, _ service.Wall) error {
		_, err := e.svc.CreateWall(ctx, app, "ev1", service.WallSettings{Title: "T"})
		return err
	}},
	{"update", func(ctx context.Context, e *env, w service.Wall) error {
		_, err := e.svc.UpdateWall(ctx, app, w.ID, 0, func(s *service.WallSettings) { s.Title = "New" })
		return err
	}},
	{"rotateKey", func(ctx context.Context, e *env, w service.Wall) error {
		_, err := e.svc.RotateKey(ctx, app, w.ID)
		return err
	}},
	{"rotateToken", func(ctx context.Context, e *env, w service.Wall) error {
		_, err := e.svc.RotateToken(ctx, app, w.ID)
		return err
	}},
	{"delete", func(ctx context.Context, e *env, w service.Wall) error { return e.svc.DeleteWall(ctx, app, w.ID) }},
}

// moderateCalls are for the app's moderators too.
var moderateCalls = []call{
	{"get", func(ctx context.Context, e *env, w service.Wall) error {
		_, err := e.svc.GetWall(ctx, app, w.ID)
		return err
	}},
	{"list", func(ctx context.Context, e *env, _ service.Wall) error {
		_, err := e.svc.ListWalls(ctx, app, "")
		return err
	}},
	{"pause", func(ctx context.Context, e *env, w service.Wall) error {
		_, err := e.svc.SetPaused(ctx, app, w.ID, true)
		return err
	}},
	{"queue", func(ctx context.Context, e *env, w service.Wall) error {
		_, _, err := e.svc.Queue(ctx, app, w.ID, 0, 10)
		return err
	}},
	{"approve", func(ctx context.Context, e *env, w service.Wall) error {
		_, err := e.svc.Approve(ctx, app, w.ID, []string{"p1"}, nil)
		return err
	}},
	{"reject", func(ctx context.Context, e *env, w service.Wall) error {
		_, _, err := e.svc.Reject(ctx, app, w.ID, []string{"p1"})
		return err
	}},
	{"blockAuthor", func(ctx context.Context, e *env, w service.Wall) error {
		_, err := e.svc.BlockAuthor(ctx, service.AuthorRef{App: app, Wall: w.ID, Member: "m1"}, true)
		return err
	}},
}

// TestAccessAllowed: who may call what (README, Access).
func TestAccessAllowed(t *testing.T) {
	tests := []struct {
		role  string
		calls []call
	}{
		{auth.RoleOwner, slices.Concat(moderateCalls, manageCalls)},
		{auth.RoleAdmin, slices.Concat(moderateCalls, manageCalls)},
		{"service", slices.Concat(moderateCalls, manageCalls)},
		{auth.RoleModerator, moderateCalls},
	}
	for _, tt := range tests {
		for _, c := range tt.calls {
			t.Run(tt.role+"/"+c.name, func(t *testing.T) {
				e := newEnv(t)
				w := e.newWall(t, nil)
				if err := c.do(e.as(t, tt.role), e, w); err != nil {
					t.Errorf("refused: %v", err)
				}
			})
		}
	}
}

// TestAccessForbidden: everyone else is refused, and nothing changes.
func TestAccessForbidden(t *testing.T) {
	tests := []struct {
		role  string
		calls []call
	}{
		{auth.RoleModerator, manageCalls},
		{auth.RoleAttendee, slices.Concat(moderateCalls, manageCalls)},
		{"stranger", slices.Concat(moderateCalls, manageCalls)}, // no standing in the app
	}
	for _, tt := range tests {
		for _, c := range tt.calls {
			t.Run(tt.role+"/"+c.name, func(t *testing.T) {
				e := newEnv(t)
				w := e.newWall(t, nil)
				ctx := e.as(t, tt.role)
				if tt.role == "stranger" {
					e.hub.mu.Lock()
					delete(e.hub.roles, "u-stranger")
					e.hub.mu.Unlock()
				}
				if err := c.do(ctx, e, w); !errors.Is(err, errs.Forbidden) {
					t.Errorf("got %v, want forbidden", err)
				}
				if after, err := e.walls.WallByID(ctx, w.ID); err != nil || after.Version != w.Version || after.ModerationVersion != 0 {
					t.Errorf("the wall after a refused call: %+v %v", after, err)
				}
				if all, _ := e.walls.AllWalls(ctx); len(all) != 1 {
					t.Errorf("%d walls after a refused call", len(all))
				}
			})
		}
	}
}
