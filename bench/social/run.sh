#!/usr/bin/env bash
# Social benchmark (make bench): starts the social service (its own Postgres
# database, Redis namespace and CouchDB database prefix, all deleted first),
# then loads it from a separate process, services/social/cmd/socialbench:
# seed 1 app, 1 event, 1,000 members, 10,000 posts and 100,000 likes through
# the API, then at 64 concurrent clients: feed pages, likes on one hot post,
# and the same work made directly against the stores (the baselines).
# Prints one line per phase on stderr and the JSON results on stdout.
#
# With BENCH_PLACEMENT=true (the default) it also starts sponsored
# (BENCH_PORT + 1, 18084) and a second social server with sponsored placement
# on (BENCH_PORT + 2, 18085; the first has it off), makes two live campaigns, and
# measures the feed on vs off in interleaved rounds (BENCH_AB_ROUNDS, 5;
# BENCH_AB_DURATION, 10s), then how far a campaign whose budget ran out under
# the load went past it.
#
# The feed phase compares feed.get with the same reads made straight against
# Redis in BENCH_FEED_ROUNDS (5) interleaved rounds of BENCH_AB_DURATION: the
# API loaded by wrk (paging three deep), by a light client (it checks each
# answer's envelope and decodes one page in 32, so as to compete less with
# the server for the machine's CPUs), the baseline, and the API read by a
# client that decodes every page into Go types. BENCH_AB_DECODE=true makes the
# placement rounds decode every page too.
#
# Knobs (environment): BENCH_DURATION (15s), BENCH_CONNS (64),
# BENCH_MEMBERS (1000), BENCH_POSTS (10000), BENCH_LIKES (100000),
# BENCH_PORT (18083), BENCH_ACCESS_LOG (true: the default service stack),
# BENCH_PROFILE (a file: the server's CPU profile of the feed phase, from its
# admin listener on BENCH_PORT + 1000; with placement, also the "on" server's
# over the on/off rounds, in BENCH_PROFILE.on and BENCH_PROFILE.off; socialbench's own
# profile of the feed phase in BENCH_PROFILE.client).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
say() { echo "$*" >&2; }

# BENCH_NAME (bench_social) names the run's database, Redis namespace and
# CouchDB prefix, so that two runs on one machine do not share data.
name=${BENCH_NAME:-bench_social}
db=attendify_$name
export DATABASE_URL=postgres://postgres@127.0.0.1:5432/$db?sslmode=disable
export REDIS_NAMESPACE=${name//_/-}
export SOCIAL_COUCH_PREFIX=${name//_/}
export SOCIAL_RATE_LIMITS=false
# The adaptive shedder answers "overloaded" when the CPU is hot; off here so
# that the figures are the capacity of the request path, not the shed rate.
export SHED_DISABLED=${BENCH_SHED_DISABLED:-true}
export RPC_ACCESS_LOG=${BENCH_ACCESS_LOG:-true}
port=${BENCH_PORT:-18083}
export ADDR=127.0.0.1:$port
# With placement: sponsored on port + 1, the placement-on server on port + 2.
sp_addr=127.0.0.1:$((port + 1))
on_addr=127.0.0.1:$((port + 2))
# No balancer in front: the servers stop without the shutdown delay.
export SHUTDOWN_DELAY=0
# The profile comes from the first server's admin listener (port + 1000).
profile=()
first_env=()
on_env=()
if [ -n "${BENCH_PROFILE:-}" ]; then
	admin=127.0.0.1:$((port + 1000))
	first_env=(DEBUG_PPROF=true "ADMIN_ADDR=$admin")
	# The placement-on server's admin listener (port + 1002): its CPU
	# profile during the on/off rounds goes to $BENCH_PROFILE.on.
	on_admin=127.0.0.1:$((port + 1002))
	on_env=(DEBUG_PPROF=true "ADMIN_ADDR=$on_admin")
	profile=(-profile "$BENCH_PROFILE" -admin-url "http://$admin")
fi
couch=${COUCHDB_URL:-http://admin:admin@127.0.0.1:5984}
bash "$root/dev/services.sh" tools # wrk

tmp=$(mktemp -d)
server_pid=
extra_pids=()
cleanup() {
	if [ -n "$server_pid" ]; then kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
	for p in "${extra_pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT

say "building social and socialbench"
(cd "$root" && go build -o "$tmp/" ./services/social/cmd/social ./services/social/cmd/socialbench ./services/sponsored/cmd/sponsored)

say "deleting the previous run's data (database $db, keys $REDIS_NAMESPACE:*, databases $SOCIAL_COUCH_PREFIX\$*)"
psql "postgres://postgres@127.0.0.1:5432/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
redis-cli --scan --pattern "$REDIS_NAMESPACE:*" | xargs -r -n 500 redis-cli unlink >/dev/null
for cdb in $(curl -fsS "$couch/_all_dbs" | tr -d '[]"' | tr ',' '\n' | grep "^$SOCIAL_COUCH_PREFIX\\\$" || true); do
	curl -fsS -X DELETE "$couch/$(printf '%s' "$cdb" | sed 's/\$/%24/g')" >/dev/null
done

ready() { # ready ADDR LOG
	for _ in $(seq 150); do
		curl -fsS "http://$1/readyz" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	cat "$2" >&2
	exit 1
}
placement=()
if [ "${BENCH_PLACEMENT:-true}" = true ]; then
	env "${first_env[@]}" SPONSORED_PLACEMENT=false "$tmp/social" serve >"$tmp/server.log" 2>&1 &
	server_pid=$!
	ready "$ADDR" "$tmp/server.log"
	ADDR=$sp_addr SPONSORED_PUBLIC_URL=http://$sp_addr SPONSORED_PUBLISH_INTERVAL=1s "$tmp/sponsored" serve >"$tmp/sponsored.log" 2>&1 &
	extra_pids+=($!)
	ready "$sp_addr" "$tmp/sponsored.log"
	# BENCH_AB_BIN and BENCH_AB_PLACEMENT (true) make the second server
	# another build, placement on or off: two builds side by side in the
	# same interleaved rounds ("on" is then that build).
	[ -n "${BENCH_AB_BIN:-}" ] && say "second server (\"on\" below): $BENCH_AB_BIN, placement ${BENCH_AB_PLACEMENT:-true}"
	env "${on_env[@]}" ADDR=$on_addr SPONSORED_PLACEMENT=${BENCH_AB_PLACEMENT:-true} SPONSORED_PUBLIC_URL=http://$sp_addr "${BENCH_AB_BIN:-$tmp/social}" serve >"$tmp/server-placement.log" 2>&1 &
	on_pid=$!
	extra_pids+=($on_pid)
	ready "$on_addr" "$tmp/server-placement.log"
	placement=(-placement-url "http://$on_addr" -sponsored-url "http://$sp_addr" -ab-rounds "${BENCH_AB_ROUNDS:-5}" -on-pid "$on_pid")
	[ -n "${BENCH_PROFILE:-}" ] && placement+=(-on-admin-url "http://$on_admin")
else
	env "${first_env[@]}" "$tmp/social" serve >"$tmp/server.log" 2>&1 &
	server_pid=$!
	ready "$ADDR" "$tmp/server.log"
fi

say "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
say "server: social serve on $ADDR (access log $RPC_ACCESS_LOG, rate limits off); load: socialbench, separate process"
"$tmp/socialbench" -url "http://$ADDR" -c "${BENCH_CONNS:-64}" -duration "${BENCH_DURATION:-15s}" \
	-members "${BENCH_MEMBERS:-1000}" -posts "${BENCH_POSTS:-10000}" -likes "${BENCH_LIKES:-100000}" -skip "${BENCH_SKIP:-}" \
	-feed-rounds "${BENCH_FEED_ROUNDS:-5}" -ab-duration "${BENCH_AB_DURATION:-10s}" -ab-decode="${BENCH_AB_DECODE:-false}" \
	-wrk-script "$tmp/feed.lua" "${profile[@]}" "${placement[@]}" -off-pid "$server_pid"
say "server CPU time (user+system): $(ps -o times= -p "$server_pid" | tr -d ' ') s"

# The feed again with wrk, the lightest load generator at hand (socialbench
# decodes every page, which costs this 2-CPU machine as much as serving it):
# first 64 connections flat out (the peak), then 64 connections paced to
# about 1,500 requests a second (the goal's rate: p99 at that load).
for mode in peak paced; do
	pace=()
	[ "$mode" = paced ] && pace=(WRK_DELAY_MS="${BENCH_PACE_MS:-40}")
	out=$(env "${pace[@]}" wrk -t1 -c"${BENCH_CONNS:-64}" -d"${BENCH_DURATION:-15s}" --latency -s "$tmp/feed.lua" "http://$ADDR/rpc")
	# wrk's Requests/sec counts every answer; JSON-RPC errors (HTTP 200, read
	# from the bodies by feed.lua) are printed beside it and, like non-2xx
	# answers, make the line say "with errors".
	rpcerr=$(awk '/^RPC_ERRORS/ {print $2}' <<<"$out")
	non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out" | grep . || echo 0)
	flag=
	[ "${rpcerr:-0}" -gt 0 ] || [ "$non2xx" -gt 0 ] && flag=" (WITH ERRORS: the rate counts them)"
	printf 'feed.get (wrk, %s, %s connections): %s req/s%s, p50 %s, p99 %s, errors: non-2xx %s, JSON-RPC %s\n' "$mode" "${BENCH_CONNS:-64}" \
		"$(awk '/Requests\/sec/ {print $2}' <<<"$out")" "$flag" "$(awk '$1 == "50%" {print $2}' <<<"$out")" \
		"$(awk '$1 == "99%" {print $2}' <<<"$out")" "$non2xx" "${rpcerr:-?}" >&2
done
