// Package couch connects a service to CouchDB through kivik v4 and its plain
// couchdb driver: a client from COUCHDB_URL, one database per tenant with
// names that follow CouchDB's rules, the translation of CouchDB errors into
// errs kinds, a _changes follower that resumes from a checkpoint kept in
// a _local document, and DropConflicts, which deletes documents'
// conflicting revisions before a write that must leave no other.
//
// A typical service:
//
//	client, err := couch.Open(ctx, cfg.Couch)
//	...
//	name, err := couch.DBName("social", appID) // "social$01j9..."
//	err = couch.EnsureDB(ctx, client, name)
//	db := client.DB(name)
//	_, err = db.Put(ctx, id, post)
//	return couch.Err(err)
//
// The code runs unchanged against Apache CouchDB 3 and against the local
// CouchDB-compatible server that `make services` starts (dev/couchdb). What
// a _changes feed promises is only what a sharded CouchDB 3 database gives
// (see Follower): the tests run against the dev server in its sharded mode
// too, and the follower tests through a TCP proxy they control
// (testkit.Proxy), so that all of them run against any COUCHDB_URL.
package couch

import (
	"context"
	"net/http"
	"net/url"

	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/obs"
	kivik "github.com/go-kivik/kivik/v4"
	_ "github.com/go-kivik/kivik/v4/couchdb" // the "couch" driver
)

// Config is the CouchDB part of a service's configuration.
type Config struct {
	// URL is the server's http(s) URL, with credentials or without. Never log
	// it as is: use Redacted.
	URL string `env:"COUCHDB_URL" envDefault:"http://admin:admin@127.0.0.1:5984"`
	// User and Password, when User is set, replace the credentials of URL
	// (for deployments that keep the password in its own secret).
	User     string `env:"COUCHDB_USER"`
	Password string `env:"COUCHDB_PASSWORD"`
}

// Redacted is the URL with its password masked, for logs and errors.
func (c Config) Redacted() string {
	u, err := c.url()
	if err != nil {
		return obs.RedactURL(c.URL)
	}
	return obs.RedactURL(u.String())
}

// String is Redacted, so that a Config printed by mistake leaks nothing.
func (c Config) String() string { return c.Redacted() }

func (c Config) url() (*url.URL, error) {
	u, err := url.Parse(c.URL)
	if err != nil {
		return nil, err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errs.New(errs.Invalid, "want an http:// or https:// URL with a host")
	}
	if c.User != "" {
		u.User = url.UserPassword(c.User, c.Password)
	}
	return u, nil
}

// Open returns a client for cfg after checking that the server is up
// (GET /_up) and accepts the credentials. Credentials go to CouchDB's cookie
// authentication, kivik's default. When the server cannot be reached the
// error is of kind errs.Unavailable; refused credentials are
// errs.Unauthenticated. Errors name the server, never the password.
func Open(ctx context.Context, cfg Config) (*kivik.Client, error) {
	u, err := cfg.url()
	if err != nil {
		return nil, errs.Wrap(errs.Invalid, err, "couch: bad COUCHDB_URL %s", obs.RedactURL(cfg.URL))
	}
	client, err := kivik.New("couch", u.String())
	if err != nil {
		return nil, errs.Wrap(errs.Invalid, err, "couch: bad COUCHDB_URL %s", cfg.Redacted())
	}
	if err := Ready(client)(ctx); err != nil {
		_ = client.Close()
		kind := errs.KindOf(err)
		switch kind {
		case errs.Unauthenticated, errs.Forbidden:
			return nil, errs.Wrap(kind, err, "couch: CouchDB at %s refused the credentials", cfg.Redacted())
		case errs.Canceled, errs.DeadlineExceeded:
			return nil, err
		}
		return nil, errs.Wrap(errs.Unavailable, err, "couch: CouchDB at %s is not reachable", cfg.Redacted())
	}
	return client, nil
}

// Ready returns a readiness check for the service runner: it fails while the
// server does not answer /_up with "ok" (or refuses the credentials).
func Ready(client *kivik.Client) func(context.Context) error {
	return func(ctx context.Context) error {
		up, err := client.Ping(ctx)
		if err != nil {
			return Err(err)
		}
		if !up {
			return errs.New(errs.Unavailable, "couch: server is not up (/_up)")
		}
		return nil
	}
}

// EnsureDB creates the database name unless it exists already. It is safe to
// call concurrently and on every start.
func EnsureDB(ctx context.Context, client *kivik.Client, name string) error {
	err := client.CreateDB(ctx, name)
	if err == nil {
		return nil
	}
	if kivik.HTTPStatus(err) != http.StatusPreconditionFailed {
		return Err(err)
	}
	// 412 is CouchDB's "file_exists", and also a cluster's "nodedown" (see
	// Err): the database is there only if the server says so.
	exists, xerr := client.DBExists(ctx, name)
	switch {
	case xerr != nil:
		return Err(xerr)
	case !exists:
		return errs.Wrap(errs.Unavailable, err, "couch: database %s was not created", name)
	}
	return nil
}
