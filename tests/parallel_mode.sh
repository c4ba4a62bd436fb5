#!/bin/sh
# How the threads share a batch, as results.json records it ("parallel", docs/measurement.md):
# a run of the reference model with fp32, a static plugin and the dynamic one at 1 and 2
# threads and batch 1 and 8 records
# - "none" for every one-thread measurement;
# - "images" for fp32 and static-per-tensor on 2 threads at batch 8 (every op keeps images apart,
#   no qparams depend on the batch);
# - "rows" on 2 threads at batch 1 (one image cannot be shared) and for the dynamic plugin at
#   batch 8 (its nodes pick their qparams from the whole batch: tests/test_runner_split.c shows
#   a split would change the bits).
# Skips on a machine with one core (2 threads are refused there: tests/cli_errors.sh).
set -u
. "$(dirname "$0")/support/tap.sh"
run_test_setup
tmp=$(mktemp -d /tmp/qx-parallel-mode-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

{
	fashion_suite_head parallel-mode 64
	cat <<EOF
kernels: [auto]
plugins:
  - name: dynamic
  - name: static-per-tensor
measure:
  threads: [1, 2]
  batch: [1, 8]
  repetitions: 1
  max_repetitions: 1
  warmup: 0.01
  min_time: 0.01
check:
  bitexact_images: 8
EOF
} > "$tmp/suite.yaml"

"$bin" -q --limit 64 -o "$tmp/out" "$tmp/suite.yaml" > "$tmp/stdout" 2> "$tmp/stderr"
rc=$?
if [ $rc -ne 0 ] && grep -q "threads asked but this process may use 1 core" "$tmp/stderr"; then
	echo "1..0 # SKIP one core: 2 threads cannot run here"
	exit 0
fi
echo "1..2"
if [ $rc -ne 0 ]; then
	echo "not ok 1 - the run exits 0 (got $rc): $(tail -3 "$tmp/stderr")"
	echo "not ok 2 - parallel recorded (no results)"
	exit 0
fi
echo "ok 1 - a run at 1 and 2 threads, batch 1 and 8"
"$py" - "$tmp/out" <<'EOF'
import glob, json, sys
doc = json.load(open(glob.glob(sys.argv[1] + "/*/*/results.json")[0]))
systems = [("fp32", doc["fp32"])] + [(p["label"], p) for p in doc["plugins"]]
problems, seen = [], 0
for label, s in systems:
    for m in s.get("measurements", []):
        if m["threads"] == 1:
            want = "none"
        elif m["batch"] == 1 or label == "dynamic":
            want = "rows"
        else:
            want = "images"
        seen += 1
        if m.get("parallel") != want:
            problems.append("%s/%s/threads:%d/batch:%d: parallel %s (expected %s)" %
                            (label, m["kernels"], m["threads"], m["batch"], m.get("parallel"), want))
if seen != 12:
    problems.append("%d measurements (expected 3 systems x 2 threads x 2 batches = 12)" % seen)
print(("not ok 2 - " + "; ".join(problems)) if problems else
      "ok 2 - parallel: none on 1 thread, rows at batch 1 and for dynamic, images otherwise")
EOF
