#!/usr/bin/env bash
# Single-node setup of the Apache CouchDB 3 container of docker-compose.yml:
# waits for the server, then creates the system databases (idempotent).
set -euo pipefail
url=${COUCHDB_URL:?COUCHDB_URL with admin credentials}
for _ in $(seq 120); do
	if curl -fsS -o /dev/null "$url/_up" 2>/dev/null; then break; fi
	sleep 1
done
curl -fsS -o /dev/null "$url/_up" || { echo "couchdb-setup: $url/_up does not answer" >&2; exit 1; }
for db in _users _replicator _global_changes; do
	code=$(curl -sS -o /dev/null -w '%{http_code}' -X PUT "$url/$db")
	case $code in
	201 | 202) echo "couchdb-setup: created $db" ;;
	412) echo "couchdb-setup: $db exists" ;;
	*)
		echo "couchdb-setup: PUT /$db answered $code" >&2
		exit 1
		;;
	esac
done
