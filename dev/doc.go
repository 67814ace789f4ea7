// Package dev checks the definition of the local stack: docker-compose.yml at
// the repository root, with the scripts it mounts from dev/. The helpers
// themselves (the CouchDB-compatible dev server, services.sh) are not Go; see
// README.md beside this file.
package dev
