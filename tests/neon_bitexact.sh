#!/bin/sh
# The int8 bit-exactness test on AArch64, from an x86 machine: cross-builds it with
# aarch64-linux-gnu-gcc (kernels/neon/neon.mk) and runs it under qemu-aarch64 twice:
#   -cpu max         has dotprod: the NEON set runs its sdot micro-kernel
#   -cpu cortex-a53  Armv8.0:     the NEON set runs its vmlal micro-kernel
# Both runs' TAP is passed through as one stream (renumbered, each line tagged with its CPU).
# Prints "1..0 # SKIP ..." when the cross compiler or qemu is missing.
set -u

root=${QX_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
# One failed test line (not "Bail out!", which would stop every other test of `make test`).
fail() {
	echo "1..1"
	echo "not ok 1 - $*"
	exit 1
}
cd "$root" || fail "cannot enter $root"

cc=${NEON_CC:-aarch64-linux-gnu-gcc}
qemu=${NEON_QEMU:-qemu-aarch64}
skip() {
	echo "1..0 # SKIP $*"
	exit 0
}
command -v "$cc" >/dev/null 2>&1 || skip "$cc not installed (Debian: gcc-aarch64-linux-gnu)"
command -v "$qemu" >/dev/null 2>&1 || skip "$qemu not installed (Debian: qemu-user)"
if [ "${QX_SANITIZED:-}" = 1 ]; then
	# The AArch64 binary is one build, without sanitizers; the plain run of `make test` ran it.
	skip "the AArch64 build has no sanitizer variant (the plain run covers it)"
fi

# A make started by `make test` must not inherit the parent's jobserver or flags.
unset MAKEFLAGS MFLAGS MAKELEVEL
mkdir -p build/aarch64
log=build/aarch64/neon-build.log
if ! make -f kernels/neon/neon.mk neon-test-build NEON_CC="$cc" >"$log" 2>&1; then
	sed 's/^/# /' "$log" | tail -n 40
	fail "AArch64 build (make -f kernels/neon/neon.mk neon-test-build, log in $log)"
fi
bin=$(make -s -f kernels/neon/neon.mk --no-print-directory neon-test-path)
if [ -z "$bin" ] || [ ! -x "$bin" ]; then
	fail "no AArch64 test binary after the build"
fi

out=$(mktemp) || fail "mktemp"
trap 'rm -f "$out"' EXIT
total=0
failed=0
skip_reason=""
for cpu in max cortex-a53; do
	QX_ROOT=$root timeout 600 "$qemu" -cpu "$cpu" "$bin" >"$out" 2>&1
	status=$?
	# Renumbers "ok N" / "not ok N" after the tests already printed, tags each with the CPU,
	# and checks the run's own plan; prints "total failed skip_reason" on its last line.
	summary=$(awk -v off="$total" -v cpu="$cpu" -v status="$status" '
		function emit(s) { print s }
		/^(not )?ok [0-9]+/ {
			neg = ($1 == "not")
			n = neg ? $3 : $2
			sub(/^(not )?ok [0-9]+/, "")
			emit((neg ? "not ok " : "ok ") (off + n) " [" cpu "]" $0)
			count++
			if (neg) bad++
			next
		}
		/^1\.\.0/ { skipped = $0; sub(/^1\.\.0 *# *[Ss][Kk][Ii][Pp] */, "", skipped)
		            if (skipped == "") skipped = "no tests"; next }
		/^1\.\.[0-9]+/ { plan = substr($1, 4) + 0; next }
		/^Bail out!/ { emit($0); bad++; next }
		/^#/ { emit($0); next }
		{ emit("# [" cpu "] " $0) }
		END {
			if (skipped != "") emit("# [" cpu "] skipped: " skipped)
			if (plan != "" && plan != count) {
				emit("not ok " (off + count + 1) " [" cpu "] planned " plan " tests, ran " count)
				count++; bad++
			} else if (status != 0 && bad == 0 && skipped == "") {
				emit("not ok " (off + count + 1) " [" cpu "] test exited with status " status)
				count++; bad++
			}
			printf "%d %d %s\n", off + count, bad, skipped
		}' "$out")
	printf '%s\n' "$summary" | sed '$d'
	last=$(printf '%s\n' "$summary" | tail -n 1)
	total=${last%% *}
	rest=${last#* }
	failed=$((failed + ${rest%% *}))
	case "$rest" in *" "?*) skip_reason=${rest#* } ;; esac
done

if [ "$total" -eq 0 ]; then
	echo "1..0 # SKIP ${skip_reason:-the test ran no tests}"
	exit 0
fi
echo "1..$total"
[ "$failed" -eq 0 ]
