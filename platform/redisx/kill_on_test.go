//go:build clusterkill

package redisx_test

// withKill: TestClusterFailover also kills a primary (make test-cluster-kill).
const withKill = true
