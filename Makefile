# ocid — see README.md. `make run` and `make test` work on a fresh Debian 12
# machine as root: they install what is missing first.

GO      ?= go
BIN     := bin/ocid
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo dev)
GOFLAGS_BUILD := -trimpath -ldflags "-s -w -X main.version=$(VERSION)"
# Packages every test needs; see scripts/deps.sh.
export PATH := $(PATH):/usr/local/go/bin:/usr/sbin:/sbin
# Static: the pause process of pods is this binary, run in an empty root.
export CGO_ENABLED := 0

.PHONY: all build deps test test-go vet fuzz-smoke run install-config clean bench

all: build

deps:
	@scripts/deps.sh

build:
	$(GO) build $(GOFLAGS_BUILD) -o $(BIN) ./cmd/ocid

vet:
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# Every test, as root, against real tools (registry, skopeo, runc, gpg).
test: deps build vet test-go fuzz-smoke

test-go:
	$(GO) test -count=1 -timeout 45m ./...

# A few seconds of each fuzz target beyond its seed corpus.
fuzz-smoke:
	@scripts/fuzz-smoke.sh 5s

install-config:
	@if [ ! -f /etc/ocid/ocid.toml ]; then \
		install -D -m 0644 config/default.toml /etc/ocid/ocid.toml; \
		echo "installed /etc/ocid/ocid.toml"; fi

# Sets up and starts what ocid has: today the CLI (the daemon comes with
# the CRI work); prints what it can do.
run: deps build install-config
	@scripts/run.sh

bench: build
	bench/copy.sh

clean:
	rm -rf bin
