package config

import (
	"os"
	"testing"
	"time"
)

// The file holds tokens: it is written 0600 in a 0700 directory, and a
// fresh one has the profile "local" for make run's stack, current.
func TestSaveIsPrivateAndLocalIsTheDefault(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	f, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	name, p, err := f.Profile("")
	if err != nil || name != "local" || p.URLs["hub"] != "http://127.0.0.1:8081" || p.URLs["multievent"] != "http://127.0.0.1:8087" {
		t.Fatalf("fresh profile: %s %+v %v", name, p, err)
	}
	p.Account = Token{Token: "secret", ExpiresAt: time.Now().Add(time.Hour)}
	if err := f.Save(); err != nil {
		t.Fatal(err)
	}
	path, _ := Path()
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("config file mode %v (%v), want 0600", fi.Mode(), err)
	}
	again, err := Load()
	if err != nil || again.Profiles["local"].Account.Token != "secret" || !again.Profiles["local"].Account.Valid(time.Now()) {
		t.Fatalf("reloaded: %+v %v", again.Profiles["local"], err)
	}
	if _, _, err := again.Profile("qa"); err == nil {
		t.Error("an unknown profile was found")
	}
}
