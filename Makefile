# Attendify services: the whole stack, the tests, the benchmarks.
# Every target works on a fresh machine with Go, Postgres and Redis (see README).

SHELL := /bin/bash
# Every Go module of the workspace, in dependency order.
MODULES := platform $(wildcard services/*) dev bench
MODULES := $(foreach m,$(MODULES),$(if $(wildcard $(m)/go.mod),$(m)))
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
GOTEST_FLAGS ?= -count=1 -timeout 15m
# With RIAK_HOSTS set, the tests that need a Riak cluster run too (the
# key-value contract suite against Riak).
GOTEST_TAGS := $(if $(RIAK_HOSTS),-tags riak)
# The suites that follow CouchDB _changes feeds run a second time against the
# dev server in sharded mode (dev/services.sh sharded): its feed interleaves
# documents and repeats changes on resume, as Apache CouchDB 3 does. Each
# entry is module:packages.
SHARDED_SUITES := platform:./couch/... services/social:./... services/eventwall:./...
SHARDED_COUCHDB_URL ?= http://admin:admin@127.0.0.1:$(or $(COUCHDB_DEV_SHARDED_PORT),5985)

.PHONY: help services test-services run test test-sharded lint bench fmt tidy

help:
	@echo "make run      start the stores, migrate, start every service, load the demo app"
	@echo "make test     start the stores, then unit + integration tests of every module,"
	@echo "              and the CouchDB-feed suites again against a sharded dev server"
	@echo "make lint     gofmt, go vet, staticcheck, and a GOWORK=off build of every module"
	@echo "make bench    side-by-side benchmarks (results go in bench/RESULTS.md)"

# services makes sure Postgres, Redis and the CouchDB-compatible server run on
# loopback; idempotent.
services:
	@bash dev/services.sh

# run builds, migrates and starts every service, loads the demo data and
# prints a summary (pages to open, the demo login, curl commands; tokens go
# to .run/demo/tokens.env); Ctrl-C stops it all (dev/cmd/stack).
# STACK_FLAGS="-port 9081" moves the services' ports; "-json FILE" also
# writes the summary as JSON for scripts. The stack runs as a built binary,
# not under go run, which exits 1 after a Ctrl-C whatever the stack returns.
run: services
	@mkdir -p .run/bin && go build -o .run/bin/stack ./dev/cmd/stack
	@./.run/bin/stack $(STACK_FLAGS)

# test-services is services plus what only the tests need (Chromium for the
# headless browser tests).
test-services:
	@bash dev/services.sh test

test: test-services
	@failed=""; for m in $(MODULES); do \
		echo "== go test $$m"; \
		(cd $$m && go test $(GOTEST_FLAGS) $(GOTEST_TAGS) ./...) || failed="$$failed $$m"; \
	done; \
	$(MAKE) --no-print-directory test-sharded || failed="$$failed sharded"; \
	if [ -n "$$failed" ]; then echo "FAILED:$$failed"; exit 1; fi

# test-sharded runs SHARDED_SUITES against the sharded dev server.
test-sharded:
	@bash dev/services.sh sharded
	@failed=""; for suite in $(SHARDED_SUITES); do \
		m=$${suite%%:*}; pkgs=$${suite#*:}; \
		echo "== go test $$m $$pkgs (CouchDB _changes sharded)"; \
		(cd $$m && COUCHDB_URL=$(SHARDED_COUCHDB_URL) go test $(GOTEST_FLAGS) $$pkgs) || failed="$$failed $$m"; \
	done; \
	if [ -n "$$failed" ]; then echo "FAILED against the sharded CouchDB dev server:$$failed"; exit 1; fi

lint:
	@set -e; out=$$(gofmt -l $(MODULES)); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	@set -e; for m in $(MODULES); do \
		echo "== vet + staticcheck $$m"; \
		(cd $$m && go vet ./... && go vet -tags riak ./... && go run $(STATICCHECK) -tags riak ./...); \
		echo "== GOWORK=off build+vet $$m"; \
		(cd $$m && GOWORK=off go build ./... && GOWORK=off go vet ./...); \
	done

# bench runs every runner script under bench/ (bench/*/run.sh; the RPC one
# builds the echo servers and loads them with wrk), then the Go benchmarks of
# the bench module (allocs/op of each stack's server path).
bench:
	@set -e; for r in bench/*/run.sh; do echo "== $$r"; bash $$r; done
	@echo "== go test -bench bench"
	@cd bench && go test -run='^$$' -bench=. -benchmem ./...

fmt:
	gofmt -w $(MODULES)

tidy:
	@set -e; for m in $(MODULES); do (cd $$m && GOWORK=off go mod tidy); done
