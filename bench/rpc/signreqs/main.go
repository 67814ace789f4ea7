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
package main

import (
	"bufio"
	"flag"
	"fmt"
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
	for range *n {
		signer.Sign(r, body)
		parts := make([]string, len(names))
		for i, h := range names {
			parts[i] = h + ": " + r.Header.Get(h)
		}
		fmt.Fprintln(w, strings.Join(parts, "\t"))
	}
	return w.Flush()
}
