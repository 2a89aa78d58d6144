# authd developer commands. `make run` starts the server; `make test` runs every check CI runs.
SHELL := /bin/bash
.DEFAULT_GOAL := help

GO       ?= go
PKGS     := ./...
BIN      := bin/authd
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X github.com/authd/authd/internal/app.Version=$(VERSION)
# Development-only secrets; never use them anywhere else. The first seals the signing keys in the database.
DEV_SECRET_KEY := dev-only-sealing-key-do-not-use-in-production

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  %-16s %s\n", $$1, $$2}'

.PHONY: generate
generate: ## regenerate gen/api (oapi-codegen), gen/db (sqlc) and the TypeScript SDK's types (openapi-typescript; needs npm)
	$(GO) tool oapi-codegen -config gen/api/config.yaml openapi.yaml
	$(GO) tool sqlc generate
	cd sdk/typescript && npm ci --no-audit --no-fund --loglevel=error && npx --no-install openapi-typescript ../../openapi.yaml -o src/schema.ts

.PHONY: generate-check
generate-check: generate ## fail if regenerating changes anything under gen/ or the SDK's generated types
	@if [ -n "$$(git status --porcelain -- gen/ sdk/typescript/src/schema.ts)" ]; then \
		echo "generated code is out of date or was edited by hand; run make generate and commit:"; \
		git status --porcelain -- gen/ sdk/typescript/src/schema.ts; git diff --stat -- gen/ sdk/typescript/src/schema.ts; exit 1; \
	fi

.PHONY: fmt-check
fmt-check: ## fail if any Go file is not gofmt-formatted
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '^gen/')); \
	if [ -n "$$out" ]; then echo "not gofmt-formatted:"; echo "$$out"; exit 1; fi

.PHONY: lint
lint: fmt-check ## gofmt, go vet and staticcheck (pinned as a tool line in go.mod)
	$(GO) vet $(PKGS)
	$(GO) tool staticcheck $(PKGS)

.PHONY: test
test: lint generate-check ## gofmt, vet, staticcheck, generated-code drift, then every test with the race detector
	$(GO) test -race -count=1 $(PKGS)

.PHONY: bench
bench: ## requests/s and p50/p99 of GET /api/me, refresh and login (ES256 and HS256) on a real server and database; token signing cost
	$(GO) test -run '^$$' -bench . -benchtime 3s ./internal/bench/ | grep -v testdbconf
	$(GO) test -run '^$$' -bench 'BenchmarkIssueAccessToken|BenchmarkVerifyLegacy' ./internal/auth/

.PHONY: bench-scale
bench-scale: ## seed 1M users and 5M sessions and tokens, then GET /api/me, login, refresh and admin search next to 1k users
	AUTHD_BENCH_SCALE=1 $(GO) test -run '^$$' -bench BenchmarkScale -benchtime 1x -timeout 30m -v ./internal/bench/ | grep -v testdbconf

FUZZTIME ?= 30s
FUZZ_TARGETS := internal/httpapi:FuzzRequest internal/auth:FuzzVerify internal/auth:FuzzCheckPasswordStrength internal/auth:FuzzNormalizeEmail

.PHONY: fuzz
fuzz: ## run every fuzz target for FUZZTIME each (the seed corpora also run in make test)
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; echo "== $$name ($$pkg, $(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) ./$$pkg | grep -v testdbconf; \
	done

SOAK_CLIENTS ?= 200
SOAK_DURATION ?= 30s

.PHONY: soak
soak: build ## flood a real authd with logins; prints throughput, probe latencies and peak RSS
	@server=$$(scripts/ensure-postgres); base=$${server%%\?*}; base=$${base%/*}; \
	psql "$$server" -qc "DROP DATABASE IF EXISTS authd_soak" -c "CREATE DATABASE authd_soak" && \
	$(GO) run ./cmd/soak -authd $(BIN) -database-url "$$base/authd_soak?sslmode=disable" \
		-clients $(SOAK_CLIENTS) -duration $(SOAK_DURATION)

.PHONY: spectral
spectral: ## lint openapi.yaml with Spectral and the OWASP API security ruleset (.spectral.yaml; needs npm)
	cd tools/spectral && npm ci --no-audit --no-fund --loglevel=error
	cd tools/spectral && npx --no-install spectral lint ../../openapi.yaml --ruleset ../../.spectral.yaml --fail-severity error

.PHONY: build
.PHONY: sdk
sdk: ## build the TypeScript SDK and pack it as bin/authd-client-<version>.tgz, to npm install (needs npm)
	cd sdk/typescript && npm ci --no-audit --no-fund --loglevel=error && npm run build && mkdir -p ../../bin && npm pack --pack-destination ../../bin

build: ## build bin/authd
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/authd

.PHONY: install
install: ## install authd in $(go env GOPATH)/bin
	$(GO) install -ldflags "$(LDFLAGS)" ./cmd/authd

.PHONY: run
run: build ## serve on AUTHD_ADDR (127.0.0.1:8080), with a local database unless DATABASE_URL is set
	@export DATABASE_URL="$${DATABASE_URL:-$$(scripts/dev-database-url)}"; \
	echo "authd: database $${DATABASE_URL} (the same for bin/authd commands: export DATABASE_URL=\$$(scripts/dev-database-url))"; \
	export AUTHD_SECRET_KEY="$${AUTHD_SECRET_KEY:-$(DEV_SECRET_KEY)}"; \
	echo "authd: docs at http://$${AUTHD_ADDR:-127.0.0.1:8080}/docs/ once it is up"; \
	if [ -z "$${AUTHD_SMTP_URL:-}" ]; then echo "authd: no AUTHD_SMTP_URL: mail is written to $${AUTHD_MAIL_DIR:-.data/mail}/*.eml and its links are logged"; \
	else echo "authd: mail goes to $${AUTHD_SMTP_URL%%\?*}" | sed -E 's#//[^@/]*@#//***@#'; fi; \
	exec $(BIN) serve

.PHONY: migrate-up migrate-down migrate-status
migrate-up migrate-down migrate-status: build ## apply, roll back one, or list migrations
	@export DATABASE_URL="$${DATABASE_URL:-$$(scripts/dev-database-url)}"; $(BIN) migrate $(subst migrate-,,$@)
