#!/usr/bin/python3
"""Writes a QDQ model of an fp32 ONNX model the way ONNX Runtime's quantizer lays one out, made
without qx-bench (for tests/onnx_qdq.sh: the independent model onnx-qdq must import).

ORT's python quantizer is not installable here (no PyPI), so this follows what
`onnxruntime.quantization.quant_pre_process` + `quantize_static(QuantFormat.QDQ,
per_channel=True, activation_type=QUInt8, weight_type=QInt8, calibrate_method=MinMax)` write:

- pre-processing: BatchNormalization folded into the Conv before it, in float32 (ORT's
  ConvBNFusion: s = gamma / sqrt(var + eps), W' = W * s, B' = (B - mean) * s + beta);
- a Relu right after a Conv / Gemm is removed and the Conv writes the Relu's output name
  (ORT's QDQRemovableActivation), as its calibrated range starts at 0 anyway;
- every input and output of each Conv / Gemm is an activation quantized to uint8 from its own
  min/max over the calibration images: rmin = min(min, 0), rmax = max(max, 0),
  scale = (rmax - rmin) / 255, zero point = round(-rmin / scale); tensor T becomes
  QuantizeLinear(T) -> T_QuantizeLinear_Output -> DequantizeLinear -> T_DequantizeLinear_Output,
  which every reader of T reads; a graph output T is written as T_QuantizeLinear_Input and
  the last DequantizeLinear writes T;
- weights int8, symmetric, per output channel (axis 0): scale = 2 max|w| / 255, zero point 0,
  W_quantized = clip(round(W / scale), -128, 127), read by DequantizeLinear(axis 0) ->
  W_DequantizeLinear_Output; biases int32 at input scale * weight scale, zero point 0.

--keep-batchnorm leaves BatchNormalization unfolded (a QDQ model whose Conv weights are not a
folded model's, for the tests of what onnx-qdq refuses). Calibration runs the fp32 graph with
PyTorch (Conv, Gemm, Relu, MaxPool, GlobalAveragePool, Flatten, BatchNormalization: the ops of models/fashion_cnn.onnx) on Fashion-MNIST training images, preprocessed as
suites/fashion-mnist.yaml says.

  /usr/bin/python3 tools/make_qdq_reference.py [--model M.onnx] [--count N] [--first K] [--keep-batchnorm]
                                           -o OUT.onnx
"""
import argparse
import gzip
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import helper, numpy_helper

MEAN, STD = 0.2860, 0.3530
IMAGES = '/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz'


def load_images(first, count):
    with gzip.open(IMAGES) as f:
        raw = f.read()
    n = int.from_bytes(raw[4:8], 'big')
    if first + count > n:
        sys.exit(f'{IMAGES}: {n} images, asked for {first}..{first + count}')
    pix = np.frombuffer(raw, np.uint8, count * 784, 16 + first * 784).astype(np.float32)
    return ((pix * np.float32(0.00392156862745098) - np.float32(MEAN)) / np.float32(STD)).reshape(count, 1, 28, 28)


def attr(node, name, default):
    for a in node.attribute:
        if a.name == name:
            return helper.get_attribute_value(a)
    return default


# Conv / Gemm nodes whose Relu fold_and_fuse removed: calibration still applies it, as ORT
# calibrates the model before the quantizer drops the Relu.
fused_relu = set()


def fold_and_fuse(model, fold_bn=True):
    """ORT's pre-processing: BatchNormalization into Conv, Relu after Conv/Gemm removed."""
    g = model.graph
    inits = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    nodes = list(g.node)
    readers = {}
    for n in nodes:
        for i in n.input:
            readers.setdefault(i, []).append(n)
    out_nodes = []
    skip = set()
    for n in nodes:
        if id(n) in skip:
            continue
        if n.op_type == 'Conv' and fold_bn:
            nxt = readers.get(n.output[0], [])
            if len(nxt) == 1 and nxt[0].op_type == 'BatchNormalization':
                bn = nxt[0]
                gamma, beta, mean, var = (inits[x].astype(np.float32) for x in bn.input[1:5])
                eps = np.float32(attr(bn, 'epsilon', 1e-5))
                s = gamma / np.sqrt(var + eps)
                w = inits[n.input[1]]
                b = inits[n.input[2]] if len(n.input) > 2 else np.zeros(w.shape[0], np.float32)
                inits[n.input[1]] = (w * s.reshape(-1, 1, 1, 1)).astype(np.float32)
                bname = n.input[2] if len(n.input) > 2 else n.name + '_bias'
                inits[bname] = ((b - mean) * s + beta).astype(np.float32)
                del n.input[2:]
                n.input.append(bname)
                n.output[0] = bn.output[0]
                skip.add(id(bn))
        if n.op_type in ('Conv', 'Gemm'):
            nxt = [r for r in nodes if n.output[0] in r.input and id(r) not in skip]
            if len(nxt) == 1 and nxt[0].op_type == 'Relu':
                n.output[0] = nxt[0].output[0]
                skip.add(id(nxt[0]))
                fused_relu.add(n.name)
        out_nodes.append(n)
    used = {i for n in out_nodes for i in n.input}
    del g.node[:]
    g.node.extend(out_nodes)
    del g.initializer[:]
    g.initializer.extend(numpy_helper.from_array(v, k) for k, v in inits.items() if k in used)
    return inits


def run_float(model, inits, x):
    """Every tensor's value on a batch x, by PyTorch."""
    env = {model.graph.input[0].name: torch.from_numpy(x)}
    t = lambda name: env[name] if name in env else torch.from_numpy(np.array(inits[name]))
    for n in model.graph.node:
        i = [t(x) for x in n.input]
        if n.op_type == 'Conv':
            y = F.conv2d(i[0], i[1], i[2] if len(i) > 2 else None, stride=attr(n, 'strides', [1, 1]),
                         padding=attr(n, 'pads', [0, 0, 0, 0])[:2], dilation=attr(n, 'dilations', [1, 1]),
                         groups=attr(n, 'group', 1))
        elif n.op_type == 'Relu':
            y = F.relu(i[0])
        elif n.op_type == 'MaxPool':
            y = F.max_pool2d(i[0], attr(n, 'kernel_shape', None), attr(n, 'strides', None),
                             attr(n, 'pads', [0, 0, 0, 0])[:2])
        elif n.op_type == 'GlobalAveragePool':
            y = i[0].mean(dim=(2, 3), keepdim=True)
        elif n.op_type == 'BatchNormalization':
            y = F.batch_norm(i[0], i[3], i[4], i[1], i[2], eps=attr(n, 'epsilon', 1e-5))
        elif n.op_type == 'Flatten':
            y = i[0].flatten(attr(n, 'axis', 1))
        elif n.op_type == 'Gemm':
            b = i[1].t() if attr(n, 'transB', 0) else i[1]
            y = i[0] @ b * attr(n, 'alpha', 1.0) + (i[2] * attr(n, 'beta', 1.0) if len(i) > 2 else 0)
        else:
            sys.exit(f'{n.name}: op {n.op_type} not handled by this tool')
        env[n.output[0]] = F.relu(y) if n.name in fused_relu else y
    return env


def act_qparams(lo, hi):
    rmin, rmax = min(lo, 0.0), max(hi, 0.0)
    scale = np.float32((rmax - rmin) / 255.0)
    if scale == 0:
        scale = np.float32(1.0)
    zp = np.uint8(np.clip(np.rint(-rmin / scale), 0, 255))
    return scale, zp


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--model', default='models/fashion_cnn.onnx')
    ap.add_argument('--count', type=int, default=300)
    ap.add_argument('--first', type=int, default=1000)
    ap.add_argument('--keep-batchnorm', action='store_true',
                    help='quantize without folding BatchNormalization (the Conv weights are then '
                         'not those of a folded model)')
    ap.add_argument('-o', '--output', required=True)
    a = ap.parse_args()
    model = onnx.load(a.model)
    inits = fold_and_fuse(model, not a.keep_batchnorm)
    g = model.graph
    quant_nodes = [n for n in g.node if n.op_type in ('Conv', 'Gemm')]
    acts = []
    for n in quant_nodes:
        for name in [n.input[0], n.output[0]]:
            if name not in acts:
                acts.append(name)
    lo = {k: np.inf for k in acts}
    hi = {k: -np.inf for k in acts}
    x = load_images(a.first, a.count)
    with torch.no_grad():
        for b in range(0, a.count, 100):
            env = run_float(model, inits, x[b:b + 100])
            for k in acts:
                lo[k] = min(lo[k], float(env[k].min()))
                hi[k] = max(hi[k], float(env[k].max()))

    new_inits = []
    new_nodes = []
    outputs = {o.name for o in g.output}
    rename = {}
    act_scale = {}
    for k in acts:
        s, z = act_qparams(lo[k], hi[k])
        act_scale[k] = s
        new_inits += [numpy_helper.from_array(np.array(s, np.float32), k + '_scale'),
                      numpy_helper.from_array(np.array(z, np.uint8), k + '_zero_point')]
        src = k + '_QuantizeLinear_Input' if k in outputs else k
        dst = k if k in outputs else k + '_DequantizeLinear_Output'
        rename[k] = (src, dst)
        new_nodes.append((k, [
            helper.make_node('QuantizeLinear', [src, k + '_scale', k + '_zero_point'],
                             [k + '_QuantizeLinear_Output'], k + '_QuantizeLinear'),
            helper.make_node('DequantizeLinear', [k + '_QuantizeLinear_Output', k + '_scale',
                                                  k + '_zero_point'], [dst], k + '_DequantizeLinear')]))
    weight_nodes = []
    drop = set()
    for n in quant_nodes:
        wname = n.input[1]
        w = inits[wname]
        if n.op_type == 'Gemm' and not attr(n, 'transB', 0):
            sys.exit(f'{n.name}: Gemm with transB=0 not handled by this tool')
        absmax = np.abs(w.reshape(w.shape[0], -1)).max(axis=1).astype(np.float32)
        ws = (absmax * np.float32(2) / np.float32(255)).astype(np.float32)
        ws[ws == 0] = 1
        shape = (-1,) + (1,) * (w.ndim - 1)
        wq = np.clip(np.rint(w / ws.reshape(shape)), -128, 127).astype(np.int8)
        new_inits += [numpy_helper.from_array(wq, wname + '_quantized'),
                      numpy_helper.from_array(ws, wname + '_scale'),
                      numpy_helper.from_array(np.zeros(ws.shape, np.int8), wname + '_zero_point')]
        weight_nodes.append(helper.make_node(
            'DequantizeLinear', [wname + '_quantized', wname + '_scale', wname + '_zero_point'],
            [wname + '_DequantizeLinear_Output'], wname + '_DequantizeLinear', axis=0))
        drop.add(wname)
        n.input[1] = wname + '_DequantizeLinear_Output'
        if len(n.input) > 2:
            bname = n.input[2]
            bs = (act_scale[n.input[0]] * ws).astype(np.float32)
            bq = np.clip(np.rint(inits[bname].astype(np.float64) / bs), -2**31, 2**31 - 1).astype(np.int32)
            new_inits += [numpy_helper.from_array(bq, bname + '_quantized'),
                          numpy_helper.from_array(bs, bname + '_scale'),
                          numpy_helper.from_array(np.zeros(bs.shape, np.int32), bname + '_zero_point')]
            weight_nodes.append(helper.make_node(
                'DequantizeLinear', [bname + '_quantized', bname + '_scale', bname + '_zero_point'],
                [bname + '_DequantizeLinear_Output'], bname + '_DequantizeLinear', axis=0))
            drop.add(bname)
            n.input[2] = bname + '_DequantizeLinear_Output'
    # Every reader of a quantized tensor reads its DequantizeLinear; its writer writes src.
    qdq_by_tensor = dict(new_nodes)
    for n in g.node:
        for j, name in enumerate(n.input):
            if name in rename:
                n.input[j] = rename[name][1]
        for j, name in enumerate(n.output):
            if name in rename:
                n.output[j] = rename[name][0]
    ordered = []
    for name in [g.input[0].name]:
        if name in qdq_by_tensor:
            ordered += qdq_by_tensor[name]
    ordered += weight_nodes
    for n in g.node:
        ordered.append(n)
        for name in n.output:
            for k, (src, dst) in rename.items():
                if src == name:
                    ordered += qdq_by_tensor[k]
    kept = [i for i in g.initializer if i.name not in drop]
    del g.node[:]
    g.node.extend(ordered)
    del g.initializer[:]
    g.initializer.extend(kept + new_inits)
    del g.value_info[:]
    model.opset_import[0].version = max(model.opset_import[0].version, 13)
    model.producer_name = 'qx-bench tools/make_qdq_reference.py (ORT QDQ layout)'
    onnx.checker.check_model(model)
    onnx.save(model, a.output)
    print(f'{a.output}: {len(acts)} activations, {len(quant_nodes)} weights quantized, '
          f'calibrated on {a.count} images from {a.first}')


if __name__ == '__main__':
    main()
