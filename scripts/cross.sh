#!/bin/sh
# Runs the engine tests of each GOARCH given under QEMU user-mode emulation.
# Installs qemu-user-static when it is missing and we are root with apt-get;
# otherwise says loudly what it skipped.
set -u
GO=${GO:-go}
PKGS=${CROSS_PKGS:-"./isa/... ./asm/... ./vm/... ./jit/... ./conformance/..."}

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

if ! command -v qemu-aarch64-static >/dev/null 2>&1; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "cross.sh: installing qemu-user-static"
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-user-static) >/dev/null
	fi
fi

status=0
skipped=""
for arch in "$@"; do
	q=$(qemu_for "$arch")
	if [ -z "$q" ] || ! command -v "$q" >/dev/null 2>&1; then
		skipped="$skipped $arch"
		continue
	fi
	echo "=== GOARCH=$arch under $q"
	# shellcheck disable=SC2086
	if ! GOARCH=$arch CGO_ENABLED=0 $GO test -count=1 -exec "$q" $PKGS; then
		status=1
	fi
done
if [ -n "$skipped" ]; then
	echo "##########################################################"
	echo "## SKIPPED cross-architecture tests (no QEMU):$skipped"
	echo "## install qemu-user-static (apt-get install qemu-user-static)"
	echo "##########################################################"
fi
exit $status
