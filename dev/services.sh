#!/usr/bin/env bash
# dev/services.sh: the local stores on loopback, for `make services`, `make run`
# and `make test`. Idempotent and quick when everything already runs.
#
#   dev/services.sh [start]   make sure Postgres (127.0.0.1:5432), Redis
#                             (127.0.0.1:6379) and the CouchDB-compatible dev
#                             server (127.0.0.1:5984) run; install what is
#                             missing (make services, make run)
#   dev/services.sh test      start, and make sure Chromium is installed for
#                             the headless browser tests (make test)
#   dev/services.sh tools     make sure the benchmarks' load generator (wrk) is
#                             installed
#   dev/services.sh podman    make sure Debian's podman is installed (it builds
#                             and runs the service images: make images, make e2e)
#   dev/services.sh sharded   make sure a second dev server runs on 127.0.0.1:5985
#                             (COUCHDB_DEV_SHARDED_PORT), in memory, whose
#                             _changes behaves as a sharded CouchDB 3 database's
#                             (what `make test` runs the feed-following suites
#                             against a second time)
#   dev/services.sh sharded-stop  stop that second server
#   dev/services.sh stop      stop the CouchDB dev server (Postgres and Redis stay)
#   dev/services.sh restart   stop, then start
#   dev/services.sh status    say what runs
#
# Environment:
#   COUCHDB_URL             a CouchDB elsewhere (not 127.0.0.1/localhost): only
#                           checked, the dev server is not started
#   COUCHDB_DEV_PORT        dev server port (the port of a loopback COUCHDB_URL, else 5984)
#   COUCHDB_DEV_ADMIN       dev server admin as user:password (admin:admin)
#   COUCHDB_DEV_DIR         dev server data directory (.run/couchdb/data)
#   COUCHDB_DEV_IN_MEMORY=1 keep the dev server's databases in memory
#   COUCHDB_DEV_SHARDED=1   serve _changes as a sharded CouchDB does (the default
#                           server too; see dev/README.md)
#   COUCHDB_DEV_SHARDED_PORT  port of the `sharded` server (5985)
#   CHROMIUM_PATH           a Chromium elsewhere: only checked, nothing installed
# State (git-ignored): .run/couchdb.pid, .run/couchdb.log, .run/couchdb/.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUN="$ROOT/.run"
COUCH_DIR="$ROOT/dev/couchdb"
COUCH_PID="$RUN/couchdb.pid"
COUCH_LOG="$RUN/couchdb.log"
COUCH_STAMP="$RUN/couchdb.started"
# The dev server's port: COUCHDB_DEV_PORT, else the port of a loopback
# COUCHDB_URL, else 5984.
COUCH_PORT=5984
if [[ "${COUCHDB_URL:-}" =~ ^http://([^@/]*@)?(127\.0\.0\.1|localhost):([0-9]+)(/|$) ]]; then
	COUCH_PORT=${BASH_REMATCH[3]}
fi
COUCH_PORT="${COUCHDB_DEV_PORT:-$COUCH_PORT}"
COUCH_ADMIN="${COUCHDB_DEV_ADMIN-admin:admin}"
PG_DB=attendify

say() { printf '%s\n' "services: $*"; }
die() {
	printf '%s\n' "services: ERROR: $*" >&2
	exit 1
}
have() { command -v "$1" >/dev/null 2>&1; }

as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif have sudo; then
		sudo "$@"
	else
		die "need root to run: $* (install it yourself, or run as root)"
	fi
}

# apt_get runs apt-get, waiting up to APT_LOCK_TIMEOUT seconds (default 600)
# while another apt or dpkg process holds the package manager's locks,
# instead of failing at once.
apt_get() {
	local deadline=$((SECONDS + ${APT_LOCK_TIMEOUT:-600})) out said=
	while :; do
		if out=$(as_root apt-get -o DPkg::Lock::Timeout=10 "$@" 2>&1 >/dev/null); then
			return 0
		fi
		if ! printf '%s' "$out" | grep -qiE 'could not get lock|unable to (acquire|lock)'; then
			printf '%s\n' "$out" >&2
			return 1
		fi
		if ((SECONDS >= deadline)); then
			printf '%s\n' "$out" >&2
			say "another apt or dpkg process held the lock for ${APT_LOCK_TIMEOUT:-600} s; giving up (APT_LOCK_TIMEOUT)"
			return 1
		fi
		[ -n "$said" ] || say "waiting for another apt or dpkg process to finish (up to ${APT_LOCK_TIMEOUT:-600} s)"
		said=1
		sleep 5
	done
}

APT_UPDATED=
apt_install() {
	have apt-get || die "$* missing and no apt-get here: install $* by hand"
	say "installing $* with apt-get"
	export DEBIAN_FRONTEND=noninteractive
	if [ -z "$APT_UPDATED" ]; then
		apt_get update -qq || die "apt-get update failed"
		APT_UPDATED=1
	fi
	apt_get install -y -qq "$@" || die "apt-get install $* failed"
}

# wait_for SECONDS DESCRIPTION COMMAND...: poll COMMAND until it succeeds.
wait_for() {
	local secs=$1 what=$2
	shift 2
	local i
	for ((i = 0; i < secs * 10; i++)); do
		if "$@" >/dev/null 2>&1; then return 0; fi
		sleep 0.1
	done
	return 1
}

# ------------------------------------------------------------------ Postgres

pg_ready() { pg_isready -q -h 127.0.0.1 -p 5432; }
pg_psql() { psql -X -q -h 127.0.0.1 -p 5432 -U postgres -d postgres -v ON_ERROR_STOP=1 "$@"; }

ensure_postgres() {
	local installed=
	if ! have pg_ctlcluster || ! [ -d /etc/postgresql ] || [ -z "$(ls -A /etc/postgresql 2>/dev/null)" ]; then
		if have pg_isready && pg_ready; then
			: # a Postgres we do not manage (another install, a container): use it
		else
			apt_install postgresql
			installed=1
		fi
	fi
	local ver
	ver=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n1)
	if [ -n "$installed" ] && [ -n "$ver" ]; then
		# A fresh Debian cluster asks for passwords over TCP; the stack's
		# default DATABASE_URL connects as postgres without one, on loopback.
		local hba="/etc/postgresql/$ver/main/pg_hba.conf"
		if ! grep -qE '^host\s+all\s+all\s+127\.0\.0\.1/32\s+trust' "$hba"; then
			say "allowing trust auth on loopback in $hba (local development)"
			as_root sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
			if pg_ready; then as_root pg_ctlcluster --skip-systemctl-redirect "$ver" main reload || true; fi
		fi
	fi
	if have pg_isready && ! pg_ready; then
		[ -n "$ver" ] || die "no cluster under /etc/postgresql; create one: pg_createcluster <version> main"
		say "starting Postgres $ver"
		as_root pg_ctlcluster --skip-systemctl-redirect "$ver" main start ||
			die "Postgres $ver did not start; see /var/log/postgresql/postgresql-$ver-main.log"
		wait_for 30 postgres pg_ready || die "Postgres does not answer on 127.0.0.1:5432"
	fi
	have psql || die "psql missing (apt-get install postgresql-client)"
	local exists
	exists=$(pg_psql -tAc "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'") ||
		die "cannot connect to Postgres as postgres on 127.0.0.1:5432 (trust auth expected for local development)"
	if [ "$exists" != 1 ]; then
		say "creating database $PG_DB"
		pg_psql -c "CREATE DATABASE $PG_DB" || die "could not create database $PG_DB"
	fi
}

# --------------------------------------------------------------------- Redis

redis_ready() { [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = PONG ]; }

ensure_redis() {
	if have redis-cli && redis_ready; then
		# Someone else's Redis (the machine's, a container): used as is.
		case "$(redis_persistence)" in
		NO*) say "warning: the Redis on 127.0.0.1:6379 runs without an append-only file: a restart loses the event streams (the services then resync their projections; see dev/README.md)" ;;
		esac
		return 0
	fi
	if ! have redis-server; then
		apt_install redis-server
		if redis_ready; then return 0; fi
	fi
	# Redis carries the event streams: it keeps an append-only file, synced
	# every second, so that a restart loses at most a second of events.
	say "starting Redis (append-only file in $RUN/redis)"
	mkdir -p "$RUN/redis"
	redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" \
		--appendonly yes --appendfsync everysec --dir "$RUN/redis" --logfile "$RUN/redis.log" >/dev/null ||
		die "redis-server did not start"
	wait_for 10 redis redis_ready || die "Redis does not answer on 127.0.0.1:6379"
}

# redis_persistence says whether the Redis on 6379 keeps an append-only file
# (a Redis that refuses CONFIG, as managed ones may, is "unknown").
redis_persistence() {
	local aof
	aof=$(redis-cli -h 127.0.0.1 -p 6379 --no-raw config get appendonly 2>/dev/null | sed -n '2{s/^[0-9]*) "//;s/"$//;p}')
	case "$aof" in
	yes) printf 'append-only file on' ;;
	no) printf 'NO append-only file: a restart loses the event streams (see dev/README.md)' ;;
	*) printf 'persistence unknown' ;;
	esac
}

# ------------------------------------------------------------------- CouchDB

couch_url() { printf 'http://127.0.0.1:%s' "$COUCH_PORT"; }
couch_up() { curl -fsS -m 2 "$(couch_url)/_up" 2>/dev/null | grep -q '"ok"'; }

couch_pid() {
	local pid
	[ -f "$COUCH_PID" ] || return 1
	pid=$(cat "$COUCH_PID")
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
	# the pid file may be stale and the pid reused: make sure it is our server
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'couchdb/server.js' || return 1
	printf '%s' "$pid"
}

# couch_fingerprint changes when the server code, its dependencies, its port
# or its settings (storage mode, data directory, admin) change; a running
# server with another fingerprint is restarted.
couch_fingerprint() {
	printf '%s port %s memory %s dir %s sharded %s admin %s\n' \
		"$(cat "$COUCH_DIR/package-lock.json" "$COUCH_DIR"/*.js | sha256sum | cut -d' ' -f1)" "$COUCH_PORT" \
		"${COUCHDB_DEV_IN_MEMORY:-}" "${COUCHDB_DEV_DIR:-}" "${COUCHDB_DEV_SHARDED:-}" \
		"$(printf '%s' "$COUCH_ADMIN" | sha256sum | cut -d' ' -f1)"
}

ensure_node_modules() {
	if ! have node || ! have npm; then apt_install nodejs npm; fi
	local want have_stamp stamp="$COUCH_DIR/node_modules/.attendify-lock.sha256"
	want=$(sha256sum "$COUCH_DIR/package-lock.json" | cut -d' ' -f1)
	have_stamp=$(cat "$stamp" 2>/dev/null || true)
	if [ "$want" != "$have_stamp" ]; then
		say "installing the CouchDB dev server's packages (npm ci)"
		(cd "$COUCH_DIR" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) ||
			die "npm ci failed in dev/couchdb (is the npm registry reachable?)"
		printf '%s\n' "$want" >"$stamp"
	fi
}

couch_stop() {
	local pid i
	pid=$(couch_pid) || {
		rm -f "$COUCH_PID"
		return 0
	}
	say "stopping the CouchDB dev server (pid $pid)"
	kill "$pid" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		say "pid $pid still running after 10s, killing it"
		kill -9 "$pid" 2>/dev/null || true
	fi
	rm -f "$COUCH_PID" "$COUCH_STAMP"
}

couch_start() {
	mkdir -p "$RUN"
	ensure_node_modules
	local pid
	if pid=$(couch_pid); then
		if [ "$(cat "$COUCH_STAMP" 2>/dev/null)" != "$(couch_fingerprint)" ]; then
			say "dev/couchdb, its port or its settings changed since the server started: restarting it"
			couch_stop
		elif couch_up; then
			return 0
		else
			wait_for 30 couchdb couch_up && return 0
			die "the CouchDB dev server (pid $pid) does not answer $(couch_url)/_up; see $COUCH_LOG"
		fi
	elif couch_up; then
		say "something else answers $(couch_url)/_up: using it"
		return 0
	fi
	if curl -s -m 2 -o /dev/null "$(couch_url)/" 2>/dev/null; then
		die "port $COUCH_PORT is taken by something that is not a CouchDB (no /_up); free it or set COUCHDB_DEV_PORT"
	fi
	say "starting the CouchDB dev server on $(couch_url) (log: ${COUCH_LOG#"$ROOT"/})"
	couch_fingerprint >"$COUCH_STAMP"
	# setsid: the server outlives this shell and a Ctrl-C in make.
	COUCHDB_DEV_ADMIN="$COUCH_ADMIN" setsid node "$COUCH_DIR/server.js" --port "$COUCH_PORT" \
		</dev/null >>"$COUCH_LOG" 2>&1 &
	echo $! >"$COUCH_PID"
	if ! wait_for 30 couchdb couch_up; then
		tail -n 20 "$COUCH_LOG" >&2 || true
		die "the CouchDB dev server did not come up on $(couch_url); log above, full log in $COUCH_LOG"
	fi
}

# ensure_couch_admin checks that the admin credentials work, and creates the
# admin on a server still in "admin party" (one someone else started).
ensure_couch_admin() {
	[ -n "$COUCH_ADMIN" ] || return 0
	local user=${COUCH_ADMIN%%:*} body
	body=$(curl -sS -m 5 -u "$COUCH_ADMIN" "$(couch_url)/_session" 2>/dev/null || true)
	if printf '%s' "$body" | grep -q '"_admin"' && printf '%s' "$body" | grep -q "\"name\":\"$user\""; then
		return 0
	fi
	body=$(curl -sS -m 5 "$(couch_url)/_session" 2>/dev/null || true)
	if printf '%s' "$body" | grep -q '"_admin"'; then
		say "creating CouchDB admin $user"
		curl -fsS -m 5 -X PUT "$(couch_url)/_config/admins/$user" -d "\"${COUCH_ADMIN#*:}\"" >/dev/null ||
			die "could not create the CouchDB admin $user"
		return 0
	fi
	die "CouchDB on $(couch_url) refuses admin $user; its data dir has other admins: stop it (dev/services.sh stop), delete .run/couchdb, start again; or set COUCHDB_DEV_ADMIN"
}

ensure_couch() {
	if [ -n "${COUCHDB_URL:-}" ] && ! [[ "$COUCHDB_URL" =~ ^https?://([^@/]*@)?(127\.0\.0\.1|localhost|\[::1\])(:|/|$) ]]; then
		local safe
		safe=$(printf '%s' "$COUCHDB_URL" | sed -E 's#//[^@/]*@#//***@#')
		if curl -fsS -m 5 "${COUCHDB_URL%/}/_up" >/dev/null 2>&1; then
			say "using the CouchDB at $safe (COUCHDB_URL)"
			COUCH_DESC=$safe
			return 0
		fi
		die "the CouchDB at $safe (COUCHDB_URL) does not answer /_up"
	fi
	have curl || apt_install curl
	couch_start
	ensure_couch_admin
}

# ------------------------------------------------------------------ Chromium

# ensure_chromium installs Debian's chromium for the headless browser tests
# (services/eventwall). Quick when it is there.
ensure_chromium() {
	if [ -n "${CHROMIUM_PATH:-}" ]; then
		[ -x "$CHROMIUM_PATH" ] || die "CHROMIUM_PATH=$CHROMIUM_PATH is not an executable"
		return 0
	fi
	[ -x /usr/bin/chromium ] && return 0
	apt_install chromium
	[ -x /usr/bin/chromium ] || die "chromium installed but /usr/bin/chromium is missing"
}

# ensure_tools installs what the benchmarks under bench/ load with (wrk).
ensure_tools() {
	have wrk || apt_install wrk
	have curl || apt_install curl
}

# ensure_podman installs Debian's podman, which builds and runs the
# services' images (FROM scratch: nothing is pulled from a registry), and
# runc, the runtime it is run with (--runtime runc): Debian's default, crun,
# refuses the hybrid cgroup hierarchy of machines like these.
ensure_podman() {
	have podman || apt_install podman
	have runc || apt_install runc
}

status() {
	if have pg_isready && pg_ready; then say "Postgres: up on 127.0.0.1:5432"; else say "Postgres: down"; fi
	if have redis-cli && redis_ready; then say "Redis: up on 127.0.0.1:6379, $(redis_persistence)"; else say "Redis: down"; fi
	local pid
	if pid=$(couch_pid); then
		say "CouchDB dev server: pid $pid, $(couch_up && echo up || echo 'not answering') on $(couch_url)"
	elif couch_up; then
		say "CouchDB: something else answers on $(couch_url)"
	else
		say "CouchDB dev server: down"
	fi
	if [ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then say "Chromium: ${CHROMIUM_PATH:-/usr/bin/chromium}"; else say "Chromium: not installed"; fi
}

# use_sharded points the CouchDB functions at the second, sharded dev
# server: its own port, state files and in-memory databases.
use_sharded() {
	COUCH_PORT="${COUCHDB_DEV_SHARDED_PORT:-5985}"
	COUCH_PID="$RUN/couchdb-sharded.pid"
	COUCH_LOG="$RUN/couchdb-sharded.log"
	COUCH_STAMP="$RUN/couchdb-sharded.started"
	export COUCHDB_DEV_SHARDED=1 COUCHDB_DEV_IN_MEMORY=1 COUCHDB_DEV_DIR="$RUN/couchdb-sharded/data"
}

ensure_stores() {
	ensure_postgres
	ensure_redis
	ensure_couch
}

case "${1:-start}" in
start)
	ensure_stores
	say "ready: Postgres 127.0.0.1:5432 (db $PG_DB), Redis 127.0.0.1:6379, CouchDB ${COUCH_DESC:-$(couch_url)}"
	;;
test)
	ensure_stores
	ensure_chromium
	say "ready: Postgres 127.0.0.1:5432 (db $PG_DB), Redis 127.0.0.1:6379, CouchDB ${COUCH_DESC:-$(couch_url)}, Chromium ${CHROMIUM_PATH:-/usr/bin/chromium}"
	;;
tools) ensure_tools ;;
podman) ensure_podman ;;
stop) couch_stop ;;
restart)
	couch_stop
	ensure_couch
	;;
sharded)
	use_sharded
	have curl || apt_install curl
	couch_start
	ensure_couch_admin
	say "ready: the sharded CouchDB dev server on $(couch_url)"
	;;
sharded-stop)
	use_sharded
	couch_stop
	;;
status) status ;;
*) die "usage: dev/services.sh [start|test|tools|podman|stop|restart|sharded|sharded-stop|status]" ;;
esac
