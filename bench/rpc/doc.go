// Package rpc holds the side-by-side RPC benchmark: the same echo call served by
// bare net/http + encoding/json, connect-go, creachadair/jrpc2 and the platform
// kit, loaded by run.sh and measured for allocations by the Go benchmarks in
// rpc_test.go.
package rpc
