package echo

import (
	"context"
	"net/http"

	"github.com/creachadair/jrpc2/handler"
	"github.com/creachadair/jrpc2/jhttp"
)

// JRPC2 returns a handler for POST /rpc that bridges HTTP to a creachadair/jrpc2
// server (jhttp.Bridge) with the one method echo, and a close function that
// stops that server; call it after the HTTP server has shut down.
func JRPC2() (http.Handler, func() error) {
	bridge := jhttp.NewBridge(handler.Map{
		Method: handler.New(func(_ context.Context, p Params) (Params, error) { return p, nil }),
	}, nil)
	mux := http.NewServeMux()
	mux.Handle("POST "+RPCPath, bridge)
	return mux, bridge.Close
}
