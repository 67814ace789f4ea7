#!/usr/bin/env bash
# Service-to-service calls over HTTP/1.1 and h2c side by side (issue 20,
# goal 4): starts the bench kit server (SHED_DISABLED, access log on), then
# bench/rpc/h2cbench calls its echo.typed through the kit's rpc client,
# interleaving the two protocols. Knobs: BENCH_CONNS (64), BENCH_DURATION
# (8s), BENCH_ROUNDS (5), BENCH_PORT (18495).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tmp=$(mktemp -d)
addr=127.0.0.1:${BENCH_PORT:-18495}
(cd "$here/.." && go build -o "$tmp/" ./rpc/kit ./rpc/h2cbench)
SHED_DISABLED=true SHUTDOWN_DELAY=0 "$tmp/kit" -addr "$addr" >/dev/null 2>"$tmp/server.log" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do curl -sf -o /dev/null "http://$addr/healthz" && break; sleep 0.1; done
"$tmp/h2cbench" -url "http://$addr" -server-pid "$pid" -c "${BENCH_CONNS:-64}" -d "${BENCH_DURATION:-8s}" -rounds "${BENCH_ROUNDS:-5}"
