// Package servicetest is what every service's test kit (hubtest,
// socialtest, walltest...) sets in its configuration to run the service in
// the test's process: Config, in one place instead of one copy per kit.
//
// It is apart from testkit because the runner's own tests use testkit, and
// testkit cannot import the runner back. Starting and stopping the service
// is testkit.Run's job; the stores are testkit's (PostgresURL, Redis,
// CouchDB).
package servicetest

import (
	"log/slog"

	"github.com/attendify/platform/pg"
	"github.com/attendify/platform/runner"
)

// Config changes, in a service's configuration as runner.LoadConfig read
// it, what a test needs: a free loopback port; no access log and no load
// shedding (the calls of a busy test machine are not refused); no shutdown
// delay (no balancer to wait for); warnings and errors only in the log; and
// a database that testkit.PostgresURL created and migrated, which the
// service must not try to create. A kit sets its own store names
// (database URL, Redis namespace, CouchDB prefix) and intervals after it.
func Config(svc *runner.Config, db *pg.Config) {
	svc.Addr = "127.0.0.1:0"
	svc.AccessLog = false
	svc.ShedDisabled = true
	svc.ShutdownDelay = 0
	svc.Log.Level = slog.LevelWarn
	db.Create = false
}
