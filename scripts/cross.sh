#!/bin/sh
# Runs the engine tests of each GOARCH given under QEMU user-mode emulation
# (go test -exec qemu-<arch>-static). Installs qemu-user-static when a
# binary is missing and we are root with apt-get; otherwise says loudly what
# it skipped.
#
# Every architecture runs the unit tests and the conformance suite on every
# engine it has. arm64 has a JIT backend: it runs twice, once on QEMU's
# default CPU (LSE atomics) and once on a Cortex-A53 model (no LSE, so the
# exclusive load/store loops run), the second time over the JIT packages
# only. Tests run with -short under QEMU: conformance is never skipped by
# -short, only long randomized loops are shortened.
#
# Environment: GO, CROSS_PKGS (packages), CROSS_FLAGS (extra go test flags,
# default -short), CROSS_NOLSE_CPU (QEMU CPU without LSE, default cortex-a53).
set -u
GO=${GO:-go}
PKGS=${CROSS_PKGS:-"./isa/... ./asm/... ./vm/... ./jit/... ./conformance/..."}
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
for arch in "$@"; do
	q=$(qemu_for "$arch")
	if [ -z "$q" ] || ! command -v "$q" >/dev/null 2>&1; then
		skipped="$skipped $arch"
		continue
	fi
	start=$(date +%s)
	echo "=== GOARCH=$arch under $q"
	# shellcheck disable=SC2086
	if ! GOARCH=$arch CGO_ENABLED=0 $GO test -count=1 $FLAGS -exec "$q" $PKGS; then
		status=1
		failed="$failed $arch"
	fi
	if [ "$arch" = arm64 ]; then
		echo "=== GOARCH=arm64 under $q, QEMU_CPU=$NOLSE_CPU (no LSE atomics)"
		# shellcheck disable=SC2086
		if ! QEMU_CPU=$NOLSE_CPU GOARCH=arm64 CGO_ENABLED=0 $GO test -count=1 $FLAGS -exec "$q" ./jit/... ./conformance/...; then
			status=1
			failed="$failed arm64-nolse"
		fi
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
