# Roster — run `make help` for the targets.
export PATH := $(PATH):/usr/local/go/bin:$(HOME)/go/bin
GO ?= go
BIN := bin/roster

.PHONY: help run build test test-race lint bench conformance clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

run: build ## start Roster on the embedded bbolt store (./roster.db, http://127.0.0.1:8080)
	./$(BIN) serve

build: ## build bin/roster
	$(GO) build -o $(BIN) ./cmd/roster

# The PostgreSQL and replica tests run on ROSTER_TEST_DATABASE_URL; when it is unset and a server
# answers on this machine, on that server's database "test" (trust authentication).
LOCAL_TEST_DATABASE_URL := postgres://postgres@127.0.0.1:5432/test?sslmode=disable
USE_LOCAL_DATABASE := if [ -z "$$ROSTER_TEST_DATABASE_URL" ] && pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then \
		export ROSTER_TEST_DATABASE_URL='$(LOCAL_TEST_DATABASE_URL)'; \
		echo "PostgreSQL tests: the local server ($(LOCAL_TEST_DATABASE_URL))"; fi

test: ## run every test (PostgreSQL ones too when a server answers) and list what was skipped, and why
	@$(USE_LOCAL_DATABASE); $(GO) test -count=1 -json ./... | $(GO) run ./internal/testreport

test-race: ## run every test under the race detector, listing what was skipped, and why
	@$(USE_LOCAL_DATABASE); $(GO) test -count=1 -race -json ./... | $(GO) run ./internal/testreport

lint: ## gofmt and go vet
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# The benchmarks compare each figure with a baseline measured in the same run; their last
# lines are the table of the performance goals (internal/benchreport). ROSTER_BENCH_SCALE=1
# adds the million-user benchmark (minutes of seeding); the PostgreSQL ones run as make test's.
# One package at a time (-p 1): go test otherwise runs two packages' benchmarks at once, and
# each would measure the other's load. GOGC=400 is what `roster serve` runs with (cmd/roster);
# the in-process servers of the benchmarks run so too, and so do their baselines beside them.
bench: ## run the benchmarks and print the table of performance goals, each a ratio to a baseline of the same run
	@$(USE_LOCAL_DATABASE); GOGC=$${GOGC:-400} ROSTER_BENCH_SCALE=$${ROSTER_BENCH_SCALE:-1} $(GO) test -p 1 -run '^$$' -bench . -benchtime 1x -timeout 60m -json ./... | $(GO) run ./internal/benchreport

conformance: ## run the black-box suite; against a running server: make conformance ARGS="-base-url=... -token=... -admin-token=..."
	$(GO) test -count=1 ./conformance/ -args $(ARGS)

clean: ## remove build output
	rm -rf bin
