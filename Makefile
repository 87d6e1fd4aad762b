# Switchboard: the two commands a new machine needs are `make run` and `make test`.
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
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 20m ./...

## bench: Go benchmarks and loopback load tests; writes bench-results/
bench: build
	$(GO) run ./cmd/switchboard-bench -out docs/benchmarks.generated.md

## lint: formatting and vet
lint:
	gofmt -l $$(git ls-files '*.go')
	$(GO) vet ./...

## proto: regenerate the plugin protocol's Go code (needs protoc, protoc-gen-go, protoc-gen-go-grpc)
proto:
	PATH="$$PATH:$$($(GO) env GOPATH)/bin" $(GO) generate ./plugins/...

clean:
	rm -rf $(BIN) bench-results
