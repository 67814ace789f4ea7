#!/usr/bin/env bash
# The importer's benchmark (results in bench/RESULTS.md). The benchmark
# program lives in services/importer/cmd/importbench (it uses the
# importer's internal packages); this script builds it with the importer
# and hub, generates the files (never committed), and runs:
#   1. parse: the importer's reader + mapping + validation vs a bare
#      excelize Rows() loop (.xlsx) and a bare encoding/csv loop (.csv);
#   2. end to end: upload + analysis (rows validated and staged in the
#      importer's Postgres tables), then the commit through hub's bulk
#      upsert into hub's tables; the importer's peak RSS (VmHWM);
#   3. the baselines: psql \copy of the same CSV into a plain table of 8 text
#      columns (the issue's yardstick), and psql \copy of the very rows hub
#      wrote into hub's members table itself (same app, indexes, triggers of
#      the directory's word index, foreign keys): the cost of the write alone.
# ROWS (default 1000000) sets the size; COMMIT=false skips the commit;
# COMMIT_FOR (default 0: to the end, about 70 s for a million rows here)
# bounds the commit measurement; the baseline into hub's members table
# needs the whole commit, so it runs only with 0.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROWS=${ROWS:-1000000}
COMMIT=${COMMIT:-true}
PG=${PG:-postgres://postgres@127.0.0.1:5432}
NS="bench-importer-$$"
export SHUTDOWN_DELAY=0 # no balancer in front: stop without the delay
work=$(mktemp -d /tmp/importer-bench.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	redis-cli --scan --pattern "$NS:*" 2>/dev/null | xargs -r redis-cli del >/dev/null 2>&1 || true
	psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS importer_bench WITH (FORCE)" -c "DROP DATABASE IF EXISTS importer_bench_hub WITH (FORCE)" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

echo "== build"
go build -o "$work/importer" ./services/importer/cmd/importer
go build -o "$work/hub" ./services/hub/cmd/hub
go build -o "$work/importbench" ./services/importer/cmd/importbench
for db in importer_bench importer_bench_hub; do
	psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" >/dev/null
done

echo "== generate $ROWS rows (8 columns)"
"$work/importbench" gen -rows "$ROWS" -dir "$work"
ls -l "$work"/attendees.*

echo "== parse"
"$work/importbench" parse -file "$work/attendees.xlsx"
"$work/importbench" parse -file "$work/attendees.csv"

echo "== end to end"
env DATABASE_URL="$PG/importer_bench_hub" ADDR=127.0.0.1:18181 REDIS_NAMESPACE="$NS" SERVICE_NAME=hub RPC_ACCESS_LOG=false \
	HUB_PASSWORD_MEMORY_KIB=8192 HUB_DEV_MODE=true "$work/hub" serve >"$work/hub.log" 2>&1 &
pids+=($!)
env DATABASE_URL="$PG/importer_bench" ADDR=127.0.0.1:18182 HUB_URL=http://127.0.0.1:18181 REDIS_NAMESPACE="$NS" SERVICE_NAME=importer \
	RPC_ACCESS_LOG=false IMPORTER_MAX_FILE_MB=1024 "$work/importer" serve >"$work/importer.log" 2>&1 &
imp=$!
pids+=($imp)
for url in http://127.0.0.1:18181 http://127.0.0.1:18182; do
	for _ in $(seq 600); do curl -fs "$url/readyz" >/dev/null && break; sleep 0.1; done
done
"$work/importbench" e2e -file "$work/attendees.csv" -pid "$imp" -commit="$COMMIT" -commit-for="${COMMIT_FOR:-0}" || { tail -n 20 "$work/importer.log" "$work/hub.log"; exit 1; }

echo "== baseline: psql \\copy of the CSV into a plain table"
psql "$PG/importer_bench" -qc "CREATE TABLE copy_baseline (email text, first_name text, last_name text, company text, title text, phone text, role text, external_id text)"
timed_copy() { # name rows db command...
	local name=$1 rows=$2 db=$3 start end
	shift 3
	start=$(date +%s.%N)
	psql "$PG/$db" -v ON_ERROR_STOP=1 -q "$@"
	end=$(date +%s.%N)
	NAME=$name awk -v r="$rows" -v s="$start" -v e="$end" 'BEGIN { n = ENVIRON["NAME"]; gsub(/\\/, "\\\\", n)
		printf "{\"name\":\"%s\",\"rows\":%d,\"seconds\":%.3f,\"rows_per_s\":%.0f}\n", n, r, e-s, r/(e-s) }'
}
timed_copy 'psql \copy into a plain table' "$ROWS" importer_bench -c "\\copy copy_baseline FROM '$work/attendees.csv' CSV HEADER"

if [ "$COMMIT" = true ] && [ "${COMMIT_FOR:-0}" = 0 ]; then
	echo "== baseline: psql \\copy of the rows hub wrote, into hub's members table"
	# The rows as hub stored them, deleted, then copied back in: the same
	# table, indexes, word-index triggers and foreign keys, into the same app.
	hubq() { psql "$PG/importer_bench_hub" -v ON_ERROR_STOP=1 -qAt -c "SET search_path = hub, public" "$@"; }
	cols=$(hubq -c "SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_schema = 'hub' AND table_name = 'members' AND is_generated = 'NEVER'")
	app=$(hubq -c "SELECT app_id FROM members GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
	hubq -c "\\copy (SELECT $cols FROM members WHERE app_id = '$app') TO '$work/members.csv' CSV"
	n=$(wc -l <"$work/members.csv")
	hubq -c "DELETE FROM registrations WHERE app_id = '$app'" -c "DELETE FROM members WHERE app_id = '$app'"
	psql "$PG/importer_bench_hub" -qc "VACUUM ANALYZE hub.members, hub.member_words, hub.registrations"
	timed_copy "psql \\copy into hub's members table" "$n" importer_bench_hub -c "SET search_path = hub, public" -c "\\copy members ($cols) FROM '$work/members.csv' CSV"
fi
