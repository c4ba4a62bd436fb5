#!/bin/sh
# qx-bench graph and qx-bench export, with ONNX Runtime as an independent oracle for the int8
# executor (docs/export.md). One run of the reference model with the default suite's plugins
# (dynamic, static-per-tensor, static-per-channel, histogram) and its 256 calibration images
# (128 under the sanitizer build), then:
# - graph: every node and tensor name of every plan.json is in `qx-bench graph --json`, with
#   the op plan.json says, and every node's plan mode is one graph says it allows; the text
#   table names /conv1/Conv and conv1.weight_bnfold; graph on a file that is not ONNX and on
#   a missing file exits 2 with one line naming it;
# - export: each static plan becomes an ONNX file; the dynamic plan, a run without --plugin,
#   an unknown --plugin and a plan for another model exit 2 with one line;
# - ORT (onnxruntime-node 1.30.0 from npm, installed by tools/install-deps --ort into
#   build/ort, or $QX_ORT_DIR; skipped with the reason when it cannot be installed): each
#   exported static plan run by ORT on the first 1000 test images (200 under the sanitizer
#   build) gives logits bit-identical to qx-bench's int8 executor's (scalar kernels) on every
#   image, and so the same top-1 on every image.
set -u
. "$(dirname "$0")/support/tap.sh"
run_test_setup
tmp=$(mktemp -d /tmp/qx-ort-export-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

images=1000 calib=256
[ "${QX_SANITIZED:-0}" = 1 ] && images=200 calib=128
{
	fashion_suite_head ort-export $calib
	cat <<EOF
kernels: [scalar]
plugins:
  - name: dynamic
  - name: static-per-tensor
  - name: static-per-channel
  - name: histogram
measure:
  enabled: false
check:
  reference_images: 64
  bitexact_images: 0
results: $tmp/results
EOF
} >"$tmp/suite.yaml"

"$bin" -q -M --limit 64 "$tmp/suite.yaml" >"$tmp/run.out" 2>"$tmp/run.err"
rc=$?
r=$(ls -d "$tmp"/results/*/*/results.json 2>/dev/null | head -1)
ok $(test $rc = 0 && test -n "$r"; echo $?) "the run exits 0 and writes results.json (got $rc)"
[ $rc = 0 ] || show "$tmp/run.err"
run=$(dirname "${r:-$tmp/none/results.json}")

# ---- graph ----
"$bin" graph "$root/models/fashion_cnn.onnx" --json >"$tmp/graph.json" 2>"$tmp/graph.err"
ok $? "graph --json exits 0"
"$py" - "$tmp/graph.json" "$run" >"$tmp/names.txt" 2>&1 <<'PY'
import glob, json, sys
g = json.load(open(sys.argv[1]))
nodes = {n['name']: n for n in g['nodes']}
tensors = {t['name']: t for t in g['tensors']}
assert g['schema'] == 'qx-graph/1', g['schema']
plans = sorted(glob.glob(sys.argv[2] + '/*.plan.json'))
assert len(plans) == 4, plans
checked = 0
for p in plans:
    d = json.load(open(p))
    for n in d['nodes']:
        assert n['name'] in nodes, (p, n['name'])
        assert nodes[n['name']]['op'] == n['op'], (p, n['name'], n['op'])
        assert n['mode'] in nodes[n['name']]['modes'], (p, n['name'], n['mode'])
        checked += 1
    for t in d['tensors']:
        assert t['name'] in tensors, (p, t['name'])
        assert tensors[t['name']]['const'] == (t['dtype'] != 'uint8'), (p, t['name'])
        checked += 1
assert nodes['/conv1/Conv']['weight'] == 'conv1.weight_bnfold', nodes['/conv1/Conv']
assert nodes['/pool1/MaxPool']['keeps_qparams'] and not nodes['/conv1/Conv']['keeps_qparams']
assert nodes['/fc/Gemm']['modes'] == ['float', 'static', 'dynamic', 'weight_only'], nodes['/fc/Gemm']
assert tensors['input']['shape'] == [1, 1, 28, 28] and not tensors['input']['const']
print(checked, 'names')
PY
ok $? "every name in the run's 4 plan.json files is a node or tensor of graph --json, ops and modes agree"
show "$tmp/names.txt"
"$bin" graph "$root/models/fashion_cnn.onnx" >"$tmp/graph.txt" 2>&1
ok $(test $? = 0 && grep -q '/conv1/Conv .*conv1.weight_bnfold\[32,1,3,3\] (weight)' "$tmp/graph.txt" &&
     grep -q '^ *9  /fc/Gemm .*float,static,dynamic' "$tmp/graph.txt"; echo $?) \
	"graph's table names /conv1/Conv with its weight and /fc/Gemm's modes"
"$bin" graph "$root/README.md" >"$tmp/out" 2>"$tmp/err"
ok $(test $? = 2 && test "$(wc -l <"$tmp/err")" = 1 && grep -q 'README.md' "$tmp/err" &&
     test ! -s "$tmp/out"; echo $?) "graph on a file that is not ONNX: exit 2, one line naming it"
show "$tmp/err"
"$bin" graph "$tmp/missing.onnx" >"$tmp/out" 2>"$tmp/err"
ok $(test $? = 2 && test "$(wc -l <"$tmp/err")" = 1 && grep -q 'missing.onnx' "$tmp/err"; echo $?) \
	"graph on a missing file: exit 2, one line naming it"

# ---- export ----
statics="static-per-tensor static-per-channel histogram"
for p in $statics; do
	"$bin" export "$run" --plugin $p -o "$tmp/$p.onnx" --dump $images "$tmp/dump-$p" \
		>"$tmp/out" 2>"$tmp/err"
	ok $(test $? = 0 && test -s "$tmp/$p.onnx" && test -s "$tmp/dump-$p/logits.f32"; echo $?) \
		"export $p: exit 0, the ONNX file and the dump of $images images"
	show "$tmp/err"
done
# The plan.json + model form writes the same bytes as the RUN form.
"$bin" export "$run/static-per-channel.plan.json" "$root/models/fashion_cnn.onnx" \
	-o "$tmp/pc2.onnx" 2>"$tmp/err"
ok $(test $? = 0 && cmp -s "$tmp/pc2.onnx" "$tmp/static-per-channel.onnx"; echo $?) \
	"export PLAN.json MODEL.onnx writes the same model as export RUN --plugin"
show "$tmp/err"
# Per-channel and per-tensor plans differ, and the reduce_range Clip is there (the names the
# exporter gives, docs/export.md).
ok $(! cmp -s "$tmp/static-per-tensor.onnx" "$tmp/static-per-channel.onnx" &&
     grep -qs 'conv1.weight_bnfold_quantized' "$tmp/static-per-channel.onnx" &&
     grep -qs '/relu1/Relu_output_0_range_Clip' "$tmp/static-per-channel.onnx"; echo $?) \
	"the exported models hold int8 weights and the 0..127 range Clip"
for args in "--plugin dynamic" "" "--plugin nosuch"; do
	# shellcheck disable=SC2086
	"$bin" export "$run" $args -o "$tmp/bad.onnx" >"$tmp/out" 2>"$tmp/err"
	ok $(test $? = 2 && test "$(wc -l <"$tmp/err")" = 1 && grep -q 'expected' "$tmp/err"; echo $?) \
		"export ${args:-without --plugin}: exit 2, one line saying what was expected"
	show "$tmp/err"
done
"$bin" export "$run/static-per-tensor.plan.json" "$root/models/zoo/resnet18.onnx" \
	-o "$tmp/bad.onnx" >"$tmp/out" 2>"$tmp/err"
ok $(test $? = 2 && test "$(wc -l <"$tmp/err")" = 1 && grep -q 'plan.json' "$tmp/err"; echo $?) \
	"export of a plan with another model: exit 2, one line naming the plan"
show "$tmp/err"

# ---- ONNX Runtime ----
ort_setup
for p in $statics; do
	if [ -n "$skip" ]; then
		n=$((n + 1))
		echo "ok $n # SKIP ORT on $p: $skip"
		continue
	fi
	node "$root/tools/ort_run.mjs" "$tmp/$p.onnx" "$tmp/dump-$p" "$ort" >"$tmp/ort.out" 2>"$tmp/ort.err"
	rc=$?
	line=$(cat "$tmp/ort.out")
	echo "# ORT $p: $line"
	ok $(test $rc = 0 && echo "$line" | grep -q "^images $images bitexact $images top1 $images maxdiff 0$"; echo $?) \
		"ORT runs the exported $p model: logits bit-identical to qx-bench's int8 executor on all $images images, top-1 identical on all"
	[ $rc = 0 ] || show "$tmp/ort.err"
done

echo "1..$n"
exit $failed
