#!/usr/bin/env bash
# CPU and allocation profiles of the kit echo server under wrk load (goal 1 of
# issue 20: where the kit's cost over bare goes). Starts bench/rpc/kit (or the
# binary in $KIT_BIN) with its admin listener and pprof, loads it with wrk.lua
# at 64 connections for BENCH_DURATION (20s) with the request in BODY
# (testdata/jsonrpc-request-typed.json), takes a CPU profile of 10 s from
# 3 s after the load begins and an allocation profile after it, prints the top
# entries (flat and cumulative) of each. Profiles stay in $OUT (a temporary
# directory by default).
# SIGNED=hmac loads it with signed service calls (echo.signed, each with its
# own nonce checked in Redis: the kit-hmac row of run.sh), SIGNED=session
# with calls in a service session (the kit-session row); the signed header
# sets are made by bench/rpc/signreqs before the load, SIGNED_RATE (40000)
# per second of BENCH_DURATION. As in run.sh, the server is pinned to CPU 0
# and wrk to CPU 1 when taskset is there and the machine has 2 CPUs or more.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${OUT:-$(mktemp -d)}
mkdir -p "$out"
addr=127.0.0.1:${BENCH_PORT:-18490}
admin=127.0.0.1:$((${BENCH_PORT:-18490} + 1))
body=${BODY:-$here/testdata/jsonrpc-request-typed.json}
duration=${BENCH_DURATION:-20s}
signed=${SIGNED:-}
bin=${KIT_BIN:-}
if [ -z "$bin" ]; then
	(cd "$here/.." && go build -o "$out/" ./rpc/kit)
	bin=$out/kit
fi
server_cpu=() load_cpu=()
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
	server_cpu=(taskset -c 0) load_cpu=(taskset -c 1)
fi
ADMIN_ADDR=$admin DEBUG_PPROF=true SHUTDOWN_DELAY=0 "${server_cpu[@]}" "$bin" -addr "$addr" >"$out/server.stdout" 2>"$out/server.log" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf -o /dev/null "http://$addr/healthz" && break; sleep 0.1; done
load_env=(BODY_FILE="$body")
case $signed in
"") ;;
hmac | session)
	body=$here/testdata/jsonrpc-request-signed.json
	(cd "$here/.." && go build -o "$out/" ./rpc/signreqs)
	session=()
	[ "$signed" = session ] && session=(-session "http://$addr/rpc")
	"$out/signreqs" -n $((${SIGNED_RATE:-40000} * ${duration%s})) -body "$body" "${session[@]}" >"$out/signed.txt"
	load_env=(BODY_FILE="$body" SIGNED_FILE="$out/signed.txt")
	;;
*) echo "profile.sh: SIGNED is hmac or session, not $signed" >&2; exit 1 ;;
esac
env "${load_env[@]}" "${load_cpu[@]}" wrk -t1 -c64 -d"$duration" -s "$here/wrk.lua" "http://$addr/rpc" >"$out/wrk.txt" &
wrk_pid=$!
# wrk makes every request before it sends the first (the signed ones take
# a while on a busy machine): the profile's window opens once the load has
# begun (the server's rpc_requests_total past 100), then 3 s of warm-up.
for _ in $(seq 1200); do
	n=$(curl -sf "http://$admin/metrics" | awk '/^rpc_requests_total[{ ]/ { s += $NF } END { printf "%d", s }')
	[ "${n:-0}" -gt 100 ] && break
	sleep 0.1
done
sleep 3
curl -sf -o "$out/cpu.pprof" "http://$admin/debug/pprof/profile?seconds=10"
wait $wrk_pid
curl -sf -o "$out/allocs.pprof" "http://$admin/debug/pprof/allocs"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); $(grep '^RESULT' "$out/wrk.txt")"
echo "## CPU, flat"
go tool pprof -top -nodecount=25 "$bin" "$out/cpu.pprof" 2>/dev/null | sed -n '1,32p'
echo "## CPU, cumulative"
go tool pprof -top -cum -nodecount=40 "$bin" "$out/cpu.pprof" 2>/dev/null | sed -n '6,46p'
echo "## allocations (bytes, flat)"
go tool pprof -sample_index=alloc_space -top -nodecount=20 "$bin" "$out/allocs.pprof" 2>/dev/null | sed -n '5,26p'
echo "## allocations (objects, flat)"
go tool pprof -sample_index=alloc_objects -top -nodecount=20 "$bin" "$out/allocs.pprof" 2>/dev/null | sed -n '5,26p'
echo "profiles: $out"
