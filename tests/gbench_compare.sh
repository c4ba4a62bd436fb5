#!/bin/sh
# Google Benchmark interop: Debian's compare.py (libbenchmark-tools) reads two runs' gbench.json
# as Google Benchmark's own output (docs/measurement.md, "Google Benchmark's JSON"):
# - it matches each configuration by its one name and runs its U test over the repetitions,
#   with no "Results unreliable" warning (compare.py wants 9 or more repetitions: the suite asks
#   for 10 rounds);
# - every configuration and its four aggregates (mean, median, stddev, cv) are in the table, and
#   the time columns are nanoseconds (not the "1 1" that ms per batch rounded to integers gave).
# Needs /usr/bin/python3 with scipy and libbenchmark-tools (tools/install-deps installs both).
set -u
. "$(dirname "$0")/support/tap.sh"
run_test_setup
cmp=/usr/share/benchmark/compare.py
if [ ! -r "$cmp" ] || ! "$py" -c 'import scipy' 2>/dev/null; then
	echo "Bail out! $cmp or python3-scipy missing (tools/install-deps installs them)"
	exit 1
fi
tmp=$(mktemp -d /tmp/qx-gbench-compare-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

{
	fashion_suite_head gbench-test 32
	cat <<SUITE
kernels: [auto]
plugins:
  - name: static-per-tensor
measure:
  threads: [1]
  batch: [1]
  repetitions: 10
  max_repetitions: 10
  warmup: 0.01
  min_time: 0.01
check:
  bitexact_images: 0
SUITE
} >"$tmp/suite.yaml"

for r in A B; do
	"$bin" -q --limit 32 -o "$tmp/$r" "$tmp/suite.yaml" >"$tmp/$r.out" 2>"$tmp/$r.err"
	ok $? "run $r exits 0"
done
a=$(ls "$tmp"/A/gbench-test/*/gbench.json 2>/dev/null | head -n 1)
b=$(ls "$tmp"/B/gbench-test/*/gbench.json 2>/dev/null | head -n 1)
[ -s "$a" ] && [ -s "$b" ]
ok $? "both runs wrote gbench.json"

"$py" "$cmp" --no-color benchmarks "$a" "$b" >"$tmp/cmp.out" 2>"$tmp/cmp.err"
status=$?
[ "$status" -eq 0 ] && [ ! -s "$tmp/cmp.err" ]
ok $? "compare.py benchmarks A B exits 0 with nothing on stderr (status $status)"
! grep -qi 'warning\|unreliable' "$tmp/cmp.out"
ok $? "no warning about repetitions (or anything else)"
names=$("$py" -c 'import json, sys; print(" ".join(sorted({b["run_name"] for b in json.load(open(sys.argv[1]))["benchmarks"]})))' "$a")
all=0
for name in $names; do
	grep -q "^${name}_pvalue .*U Test, Repetitions: 10 vs 10\$" "$tmp/cmp.out" || all=1
	for agg in mean median stddev cv; do
		grep -q "^${name}_$agg " "$tmp/cmp.out" || all=1
	done
done
[ -n "$names" ] && [ "$all" -eq 0 ]
ok $? "each configuration ($names): U test over 10 vs 10 repetitions and its 4 aggregates"
# Column 4 of an iteration row is Time Old: nanoseconds per inference, far above 1000 for any
# real model (a ms unit printed 0 or 1 there).
"$py" - "$tmp/cmp.out" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1])
        if l.split() and "threads:" in l.split()[0] and "_" not in l.split()[0].split("/")[-1]]
sys.exit(0 if rows and all(float(r[3]) > 1000 and float(r[4]) > 1000 for r in rows) else 1)
PY
ok $? "time columns in ns (Time Old and Time New above 1000)"

if [ "$failed" -ne 0 ]; then
	show "$tmp/cmp.out"
	show "$tmp/cmp.err"
	[ -s "$tmp/A.err" ] && show "$tmp/A.err"
fi
echo "1..$n"
exit "$failed"
