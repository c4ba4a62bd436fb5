#!/bin/sh
# qx-bench export of Pad and of a Concat with more than 16 inputs (docs/export.md; densenet121
# has both). A small model made here with python onnx, on Fashion-MNIST's 1x28x28 images:
#   Conv 1->4 3x3 + Relu -> Pad reflect (1, 2, 2, 1) -> Concat of 17 copies (68 channels)
#   -> Conv 68->6 3x3 stride 2 + Relu -> Pad edge (1, 1, 1, 1)
#   -> Pad constant (0, 1, 2, 0) value 0.5 -> GlobalAveragePool -> Flatten -> Gemm 6->10
# run by qx-bench with static-per-channel on the scalar kernels, then:
# - export writes the three Pads in their modes and with their pads, the constant one with its
#   value, and the Concat with its 17 inputs (read back with python onnx);
# - ONNX Runtime (onnxruntime-node, as tests/ort_export.sh; skipped with the reason when it
#   cannot be installed) running it gives logits bit-identical to qx-bench's int8 executor's on
#   every dumped image (the Pads run in float between int8 tensors in both, and copy values).
# Skipped without python onnx / numpy.
set -u
. "$(dirname "$0")/support/tap.sh"
run_test_setup
tmp=$(mktemp -d /tmp/qx-export-pad-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

images=200 calib=64
[ "${QX_SANITIZED:-0}" = 1 ] && images=30 calib=32
if ! "$py" -c 'import onnx, numpy' 2>/dev/null; then
	echo "1..0 # SKIP python3-onnx or numpy not installed"
	exit 0
fi

"$py" - "$tmp/pad.onnx" >"$tmp/make.out" 2>&1 <<'PY'
import sys, numpy as np, onnx
from onnx import helper as h, numpy_helper as nh, TensorProto as T
rng = np.random.default_rng(14)
def w(name, *shape, s=0.3):
    return nh.from_array((rng.standard_normal(shape) * s).astype(np.float32), name)
def i64(name, v):
    return nh.from_array(np.array(v, dtype=np.int64), name)
inits = [w('c1.w', 4, 1, 3, 3), w('c1.b', 4, s=0.1), w('c2.w', 6, 68, 3, 3, s=0.1),
         w('c2.b', 6, s=0.1), w('fc.w', 10, 6), w('fc.b', 10, s=0.1),
         i64('pads1', [0, 0, 1, 2, 0, 0, 2, 1]), i64('pads2', [0, 0, 1, 1, 0, 0, 1, 1]),
         i64('pads3', [0, 0, 0, 1, 0, 0, 2, 0]),
         nh.from_array(np.array(0.5, dtype=np.float32), 'pad_value')]
nodes = [
    h.make_node('Conv', ['input', 'c1.w', 'c1.b'], ['c1'], name='conv1', kernel_shape=[3, 3]),
    h.make_node('Relu', ['c1'], ['r1'], name='relu1'),
    h.make_node('Pad', ['r1', 'pads1'], ['p1'], name='pad_reflect', mode='reflect'),
    h.make_node('Concat', ['p1'] * 17, ['cat'], name='concat17', axis=1),
    h.make_node('Conv', ['cat', 'c2.w', 'c2.b'], ['c2'], name='conv2', kernel_shape=[3, 3],
                strides=[2, 2]),
    h.make_node('Relu', ['c2'], ['r2'], name='relu2'),
    h.make_node('Pad', ['r2', 'pads2'], ['p2'], name='pad_edge', mode='edge'),
    h.make_node('Pad', ['p2', 'pads3', 'pad_value'], ['p3'], name='pad_constant'),
    h.make_node('GlobalAveragePool', ['p3'], ['gap'], name='gap'),
    h.make_node('Flatten', ['gap'], ['flat'], name='flatten'),
    h.make_node('Gemm', ['flat', 'fc.w', 'fc.b'], ['logits'], name='fc', transB=1),
]
g = h.make_graph(nodes, 'pad', [h.make_tensor_value_info('input', T.FLOAT, ['batch', 1, 28, 28])],
                 [h.make_tensor_value_info('logits', T.FLOAT, ['batch', 10])], inits)
m = h.make_model(g, opset_imports=[h.make_opsetid('', 13)])
m.ir_version = 7
onnx.checker.check_model(m)
onnx.save(m, sys.argv[1])
PY
ok $? "python onnx writes the model with three Pads and a 17-input Concat"
show "$tmp/make.out"

{
	fashion_suite_head export-pad $calib | sed "s#^model: .*#model: $tmp/pad.onnx#"
	cat <<EOF
kernels: [scalar]
plugins:
  - name: static-per-channel
measure:
  enabled: false
check:
  reference_images: 16
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

"$bin" export "$run" -o "$tmp/out.onnx" --dump $images "$tmp/dump" >"$tmp/exp.out" 2>"$tmp/exp.err"
rc=$?
ok $rc "export writes the model with its Pads and 17-input Concat (exit $rc)"
[ $rc = 0 ] || show "$tmp/exp.err"

"$py" - "$tmp/out.onnx" >"$tmp/check.out" 2>&1 <<'PY'
import sys, onnx
from onnx import numpy_helper as nh
m = onnx.load(sys.argv[1])
init = {i.name: nh.to_array(i) for i in m.graph.initializer}
nodes = {n.name: n for n in m.graph.node}
want = {'pad_reflect': ('reflect', [0, 0, 1, 2, 0, 0, 2, 1]),
        'pad_edge': ('edge', [0, 0, 1, 1, 0, 0, 1, 1]),
        'pad_constant': ('constant', [0, 0, 0, 1, 0, 0, 2, 0])}
for name, (mode, pads) in want.items():
    n = nodes[name]
    assert n.op_type == 'Pad', n
    attrs = {a.name: a for a in n.attribute}
    assert attrs['mode'].s.decode() == mode, (name, attrs)
    assert init[n.input[1]].tolist() == pads, (name, init[n.input[1]])
assert float(init[nodes['pad_constant'].input[2]]) == 0.5, nodes['pad_constant']
cat = nodes['concat17']
assert cat.op_type == 'Concat' and len(cat.input) == 17, cat
print('pads and concat as in the model')
PY
ok $? "in the exported model the Pads keep their modes, pads and value, the Concat its 17 inputs"
show "$tmp/check.out"

ort_setup
if [ -n "$skip" ]; then
	echo "ok $((n + 1)) # skip $skip"
	n=$((n + 1))
else
	node "$root/tools/ort_run.mjs" "$tmp/out.onnx" "$tmp/dump" "$ort" >"$tmp/ort.out" 2>"$tmp/ort.err"
	rc=$?
	line=$(cat "$tmp/ort.out" 2>/dev/null)
	echo "# ORT: $line"
	ok $(test $rc = 0 && echo "$line" | grep -q "^images $images bitexact $images top1 $images maxdiff 0$"; echo $?) \
		"ORT's logits bit-identical to qx-bench's on all $images images"
	[ $rc = 0 ] || show "$tmp/ort.err"
fi

echo "1..$n"
exit $failed
