# iovm: `make test` is the whole check (vet, host tests, cross-architecture
# tests under QEMU). See README.md.

GO ?= go
# Architectures tested under QEMU user-mode emulation: GOARCH=qemu-binary.
CROSS_ARCHES ?= arm64 s390x ppc64le ppc64 mips64le mips64 riscv64
# Packages whose tests run under QEMU are chosen per architecture by
# scripts/cross.sh (all engine packages on arm64 and s390x, the interpreter's
# elsewhere); CROSS_PKGS=... in the environment overrides them.

.PHONY: all build test vet test-host test-race test-cross $(addprefix test-,$(CROSS_ARCHES)) testdata bench fuzz-short

all: build

build:
	$(GO) build ./...

test: vet test-host test-race test-cross

vet:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	GOOS=darwin GOARCH=arm64 $(GO) vet ./...
	GOOS=windows GOARCH=amd64 $(GO) vet ./...
	GOOS=freebsd GOARCH=amd64 $(GO) vet ./...

test-host:
	$(GO) test ./...

# The race detector on the packages whose tests run programs concurrently
# on shared maps.
RACE_PKGS ?= ./elf/... ./maps/... ./helpers/...
test-race:
	$(GO) test -race $(RACE_PKGS)

test-cross:
	./scripts/cross.sh $(CROSS_ARCHES)

$(addprefix test-,$(CROSS_ARCHES)):
	./scripts/cross.sh $(patsubst test-%,%,$@)

# Rebuild the compiled eBPF objects committed under testdata (needs clang).
testdata:
	./scripts/testdata.sh

bench:
	./scripts/bench.sh

# Short fuzzing runs of every fuzz target (not part of make test).
fuzz-short:
	./scripts/fuzz.sh 20s
