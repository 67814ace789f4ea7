package service

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/attendify/hub"
)

func TestSearchWords(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"  Jo  ", []string{"Jo"}},
		{"o'brien-smith", []string{"o", "brien", "smith"}},
		{"Éloïse, Société!", []string{"Éloïse", "Société"}},
		{"a b c d e f g", []string{"a", "b", "c", "d", "e"}},
		{"%_\\", nil},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, SearchWords(tt.in), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestMatrixIsComplete(t *testing.T) {
	for a, name := range hub.ActionNames {
		roles, ok := hub.Matrix[a]
		if !ok || len(roles) == 0 {
			t.Errorf("%s: no roles", name)
		}
		if !hub.Allowed(hub.RoleOwner, a) { // the owner may do everything
			t.Errorf("the owner may not %s", name)
		}
	}
	if hub.Allowed("", hub.ActView) {
		t.Error("members (no matrix role) may take organizer actions")
	}
}

func TestParseLocal(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	got, err := ParseLocal("2026-07-01T09:30", paris, "/start")
	if err != nil || !got.Equal(time.Date(2026, 7, 1, 7, 30, 0, 0, time.UTC)) {
		t.Errorf("got %v, %v", got, err)
	}
	if _, err := ParseLocal("2026-07-01 09:30", paris, "/start"); err == nil {
		t.Error("accepted a bad layout")
	}
	if _, err := LoadZone("Mars/Olympus", "/time_zone"); err == nil {
		t.Error("accepted an unknown zone")
	}
}
