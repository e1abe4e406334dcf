# crieur — make demo (watch the daemon publish a small campaign), make test (everything CI runs).
GO       ?= go
BIN      ?= bin/crieur
PKGS     ?= ./...

.PHONY: all build demo test test-go lint bench bench-pg bench-compare crash-test services-up services-down clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/crieur

## demo: build crieur, make a throw-away calendar with local channels, and watch the daemon publish it.
demo:
	bash scripts/demo.sh

## test: vet, staticcheck, every test with -race, the end-to-end tests against local Mailpit and Bluesky PDS,
##   and beside them calendar/sqlstore's own tests on PostgreSQL (CRIEUR_TEST_ENGINE=postgres).
test:
	bash scripts/test.sh

## test-go: the Go tests alone (services' end-to-end tests skip when they are not running; under CI=true they fail).
test-go:
	$(GO) vet $(PKGS)
	$(GO) test -race -count=1 $(PKGS)

lint:
	gofmt -l $$(git ls-files '*.go') | tee /dev/stderr | (! read)
	$(GO) vet $(PKGS)
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 $(PKGS)

## bench: the benchmarks BENCHMARKS.md records.
bench:
	bash scripts/bench.sh

## bench-pg: the PostgreSQL figures (issue 13) in one run: import vs psql \copy, calendar/post list on 1,000,000 posts, 3 daemons.
##   Starts its own PostgreSQL (as the tests do) unless BENCH_PG_URL or CRIEUR_TEST_POSTGRES names one; settings in scripts/bench-pg.sh.
bench-pg:
	bash scripts/bench-pg.sh

## bench-compare: two binaries side by side in one run, with the issue-12 targets (a markdown table).
##   make bench-compare BENCH_BEFORE_REF=2916390        # before built from that commit (git archive), after = this tree
##   make bench-compare BEFORE=/path/crieur AFTER=/path/crieur
## How to build a before binary by hand, and the BENCH_* settings: scripts/bench-compare.sh's header.
BEFORE ?=
AFTER  ?=
bench-compare:
	BENCH_BEFORE_REF=$(BENCH_BEFORE_REF) bash scripts/bench-compare.sh "$(BEFORE)" "$(AFTER)"

## crash-test: the long SIGKILL crash tests of the scheduler (a generic network; the Mastodon adapter against a server ignoring Idempotency-Key;
##   3 daemons on one calendar, SQLite and PostgreSQL: 1,000 deliveries, 60 s of kills, a quiet minute).
crash-test:
	CRIEUR_CRASH_TEST=long $(GO) test -count=1 -run Crash -v ./scheduler/

clean:
	rm -rf bin
