#!/usr/bin/env bash
# A Redis Cluster of six redis-server processes (three primaries, three
# replicas) on loopback, for the suites that run against one
# (`make test-redis-cluster`). Debian's redis-server and redis-cli; nothing is
# kept on disk beyond the nodes' cluster files under .run/rediscluster.
#
#   bash dev/rediscluster.sh start     start the nodes and form the cluster
#                                      (idempotent); prints REDIS_CLUSTER_ADDRS
#   bash dev/rediscluster.sh addrs     print REDIS_CLUSTER_ADDRS
#   bash dev/rediscluster.sh failover  promote a replica of a primary
#                                      (CLUSTER FAILOVER) and wait until the
#                                      cluster agrees
#   bash dev/rediscluster.sh kill-primary  SIGKILL a primary, wait for its
#                                      replica to take over (if it has not in
#                                      30 s: print what the nodes think and
#                                      promote it with CLUSTER FAILOVER
#                                      TAKEOVER), start it again (it rejoins
#                                      as a replica)
#   bash dev/rediscluster.sh faults N  every N seconds, alternately fail a
#                                      primary over and kill one, until
#                                      .run/rediscluster/faults.stop exists
#                                      (checked every second, never in the
#                                      middle of a fault); each fault that took is a line
#                                      in .run/rediscluster/faults.log, one that
#                                      did not ends it with status 1
#   bash dev/rediscluster.sh stop      stop the nodes this script started
#
# REDIS_CLUSTER_PORT (7101) is the first node's port; the others follow.
set -euo pipefail
cd "$(dirname "$0")/.."
base=${REDIS_CLUSTER_PORT:-7101}
dir=${REDIS_CLUSTER_DIR:-$PWD/.run/rediscluster}
ports=($(seq "$base" $((base + 5))))

cli() { redis-cli -h 127.0.0.1 -p "$1" "${@:2}"; }

addrs() {
	local out=() p
	for p in "${ports[@]}"; do out+=("127.0.0.1:$p"); done
	(IFS=,; echo "${out[*]}")
}

start_node() {
	local p=$1 d="$dir/$1"
	mkdir -p "$d"
	if cli "$p" ping >/dev/null 2>&1; then return; fi
	redis-server --port "$p" --bind 127.0.0.1 --protected-mode no \
		--cluster-enabled yes --cluster-config-file "$d/nodes.conf" \
		--cluster-node-timeout 2000 --cluster-replica-validity-factor 0 \
		--repl-diskless-sync-delay 0 \
		--save "" --appendonly no --dir "$d" \
		--daemonize yes --pidfile "$d/redis.pid" --logfile "$d/redis.log"
	for _ in $(seq 100); do cli "$p" ping >/dev/null 2>&1 && return; sleep 0.1; done
	echo "redis-server on $p did not start; its log:" >&2
	cat "$d/redis.log" >&2
	exit 1
}

# wait_ok waits until every node says cluster_state:ok and the slots are
# covered by three primaries, each with a replica whose link is up (a
# replica still in its handshake holds nothing).
wait_ok() {
	local p i
	for i in $(seq 300); do
		local good=1
		for p in "${ports[@]}"; do
			cli "$p" cluster info 2>/dev/null | grep -q '^cluster_state:ok' || good=0
			if cli "$p" role 2>/dev/null | head -1 | grep -q slave; then
				cli "$p" info replication | grep -q '^master_link_status:up' || good=0
			fi
		done
		if [ $good = 1 ] && [ "$(masters | wc -l)" = 3 ] && [ "$(cli "${ports[0]}" cluster nodes | grep -c slave)" = 3 ]; then
			return 0
		fi
		sleep 0.2
	done
	echo "the Redis Cluster on ${ports[*]} is not healthy:" >&2
	cli "${ports[0]}" cluster nodes >&2 || true
	return 1
}

# up is an awk function: whether a node's flags (CLUSTER NODES' third field)
# hold neither fail nor fail? (nofailover is a flag of its own).
up='function up(flags,  f, i) { split(flags, f, ","); for (i in f) if (f[i] == "fail" || f[i] == "fail?") return 0; return 1 }'

# masters prints the ports of the primaries that serve slots.
masters() {
	local p=${ports[0]}
	cli "$p" ping >/dev/null 2>&1 || p=${ports[1]}
	masters_seen_by "$p"
}

# masters_seen_by prints the ports of the primaries that serve slots as the
# node on port $1 sees them.
masters_seen_by() {
	cli "$1" cluster nodes | awk "$up"' $3 ~ /master/ && up($3) && NF > 8 { split($2, a, "[:@]"); print a[2] }'
}

# replica_of prints the port of a replica of the node with the given id.
replica_of() {
	local p=${ports[0]}
	cli "$p" ping >/dev/null 2>&1 || p=${ports[1]}
	cli "$p" cluster nodes | awk -v id="$1" "$up"' $4 == id && up($3) { split($2, a, "[:@]"); print a[2]; exit }'
}

# pick prints one of the primaries, at random, so that in a long run every
# primary and every replica is hit.
pick() {
	local m
	mapfile -t m < <(masters)
	echo "${m[RANDOM % ${#m[@]}]}"
}

# diagnose prints what each live node thinks of the cluster and the end of
# every node's log, for a fault that did not take.
diagnose() {
	local p
	for p in "${ports[@]}"; do
		echo "-- node $p: cluster nodes"
		cli "$p" cluster nodes 2>&1 || true
		echo "-- node $p: end of its log"
		tail -n 25 "$dir/$p/redis.log" 2>&1 || true
	done
}

case "${1:-start}" in
start)
	command -v redis-server >/dev/null && command -v redis-cli >/dev/null || {
		echo "redis-server and redis-cli are needed: run 'make services' (Debian's redis-server)" >&2
		exit 1
	}
	for p in "${ports[@]}"; do start_node "$p"; done
	if ! cli "${ports[0]}" cluster info | grep -q '^cluster_state:ok'; then
		# A fresh cluster: forget any half-made one, then create it.
		for p in "${ports[@]}"; do cli "$p" flushall >/dev/null 2>&1 || true; cli "$p" cluster reset hard >/dev/null; done
		hosts=()
		for p in "${ports[@]}"; do hosts+=("127.0.0.1:$p"); done
		redis-cli --cluster create "${hosts[@]}" --cluster-replicas 1 --cluster-yes >"$dir/create.log"
	fi
	wait_ok
	addrs
	;;
addrs) addrs ;;
failover)
	primary=$(pick)
	id=$(cli "$primary" cluster myid)
	replica=$(replica_of "$id")
	[ -n "$replica" ] || { echo "no replica of the primary on $primary" >&2; exit 1; }
	cli "$replica" cluster failover >/dev/null
	for _ in $(seq 150); do
		cli "$replica" role | head -1 | grep -q master && break
		sleep 0.2
	done
	cli "$replica" role | head -1 | grep -q master || { echo "failover to $replica did not happen" >&2; diagnose >&2; exit 1; }
	wait_ok
	echo "failed over: primary $primary -> $replica"
	;;
kill-primary)
	primary=$(pick)
	id=$(cli "$primary" cluster myid)
	pid=$(cat "$dir/$primary/redis.pid")
	kill -9 "$pid"
	# Its replica is promoted once the others mark it failed (node timeout
	# 2 s): wait for that before the killed node comes back.
	# taken: every other node sees three primaries serving slots, the
	# killed one not among them. The killed node comes back empty with its
	# cluster file, in which it still serves its slots: started before a
	# node has heard of the promotion, it could take them back, empty.
	taken() {
		local p m
		for p in "${ports[@]}"; do
			[ "$p" = "$primary" ] && continue
			m=$(masters_seen_by "$p" 2>/dev/null) || return 1
			[ "$(echo "$m" | wc -l)" = 3 ] && ! echo "$m" | grep -qx "$primary" || return 1
		done
	}
	for _ in $(seq 150); do taken && break; sleep 0.2; done
	how="its replica took over"
	if ! taken; then
		# Seen once in CI under load: 30 s after the kill no replica had
		# taken the dead primary's slots. What the nodes thought goes to
		# stderr; then the replica is promoted as an operator would
		# (CLUSTER FAILOVER TAKEOVER), so that the run goes on with three
		# primaries, and the fault's line says so.
		echo "no replica took over from $primary within 30 s (pid $pid alive: $(kill -0 "$pid" 2>/dev/null && echo yes || echo no)); what the nodes thought:" >&2
		diagnose >&2
		replica=$(replica_of "$id")
		[ -n "$replica" ] || { echo "no replica of the primary on $primary" >&2; exit 1; }
		cli "$replica" cluster failover takeover >/dev/null
		for _ in $(seq 150); do taken && break; sleep 0.2; done
		taken || { echo "CLUSTER FAILOVER TAKEOVER on $replica did not take" >&2; exit 1; }
		how="its replica $replica took over only when told to (CLUSTER FAILOVER TAKEOVER)"
	fi
	start_node "$primary"
	wait_ok
	echo "killed primary $primary (pid $pid); $how; it rejoined"
	;;
faults)
	every=${2:?faults needs an interval in seconds}
	: >"$dir/faults.log"
	rm -f "$dir/faults.stop"
	n=0
	while :; do
		for _ in $(seq "$every"); do
			[ -e "$dir/faults.stop" ] && exit 0
			sleep 1
		done
		n=$((n + 1))
		if [ $((n % 2)) = 1 ]; then what=failover; else what=kill-primary; fi
		# Only the fault's one-line summary goes to faults.log (its lines
		# are counted); anything it says on stderr goes to the run's log.
		if ! out=$(bash "$0" "$what" 2>"$dir/fault.err"); then
			echo "FAILED $what: $(cat "$dir/fault.err")" | tee -a "$dir/faults.log" >&2
			exit 1
		fi
		cat "$dir/fault.err" >&2
		echo "$(date -u +%T) $out" | tee -a "$dir/faults.log"
	done
	;;
stop)
	# Wait for each node to exit, so that a start right after finds its
	# port free rather than a node about to go.
	pids=()
	for p in "${ports[@]}"; do
		f="$dir/$p/redis.pid"
		[ -f "$f" ] || continue
		pid=$(cat "$f")
		kill "$pid" 2>/dev/null && pids+=("$pid")
		rm -f "$f"
	done
	for pid in "${pids[@]}"; do
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$pid" 2>/dev/null || true
	done
	;;
*)
	echo "usage: $0 start|addrs|failover|kill-primary|faults N|stop" >&2
	exit 2
	;;
esac
