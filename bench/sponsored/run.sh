#!/usr/bin/env bash
# Sponsored's cap check-and-charge (make bench): the placement package's
# script on one hot member under BENCH_CONNS (64) concurrent clients, beside
# the raw Redis command it wraps (HINCRBY on the member's hash), in
# BENCH_ROUNDS (5) interleaved rounds of BENCH_DURATION (10s); then the cap
# check: a member capped at 1,000 impressions asked for 4,000 pages by 64
# clients at once gets exactly 1,000. Keys under bench-sponsored:* in the
# local Redis, deleted before and after. Prints a line per round on stderr
# and the JSON results on stdout.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
echo "machine: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
cd "$root" && go run ./bench/sponsored -c "${BENCH_CONNS:-64}" -rounds "${BENCH_ROUNDS:-5}" -duration "${BENCH_DURATION:-10s}" \
	-redis "${REDIS_URL:-redis://127.0.0.1:6379/0}"
