#!/bin/sh
# The fuzz targets (tests/fuzz/fuzz_*.c, docs/fuzzing.md) as a test: every committed seed and
# regression input (tests/fuzz/corpus/<target>, tests/fuzz/regress/<target>) replayed through
# the readers of this build (plain, or ASan+UBSan), then, when QX_FUZZ_BUILD names the clang
# fuzz build (make test sets it), a short libFuzzer run of each target from that corpus:
# QX_FUZZ_RUNS executions (default 3000), new inputs kept in a temporary folder.
. "$(dirname "$0")/support/tap.sh"
root=${QX_ROOT:-.}
build=${QX_BUILD:-$root/build}
runs=${QX_FUZZ_RUNS:-3000}
tmp=$(mktemp -d /tmp/qx-fuzz-smoke-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
targets=$(cd "$root/tests/fuzz" && ls fuzz_*.c | sed 's/\.c$//')
for t in $targets; do
	dirs="$root/tests/fuzz/corpus/$t"
	[ -d "$root/tests/fuzz/regress/$t" ] && dirs="$dirs $root/tests/fuzz/regress/$t"
	if [ ! -x "$build/tests/fuzz/$t" ]; then
		echo "Bail out! $build/tests/fuzz/$t not built"
		exit 1
	fi
	# shellcheck disable=SC2086
	"$build/tests/fuzz/$t" $dirs > "$tmp/out" 2>&1
	ok $? "$t: $(tail -1 "$tmp/out") without a crash or sanitizer report"
	[ "$failed" = 0 ] || tail -20 "$tmp/out" | sed 's/^/# /'
	if [ -n "${QX_FUZZ_BUILD:-}" ]; then
		mkdir -p "$tmp/$t"
		# shellcheck disable=SC2086
		"$QX_FUZZ_BUILD/$t" -runs="$runs" -seed=1 -rss_limit_mb=2048 \
			-artifact_prefix="$tmp/$t-" "$tmp/$t" $dirs > "$tmp/fuzz" 2>&1
		rc=$?
		ok $rc "$t: libFuzzer, $runs runs from the corpus ($(grep -o 'Done [0-9]* runs in [0-9]* second(s)' "$tmp/fuzz" || echo 'no summary'))"
		[ $rc = 0 ] || tail -30 "$tmp/fuzz" | sed 's/^/# /'
	fi
done
[ -n "${QX_FUZZ_BUILD:-}" ] || echo "# libFuzzer runs not part of this pass (QX_FUZZ_BUILD unset: the replay above is)"
echo "1..$n"
exit $failed
