// Command signreqs writes pre-signed service-call headers for the kit-hmac
// row of the RPC benchmark: one line per request, each with its own nonce,
// "Name: value" pairs separated by tabs. wrk cannot compute HMAC-SHA256 per
// request at speed, so the signing is done ahead of the run and the server
// does the whole verification (signature, time window, nonce kept in Redis)
// on every request, as in production.
//
//	go run ./bench/rpc/signreqs -n 400000 -body bench/rpc/testdata/jsonrpc-request-signed.json > signed.txt
//
// Keys come from the environment like every service's (AUTH_SERVICE_KEYS;
// the development key by default). Signatures are valid for the ±5 minute
// window from the moment they are made.
//
// With -session URL it first makes one fully signed call to URL asking for a
// service session (X-Service-Session: open) and then signs the n requests as
// calls of that session (one header, X-Service-Session, with the session
// id, a sequence number, the timestamp and the signature; checked in the
// replica's memory, no Redis): the kit-session row. With -session-id ID
// instead, the calls are signed as calls of a session ID that no server
// opened: the same bytes on the wire, for the bare-session row (the bare
// server loaded with the session calls' stream, which it ignores).
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/attendify/platform/auth"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "signreqs:", err)
		os.Exit(1)
	}
}

func run() error {
	n := flag.Int("n", 100000, "number of requests to sign")
	bodyFile := flag.String("body", "", "the exact request body `file`")
	path := flag.String("path", "/rpc", "request path")
	sessionURL := flag.String("session", "", "open a service session at this `URL` and sign session calls")
	sessionID := flag.String("session-id", "", "sign session calls of this session `id`, opened nowhere (a yardstick's load)")
	flag.Parse()
	body, err := os.ReadFile(*bodyFile)
	if err != nil {
		return err
	}
	cfg, err := auth.LoadConfig()
	if err != nil {
		return err
	}
	cfg.ServiceName = "bench"
	signer, err := cfg.Signer()
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	r, _ := http.NewRequest(http.MethodPost, "http://bench"+*path, nil)
	names := []string{auth.HeaderService, auth.HeaderKeyID, auth.HeaderTimestamp, auth.HeaderNonce, auth.HeaderSignature}
	sign := signer.Sign
	if *sessionURL != "" {
		id, err := openSession(*sessionURL, signer, body)
		if err != nil {
			return err
		}
		*sessionID = id
	}
	if *sessionID != "" {
		sign = signer.Session(*sessionID).Sign
		names = []string{auth.HeaderSession} // "<id> <seq> <timestamp> <signature>"
	}
	for range *n {
		sign(r, body)
		parts := make([]string, len(names))
		for i, h := range names {
			parts[i] = h + ": " + r.Header.Get(h)
		}
		fmt.Fprintln(w, strings.Join(parts, "\t"))
	}
	return w.Flush()
}

// openSession makes one fully signed call of body to url asking for a
// service session and returns the session id granted.
func openSession(url string, signer auth.Signer, body []byte) (string, error) {
	r, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set(auth.HeaderSession, auth.SessionOpen)
	signer.Sign(r, body)
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	id := resp.Header.Get(auth.HeaderSession)
	if resp.StatusCode != http.StatusOK || id == "" || bytes.Contains(answer, []byte(`"error"`)) {
		return "", fmt.Errorf("opening a session at %s: status %d, session %q: %s", url, resp.StatusCode, id, answer)
	}
	return id, nil
}
