//go:build !clusterkill

package redisx_test

// withKill: TestClusterFailover stops after the planned failover; its kill
// phase needs -tags clusterkill (make test-cluster-kill).
const withKill = false
