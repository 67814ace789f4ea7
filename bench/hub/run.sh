#!/usr/bin/env bash
# Hub benchmarks (make bench): builds the hub binary, runs it on a database
# and a Redis namespace of its own, and prints Markdown tables: token and
# membership checks vs a bare HMAC verify, bulk upsert of 100k members vs
# COPY, directory search p50/p99 at 64 clients on the 100k-member app.
#
# Knobs (environment): BENCH_HUB_MEMBERS (100000), BENCH_HUB_BATCH (10000),
# BENCH_HUB_CLIENTS (64), BENCH_HUB_DURATION (10s); DATABASE_URL and
# REDIS_URL as for the services.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$root/services/hub" && go build -o "$tmp/hub" ./cmd/hub)
cd "$root/bench"
exec go run ./hub -hub "$tmp/hub" -members "${BENCH_HUB_MEMBERS:-100000}" -batch "${BENCH_HUB_BATCH:-10000}" \
	-clients "${BENCH_HUB_CLIENTS:-64}" -duration "${BENCH_HUB_DURATION:-10s}" "$@"
