#!/bin/sh
# Evaluation on several threads (--jobs, cli/evaluate.c): a run with 1 and with 3 evaluation
# threads gives the same predictions for fp32, an int8 plan and a simulated (FP8) plan, and
# the same accuracy table; --jobs out of range is refused before any work.
set -u
. "$(dirname "$0")/support/tap.sh"
run_test_setup
tmp=$(mktemp -d /tmp/qx-eval-jobs-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

limit=640 calib=128
[ "${QX_SANITIZED:-0}" = 1 ] && limit=130 calib=32
{
	fashion_suite_head eval-jobs $calib
	cat <<SUITE
kernels: [auto]
plugins:
  - name: static-per-channel
  - name: fp8
    label: fp8-e4m3
    options: { format: e4m3 }
measure:
  enabled: false
check:
  reference_images: 64
SUITE
} > "$tmp/suite.yaml"

for j in 1 3; do
	"$bin" -q -l $limit -j $j -o "$tmp/j$j" "$tmp/suite.yaml" > "$tmp/j$j.txt" 2> "$tmp/j$j.err"
	ok $? "--jobs $j: the run succeeds"
done
# The table without what is timed: "evaluated in ... s", the calibration seconds column and the
# run's time line.
for j in 1 3; do
	grep -v "evaluated in\|results written\|^results\|^time " "$tmp/j$j.txt" |
		sed -E 's/ +[0-9]+\.[0-9]{2}  (reference|n\/a|yes|NO)/ -  \1/' > "$tmp/j$j.table"
done
cmp -s "$tmp/j1.table" "$tmp/j3.table"
ok $? "--jobs 1 and 3 print the same accuracy table"
if [ "$last_failed" = 1 ]; then
	diff "$tmp/j1.table" "$tmp/j3.table" > "$tmp/table.diff"
	show "$tmp/table.diff"
fi
$py - "$tmp/j1" "$tmp/j3" > "$tmp/cmp.txt" 2>&1 <<'PY'
import glob, json, sys
a, b = (json.load(open(glob.glob(d + "/eval-jobs/*/results.json")[0])) for d in sys.argv[1:3])
rows = [("fp32", a["fp32"], b["fp32"])]
rows += [(x["label"], x, y) for x, y in zip(a["plugins"], b["plugins"])]
bad = 0
for name, x, y in rows:
    same = x["predictions"] == y["predictions"] and x["correct"] == y["correct"]
    print(name, len(x["predictions"]), "images", "same" if same else "DIFFERENT")
    bad += not same
print("options.eval_threads:", a["options"].get("eval_threads"), b["options"].get("eval_threads"))
bad += a["options"].get("eval_threads") != 1 or b["options"].get("eval_threads") != 3
sys.exit(1 if bad or len(rows) != 3 else 0)
PY
ok $? "fp32, int8 and the simulated plan: the same predictions on 1 and 3 threads; options.eval_threads says 1 and 3"
show "$tmp/cmp.txt"

for bad in 0 17 x 1,2; do
	"$bin" -q -j "$bad" "$tmp/suite.yaml" > /dev/null 2> "$tmp/bad.err"
	rc=$?
	[ $rc -eq 2 ] && grep -q "^qx-bench: --jobs '$bad': expected one count in 1\.\.16" "$tmp/bad.err"
	ok $? "--jobs $bad is refused with exit 2 and one line (rc $rc)"
done
echo "1..$n"
exit $failed
