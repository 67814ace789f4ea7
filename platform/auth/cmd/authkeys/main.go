// Command authkeys prints a fresh set of auth keys as environment
// variables: an Ed25519 token key pair (the signing key for hub only, the
// public key for every service) and a shared service-call secret.
//
//	go run ./auth/cmd/authkeys [-kid k2026a]
//
// To rotate, add the new public key in front of the old one in
// AUTH_TOKEN_PUBLIC_KEYS everywhere, then switch hub's signing key, and
// drop the old public key once its tokens have expired. Service secrets
// rotate the same way: list the new one second everywhere, then move it
// first (the first key signs), then drop the old one.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/attendify/platform/auth"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "authkeys:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("authkeys", flag.ContinueOnError)
	kid := fs.String("kid", "k"+time.Now().UTC().Format("20060102"), "key id to publish the keys under")
	if err := fs.Parse(args); err != nil {
		return err
	}
	k, err := auth.GenerateKeys(*kid)
	if err != nil {
		return err
	}
	fmt.Printf("AUTH_TOKEN_SIGNING_KEY=%s\n", k.TokenSigningKey)
	fmt.Printf("AUTH_TOKEN_PUBLIC_KEYS=%s\n", k.TokenPublicKeys)
	fmt.Printf("AUTH_SERVICE_KEYS=%s\n", k.ServiceKeys)
	return nil
}
