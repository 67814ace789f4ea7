// Package echo is the one call every stack in the RPC benchmark serves: echo,
// which returns its params unchanged. It builds the handler of each stack and
// serves the bare, connect and jrpc2 stacks with the same HTTP server
// settings (Serve); the kit runs on the service runner's own server, as a
// service does.
package echo

// Params is the echo call's params, and its result.
type Params struct {
	Text string `json:"text"`
	N    int    `json:"n"`
}

// Sample is the params every benchmark request carries.
var Sample = Params{Text: "hello, attendify", N: 42}

// Paths the servers answer on.
const (
	// RPCPath is the JSON-RPC endpoint of the bare and jrpc2 servers (POST).
	RPCPath = "/rpc"
	// ConnectProcedure is the connect-go procedure (unary, POST).
	ConnectProcedure = "/bench.Echo/Echo"
	// Method is the JSON-RPC method name.
	Method = "echo"
)
