#!/usr/bin/env bash
# Eventwall benchmark (make bench): starts social and eventwall (their own
# Postgres databases, Redis namespace and CouchDB database prefix, all
# deleted first), seeds one app and a wall with 50 posts, then, from
# separate processes:
#   1. 10,000 simulated screens polling every 5 s (2,000 polls/s) for 60 s
#      while a post arrives every 5 s: latency p50/p99 (wallbench screens);
#   2. peak throughput of the up-to-date poll (304) with wrk, beside a bare
#      net/http handler serving the same bytes from memory (wallbench bare);
#   3. post created in social -> visible in a long poll: p50/p99 delay
#      (wallbench delay).
# Prints one line per phase on stderr and the results on stdout.
#
# Knobs (environment): BENCH_SCREENS (10000), BENCH_PERIOD (5s),
# BENCH_DURATION (60s), BENCH_POST_EVERY (5s), BENCH_WRK_DURATION (20s),
# BENCH_WRK_CONNS (64), BENCH_DELAY_POSTS (200).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
say() { echo "$*" >&2; }

export REDIS_NAMESPACE=bench-wall
export SOCIAL_COUCH_PREFIX=benchwall
export SOCIAL_RATE_LIMITS=false
export SHED_DISABLED=true
export RPC_ACCESS_LOG=false
export LOG_LEVEL=WARN
export SHUTDOWN_DELAY=0 # no balancer in front: stop without the delay
wall=http://127.0.0.1:18186
social=http://127.0.0.1:18183
couch=${COUCHDB_URL:-http://admin:admin@127.0.0.1:5984}
bash "$root/dev/services.sh" tools # wrk

tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT

say "building social, eventwall and wallbench"
(cd "$root" && go build -o "$tmp/" ./services/social/cmd/social ./services/eventwall/cmd/eventwall ./services/eventwall/cmd/wallbench)

say "deleting the previous run's data (databases attendify_bench_wall_*, keys bench-wall:*, databases benchwall\$*)"
for db in attendify_bench_wall_social attendify_bench_wall_eventwall; do
	psql "postgres://postgres@127.0.0.1:5432/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
done
redis-cli --scan --pattern 'bench-wall:*' | xargs -r -n 500 redis-cli unlink >/dev/null
for db in $(curl -fsS "$couch/_all_dbs" | tr -d '[]"' | tr ',' '\n' | grep '^benchwall\$' || true); do
	curl -fsS -X DELETE "$couch/$(printf '%s' "$db" | sed 's/\$/%24/g')" >/dev/null
done

ready() { # url: waits until it answers 2xx (30 s at most)
	for _ in $(seq 150); do
		curl -fsS "$1" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}
start() { # name addr database
	DATABASE_URL="postgres://postgres@127.0.0.1:5432/$3?sslmode=disable" ADDR=$2 "$tmp/$1" serve >"$tmp/$1.log" 2>&1 &
	pids+=($!)
	ready "http://$2/readyz" && return 0
	cat "$tmp/$1.log" >&2
	return 1
}
start social 127.0.0.1:18183 attendify_bench_wall_social
start eventwall 127.0.0.1:18186 attendify_bench_wall_eventwall
ew_pid=${pids[1]}

say "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
"$tmp/wallbench" seed -wall $wall -social $social -state "$tmp/state.json"

say "== 1. ${BENCH_SCREENS:-10000} screens polling every ${BENCH_PERIOD:-5s} for ${BENCH_DURATION:-60s} (a post every ${BENCH_POST_EVERY:-5s})"
"$tmp/wallbench" screens -wall $wall -social $social -state "$tmp/state.json" \
	-n "${BENCH_SCREENS:-10000}" -every "${BENCH_PERIOD:-5s}" -duration "${BENCH_DURATION:-60s}" -post-every "${BENCH_POST_EVERY:-5s}"
say "eventwall CPU time so far (user+system): $(ps -o times= -p "$ew_pid" | tr -d ' ') s"

say "== 2. peak throughput of the 304 path: wrk -t2 -c${BENCH_WRK_CONNS:-64} -d${BENCH_WRK_DURATION:-20s}, eventwall, then the bare handler"
wall_token=$(sed -n 's/.*"wall_token": "\(.*\)".*/\1/p' "$tmp/state.json")
"$tmp/wallbench" bare -wall $wall -state "$tmp/state.json" -addr 127.0.0.1:18199 &
pids+=($!)
ready "http://127.0.0.1:18199/walls/$wall_token/poll" || { say "the bare handler did not start"; exit 1; }
cursor=$("$tmp/wallbench" cursor -wall $wall -state "$tmp/state.json")
export WALL_ETAG="\"$cursor\""
for target in "eventwall $wall" "bare 127.0.0.1:18199"; do
	set -- $target
	url=$2
	[[ $url == http* ]] || url=http://$url
	echo "-- $1"
	wrk -t2 -c"${BENCH_WRK_CONNS:-64}" -d"${BENCH_WRK_DURATION:-20s}" --latency -s "$here/poll304.lua" "$url/walls/$wall_token/poll?cursor=$cursor"
done

say "== 3. post created in social -> visible in a long poll (${BENCH_DELAY_POSTS:-200} posts)"
"$tmp/wallbench" delay -wall $wall -social $social -state "$tmp/state.json" -posts "${BENCH_DELAY_POSTS:-200}"
