#!/usr/bin/env bash
# Events end-to-end benchmark (make bench): outbox -> relay -> stream ->
# idempotent consumer, side by side with raw pipelined XADD + XREADGROUP on
# the same Redis. Prints a Markdown table (median of BENCH_EVENTS_ROUNDS).
#
# Knobs (environment): BENCH_EVENTS_N (20000 msgs per row), BENCH_EVENTS_ROUNDS (3);
# DATABASE_URL and REDIS_URL as for the services.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec go run ./events -n "${BENCH_EVENTS_N:-20000}" -rounds "${BENCH_EVENTS_ROUNDS:-3}" "$@"
