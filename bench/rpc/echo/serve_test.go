package echo

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
)

func TestServeAnswersThenShutsDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, slog.New(slog.DiscardHandler), ln, Bare()) }()

	body := `{"jsonrpc":"2.0","method":"echo","params":{"text":"hi","n":1},"id":7}`
	resp, err := http.Post("http://"+ln.Addr().String()+RPCPath, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"jsonrpc":"2.0","result":{"text":"hi","n":1},"id":7}` + "\n"
	if string(got) != want {
		t.Errorf("response = %s, want %s", got, want)
	}

	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve after cancel = %v, want nil", err)
	}
	if _, err := http.Post("http://"+ln.Addr().String()+RPCPath, "application/json", strings.NewReader(body)); err == nil {
		t.Error("server still answers after shutdown")
	}
}

func TestBareErrors(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"parse error", `{"jsonrpc":`, `{"jsonrpc":"2.0","error":{"code":-32700,"message":"parse error"},"id":null}`},
		{"unknown method", `{"jsonrpc":"2.0","method":"nope","id":"a"}`, `{"jsonrpc":"2.0","error":{"code":-32601,"message":"method not found"},"id":"a"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := serve(Bare(), RPCPath, tt.body)
			if got := strings.TrimSpace(rec); got != tt.want {
				t.Errorf("response = %s, want %s", got, tt.want)
			}
		})
	}
}
