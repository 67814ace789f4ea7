module github.com/attendify/bench

go 1.26.0

require (
	connectrpc.com/connect v1.21.1
	github.com/attendify/platform v0.0.0
	github.com/creachadair/jrpc2 v1.3.6
	github.com/google/go-cmp v0.7.0
	google.golang.org/protobuf v1.36.12
)

require (
	github.com/creachadair/mds v0.31.0 // indirect
	golang.org/x/sync v0.25.0 // indirect
)

replace github.com/attendify/platform => ../platform
