package echo

import (
	"context"
	"net/http"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/structpb"
)

// Connect returns a connect-go unary handler for ConnectProcedure. Its
// messages are structpb.Struct, a well-known type that needs no code
// generation; a client posting application/json gets connect's JSON codec
// (protojson), so {"text":...,"n":42} comes back unchanged.
func Connect() http.Handler {
	mux := http.NewServeMux()
	mux.Handle(ConnectProcedure, connect.NewUnaryHandler(ConnectProcedure, echoStruct))
	return mux
}

func echoStruct(_ context.Context, req *connect.Request[structpb.Struct]) (*connect.Response[structpb.Struct], error) {
	return connect.NewResponse(req.Msg), nil
}
