package hub_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/attendify/hub/internal/hubtest"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/testkit"
)

// TestNoQueryCrossesApps calls every app-scoped method that names an
// object (an event, a member, a session...) with the ids of app A's objects
// but app B as the app, as B's owner and as a service (which may address
// any app): the answer must be not-found or forbidden, never success.
func TestNoQueryCrossesApps(t *testing.T) {
	env := startWorld(t)
	w := newWorld(t, env)
	checked := 0
	for _, mc := range matrixCases() {
		if mc.level == auth.Public || mc.level == auth.User {
			continue
		}
		f := w.fixture(t)
		raw, err := json.Marshal(mc.params(f))
		if err != nil {
			t.Fatal(err)
		}
		var params map[string]any
		if err := json.Unmarshal(raw, &params); err != nil {
			t.Fatal(err)
		}
		if !namesObjects(params) {
			continue
		}
		checked++
		params["app_id"] = w.appB.ID
		ownerB := env.Token(t, auth.Claims{User: w.owner.ID, App: w.appB.ID, Role: auth.RoleOwner})
		for _, as := range []string{"owner of B", "service"} {
			ctx := hubtest.As(testkit.Context(t), ownerB)
			client := env.Client
			if as == "service" {
				ctx, client = hubtest.As(testkit.Context(t), ""), env.Service
			}
			var out json.RawMessage
			err := client.Call(ctx, mc.method, false, params, &out)
			if !errors.Is(err, errs.NotFound) && !errors.Is(err, errs.Forbidden) {
				t.Errorf("%s as %s with A's ids under app B: got %v (%s), want not found or forbidden", mc.method, as, err, out)
			}
		}
	}
	if checked < 20 {
		t.Errorf("only %d methods name objects: the test lost its cases", checked)
	}
}

// namesObjects reports whether params carry the id of an object inside
// the app (anything but the app id).
func namesObjects(params map[string]any) bool {
	for k, v := range params {
		if k == "app_id" {
			continue
		}
		if k == "id" || strings.HasSuffix(k, "_id") || strings.HasSuffix(k, "_ids") {
			if v != "" && v != nil {
				return true
			}
		}
	}
	return false
}
