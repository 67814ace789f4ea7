#!/usr/bin/env bash
# RPC side-by-side benchmark (make bench): the same echo call served by each
# stack, loaded by wrk at 64 keep-alive connections from a separate process.
# Targets run one after another, interleaved in rounds (A, B, A, B...); each
# round restarts each server, warms it up and measures it. Prints the machine,
# the setup and one Markdown table row per target: its median round by req/s
# (answers with a status below 400 and no JSON-RPC error only; that round's p50
# and p99), the errors of all rounds (socket errors, non-2xx answers and
# JSON-RPC errors, which answer HTTP 200: wrk.lua reads every body), the
# server's CPU time (user+system) per request over all measured windows, and the
# req/s of each round, so that noise from other work on the machine shows. CPU
# per request is the figure least moved by that noise. Then a second table: each
# target's ratio to the first target (bare) computed round by round (the two
# measured minutes apart, not a round apart), the median of those ratios and
# their spread (lowest-highest), by req/s and by CPU per request.
#
# Knobs (environment): BENCH_DURATION (10s), BENCH_WARMUP (3s), BENCH_CONNS (64),
# BENCH_ROUNDS (5), BENCH_PORT (18480),
# BENCH_TARGETS (all: "bare kit kit-typed kit-hmac kit-session connect jrpc2"; kit-before
# too with BENCH_BEFORE set, and kit-session-before when named).
# kit calls the kit's echo (raw JSON params and result, any shape); kit-typed
# calls echo.typed, which does the bare server's work (params decoded into a
# struct, the result encoded from it) plus the kit's schema check.
# BENCH_BEFORE=<git revision>: target kit-before is bench/rpc/kit built from
# that revision of the repository (git archive), loaded with the kit-typed
# request when it has echo.typed, else with the echo request (the typed echo
# of revisions before echo.typed): before and after in the same rounds.
# kit-session-before: the kit-session row's calls to that same build.
# bare-session: the bare server loaded with the kit-session row's stream of
# requests (each its own X-Service-Session header, signed for a session no
# server opened; bare ignores it): a yardstick beside bare that costs wrk
# and the wire what the session calls cost them.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bench=$(dirname "$here")
duration=${BENCH_DURATION:-10s}
warmup=${BENCH_WARMUP:-3s}
conns=${BENCH_CONNS:-64}
rounds=${BENCH_ROUNDS:-5}
addr=127.0.0.1:${BENCH_PORT:-18480}
targets=${BENCH_TARGETS:-bare kit kit-typed kit-hmac kit-session connect jrpc2}
before=${BENCH_BEFORE:-}
[ -n "$before" ] && [[ " $targets " != *" kit-before "* ]] && targets="$targets kit-before"

say() { echo "$*" >&2; }
die() { say "run.sh: $*"; exit 1; }

bash "$here/../../dev/services.sh" tools # wrk, curl

# Pin the server and the load generator to different CPUs so that they do not
# compete: on a 2-core machine the server gets CPU 0 (its Go runtime then runs
# with GOMAXPROCS=1) and wrk, with one thread, gets CPU 1.
server_cpu=() load_cpu=() pinning="not pinned (taskset missing or fewer than 2 CPUs)"
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
	server_cpu=(taskset -c 0) load_cpu=(taskset -c 1)
	pinning="server pinned to CPU 0, wrk pinned to CPU 1"
fi

tmp=$(mktemp -d)
server_pid=
cleanup() {
	if [ -n "$server_pid" ]; then kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
say "building servers"
pkgs=()
have_kit=false
for t in $targets; do
	case $t in
	kit | kit-typed | kit-hmac | kit-session) if compgen -G "$here/kit/*.go" >/dev/null; then have_kit=true; fi ;;
	bare | connect | jrpc2) pkgs+=("./rpc/$t") ;;
	bare-session) pkgs+=(./rpc/bare) ;;
	kit-before | kit-session-before) [ -n "$before" ] || die "$t needs BENCH_BEFORE (a git revision)" ;;
	*) die "unknown target $t (known: bare kit kit-typed kit-hmac kit-session connect jrpc2 kit-before kit-session-before bare-session)" ;;
	esac
done
if $have_kit; then pkgs+=(./rpc/kit); fi
(cd "$bench" && go build -o "$tmp/" "${pkgs[@]}")
before_body=$here/testdata/jsonrpc-request-typed.json
if [ -n "$before" ]; then
	say "building kit-before from $before"
	mkdir -p "$tmp/before" "$tmp/before-bin"
	(cd "$bench/.." && git archive "$before") | tar -x -C "$tmp/before"
	(cd "$tmp/before/bench" && go build -o "$tmp/before-bin/" ./rpc/kit) && mv "$tmp/before-bin/kit" "$tmp/kit-before"
	# kit-session-before signs its calls as that build expects them (the
	# wire form of a session call may have changed since).
	if [ -d "$tmp/before/bench/rpc/signreqs" ]; then
		(cd "$tmp/before/bench" && go build -o "$tmp/before-bin/" ./rpc/signreqs) && mv "$tmp/before-bin/signreqs" "$tmp/signreqs-before"
	fi
	grep -q 'echo.typed' "$tmp/before/bench/rpc/echo/kit.go" || before_body=$here/testdata/jsonrpc-request.json
fi

# kit-hmac: the kit server called as a signed service ("echo.signed" is a
# service-level method). Every request needs its own nonce, so signreqs signs
# them ahead of each wrk run (SIGNED_FILE in wrk.lua); the server verifies the
# HMAC, the time window and the nonce in Redis on every request. The readiness
# check gets a signed header set of its own.
# kit-session: the same signed calls in a service session (platform/auth
# session.go): signreqs opens one with a fully signed call to the running
# server, then signs each request with the session's key and its own
# sequence number, which the server checks in its memory (no Redis).
hmac_body=$here/testdata/jsonrpc-request-signed.json
# signed_file N OUT [URL | id:ID]: N fresh signed header sets in OUT (session
# calls of a session opened at URL, or of session ID opened nowhere, when
# given).
# The signer is $tmp/signreqs, or that of the BENCH_BEFORE build for its
# targets (signer, set by run_target).
signer=
signed_file() {
	local session=()
	case ${3:-} in
	"") ;;
	id:*) session=(-session-id "${3#id:}") ;;
	*) session=(-session "$3") ;;
	esac
	"$signer" -n "$1" -body "$hmac_body" "${session[@]}" >"$2"
}
# signed NAME: whether target NAME is loaded with a stream of signed calls.
signed() { [[ $1 == kit-hmac || $1 == kit-session* || $1 == bare-session ]]; }
# seconds D: the whole seconds of a wrk duration such as 10s or 1m.
seconds() { case $1 in *m) echo $((${1%m} * 60)) ;; *s) echo "${1%s}" ;; *) echo "$1" ;; esac; }
kit_hmac_setup() {
	(cd "$bench" && go build -o "$tmp/" ./rpc/signreqs)
}

# cpu_ticks PID prints the user+system CPU time of process PID in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

# run_target NAME BINARY PATH BODY_FILE [HEADERS_FILE [NAME=value...]]: start
# the server (with those environment variables), wait until it answers the
# request, warm up, measure, stop it, and append wrk's RESULT line to
# $tmp/results as "NAME key=value...".
run_target() {
	local name=$1 bin=$2 path=$3 body=$4 headers=${5:-}
	local server_env=("${@:6}")
	local url="http://$addr$path" log="$tmp/$name.log" out="$tmp/$name.wrk"
	local curl_args=(-sS -o "$tmp/$name.resp" -w '%{http_code}' -X POST -H 'Content-Type: application/json' --data-binary "@$body")
	[ -n "$headers" ] && curl_args+=(-H "@$headers")

	say "== $name: $url"
	signer=$tmp/signreqs
	[[ $name == *-before && -x $tmp/signreqs-before ]] && signer=$tmp/signreqs-before
	# a signed readiness check needs a nonce of its own in every round
	signed "$name" && "$signer" -n 1 -body "$hmac_body" | tr '\t' '\n' >"$headers"
	env "${server_env[@]}" "${server_cpu[@]}" "$tmp/$bin" -addr "$addr" >"$tmp/$name.stdout" 2>"$log" &
	server_pid=$!
	local code= i
	for i in $(seq 100); do
		kill -0 "$server_pid" 2>/dev/null || { tail -n 20 "$log" "$tmp/$name.stdout" >&2; die "$name: server exited"; }
		code=$(curl "${curl_args[@]}" "$url" 2>/dev/null) || code=
		[ "$code" = 200 ] && break
		sleep 0.1
	done
	[ "$code" = 200 ] || { tail -n 20 "$log" "$tmp/$name.stdout" >&2; die "$name: no 200 answer from $url (last: ${code:-none})"; }
	grep -Eq '"text": ?"hello, attendify"' "$tmp/$name.resp" && grep -Eq '"n": ?42' "$tmp/$name.resp" ||
		die "$name: echo did not return its params: $(cat "$tmp/$name.resp")"
	local procs
	procs=$(grep -o 'gomaxprocs=[0-9]*' "$log" | head -1 | cut -d= -f2)

	local wrk_env=(BODY_FILE="$body" HEADERS_FILE="$headers") warm_env=() run_env=()
	if signed "$name"; then
		local session_url=
		[[ $name == kit-session* ]] && session_url=$url
		[[ $name == bare-session ]] && session_url=id:bare-session-yardstick
		# 60k requests a second is more than any target here reaches.
		signed_file $((60000 * $(seconds "$warmup"))) "$tmp/signed-warm" "$session_url"
		warm_env=(SIGNED_FILE="$tmp/signed-warm") run_env=(SIGNED_FILE="$tmp/signed-run")
	fi
	env "${wrk_env[@]}" "${warm_env[@]}" "${load_cpu[@]}" wrk -t1 -c"$conns" -d"$warmup" -s "$here/wrk.lua" "$url" >/dev/null
	# The measured calls are signed after the warm-up: on a Redis that has
	# never seen a signed call, the first check of each of the nonce store's
	# 64 slots starts that slot's epoch (platform/auth/nonce.go), which
	# refuses as stale whatever was signed more than a second before it, as
	# it must after a Redis restart. Signed before the warm-up, the first
	# round of a fresh machine was refused whole.
	if [ ${#run_env[@]} -gt 0 ]; then
		signed_file $((60000 * $(seconds "$duration"))) "$tmp/signed-run" "$session_url"
	fi
	local cpu0 cpu1
	cpu0=$(cpu_ticks "$server_pid")
	env "${wrk_env[@]}" "${run_env[@]}" "${load_cpu[@]}" wrk -t1 -c"$conns" -d"$duration" --latency -s "$here/wrk.lua" "$url" >"$out"
	cpu1=$(cpu_ticks "$server_pid")

	kill -TERM "$server_pid"
	wait "$server_pid" || { tail -n 20 "$log" "$tmp/$name.stdout" >&2; die "$name: server did not shut down cleanly"; }
	server_pid=

	local line kv
	line=$(grep '^RESULT ' "$out") || { cat "$out" >&2; die "$name: no RESULT line from wrk"; }
	line="$line cpu_ticks=$((cpu1 - cpu0)) round=$round"
	echo "$name ${line#RESULT }" >>"$tmp/results"
	grep '^FIRST_RPC_ERROR ' "$out" | sed "s/^FIRST_RPC_ERROR/   $name: first JSON-RPC error:/" >&2 || true
	grep '^FIRST_STATUS_ERROR ' "$out" | sed "s/^FIRST_STATUS_ERROR/   $name: first answer of status 400 or more:/" >&2 || true
	local -A r
	for kv in ${line#RESULT }; do r[${kv%%=*}]=${kv#*=}; done
	say "   ${r[requests]} requests in ${duration} (${r[rps]} req/s good, ${r[rpc]} JSON-RPC errors, ${r[status]} non-2xx), server GOMAXPROCS=${procs:-?}"
}

run_kit_hmac=false
if [[ " $targets " == *" kit-hmac "* || " $targets " == *" kit-session"* || " $targets " == *" bare-session "* ]] && kit_hmac_setup "$tmp/hmac-headers"; then
	run_kit_hmac=true
fi

: >"$tmp/results"
for round in $(seq "$rounds"); do
	say "== round $round of $rounds"
	for t in $targets; do
		case $t in
		bare) run_target bare bare /rpc "$here/testdata/jsonrpc-request.json" ;;
		bare-session) run_target bare-session bare /rpc "$here/testdata/jsonrpc-request.json" "$tmp/hmac-headers" ;;
		connect) run_target connect connect /bench.Echo/Echo "$here/testdata/connect-request.json" ;;
		jrpc2) run_target jrpc2 jrpc2 /rpc "$here/testdata/jsonrpc-request.json" ;;
		kit)
			if $have_kit; then run_target kit kit /rpc "$here/testdata/jsonrpc-request.json"
			else say "== kit: skipped: kit server not built yet"; fi ;;
		kit-typed)
			if $have_kit; then run_target kit-typed kit /rpc "$here/testdata/jsonrpc-request-typed.json"
			else say "== kit-typed: skipped: kit server not built yet"; fi ;;
		kit-before) run_target kit-before kit-before /rpc "$before_body" ;;
		kit-session-before)
			if $run_kit_hmac; then run_target kit-session-before kit-before /rpc "$hmac_body" "$tmp/hmac-headers"
			else die "kit-session-before: could not build the request signer"; fi ;;
		kit-hmac)
			if ! $have_kit; then say "== kit-hmac: skipped: kit server not built yet"
			elif $run_kit_hmac; then run_target kit-hmac kit /rpc "$hmac_body" "$tmp/hmac-headers"
			else die "kit-hmac: could not build the request signer"; fi ;;
		kit-session)
			if ! $have_kit; then say "== kit-session: skipped: kit server not built yet"
			elif $run_kit_hmac; then run_target kit-session kit /rpc "$hmac_body" "$tmp/hmac-headers"
			else die "kit-session: could not build the request signer"; fi ;;
		esac
	done
done

echo "### RPC echo"
echo
echo "Machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(go version | cut -d' ' -f3-); load average before the run: $load_before (other work on the machine skews the numbers)."
echo "Load: $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2), 1 thread, $conns connections; per target and round a fresh server, warm-up $warmup, then $duration measured; $rounds rounds, median round by req/s shown; $pinning."
echo
echo "| target | req/s | p50 | p99 | errors | server CPU per request | req/s of each round |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | --- |"
for t in $targets; do
	grep -q "^$t " "$tmp/results" || continue
	grep "^$t " "$tmp/results" | awk -v hz="$hz" '
	{
		for (i = 2; i <= NF; i++) { split($i, kv, "="); v[NR, kv[1]] = kv[2] }
		rps[NR] = v[NR, "rps"]
		each = each (NR > 1 ? " / " : "") sprintf("%.0f", rps[NR])
		ticks += v[NR, "cpu_ticks"]; reqs += v[NR, "requests"]
		c += v[NR, "connect"]; rd += v[NR, "read"]; w += v[NR, "write"]; to += v[NR, "timeout"]; st += v[NR, "status"]; rp += v[NR, "rpc"]
	}
	END {
		# the median round by req/s
		for (i = 1; i <= NR; i++) order[i] = i
		for (i = 1; i <= NR; i++) for (j = i + 1; j <= NR; j++) if (rps[order[j]] < rps[order[i]]) { x = order[i]; order[i] = order[j]; order[j] = x }
		m = order[int((NR + 1) / 2)]
		e = c + rd + w + to + st + rp
		d = e > 0 ? sprintf(" (connect %d, read %d, write %d, timeout %d, non-2xx %d, JSON-RPC error %d)", c, rd, w, to, st, rp) : ""
		printf "| %s | %.0f | %.2f ms | %.2f ms | %d%s | %.1f µs | %s |\n", $1, rps[m], v[m, "p50_us"] / 1000, v[m, "p99_us"] / 1000, e, d, ticks / hz * 1e6 / reqs, each
	}'
done

# Ratios to the first target, round by round (interleaved: the two measured
# within a minute of each other under the same load on the machine).
first=${targets%% *}
if [ "$(wc -w <<<"$targets")" -gt 1 ] && grep -q "^$first " "$tmp/results"; then
	echo
	echo "Ratio to $first, per round (then median and lowest-highest over $rounds rounds); a round with errors in either target is marked *:"
	echo
	echo "| target | req/s ratio: median | spread | CPU-per-request ratio ($first/target): median | spread | each round (req/s ratio) |"
	echo "| --- | ---: | --- | ---: | --- | --- |"
	for t in $targets; do
		[ "$t" = "$first" ] && continue
		grep -q "^$t " "$tmp/results" || continue
		awk -v t="$t" -v b="$first" '
		function med(a, n,   i, j, x, s) {
			for (i = 1; i <= n; i++) s[i] = a[i]
			for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (s[j] < s[i]) { x = s[i]; s[i] = s[j]; s[j] = x }
			lo = s[1]; hi = s[n]
			return n % 2 ? s[(n + 1) / 2] : (s[n / 2] + s[n / 2 + 1]) / 2
		}
		{
			delete v
			for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
			k = v["round"]
			rps[$1, k] = v["rps"]; cpu[$1, k] = v["cpu_ticks"] / (v["requests"] > 0 ? v["requests"] : 1)
			err[$1, k] = v["connect"] + v["read"] + v["write"] + v["timeout"] + v["status"] + v["rpc"]
			if (k > maxr) maxr = k
		}
		END {
			n = 0
			for (k = 1; k <= maxr; k++) {
				if (!((t, k) in rps) || !((b, k) in rps) || rps[b, k] == 0 || cpu[t, k] == 0) continue
				n++; r[n] = rps[t, k] / rps[b, k]; c[n] = cpu[b, k] / cpu[t, k]
				each = each (n > 1 ? " / " : "") sprintf("%.2f%s", r[n], err[t, k] + err[b, k] > 0 ? "*" : "")
			}
			if (n == 0) exit
			mr = med(r, n); rl = lo; rh = hi
			mc = med(c, n); cl = lo; ch = hi
			printf "| %s | %.2f | %.2f-%.2f | %.2f | %.2f-%.2f | %s |\n", t, mr, rl, rh, mc, cl, ch, each
		}' "$tmp/results"
	done
fi
