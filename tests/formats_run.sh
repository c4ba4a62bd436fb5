#!/bin/sh
# Simulated formats through a whole run (plugin ABI 1.3, docs/numerics.md "Simulated formats"):
# the default suite restricted to its FP8 and int4 weight-only rows, on a few images:
# - each row has an accuracy, a drop with its interval, a size below fp32 (int4 below FP8),
#   trust "simulated", "n/a: no kernel" for the bit-identical check and "no kernel" for latency in
#   the run's tables, the conclusion, results.json (valid against its schema) and report.html;
# - plan.json records the FP8 dtypes, int4's bits and group scales, and why it is simulated;
# - `qx-bench export` refuses such a plan (FP8 QDQ needs opset 19) and `compare` says "no kernel";
# - per-layer error: results.json's simulated rows have `layers` (FP8 dtypes, int4's per-group
#   weights, every figure finite) and `qx-bench explain RUN --plugin fp8-e4m3` ranks them.
set -u
. "$(dirname "$0")/support/tap.sh"
run_test_setup
tmp=$(mktemp -d /tmp/qx-formats-run-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

images=300
[ "${QX_SANITIZED:-0}" = 1 ] && images=100
"$bin" --quick --limit "$images" --plugins fp8-e4m3,int4-g32 -o "$tmp/res" \
	"$root/suites/fashion-mnist.yaml" >"$tmp/out" 2>"$tmp/err"
rc=$?
ok $rc "the default suite's fp8-e4m3 and int4-g32 rows run (exit $rc)"
[ $rc = 0 ] || { show "$tmp/err"; show "$tmp/out"; }

for p in fp8-e4m3 int4-g32; do
	grep -Eq "^$p +simulated +[0-9.]+% [+-][0-9.]+ \[[+-][0-9.]+, [+-][0-9.]+\] +[0-9.]+% simulated +[0-9]+ +0\.[0-9]+ .*n/a: no kernel" "$tmp/out"
	ok $? "$p: table row with accuracy, drop and interval, trust simulated, size, no kernel"
	grep -Eq "^$p +- +no kernel: no int8 kernel runs" "$tmp/out"
	ok $? "$p: the latency table says no kernel"
	grep -Eq "^$p +[0-9.]+% .* simulated +no kernel +no \(no kernel\)" "$tmp/out"
	ok $? "$p: the conclusion has no speedup (no kernel) and keeps it off the latency front"
done
[ $failed = 0 ] || show "$tmp/out"

res=$(ls -d "$tmp"/res/*/*/results.json 2>/dev/null | head -1)
run=$(dirname "${res:-$tmp/none/x}")
"$py" - "$res" >"$tmp/check" 2>&1 <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
rows = {p['label']: p for p in d['plugins']}
f32 = d['fp32']['model_bytes']
bad = []
for label, why in (('fp8-e4m3', 'fp8_e4m3fn'), ('int4-g32', 'per-group scales, weight-only nodes')):
    p = rows[label]
    if p['simulated'] != {'reason': why, 'fp32_kernels': p['accuracy_kernels'], 'latency': 'no kernel'}:
        bad.append('%s: simulated is %r' % (label, p['simulated']))
    if p['trust']['verdict'] != 'simulated' or 'no independent result' not in p['trust']['reason']:
        bad.append('%s: trust %r' % (label, p['trust']))
    if any(k['bit_identical'] is not None or 'not_applicable' not in k for k in p['kernel_sets']):
        bad.append('%s: kernel_sets %r' % (label, p['kernel_sets']))
    if p['measurements']:
        bad.append('%s: has measurements' % label)
    ts = p.get('layers', {}).get('tensors', [])
    if not ts or (label == 'fp8-e4m3' and p['layers']['images'] <= 0):
        bad.append('%s: no layers' % label)
    for t in ts:
        if not isinstance(t['own_sqnr_db'], float) or not isinstance(t['loss_db'], float):
            bad.append('%s: %s own %r loss %r' % (label, t['tensor'], t['own_sqnr_db'], t['loss_db']))
    kinds = {(t['kind'], t['dtype'], t['granularity']) for t in ts}
    want = {('weight', 'fp8_e4m3fn', 'per-channel'), ('activation', 'fp8_e4m3fn', 'per-tensor')} \
        if label == 'fp8-e4m3' else {('weight', 'int8', 'per-group')}
    if not want <= kinds or (label == 'fp8-e4m3' and not any('sqnr_db' in t for t in ts if t['kind'] == 'activation')):
        bad.append('%s: layers kinds %r' % (label, kinds))
    if not (0 < p['model_bytes'] < f32) or not (0 <= p['accuracy'] <= 100):
        bad.append('%s: size %r accuracy %r' % (label, p['model_bytes'], p['accuracy']))
if not rows['int4-g32']['model_bytes'] < rows['fp8-e4m3']['model_bytes']:
    bad.append('int4 is not smaller than fp8')
print('\n'.join(bad) if bad else 'ok')
PY
grep -qx ok "$tmp/check"
ok $? "results.json: simulated rows with reason, trust simulated, kernel sets n/a, no latency, sizes"
[ $failed = 0 ] || show "$tmp/check"

if "$py" -c 'import jsonschema' 2>/dev/null; then
	"$py" -c 'import json, sys, jsonschema; jsonschema.Draft202012Validator(json.load(open(sys.argv[1]))).validate(json.load(open(sys.argv[2])))' \
		"$root/schemas/results.schema.json" "$res" 2>"$tmp/schema.err"
	ok $? "results.json is valid against schemas/results.schema.json"
	[ -s "$tmp/schema.err" ] && show "$tmp/schema.err"
else
	n=$((n + 1)); echo "ok $n # skip python3-jsonschema not installed"
fi

"$py" - "$run" >"$tmp/plans" 2>&1 <<'PY'
import json, sys
run = sys.argv[1]
f = json.load(open(run + '/fp8-e4m3.plan.json'))
i = json.load(open(run + '/int4-g32.plan.json'))
bad = []
if f['simulated'] != 'fp8_e4m3fn' or {t['dtype'] for t in f['tensors']} != {'fp8_e4m3fn'}:
    bad.append('fp8 plan: %r' % f['simulated'])
if f['plugin']['abi'] != '1.3':
    bad.append('abi %s' % f['plugin']['abi'])
w = [t for t in i['tensors'] if t.get('group_size')]
if not w or any(t['bits'] != 4 or t['scheme'] != 'per_group_symmetric' or t['qmin'] != -8 or t['qmax'] != 7 for t in w):
    bad.append('int4 plan tensors: %r' % [(t['name'], t.get('bits'), t['scheme']) for t in i['tensors']])
if {n['mode'] for n in i['nodes']} != {'weight_only', 'float'}:
    bad.append('int4 modes %r' % {n['mode'] for n in i['nodes']})
print('\n'.join(bad) if bad else 'ok')
PY
grep -qx ok "$tmp/plans"
ok $? "plan.json: FP8 dtypes, int4 bits 4 with per-group scales, weight_only modes, simulated"
[ $failed = 0 ] || show "$tmp/plans"

grep -q "no kernel" "$run/report.html" && grep -q "simulated, no kernel" "$run/report.html"
ok $? "report.html says simulated and no kernel"

"$bin" export "$run" --plugin fp8-e4m3 -o "$tmp/fp8.onnx" >"$tmp/export.out" 2>"$tmp/export.err"
erc=$?
[ $erc != 0 ] && grep -q "uses fp8_e4m3fn, which only the reference simulation runs.*opset 19" "$tmp/export.err" &&
	[ ! -e "$tmp/fp8.onnx" ]
ok $? "export refuses the FP8 plan, naming opset 19 (exit $erc)"
[ $erc != 0 ] || show "$tmp/export.err"

"$bin" explain "$run" --plugin fp8-e4m3 --top 3 >"$tmp/explain.out" 2>&1
erc=$?
[ $erc = 0 ] && grep -q "^plugin fp8-e4m3: [0-9]* quantized tensors" "$tmp/explain.out" &&
	[ "$(grep -cE '^ *[0-9]+ +[^ ]+ .* (weight|activation|input) ' "$tmp/explain.out")" -ge 3 ] &&
	! grep -q "no per-layer error" "$tmp/explain.out"
ok $? "explain --plugin fp8-e4m3 ranks the simulated row's tensors (exit $erc)"
[ $failed = 0 ] || show "$tmp/explain.out"

"$bin" compare "$run" "$run" >"$tmp/compare.out" 2>&1
grep -q "int4-g32 .*\[simulated, no kernel (per-group scales, weight-only nodes): no latency\]" "$tmp/compare.out"
ok $? "compare marks the simulated row: no kernel, no latency"

echo "1..$n"
exit $failed
