package obs

import (
	"net/url"
	"strings"
)

// RedactURL masks the secrets of a store's URL (the password of its user
// info and a password query parameter) so that it can be logged or put in
// an error. A string that does not parse as a URL is masked whole after its
// scheme, since it may still hold a password.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		if i := strings.Index(raw, "://"); i >= 0 {
			return raw[:i+3] + "xxxxx"
		}
		return "xxxxx"
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.String()
}
