#!/usr/bin/env bash
# Multievent benchmarks (make bench): builds hub and multievent, runs both
# on a database, a Redis namespace and CouchDB names of their own (removed
# at the end), seeds an app of 50 events, 5,000 sessions and 2,000 speakers
# through hub, and prints Markdown tables (services/multievent/cmd/mebench):
#   1. directory.list and search.query at 64 clients beside their bare SQL;
#   2. bookmark writes (agenda.sync) beside the raw data-type call, on pgkv
#      (and the raw call on Riak when RIAK_HOSTS is set);
#   3. hub session edit -> the session's document in CouchDB;
#   4. a member's first replication: per-group databases vs one app database.
# Rounds are interleaved; JSON-RPC errors count as failures. Each load row
# also gives the server CPU per call (multievent's process and the Postgres
# backends of the bench's database, from /proc).
#
# Knobs (environment): BENCH_ME_CLIENTS (64), BENCH_ME_ROUNDS (3),
# BENCH_ME_DURATION (10s), BENCH_ME_EDITS (100); DATABASE_URL, REDIS_URL,
# COUCHDB_URL and RIAK_HOSTS as for the services; MULTIEVENT_SEARCH_CACHE=0
# runs multievent without its search cache (every search runs its query, as
# distinct queries do).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$root/services/hub" && go build -o "$tmp/hub" ./cmd/hub)
(cd "$root/services/multievent" && go build -o "$tmp/multievent" ./cmd/multievent && go build -o "$tmp/mebench" ./cmd/mebench)
exec "$tmp/mebench" -hub "$tmp/hub" -multievent "$tmp/multievent" -clients "${BENCH_ME_CLIENTS:-64}" \
	-rounds "${BENCH_ME_ROUNDS:-3}" -duration "${BENCH_ME_DURATION:-10s}" -edits "${BENCH_ME_EDITS:-100}" "$@"
