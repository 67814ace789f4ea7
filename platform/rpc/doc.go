// Package rpc is the JSON-RPC 2.0 layer every service speaks: typed methods
// declared once in a service's api.go and used on both sides.
//
// A Method[P, R] names a method and says what the platform must know about
// it: who may call it (auth level), whether a retry is safe (Idempotent), its
// timeout, its body limit and whether it may run inside a batch. On the
// server, Handle binds a Handler to it on a Server, which decodes and checks
// the params against the JSON Schema generated from P (a fast path for flat
// structs, a full validator otherwise; bulk params may decode their usual
// calls themselves, FastDecoder, and large results encode themselves,
// JSONAppender), authenticates the caller through an
// Authenticator, applies deadlines (X-Budget-Ms), batches with bounded
// concurrency, load shedding, metrics, traces and access logs, and maps
// errors to the stable codes of platform/errs. rpc.discover and GET
// /openrpc.json serve the OpenRPC document of every registered method. On
// the client, Method.Call sends one call through a Client (balancing over
// replicas, a circuit breaker per replica, retries only where the method is
// idempotent or the error retryable, HMAC-signed service calls when the
// client has a signer), and NewBatchCall groups calls in one exchange.
//
// It is not a router for plain HTTP routes (uploads, pages, streams): those
// are mounted beside the RPC endpoint by platform/runner, and
// WriteHTTPError answers their errors in the same codes. It knows nothing of
// tokens or keys: platform/auth implements its Authenticator.
package rpc
