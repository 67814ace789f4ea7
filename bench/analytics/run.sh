#!/usr/bin/env bash
# Analytics benchmarks (make bench): builds the analytics binary and its
# load generator (services/analytics/cmd/analyticsbench), runs the service
# on a database and a Redis namespace of its own (removed at the end), and
# prints Markdown tables: ingest through track.batch beside a raw pipelined
# Redis client (interleaved rounds), dashboard queries over a day, a week
# and 30 days at 64 clients, and the delay from an event sent to its
# number on the dashboard.
#
# Knobs (environment): BENCH_ANALYTICS_BATCH (100), BENCH_ANALYTICS_INGEST
# (16 clients), BENCH_ANALYTICS_CLIENTS (64), BENCH_ANALYTICS_ROUNDS (3),
# BENCH_ANALYTICS_DURATION (10s), BENCH_ANALYTICS_SAMPLES (40);
# DATABASE_URL and REDIS_URL as for the services. Arguments go on to
# analyticsbench: -parts ingest,queries (only some of ingest, queries,
# latency; queries without ingest have nothing folded, hence no fold
# generation, and read the rollups from Postgres on every call),
# -profile DIR (the server's CPU and allocation profiles and the load
# generator's CPU profile during each query range: go tool pprof), -bin
# PATH (another analytics binary, such as a build of the base commit).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$root/services/analytics"
go build -o "$tmp/analytics" ./cmd/analytics
go build -o "$tmp/analyticsbench" ./cmd/analyticsbench
exec "$tmp/analyticsbench" -bin "$tmp/analytics" -batch "${BENCH_ANALYTICS_BATCH:-100}" \
	-ingest-clients "${BENCH_ANALYTICS_INGEST:-16}" -clients "${BENCH_ANALYTICS_CLIENTS:-64}" \
	-rounds "${BENCH_ANALYTICS_ROUNDS:-3}" -duration "${BENCH_ANALYTICS_DURATION:-10s}" \
	-samples "${BENCH_ANALYTICS_SAMPLES:-40}" "$@"
