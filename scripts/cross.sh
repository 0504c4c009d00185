#!/bin/sh
# Runs the engine tests of each GOARCH given under QEMU user-mode emulation
# (go test -exec qemu-<arch>-static). Installs qemu-user-static when a
# binary is missing and we are root with apt-get; otherwise says loudly what
# it skipped.
#
# What runs where (tests run with -short under QEMU; -short never skips
# conformance, only long randomized loops):
#   arm64 (JIT backend): every engine package, i.e. unit tests, the
#     conformance suite on the interpreter and the JIT, the JIT's exact
#     comparison and variants; then the whole differential corpus
#     (TestDiff at full size, FuzzDiff's seeds); then the JIT package again
#     on a Cortex-A53 model, which lacks LSE atomics, so the exclusive
#     load/store loops run (the default CPU has LSE).
#   s390x (big-endian representative): every engine package, so the
#     encoders and code generators are checked on a big-endian host too.
#   other arches (no backend yet): isa, asm, vm and the conformance suite on
#     the interpreter; ppc64 and mips64 are big-endian, where the program's
#     byte order must still win.
#
# Environment: GO, CROSS_PKGS (packages for every arch, overriding the
# above), CROSS_FLAGS (go test flags, default -short), CROSS_NOLSE_CPU (QEMU
# CPU without LSE, default cortex-a53).
set -u
GO=${GO:-go}
ALL_PKGS="./isa/... ./asm/... ./vm/... ./jit/... ./conformance/..."
INTERP_PKGS="./isa/... ./asm/... ./vm/... ./conformance/..."
FLAGS=${CROSS_FLAGS:-"-short"}
NOLSE_CPU=${CROSS_NOLSE_CPU:-cortex-a53}

qemu_for() {
	case $1 in
	arm64) echo qemu-aarch64-static ;;
	s390x) echo qemu-s390x-static ;;
	ppc64le) echo qemu-ppc64le-static ;;
	ppc64) echo qemu-ppc64-static ;;
	mips64le) echo qemu-mips64el-static ;;
	mips64) echo qemu-mips64-static ;;
	riscv64) echo qemu-riscv64-static ;;
	*) echo "" ;;
	esac
}

pkgs_for() {
	if [ -n "${CROSS_PKGS:-}" ]; then
		echo "$CROSS_PKGS"
		return
	fi
	case $1 in
	arm64 | s390x) echo "$ALL_PKGS" ;;
	*) echo "$INTERP_PKGS" ;;
	esac
}

# Install QEMU once if any requested emulator is missing.
missing=""
for arch in "$@"; do
	q=$(qemu_for "$arch")
	if [ -n "$q" ] && ! command -v "$q" >/dev/null 2>&1; then
		missing="$missing $arch"
	fi
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "cross.sh: installing qemu-user-static (missing for:$missing)"
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-user-static) >/dev/null ||
			echo "cross.sh: apt-get install qemu-user-static FAILED"
	else
		echo "cross.sh: qemu-user-static missing for:$missing (not root or no apt-get: not installing)"
	fi
fi

status=0
skipped=""
failed=""
summary=""

# run NAME ENV... -- go test arguments: runs go test, records a failure.
run() {
	name=$1
	shift
	# shellcheck disable=SC2086
	if ! env "$@"; then
		status=1
		failed="$failed $name"
	fi
}

for arch in "$@"; do
	q=$(qemu_for "$arch")
	if [ -z "$q" ] || ! command -v "$q" >/dev/null 2>&1; then
		skipped="$skipped $arch"
		continue
	fi
	start=$(date +%s)
	pkgs=$(pkgs_for "$arch")
	echo "=== GOARCH=$arch under $q: $pkgs"
	# shellcheck disable=SC2086
	run "$arch" GOARCH="$arch" CGO_ENABLED=0 $GO test -count=1 $FLAGS -exec "$q" $pkgs
	if [ "$arch" = arm64 ] && [ -z "${CROSS_PKGS:-}" ]; then
		echo "=== GOARCH=arm64 under $q: differential corpus at full size"
		run arm64-diff GOARCH=arm64 CGO_ENABLED=0 $GO test -count=1 -exec "$q" -run '^(TestDiff|FuzzDiff)$' ./jit/
		echo "=== GOARCH=arm64 under $q, QEMU_CPU=$NOLSE_CPU (no LSE atomics): ./jit/"
		# shellcheck disable=SC2086
		run arm64-nolse QEMU_CPU="$NOLSE_CPU" GOARCH=arm64 CGO_ENABLED=0 $GO test -count=1 $FLAGS -exec "$q" ./jit/
	fi
	summary="$summary $arch:$(($(date +%s) - start))s"
done
echo "cross.sh: times:$summary"
if [ -n "$failed" ]; then
	echo "cross.sh: FAILED:$failed"
fi
if [ -n "$skipped" ]; then
	echo "##########################################################"
	echo "## SKIPPED cross-architecture tests (no QEMU):$skipped"
	echo "## install qemu-user-static (apt-get install qemu-user-static)"
	echo "##########################################################"
fi
exit $status
