package config

import (
	"os"
	"path/filepath"
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

// A file that holds tokens but that others can read (written by hand, by
// an older version, copied with cp) is made private when it is read, and
// so is its directory when the file is written.
func TestLooseFileIsMadePrivate(t *testing.T) {
	home := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", home)
	path, _ := Path()
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	body := `{"current":"local","profiles":{"local":{"urls":{"hub":"http://127.0.0.1:8081"},"account":{"token":"secret","expires_at":"2999-01-01T00:00:00Z"}}}}`
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("after Load, config file mode %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	if err := f.Save(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("after Save, config directory mode %v (%v), want 0700", fi.Mode().Perm(), err)
	}
}
