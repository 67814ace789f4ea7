#!/usr/bin/env bash
# dev/e2e.sh: run the end-to-end suite (e2e/) against a deployment it starts
# on this machine, then stop it. `make e2e` runs both:
#
#   dev/e2e.sh stack    the stack `make run` starts (dev/cmd/stack), built
#                       from this checkout, on ports from E2E_PORT (18081)
#   dev/e2e.sh images   the service images (make images) run with podman on
#                       the host's network, ports from E2E_IMAGES_PORT (28081),
#                       over the stores of `make services`
#
# Each run gets a database (dropped at the end), a Redis namespace and CouchDB
# prefixes of its own, so that it leaves other stacks on the same stores
# alone. Logs: .run/e2e/.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
OUT="$ROOT/.run/e2e"
mkdir -p "$OUT"
SERVICES=(hub importer social sponsored analytics eventwall multievent)
RUN_ID="e2e$(date +%s)$$"

say() { printf '%s\n' "e2e: $*"; }
die() { say "$*" >&2; exit 1; }

# A database per run: two runs on one database would share the services'
# outboxes, and one run's relays would publish the other's events.
DB="attendify_$RUN_ID"
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DB?sslmode=disable"
drop_db() { psql -X -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true; }
export REDIS_NAMESPACE="$RUN_ID" SOCIAL_COUCH_PREFIX="${RUN_ID}_" MULTIEVENT_COUCH_PREFIX="${RUN_ID}_"
export HUB_DEV_MODE=true SHUTDOWN_DELAY=0 LOG_LEVEL=WARN

# urls PORT: the services' URLs on consecutive ports from PORT, in
# SERVICES' order (as dev/cmd/stack places them).
urls() {
	local port=$1 i=0 s
	for s in "${SERVICES[@]}"; do
		local name=${s^^}
		export "E2E_${name}_URL=http://127.0.0.1:$((port + i))"
		export "${name}_URL=http://127.0.0.1:$((port + i))" "${name}_PUBLIC_URL=http://127.0.0.1:$((port + i))"
		i=$((i + 1))
	done
}

run_suite() {
	say "suite against $1"
	(cd e2e && CI=true go test -count=1 -timeout 10m -v ./... 2>&1 | tee "$OUT/suite-$1.log" | grep -E '^(=== RUN|--- |PASS|FAIL|ok|\s+story_test)' || true)
	grep -q '^ok' "$OUT/suite-$1.log"
}

stack() {
	local port=${E2E_PORT:-18081}
	urls "$port"
	# the stack sets the services' own URLs itself
	for s in "${SERVICES[@]}"; do unset "${s^^}_URL" "${s^^}_PUBLIC_URL"; done
	mkdir -p .run/bin
	go build -o .run/bin/stack ./dev/cmd/stack
	rm -f "$OUT/stack.json"
	.run/bin/stack -port "$port" -json "$OUT/stack.json" >"$OUT/stack.log" 2>&1 &
	local pid=$!
	trap 'kill -TERM '"$pid"' 2>/dev/null; wait '"$pid"' 2>/dev/null || true; drop_db' EXIT
	local waited=0
	until [ -s "$OUT/stack.json" ]; do
		kill -0 "$pid" 2>/dev/null || { tail -20 "$OUT/stack.log" >&2; die "the stack stopped before it was ready (.run/e2e/stack.log)"; }
		[ "$waited" -lt "${E2E_START_TIMEOUT:-1200}" ] || die "the stack was not ready after ${waited}s"
		sleep 2
		waited=$((waited + 2))
	done
	say "stack ready after ${waited}s"
	run_suite stack
}

images() {
	local port=${E2E_IMAGES_PORT:-28081} tag=${IMAGE_TAG:-latest} i=0 s
	command -v podman >/dev/null || die "podman missing: make images installs it"
	urls "$port"
	NAMES=() # global: the EXIT trap runs after this function has returned
	trap 'for n in "${NAMES[@]}"; do podman rm -f "$n" >/dev/null 2>&1 || true; done; drop_db' EXIT
	# --health-interval disable: no systemd here to run the HEALTHCHECK on a
	# timer, so none is asked for (podman 4.3 still logs that it cannot reach
	# systemd: harmless); the loop below runs it (podman healthcheck run).
	local run=(podman run --runtime runc --network host --health-interval disable
		--ulimit nofile=1024:1024 --ulimit nproc=1024:1024
		-e DATABASE_URL -e REDIS_NAMESPACE -e SOCIAL_COUCH_PREFIX -e MULTIEVENT_COUCH_PREFIX
		-e HUB_DEV_MODE -e SHUTDOWN_DELAY -e LOG_LEVEL)
	for s in "${SERVICES[@]}"; do
		local n=${s^^}
		run+=(-e "${n}_URL" -e "${n}_PUBLIC_URL")
	done
	for s in "${SERVICES[@]}"; do
		local addr="127.0.0.1:$((port + i))"
		i=$((i + 1))
		say "$s: migrate, then serve on $addr"
		"${run[@]}" --rm -e "ADDR=$addr" "attendify/$s:$tag" migrate >"$OUT/$s-migrate.log" 2>&1 ||
			{ tail -20 "$OUT/$s-migrate.log" >&2; die "$s migrate failed"; }
		local name="$RUN_ID-$s"
		NAMES+=("$name")
		"${run[@]}" -d --name "$name" -e "ADDR=$addr" -e "SERVICE_NAME=$s" "attendify/$s:$tag" serve >/dev/null
	done
	local waited=0
	for s in "${SERVICES[@]}"; do
		until podman healthcheck run "$RUN_ID-$s" >/dev/null 2>&1; do
			if [ "$(podman inspect -f '{{.State.Running}}' "$RUN_ID-$s")" != true ]; then
				podman logs "$RUN_ID-$s" 2>&1 | tail -20 >&2
				die "$s stopped"
			fi
			[ "$waited" -lt 300 ] || die "$s not healthy after ${waited}s"
			sleep 1
			waited=$((waited + 1))
		done
	done
	say "images healthy after ${waited}s"
	run_suite images
	for s in "${SERVICES[@]}"; do podman logs "$RUN_ID-$s" >"$OUT/$s.log" 2>&1 || true; done
}

case "${1:-}" in
stack) stack ;;
images) images ;;
*) die "usage: dev/e2e.sh stack|images" ;;
esac
