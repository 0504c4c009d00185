#!/bin/sh
# Rebuilds the compiled eBPF objects committed under testdata directories
# (run by `make testdata`; needs clang with the BPF target). Each testdata
# directory is listed below with the flags its objects are built with; add
# a line for a new directory.
set -eu
CLANG=${CLANG:-clang}
cd "$(dirname "$0")/.."

if ! command -v "$CLANG" >/dev/null 2>&1; then
	echo "testdata.sh: $CLANG not found" >&2
	exit 1
fi
"$CLANG" --version | head -1

# build DIR SUFFIX FLAGS...: compile DIR/*.c to objects DIR/*SUFFIX.
build() {
	dir=$1
	suffix=$2
	shift 2
	for c in "$dir"/*.c; do
		[ -e "$c" ] || continue
		o=${c%.c}$suffix
		echo "  $o"
		(cd "$dir" && "$CLANG" "$@" -c "$(basename "$c")" -o "$(basename "$o")")
	done
}

# build_s DIR SUFFIX FLAGS...: compile DIR/*.c to assembler text DIR/*SUFFIX.
build_s() {
	dir=$1
	suffix=$2
	shift 2
	for c in "$dir"/*.c; do
		[ -e "$c" ] || continue
		o=${c%.c}$suffix
		echo "  $o"
		(cd "$dir" && "$CLANG" "$@" -S "$(basename "$c")" -o "$(basename "$o")")
	done
}

# asm: objects whose llvm-objdump -d output the LLVM-dialect disassembler
# must reproduce, in both byte orders, and the clang -S text the LLVM-dialect
# assembler must turn into the same code.
build asm/testdata .o -target bpfel -O2 -mcpu=v3 -g0
build asm/testdata .eb.o -target bpfeb -O2 -mcpu=v3 -g0
build_s asm/testdata .s -target bpfel -O2 -mcpu=v3 -g0

# testdata/ebpf: the C corpus of package elf (maps, helpers, tail calls,
# globals, callbacks), in both byte orders.
build testdata/ebpf .o -target bpfel -O2 -mcpu=v3 -g
build testdata/ebpf .eb.o -target bpfeb -O2 -mcpu=v3 -g

# examples/*/bpf: the eBPF programs of the examples, embedded in their
# binaries (little-endian).
build examples/pcapfilter/bpf .o -target bpfel -O2 -mcpu=v3 -g
build examples/histogram/bpf .o -target bpfel -O2 -mcpu=v3 -g
build examples/extension/bpf .o -target bpfel -O2 -mcpu=v3 -g

# bench: the benchmark corpus of `make bench` (scripts/bench.sh), one
# program per source; the same sources also build natively there.
build bench .o -target bpfel -O2 -mcpu=v3 -g
