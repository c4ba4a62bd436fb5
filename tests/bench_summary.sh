#!/bin/sh
# make bench's summary (tools/bench_summary.py with tools/bench_targets.py) on made-up inputs
# whose ratios are known, so each of issue 14's verdict rows must come out as computed here:
# MET, MISSED, split between the clocks, or n/a for what was not measured (never a number).
# Also: tools/bench_ort.mjs's and tools/bench_wall.py's argument and file errors. No timing:
# nothing here measures anything (docs/benchmarks.md).
set -u
. "$(dirname "$0")/support/tap.sh"
root=$(cd "${QX_ROOT:-.}" && pwd)
py=/usr/bin/python3
[ -x "$py" ] || py=python3
tmp=$(mktemp -d /tmp/qx-bench-summary-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
[ -n "${KEEP:-}" ] && trap : EXIT

# The inputs. The default model has 21,898,496 MAC per image (tools/bench_summary.py); the
# VNNI peak loop is 448 GMAC/s, so 90% of it is a batch of 64 in 3.4757 ms.
"$py" - "$tmp" <<'EOF'
import json, os, sys
d = sys.argv[1]
layers = [(1, 32, 28), (32, 32, 28), (32, 64, 14), (64, 64, 14), (64, 128, 7)]
mac = lambda c, oc, hw: c * oc * 9 * hw * hw
with open(os.path.join(d, "q8.txt"), "w") as f:
    f.write("# q8_bench: one thread, thread CPU time, best of 5; core clock 3.50 GHz (x)\n")
    for s, peak, shares in (("avx512vnni", 448.0, 80.0), ("avx2", 112.0, None)):
        f.write("\n## %s (isa)\n# peak loop (loop): %.1f MAC/cycle, %.1f GMAC/s\n" % (s, peak / 3.5, peak))
        for i, (c, oc, hw) in enumerate(layers):
            for b in (1, 64):
                # avx2: 86% of its peak on 32->32, 80% elsewhere; VNNI first layer 24 MAC/cycle
                share = (86.0 if (c, oc) == (32, 32) else 80.0) if s == "avx2" else (19.0 if c == 1 else 85.0)
                gmac = peak * share / 100
                us = mac(c, oc, hw) * b / (gmac * 1e9) * 1e6
                f.write("%-22s %5d %12.1f %9.2f %10.2f %6.1f%%\n" % (
                    "%d->%d @%dx%d" % (c, oc, hw, hw), b, us, gmac, gmac / 3.5, share))
        if s == "avx2":
            # 0..127 rows (reduce_range plans, the vpmaddubsw form) for the last layer only
            f.write("# activations 0..127 (reduce_range plans, desc.in_u7): vpmaddubsw\n")
            for b in (1, 64):
                gmac = peak * 0.92
                us = mac(64, 128, 7) * b / (gmac * 1e9) * 1e6
                f.write("%-22s %5d %12.1f %9.2f %10.2f %6.1f%%  vpmaddubsw\n" % (
                    "64->128 @7x7 0..127", b, us, gmac, gmac / 3.5, 92.0))
    f.write("\n# avx2: vpmaddwd + vpaddd (16-bit, what the set runs) peaks at 28.0 MAC/cycle, 98.0 GMAC/s\n")
with open(os.path.join(d, "f32.txt"), "w") as f:
    f.write("clock: 3.50 GHz (x)\nFMA peak loop, ymm: 112.0 GFLOP/s, 32.0 FLOP/cycle (16.0 MAC/cycle; x)\n"
            "FMA peak loop, zmm: 100.0 GFLOP/s, 28.6 FLOP/cycle (14.3 MAC/cycle; x)\n\n")
    for c, oc, hw in layers:
        for b in (1, 64):
            # of the faster loop, 112 GFLOP/s; 110% at b64: a kernel that skips padding taps
            share = (110.0 if b == 64 else 95.0) if (c, oc) == (64, 128) else 70.0
            t = 2 * mac(c, oc, hw) * b / (112e9 * share / 100)
            f.write("%-18s %5d %-7s %10.4f %9.1f %9.2f %7.1f%% %8s\n" % (
                "%d->%d @%dx%d" % (c, oc, hw, hw), b, "avx512", t * 1e3, 0, 0, 0, "-"))
            f.write("%-18s %5d %-7s %10.4f %9.1f %9.2f %7.1f%% %8s\n" % (
                "%d->%d @%dx%d" % (c, oc, hw, hw), b, "avx2", t * 2e3, 0, 0, 0, "-"))

def results(path, plugin_ms, fp32_ms):
    """ms: {(kernels, batch, threads): (wall, cpu)}"""
    def ms(m):
        return [{"kernels": k, "batch": b, "threads": t, "median": w, "cpu": {"median": c}}
                for (k, b, t), (w, c) in m.items()]
    os.makedirs(path, exist_ok=True)
    # Google Benchmark's rounds beside it: where the whole-model CPU time comes from
    bench = [{"name": "%s/%s/threads:%d/batch:%d" % (label, k, t, b), "run_type": "iteration",
              "cpu_time": c, "time_unit": "ms"}
             for label, m in (("static-per-channel", plugin_ms), ("fp32", fp32_ms))
             for (k, b, t), (w, c) in m.items() if c is not None]
    json.dump({"benchmarks": bench}, open(os.path.join(path, "gbench.json"), "w"))
    json.dump({"plugins": [{"label": "static-per-channel", "measurements": ms(plugin_ms)}],
               "fp32": {"measurements": ms(fp32_ms)}}, open(os.path.join(path, "results.json"), "w"))

# default model: int8 b64 at 95% of the peak on the wall clock, 85% on CPU time
t90 = 21898496 * 64 / (0.9 * 448e9) * 1e3
results(os.path.join(d, "qx", "fashion-mnist", "r1"),
        {("avx512vnni", 1, 1): (0.06, 0.06), ("avx512vnni", 64, 1): (t90 * 0.9 / 0.95, t90 * 0.9 / 0.85),
         ("avx2", 64, 1): (20.0, 20.0)},
        {("avx512vnni", 1, 1): (0.30, 0.30), ("avx512vnni", 64, 1): (20.0, 20.0),
         ("avx2", 1, 1): (0.50, 0.50)})
def pt(path, m):
    json.dump({"torch_version": "x", "engine": "onednn", "threads": 1,
               "measurements": [{"system": s, "batch": b, "median": w, "cpu_median": c}
                                for (s, b), (w, c) in m.items()]}, open(path, "w"))
pt(os.path.join(d, "pytorch.json"), {("int8", 1): (0.3, 0.3), ("int8", 64): (5.0, 5.0),
                                     ("fp32", 1): (5.0, 5.0), ("fp32", 64): (80.0, 80.0)})
def ort(folder, m):
    os.makedirs(folder, exist_ok=True)
    for name, system, threads in (("fp32.json", "fp32", 1), ("int8.json", "int8", 1),
                                  ("int8-t2.json", "int8", 2)):
        ms = [{"system": system, "batch": b, "threads": threads, "median": w, "cpu_median": c}
              for (s, b, t), (w, c) in m.items() if s == system and t == threads]
        if ms:
            json.dump({"schema": "qx-bench/bench-ort", "ort_version": "1.30.0",
                       "measurements": ms}, open(os.path.join(folder, name), "w"))
# ORT fp32: 1.5x slower than qx-bench at batch 1, 0.9x at batch 64
ort(os.path.join(d, "ort"), {("fp32", 1, 1): (0.45, 0.45), ("fp32", 64, 1): (18.0, 18.0),
                             ("int8", 1, 1): (0.2, 0.2), ("int8", 64, 1): (12.0, 12.0)})
# zoo m1: int8 b64 1.3x the faster (ORT, 13 ms), b1 1.2x (PyTorch, 0.12 ms), scaling 2.0x;
# fp32 b64 against ORT: 1.1x on the wall clock, 0.9x on CPU time
results(os.path.join(d, "zoo", "m1", "qx", "zoo-m1", "r1"),
        {("avx512vnni", 1, 1): (0.1, 0.1), ("avx512vnni", 64, 1): (10.0, 10.0),
         ("avx512vnni", 64, 2): (5.0, None)},
        {("avx512vnni", 1, 1): (1.0, 1.0), ("avx512vnni", 64, 1): (50.0, 50.0)})
pt(os.path.join(d, "zoo", "m1", "pytorch.json"), {("int8", 1): (0.12, 0.12), ("int8", 64): (15.0, 15.0)})
ort(os.path.join(d, "zoo", "m1", "ort"), {("int8", 1, 1): (0.2, 0.2), ("int8", 64, 1): (13.0, 13.0),
                                          ("int8", 64, 2): (8.0, None), ("fp32", 64, 1): (55.0, 45.0)})
# zoo m2: PyTorch skipped, ORT fp32 only (export could not write the int8 model)
results(os.path.join(d, "zoo", "m2", "qx", "zoo-m2", "r1"),
        {("avx512vnni", 1, 1): (0.1, 0.1), ("avx512vnni", 64, 1): (10.0, 10.0)}, {})
json.dump({"skipped": "no torch"}, open(os.path.join(d, "zoo", "m2", "pytorch.json"), "w"))
ort(os.path.join(d, "zoo", "m2", "ort"), {("fp32", 64, 1): (20.0, 20.0)})
open(os.path.join(d, "zoo", "m2", "ort", "int8.skipped"), "w").write("qx-bench export failed: node 'p' (Pad) is not exported\n")
# zoo m3: the 1-thread run preempted (10 ms wall, 4 ms CPU), 2 threads 3 ms: 3.3x, impossible
results(os.path.join(d, "zoo", "m3", "qx", "zoo-m3", "r1"),
        {("avx512vnni", 64, 1): (10.0, 4.0), ("avx512vnni", 64, 2): (3.0, None)}, {})
# zoo m4: the 1-thread run clean (wall = CPU time), 2 threads 4 ms: 2.5x, superlinear (caches)
results(os.path.join(d, "zoo", "m4", "qx", "zoo-m4", "r1"),
        {("avx512vnni", 64, 1): (10.0, 10.0), ("avx512vnni", 64, 2): (4.0, None)}, {})
# the suite's own run folder, with results.json's per-phase "timing"
os.makedirs(os.path.join(d, "suite", "fashion-mnist", "r1"))
json.dump({"timing": {"wall_s": 50.0, "cpu_s": 41.0, "phases": {
              "latency": {"wall_s": 30.0, "cpu_s": 28.0}, "evaluation": {"wall_s": 12.5, "cpu_s": 9.0},
              "other": {"wall_s": 0.01, "cpu_s": 0.01}, "calibration": {"wall_s": 7.49, "cpu_s": 3.99}}}},
          open(os.path.join(d, "suite", "fashion-mnist", "r1", "results.json"), "w"))
json.dump({"schema": "qx-bench/bench-wall", "exit_status": 0, "wall_s": 50.0, "user_s": 40.0,
           "sys_s": 1.0, "loadavg_before": [3.0, 2.0, 1.0], "loadavg_after": [4.0, 2.0, 1.0],
           "command": ["qx-bench", "-o", os.path.join(d, "suite"), "--quiet", "suite.yaml"]},
          open(os.path.join(d, "suite-time.json"), "w"))
EOF

"$py" "$root/tools/bench_summary.py" --qx-results "$tmp/qx" --pytorch "$tmp/pytorch.json" \
	--q8 "$tmp/q8.txt" --f32 "$tmp/f32.txt" --ort "$tmp/ort" --zoo "$tmp/zoo" \
	--suite-time "$tmp/suite-time.json" --json "$tmp/summary.json" >"$tmp/out" 2>&1
ok $? "bench_summary.py exits 0 on the made-up run"
# row: WHAT-and-WHERE pattern, expected "measured ... verdict (clocks)" tail
row() { # ROW-REGEX EXPECTED-REGEX DESCRIPTION, with runs of spaces squeezed to one
	line=$(grep -E "^$1 " "$tmp/out" | head -n 1 | tr -s ' ')
	if echo "$line" | grep -qE -- "$2"; then
		ok 0 "$3"
	else
		ok 1 "$3"
		echo "# expected /$2/ in the row matching /$1/, got: '$line'"
	fi
}
row "fp32 speed / ORT fp32 +default model b1" "1\.50x / 1\.50x >= 1x MET / MET \(wall/cpu\)" \
	"fp32 against ORT, default model, batch 1: 1.5x, met on both clocks"
row "fp32 speed / ORT fp32 +default model b64" "0\.90x / 0\.90x >= 1x MISSED / MISSED" \
	"fp32 against ORT, default model, batch 64: 0.9x, missed"
row "fp32 % of the FMA peak loop +64->128 @7x7 b1" "9[45]\.[0-9]+% >= 90% MET \(cpu\)" \
	"fp32 share of the faster FMA loop (ymm here): 95% met"
row "fp32 % of the FMA peak loop +64->128 @7x7 b64" "above 100%: the count includes padding taps this kernel skips; 90\.0% on real taps\) 110\.00% >= 90% MET \(cpu\)" \
	"fp32 share above 100% is marked, with the share on the taps really computed"
row "fp32 % of the FMA peak loop +32->32 @28x28 b1" "70\.0[0-9]% >= 90% MISSED \(cpu\)" \
	"fp32 share of the FMA loop: 70% missed"
row "int8 whole model % of VNNI peak +default model b64" "9[45]\.[0-9]+% / 8[45]\.[0-9]+% >= 90% MET / MISSED \(wall/cpu\)" \
	"whole model share of the VNNI peak: a verdict per clock"
row "int8 first layer MAC/cycle +1->32 @28x28 avx512vnni b1" "[0-9.]+ >= 20 MET \(cpu\)" "first layer MAC/cycle met"
row "int8 AVX2 % of its peak loop +32->32 @28x28 b64" "86\.00% >= 85% MET \(cpu\)" "AVX2 86% met"
row "int8 AVX2 % of its peak loop +64->64 @14x14 b1" "80\.00% >= 85% MISSED \(cpu\)" "AVX2 80% missed"
row "int8 speed / faster of PyTorch, ORT +m1 b64" "1\.30x / 1\.30x >= 1\.2x MET / MET" \
	"zoo int8 b64 against the faster of PyTorch and ORT"
row "int8 speed / faster of PyTorch, ORT +m1 b1" "1\.20x / 1\.20x >= 1\.3x MISSED / MISSED" \
	"zoo int8 b1 against the faster (PyTorch there)"
row "fp32 speed / ORT fp32 +m1 b64" "1\.10x / 0\.90x >= 1x MET / MISSED" \
	"zoo fp32 against ORT: met on one clock only"
row "int8 2 threads / 1 thread +m1 b64" "2\.00x >= 1\.8x MET \(wall\)" "zoo thread scaling"
row "int8 speed / faster of PyTorch, ORT +m2 b64" " - / - >= 1\.2x n/a / n/a" \
	"a zoo model without PyTorch and ORT numbers: n/a, no number"
row "int8 2 threads / 1 thread +m3 b64" "3\\.33x >= 1\\.8x UNTRUSTED \\(wall\\)" \
	"a scaling above 2x on 2 threads is marked UNTRUSTED, not MET"
grep -q "UNTRUSTED: int8 2 threads / 1 thread, m3 b64: 2 threads cannot be 3.33x" "$tmp/out"
ok $? "an UNTRUSTED row says why"
row "int8 2 threads / 1 thread +m4 b64 \(superlinear: each core's own cache holds its half\)" \
	"2\.50x >= 1\.8x MET \(wall\)" \
	"above 2x with the 1-thread run not preempted: met, and marked superlinear, not UNTRUSTED"
row "default suite wall time +make run's suite" "50\.00 s <= 45 s MISSED \(wall\)" \
	"the default suite's wall time against 45 s"
grep -q "^  MISSED: default suite wall time, make run's suite" "$tmp/out" &&
	grep -q "50.0 s wall, 40.0 s user + 1.0 s sys CPU; load average 3.00 before" "$tmp/out"
ok $? "a missed target is explained (the suite: its CPU time and load average)"
grep -q "per phase as results.json's \"timing\" records it, wall / CPU: latency 30.0 / 28.0 s, evaluation 12.5 / 9.0 s, calibration 7.5 / 4.0 s$" "$tmp/out"
ok $? "the suite's miss is broken down by the run's own phases, longest first (under 0.05 s left out)"
grep -q "ceiling; that form reaches 91.4% of it" "$tmp/out"
ok $? "a missed AVX2 row names the vpmaddwd loop's ceiling and the share of it reached"
row "int8 AVX2 % of its peak loop +64->128 @7x7 b64 0\.\.127" "92\.00% >= 85% MET \(cpu\)" \
	"AVX2 on a layer with 0..127 rows: those (reduce_range plans) decide"
grep -qE "^int8 AVX2 % of its peak loop +64->128 @7x7 b64 +[0-9]+\.[0-9]+%" "$tmp/out"
ok $((!$?)) "... and the 0..255 row of that layer is not a target row of its own"
grep -qE "^64->128 @7x7 +64 int8 avx2 0\.\.127 .* >= 85% met" "$tmp/out" &&
	grep -qE "^64->128 @7x7 +64 int8 avx2 0\.\.255 .*\(the vpmaddwd form: no target\)" "$tmp/out"
ok $? "the per-layer list judges the AVX2 0..127 row and prints the 0..255 row without a target"
grep -q "m2: ORT int8 not measured: qx-bench export failed: node 'p' (Pad)" "$tmp/out" &&
	grep -q "m2: PyTorch skipped: no torch" "$tmp/out"
ok $? "the zoo's missing parts are named under the table"
"$py" -c 'import json, sys
d = json.load(open(sys.argv[1]))
rows = d["issue14_targets"]
assert len(rows) == 2 + 8 + 1 + 2 + 8 + 4 * 5 + 1, len(rows)
assert any(r["where"] == "m1 b64" and r["verdicts"] == {"wall": "MET"} for r in rows)' "$tmp/summary.json"
ok $? "summary.json lists every target row with its verdicts"
rm "$tmp/q8.txt"
"$py" "$root/tools/bench_summary.py" --qx-results "$tmp/qx" --pytorch "$tmp/pytorch.json" \
	--q8 "$tmp/q8.txt" >"$tmp/out" 2>&1
[ $? -eq 2 ] && grep -q "q8.txt: cannot read q8_bench output" "$tmp/out"
ok $? "a missing input: exit 2 naming the file"

if command -v node >/dev/null 2>&1; then
	node "$root/tools/bench_ort.mjs" m.onnx "$tmp/none" --label x >"$tmp/out" 2>&1
	[ $? -eq 2 ] && grep -q "none/meta.json.*expected a qx-bench export --dump folder" "$tmp/out"
	ok $? "bench_ort.mjs: a missing images folder exits 2 naming it"
	node "$root/tools/bench_ort.mjs" m.onnx "$tmp" --label x --batch 1,0 >"$tmp/out" 2>&1
	[ $? -eq 2 ] && grep -q -- "--batch '0': expected a positive" "$tmp/out"
	ok $? "bench_ort.mjs: a bad --batch exits 2 naming it"
else
	ok 0 "# SKIP bench_ort.mjs: no node"
	ok 0 "# SKIP bench_ort.mjs: no node"
fi
"$py" "$root/tools/bench_wall.py" -o "$tmp/w.json" --log "$tmp/w.log" -- sh -c 'echo hi; exit 3' >"$tmp/out"
[ $? -eq 3 ] && grep -q hi "$tmp/w.log" && "$py" -c 'import json, sys
d = json.load(open(sys.argv[1])); assert d["exit_status"] == 3 and d["wall_s"] >= 0' "$tmp/w.json"
ok $? "bench_wall.py: the command's status, output in --log, wall time in the JSON"
echo "1..$n"
exit $failed
