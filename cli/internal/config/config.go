// Package config keeps the attendify CLI's profiles: for each environment
// (local, qa, prod) the services' URLs, whether it is production, the file
// run-as reads its keys from, and the tokens signed in there. The file is
// config.json under the user's configuration directory (attendify/), written
// with mode 0600 since it holds tokens.
package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Services are the services a profile knows, in the order of their default
// ports (hub 8081 ... multievent 8087).
var Services = []string{"hub", "importer", "social", "sponsored", "analytics", "eventwall", "multievent"}

// Token is a bearer token and when it stops working.
type Token struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Valid reports whether the token is set and still good for a minute.
func (t Token) Valid(now time.Time) bool {
	return t.Token != "" && now.Add(time.Minute).Before(t.ExpiresAt)
}

// Profile is one environment.
type Profile struct {
	// URLs are the services' base URLs by name.
	URLs map[string]string `json:"urls"`
	// Production makes run-as read-only unless --read-only=false.
	Production bool `json:"production,omitempty"`
	// EnvFile names the file of KEY=value lines run-as passes to a service
	// (DATABASE_URL, REDIS_URL, COUCHDB_URL, AUTH_* keys...).
	EnvFile string `json:"env_file,omitempty"`

	// Who is signed in: an organizer (Account, with app tokens exchanged
	// from it) or a member of one app (Member).
	Email     string           `json:"email,omitempty"`
	Account   Token            `json:"account,omitempty"`
	Member    Token            `json:"member,omitempty"`
	MemberApp string           `json:"member_app,omitempty"`
	AppTokens map[string]Token `json:"app_tokens,omitempty"`
}

// URL is the base URL of service in the profile.
func (p *Profile) URL(service string) (string, error) {
	if u := p.URLs[service]; u != "" {
		return u, nil
	}
	return "", fmt.Errorf("the profile has no URL for %s (attendify profile set NAME --url %s=URL)", service, service)
}

// Origin is the scheme, host and port of a base URL ("" when it is not one).
func Origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return ""
	}
	port := u.Port()
	if port == "" {
		switch strings.ToLower(u.Scheme) {
		case "http":
			port = "80"
		case "https":
			port = "443"
		}
	}
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Hostname()) + ":" + port
}

// SignedIn reports whether the profile holds any token.
func (p *Profile) SignedIn() bool {
	return p.Account.Token != "" || p.Member.Token != "" || len(p.AppTokens) > 0
}

// SignOut forgets every token of the profile.
func (p *Profile) SignOut() {
	p.Email, p.Account, p.Member, p.MemberApp, p.AppTokens = "", Token{}, Token{}, "", nil
}

// File is the whole configuration.
type File struct {
	Current  string              `json:"current"`
	Profiles map[string]*Profile `json:"profiles"`

	path string
}

// LocalURLs are the services' URLs of a stack on this machine whose first
// service (hub) listens on basePort, as `make run` starts it (8081).
func LocalURLs(basePort int) map[string]string {
	urls := map[string]string{}
	for i, s := range Services {
		urls[s] = "http://127.0.0.1:" + strconv.Itoa(basePort+i)
	}
	return urls
}

// Path is where the configuration lives: attendify/config.json under
// os.UserConfigDir ($XDG_CONFIG_HOME or ~/.config on Linux).
func Path() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "attendify", "config.json"), nil
}

// Load reads the configuration; a missing file is a fresh one with the
// profile "local" (make run's stack) current.
func Load() (*File, error) {
	path, err := Path()
	if err != nil {
		return nil, err
	}
	f := &File{path: path}
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, err
	default:
		// It holds tokens: a file others can read (written by hand, by an
		// older version, copied) is made private again.
		if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(path, 0o600); err != nil {
				return nil, fmt.Errorf("%s is readable by others and could not be made private: %w", path, err)
			}
		}
		if err := json.Unmarshal(b, f); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	if f.Profiles == nil {
		f.Profiles = map[string]*Profile{}
	}
	if _, ok := f.Profiles["local"]; !ok {
		f.Profiles["local"] = &Profile{URLs: LocalURLs(8081)}
	}
	if f.Current == "" {
		f.Current = "local"
	}
	return f, nil
}

// Save writes the configuration with mode 0600 (its directory 0700),
// replacing the file atomically.
func (f *File) Save() error {
	if err := os.MkdirAll(filepath.Dir(f.path), 0o700); err != nil {
		return err
	}
	if err := os.Chmod(filepath.Dir(f.path), 0o700); err != nil {
		return err
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(f.path), ".config-*.json")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), f.path)
}

// Profile returns the named profile ("" is the current one).
func (f *File) Profile(name string) (string, *Profile, error) {
	if name == "" {
		name = f.Current
	}
	p, ok := f.Profiles[name]
	if !ok {
		return name, nil, fmt.Errorf("no profile %q (profiles: %v; attendify profile set %s --url hub=URL ...)", name, f.Names(), name)
	}
	if p.URLs == nil {
		p.URLs = map[string]string{}
	}
	return name, p, nil
}

// Names are the profiles' names, sorted.
func (f *File) Names() []string {
	names := make([]string, 0, len(f.Profiles))
	for n := range f.Profiles {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
