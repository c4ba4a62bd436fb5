#!/bin/sh
# qx-bench history, as text, CSV, JSON and history.html in a real browser. Four runs of one
# small suite: two nightly runs, an ad-hoc one, and a nightly copied as if it ran on another
# machine (its cpu_model changed) and cut off by SIGPIPE (its state changed). Then:
# - text: one line per run in the runs table, image counts beside the accuracies, no line
#   longer than 100 characters, the partial run marked;
# - filters: --plugin/--kernels/--threads/--batch keep only what they name; one that matches
#   nothing exits 2 with one line;
# - CSV and JSON parse and hold every run;
# - history.html, opened by headless Chromium with networking off: one chart per system and per
#   measurement, each with a point per run that has the value, one line per machine, the
#   partial run hollow, no script; the screenshot shows both machines' colours.
set -u
. "$(dirname "$0")/support/tap.sh"
run_test_setup
tmp=$(mktemp -d /tmp/qx-history-page-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

{
	fashion_suite_head history-test "32"
	cat <<SUITE
kernels: [auto]
plugins:
  - name: static-per-tensor
measure:
  threads: [1]
  batch: [1]
  repetitions: 3
  warmup: 0.01
  min_time: 0.02
check:
  bitexact_images: 0
results: $tmp/results
SUITE
} >"$tmp/suite.yaml"
dir=$tmp/results/history-test

for run in 1 2 3; do
	[ "$run" -gt 1 ] && sleep 1
	tag=--nightly
	[ "$run" -eq 2 ] && tag=
	limit=64
	[ "$run" -eq 2 ] && limit=32
	"$bin" -q $tag --limit "$limit" "$tmp/suite.yaml" >/dev/null 2>"$tmp/run$run.err" ||
		{ show "$tmp/run$run.err"; echo "Bail out! run $run failed"; exit 1; }
done
# The fourth: the third run's document, as if from another machine and cut off by SIGPIPE.
last=$(ls -d "$dir"/*/ | tail -n 1)
mkdir "$dir/20991231T235959Z"
"$py" - "${last}results.json" "$dir/20991231T235959Z/results.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["run_id"], d["started"] = "20991231T235959Z", "2099-12-31T23:59:59Z"
d["machine"]["cpu_model"] = "Another CPU"
d.update(state="interrupted", interrupted=True, interrupted_by="SIGPIPE", exit_status=130)
json.dump(d, open(sys.argv[2], "w"))
PY

"$bin" history --html "$tmp/history.html" "$dir" >"$tmp/history.txt" 2>"$tmp/history.err"
ok $? "history --html exits 0"
runs=$(grep -c '^ *[0-9] *[0-9]\{8\}T' "$tmp/history.txt")
[ "$runs" -eq 4 ]
ok $? "the runs table lists the 4 runs (got $runs)"
wide=$(awk 'length($0) > 100' "$tmp/history.txt" | wc -l)
[ "$wide" -eq 0 ]
ok $? "no line of the text is longer than 100 characters ($wide are)"
grep -q '^ *3 *64 *[0-9.]* *[0-9.]*$' "$tmp/history.txt" && grep -q '^ *2 *32 ' "$tmp/history.txt"
ok $? "the accuracy table shows each run's image count (64, and 32 for the ad-hoc run)"
grep -q 'PARTIAL: interrupted (SIGPIPE)' "$tmp/history.txt" && grep -q '^  B  Another CPU' "$tmp/history.txt"
ok $? "the cut-off run is PARTIAL; the other machine is B"
[ "$failed" -eq 0 ] || show "$tmp/history.txt"

"$bin" history --nightly --plugin static-per-tensor --threads 1 --batch 1 --format csv "$dir" \
	>"$tmp/history.csv" 2>&1
"$py" - "$tmp/history.csv" >"$tmp/csv.out" 2>&1 <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert rows, "no rows"
assert {r["system"] for r in rows} == {"static-per-tensor"}, {r["system"] for r in rows}
assert {r["tag"] for r in rows} == {"nightly"}, {r["tag"] for r in rows}
assert len({r["run_id"] for r in rows}) == 3, {r["run_id"] for r in rows}
assert {r["metric"] for r in rows} == {"accuracy", "latency_median"}
assert all(float(r["value"]) > 0 for r in rows)
PY
ok $? "--nightly --plugin --threads --batch --format csv: 3 nightly runs, one system, parseable"
[ "$failed" -eq 0 ] || show "$tmp/csv.out"
"$bin" history --format json "$dir" >"$tmp/history.json" 2>&1
"$py" -c 'import json, sys; d = json.load(open(sys.argv[1])); sys.exit(not (len(d["runs"]) == 4 and d["runs"][3]["partial"] and d["runs"][3]["machine"] == "B" and d["runs"][1]["images"] == 32))' \
	"$tmp/history.json"
ok $? "--format json holds the 4 runs, the partial one on machine B, the image counts"
"$bin" history --kernels nope "$dir" >"$tmp/nope.out" 2>"$tmp/nope.err"
status=$?
[ "$status" -eq 2 ] && [ "$(wc -l <"$tmp/nope.err")" -eq 1 ] && grep -q 'no measurement matches --kernels nope' "$tmp/nope.err"
ok $? "a filter that matches nothing: exit 2 (got $status), one line"

browser=
for b in chromium chromium-browser; do
	command -v "$b" >/dev/null 2>&1 && browser=$b && break
done
if [ -z "$browser" ]; then
	echo "# chromium not installed: history.html not opened"
	echo "1..$n"
	exit "$failed"
fi
chrome() {
	timeout 90 "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$tmp/profile" "$@" 2>>"$tmp/chromium.log"
}
chrome --dump-dom "file://$tmp/history.html" >"$tmp/dom.html"
[ $? -eq 0 ] && grep -q '</html>' "$tmp/dom.html"
ok $? "chromium loads history.html"
tr '\n' ' ' <"$tmp/dom.html" | sed 's|<figure|\n<figure|g' | grep '^<figure class="trend"' >"$tmp/figures"
charts=$(wc -l <"$tmp/figures")
# fp32 and static-per-tensor: 2 accuracy charts; 2 systems x 1 set x 1 thread x 1 batch.
[ "$charts" -eq 4 ]
ok $? "4 trend charts: 2 accuracy, 2 latency (got $charts)"
points=$(grep -o 'data-points="[0-9]*"' "$tmp/figures" | sort -u | tr '\n' ' ')
[ "$points" = 'data-points="4" ' ]
ok $? "every chart has a point for each of the 4 runs ($points)"
lines=$(grep -c 'class="trend-line"' "$tmp/dom.html")
hollow=$(grep -o 'class="pt partial"' "$tmp/dom.html" | wc -l)
[ "$lines" -eq 4 ] && [ "$hollow" -eq 4 ]
ok $? "one line per chart for machine A's finished runs ($lines), the partial run hollow in each ($hollow)"
scripts=$(grep -c '<script' "$tmp/dom.html")
[ "$scripts" -eq 0 ] && grep -q "Content-Security-Policy" "$tmp/history.html"
ok $? "no script, a CSP that fetches nothing ($scripts scripts)"

shot=$build/tests/history_page.png
mkdir -p "$(dirname "$shot")"
rm -f "$shot"
chrome --screenshot="$shot" --window-size=1000,1400 "file://$tmp/history.html" >/dev/null
helper=$build/tests/test_report
for color in 0072b2 e69f00; do
	pixels=$("$helper" --count-color "$shot" "$color" 2>/dev/null)
	[ -n "$pixels" ] && [ "$pixels" -ge 40 ]
	ok $? "screenshot has ${pixels:-no} pixels of machine colour #$color (>= 40)"
done
echo "# screenshot: $shot"
[ "$failed" -eq 0 ] || tail -n 5 "$tmp/chromium.log" | sed 's/^/# chromium: /'

echo "1..$n"
exit "$failed"
