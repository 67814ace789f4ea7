package echo

import (
	"net/http"
	"net/http/httptest"
	"strings"
)

// serve sends body as a JSON POST to path on h and returns the response body.
func serve(h http.Handler, path, body string) string {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Body.String()
}
