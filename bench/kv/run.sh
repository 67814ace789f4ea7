#!/usr/bin/env bash
# Key-value port on Postgres (make bench): concurrent counter increments and
# set adds through platform/kv/pgkv, side by side with the raw SQL a caller
# would write by hand for the same table shapes. The benchmarks live next to
# the adapter (platform/kv/pgkv/bench_test.go); each gets a fresh database.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root/platform"
go test -run '^$' -bench . -benchmem -benchtime "${BENCH_KV_TIME:-3s}" ./kv/pgkv/
