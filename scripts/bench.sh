#!/bin/sh
# Benchmarks the corpus under bench/ (run by `make bench`): every program
# bench/NAME.o (compiled from bench/NAME.c by `make testdata`) runs with its
# input bench/inputs/NAME.bin under `iovm bench` on each engine of the host
# (interpreter, JIT), and the same C sources compiled natively with
# clang -O2 -fno-vectorize -fno-slp-vectorize run in bench/native/main.c.
# Prints one table: ns per run on each engine, the JIT's speedup over the
# interpreter and its ratio to native code, with geometric means. Each
# figure is the best of BENCH_REPS measurements, the native and the iovm
# ones of a program taken one after the other, so that load from other
# processes disturbs the ratios as little as possible.
#
# Environment: BENCH_TIME (time per measurement, default 100ms), BENCH_REPS
# (default 3), BENCH_CLOCK (cpu, the CPU time of the running thread, robust
# on a loaded machine, the default on Linux; or wall), CLANG (default clang;
# without it the native column is empty), GO.
set -eu
cd "$(dirname "$0")/.."
GO=${GO:-go}
CLANG=${CLANG:-clang}
BENCH_TIME=${BENCH_TIME:-100ms}
BENCH_REPS=${BENCH_REPS:-3}
if [ "$(uname -s)" = Linux ]; then
	BENCH_CLOCK=${BENCH_CLOCK:-cpu}
else
	BENCH_CLOCK=${BENCH_CLOCK:-wall}
fi
cpuflag=""
if [ "$BENCH_CLOCK" = cpu ]; then
	cpuflag=--cpu
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$GO" build -o "$tmp/iovm" ./cmd/iovm

# The native timing program.
native=""
if command -v "$CLANG" >/dev/null 2>&1; then
	# shellcheck disable=SC2046
	"$CLANG" -O2 -fno-vectorize -fno-slp-vectorize -o "$tmp/native" bench/native/main.c $(ls bench/*.c)
	native="$tmp/native"
else
	echo "bench.sh: $CLANG not found, no native figures" >&2
fi
ms=$(echo "$BENCH_TIME" | awk '/ms$/ { print $0 + 0; next } /s$/ { print ($0 + 0) * 1000; next } { print 100 }')

# native.txt: NAME RESULT NS RUNS per measurement; engines.txt: NAME ENGINE
# R0 NS INSNS per measurement (from iovm bench --json).
status=0
: >"$tmp/native.txt"
: >"$tmp/engines.txt"
for obj in bench/*.o; do
	name=$(basename "$obj" .o)
	rep=0
	while [ "$rep" -lt "$BENCH_REPS" ]; do
		rep=$((rep + 1))
		if [ -n "$native" ]; then
			"$native" bench/inputs "$ms" "$BENCH_CLOCK" "$name" >>"$tmp/native.txt"
		fi
		# shellcheck disable=SC2086
		if ! "$tmp/iovm" bench $cpuflag --json --time "$BENCH_TIME" --mem "bench/inputs/$name.bin" "$obj" >"$tmp/$name.json"; then
			echo "bench.sh: iovm bench failed on $obj" >&2
			status=1
			break
		fi
		awk -v name="$name" -F': ' '
			{ v = $2; gsub(/[",]/, "", v) }
			/"engine"/ { e = v }
			/"r0"/ { r0 = v }
			/"error"/ { r0 = "error" }
			/"ns_per_run"/ { ns = v }
			/"insns_per_run"/ { print name, e, r0, ns, v }
		' "$tmp/$name.json" >>"$tmp/engines.txt"
	done
done

echo "iovm benchmark corpus ($(uname -m), $("$GO" env GOVERSION), $(nproc) CPUs, $BENCH_TIME $BENCH_CLOCK time per measurement, best of $BENCH_REPS)"
echo
awk '
	function hex(s,   n, i, d, out) { # decimal string to hex (exact, digit by digit)
		if (s == "error") return s
		out = ""
		while (s != "0" && s != "") {
			# divide the decimal string s by 16
			n = ""; d = 0
			for (i = 1; i <= length(s); i++) {
				d = d * 10 + substr(s, i, 1)
				q = int(d / 16); d = d % 16
				if (n != "" || q > 0) n = n q
			}
			out = substr("0123456789abcdef", d + 1, 1) out
			s = n
		}
		return "0x" (out == "" ? "0" : out)
	}
	FILENAME ~ /native/ {
		nres[$1] = $2
		if (!($1 in nns) || $3 < nns[$1]) nns[$1] = $3
		next
	}
	{
		names[$1] = 1; res[$1, $2] = hex($3); insns[$1] = $5
		if (!(($1, $2) in ns) || $4 < ns[$1, $2]) ns[$1, $2] = $4
		if ($2 != "interp") jit = $2
	}
	END {
		printf "%-9s %-20s %8s %12s %12s %12s %9s %11s\n", "program", "result", "insns", "interp ns", "jit ns", "native ns", "jit/intp", "jit/native"
		n = 0
		for (p in names) order[++n] = p
		for (i = 2; i <= n; i++) for (j = i; j > 1 && order[j-1] > order[j]; j--) { t = order[j]; order[j] = order[j-1]; order[j-1] = t }
		gs = 0; gn = 0; rs = 0; rn = 0; bad = 0
		for (i = 1; i <= n; i++) {
			p = order[i]
			r = res[p, "interp"]
			if ((p in nres) && nres[p] != r) { r = r " (native " nres[p] "!)"; bad = 1 }
			ji = ns[p, jit]; ni = nns[p]
			sp = "-"; rt = "-"
			if (ji > 0) { sp = sprintf("%.2fx", ns[p, "interp"] / ji); gs += log(ns[p, "interp"] / ji); gn++ }
			if (ji > 0 && ni > 0) { rt = sprintf("%.2fx", ji / ni); rs += log(ji / ni); rn++ }
			printf "%-9s %-20s %8d %12.1f %12s %12s %9s %11s\n", p, r, insns[p], ns[p, "interp"], (ji > 0 ? sprintf("%.1f", ji) : "-"), (ni > 0 ? sprintf("%.1f", ni) : "-"), sp, rt
		}
		printf "%-9s %-20s %8s %12s %12s %12s %9s %11s\n", "geomean", "", "", "", "", "", (gn ? sprintf("%.2fx", exp(gs / gn)) : "-"), (rn ? sprintf("%.2fx", exp(rs / rn)) : "-")
		if (bad) { print "\nnative and eBPF results differ"; exit 1 }
	}
' "$tmp/native.txt" "$tmp/engines.txt" || status=1
exit $status
