package obs_test

import (
	"testing"

	"github.com/attendify/platform/obs"
)

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://admin:s3cret@127.0.0.1:5984":                "http://admin:xxxxx@127.0.0.1:5984",
		"https://u:p%40ss@couch.example/prefix/":            "https://u:xxxxx@couch.example/prefix/",
		"http://127.0.0.1:5984":                             "http://127.0.0.1:5984",
		"http://admin@127.0.0.1:5984":                       "http://admin@127.0.0.1:5984",
		"http://admin:s3cret@bad host\x7f:5984/x":           "http://xxxxx",
		"redis://:s3cret@cache:6379/0":                      "redis://:xxxxx@cache:6379/0",
		"redis://:p%40ss@cache:6379/0":                      "redis://:xxxxx@cache:6379/0",
		"redis://u:s3cret@cache:6379/0?password=x":          "redis://u:xxxxx@cache:6379/0?password=xxxxx",
		"postgres://db/hub?password=s3cret&sslmode=require": "postgres://db/hub?password=xxxxx&sslmode=require",
		"postgres://app:s3cret@db:5432/hub?sslmode=disable": "postgres://app:xxxxx@db:5432/hub?sslmode=disable",
		"not a url at all: secret\x7f":                      "xxxxx",
	} {
		if got := obs.RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}
