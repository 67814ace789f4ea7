package testkit

import (
	"net/http"
	"testing"
)

// Preflight sends the CORS preflight a browser on origin makes before a
// JSON-RPC call with a token (POST, Authorization and Content-Type) to
// url, and returns the answer, its body closed: its Access-Control-*
// headers say what the server allows ("Access-Control-Allow-Origin" empty
// when it refuses).
func Preflight(t testing.TB, url, origin string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodOptions, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Origin", origin)
	req.Header.Set("Access-Control-Request-Method", http.MethodPost)
	req.Header.Set("Access-Control-Request-Headers", "authorization,content-type")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	return resp
}
