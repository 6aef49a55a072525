# ocid — see README.md. `make run` and `make test` work on a fresh Debian 12
# machine as root: they install what is missing first.

GO      ?= go
BIN     := bin/ocid
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo dev)
GOFLAGS_BUILD := -trimpath -ldflags "-s -w -X main.version=$(VERSION)"
# Packages every test needs; see scripts/deps.sh.
export PATH := $(PATH):/usr/local/go/bin:/usr/sbin:/sbin
# Static: the pause process of pods (ocid-monitor) runs in an empty root.
export CGO_ENABLED := 0

.PHONY: all build deps test test-go vet fuzz-smoke critest critest-crun run install-config clean bench

all: build

deps:
	@scripts/deps.sh

# ocid and, next to it, ocid-monitor: the small program ocid runs once per
# container and once per pod (see cmd/ocid-monitor).
build:
	$(GO) build $(GOFLAGS_BUILD) -o $(BIN) ./cmd/ocid
	$(GO) build $(GOFLAGS_BUILD) -o bin/ocid-monitor ./cmd/ocid-monitor

vet:
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# Every test, as root, against real tools (registry, skopeo, runc, gpg),
# then the CRI conformance suite.
test: deps build vet test-go fuzz-smoke critest critest-crun

test-go:
	$(GO) test -count=1 -timeout 45m ./...

# A few seconds of each fuzz target beyond its seed corpus.
fuzz-smoke:
	@scripts/fuzz-smoke.sh 5s

# cri-tools' critest against a private ocid daemon (RUNTIME=containerd runs
# the same harness against Debian's containerd, for comparison).
RUNTIME ?= ocid
critest: build
	test/critest/run.sh $(RUNTIME)

# The same with crun as ocid's OCI runtime (test/critest/crun.sh).
critest-crun: build
	CRITEST_OCI_RUNTIME=$(CURDIR)/test/critest/crun.sh CRITEST_SECCOMP_BPF=always test/critest/run.sh ocid

install-config:
	@if [ ! -f /etc/ocid/ocid.toml ]; then \
		install -D -m 0644 config/default.toml /etc/ocid/ocid.toml; \
		echo "installed /etc/ocid/ocid.toml"; fi

# Sets up and starts the CRI daemon in the foreground (Ctrl-C stops it).
run: deps build install-config
	@scripts/run.sh

bench: build
	bench/copy.sh

clean:
	rm -rf bin
