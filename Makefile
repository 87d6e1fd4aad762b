# Switchboard: the two commands a new machine needs are `make run` and `make test`.
SHELL     := /bin/bash
.SHELLFLAGS := -o pipefail -c
GO        ?= go
BIN       := bin
PLUGINDIR := $(BIN)/plugins
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X github.com/switchboard-hq/switchboard/core/version.Version=$(VERSION)
PLUGINS   := $(notdir $(wildcard cmd/switchboard-connector-*))

.PHONY: all build plugins run test bench lint proto clean

all: build

## build: the host at bin/switchboard and every bundled plugin in bin/plugins/
build: plugins
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/switchboard ./cmd/switchboard

plugins:
	@mkdir -p $(PLUGINDIR)
	@for p in $(PLUGINS); do \
		echo "go build $$p"; \
		$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(PLUGINDIR)/$$p ./cmd/$$p || exit 1; \
	done

## run: build everything and serve configs/example.yaml on 127.0.0.1:5008
run: build
	$(BIN)/switchboard serve -config configs/example.yaml

## test: vet and race-test everything, end-to-end tests included
test:
	@test -z "$$(gofmt -l .)" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 20m ./...

## bench: Go benchmarks and loopback load tests; results in bench-results/
BENCHFLAGS ?= -run '^$$' -benchmem -count=1
bench: build
	@mkdir -p bench-results
	$(GO) test $(BENCHFLAGS) -bench 'IndexLookup|IndexBuild1M|DirectoryLookupIndexHit' -benchtime=2s -timeout 30m ./core/directory | tee bench-results/directory.txt
	$(GO) test $(BENCHFLAGS) -bench . ./core/phone ./core/routing ./core/server ./connectors/csv | tee bench-results/units.txt
	$(GO) test $(BENCHFLAGS) -bench Postgres -benchtime=2s -timeout 30m ./cmd/switchboard-connector-postgres | tee bench-results/postgres.txt
	$(GO) test $(BENCHFLAGS) -bench HubSpot -benchtime=2s -timeout 30m ./cmd/switchboard-connector-hubspot | tee bench-results/hubspot.txt
	$(GO) test $(BENCHFLAGS) -bench SyncRequests -benchtime=1x -timeout 30m ./core/sync | tee bench-results/sync.txt
	$(GO) build -o $(BIN)/switchboard-bench ./cmd/switchboard-bench
	$(BIN)/switchboard-bench -bin $(BIN) -out bench-results/load.md

## lint: formatting and vet
lint:
	gofmt -l .
	$(GO) vet ./...

## proto: regenerate the plugin protocol's Go code (needs protoc, protoc-gen-go, protoc-gen-go-grpc)
proto:
	PATH="$$PATH:$$($(GO) env GOPATH)/bin" $(GO) generate ./plugins/...

clean:
	rm -rf $(BIN) bench-results
