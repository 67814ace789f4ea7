# Riak KV bucket types for the key-value and data-type port (platform/kv):
# objects (plain KV with allow_mult, so concurrent writes become siblings the
# adapter resolves), counters, sets and maps. docker-compose.yml mounts this file into the basho/riak-kv image's
# /etc/riak/poststart.d/, whose start script sources it (with bash) once
# riak_kv is up, on every start. Idempotent. Sourced, not run: no `exit`,
# no `set -e`.
#
# By hand on any node: bash dev/riak/bucket-types.sh
attendify_bucket_types() {
	local admin=${RIAK_ADMIN:-}
	if [ -z "$admin" ]; then
		if command -v riak-admin >/dev/null 2>&1; then admin=riak-admin; else admin="riak admin"; fi
	fi
	local spec name datatype status
	for spec in objects:- counters:counter sets:set maps:map; do
		name=${spec%%:*}
		datatype=${spec#*:}
		local props="{\"props\":{\"datatype\":\"$datatype\"}}"
		[ "$datatype" = - ] && props='{"props":{"allow_mult":true}}'
		status=$($admin bucket-type status "$name" 2>&1 || true)
		if printf '%s' "$status" | grep -q "$name is active"; then
			continue
		fi
		if ! printf '%s' "$status" | grep -q "$name is not active"; then
			echo "attendify: creating Riak bucket type $name ($props)"
			$admin bucket-type create "$name" "$props" ||
				echo "attendify: creating bucket type $name failed" >&2
		fi
		# a new type is activatable once the cluster has agreed on it
		local try
		for try in 1 2 3 4 5 6 7 8 9 10; do
			if $admin bucket-type activate "$name"; then break; fi
			[ "$try" = 10 ] && echo "attendify: activating bucket type $name failed" >&2
			sleep 1
		done
	done
}
attendify_bucket_types
unset -f attendify_bucket_types
