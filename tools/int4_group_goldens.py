#!/usr/bin/python3
"""Golden per-group fake quantization of weights (plugin ABI 1.3: struct qx_plan_tensor_ext
group_size; what plugins/int4-weight-only.c plans and harness/verify/refsim.c computes),
computed independently of the C code with PyTorch:

  scales    per group of group_size consecutive values along each output channel's reduction
            axis (the other axes in row-major order), as MinMaxObserver per_channel_symmetric
            computes them on the groups: max|w| / ((qmax - qmin) / 2), qmin = -2^(bits-1),
            qmax = 2^(bits-1) - 1, in float32;
  values    torch.fake_quantize_per_channel_affine over the weight reshaped to one row per group
            (the short last group padded with zeros, which change neither its scale nor the
            other values), zero point 0.

Writes tests/fixtures/int4_group_goldens.txt, read by tests/test_formats.c:

    /usr/bin/python3 tools/int4_group_goldens.py > tests/fixtures/int4_group_goldens.txt

Needs torch (tools/install-deps --train); `make test` only reads the fixture.
"""
import sys

import torch

# name, dims, output-channel axis, bits, group_size
CASES = [
    ("conv_oihw", [4, 3, 3, 3], 0, 4, 8),      # rows of 27: groups 8, 8, 8, 3
    ("gemm_nk", [5, 40], 0, 4, 16),            # rows of 40: 16, 16, 8
    ("matmul_kn", [12, 3], 1, 3, 5),           # [K][N]: rows run down the columns, 5, 5, 2
    ("gemm_2bit", [2, 8], 0, 2, 4),
    ("gemm_8bit_wide", [3, 10], 0, 8, 32),     # one group wider than the row
]


def golden(dims, axis, bits, group):
    g = torch.Generator().manual_seed(1234 + len(dims) * 7 + bits * 31 + group)
    w = (torch.rand(dims, generator=g, dtype=torch.float64) * 2 - 1).to(torch.float32)
    w[0].view(-1)[:2] *= 3.0  # a few larger values, so groups differ
    # rows: one per output channel, the other axes in row-major order
    rows = w.movedim(axis, 0).reshape(dims[axis], -1)
    n_ch, row = rows.shape
    n_groups = (row + group - 1) // group
    padded = torch.zeros(n_ch, n_groups * group, dtype=torch.float32)
    padded[:, :row] = rows
    groups = padded.reshape(n_ch * n_groups, group)
    qmin, qmax = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    absmax = groups.abs().amax(dim=1)
    scales = absmax / torch.tensor((qmax - qmin) / 2, dtype=torch.float32)
    scales = torch.where(absmax > 0, scales, torch.tensor(1.1920928955078125e-07))
    zps = torch.zeros(n_ch * n_groups, dtype=torch.int32)
    fq = torch.fake_quantize_per_channel_affine(groups, scales, zps, 0, qmin, qmax)
    fq_rows = fq.reshape(n_ch, n_groups * group)[:, :row]
    # back to the weight's own layout
    moved = list(dims)
    moved.insert(0, moved.pop(axis))
    out = fq_rows.reshape(moved).movedim(0, axis).contiguous()
    return w, scales, out


def fmt(t):
    return " ".join("%.9g" % v for v in t.reshape(-1).tolist())


def main():
    out = sys.stdout
    out.write("# Golden per-group fake quantization (plugin ABI 1.3 group_size).\n")
    out.write("# Made by: /usr/bin/python3 tools/int4_group_goldens.py > "
              "tests/fixtures/int4_group_goldens.txt\n")
    out.write("# (torch %s). Read by tests/test_formats.c.\n" % torch.__version__)
    for name, dims, axis, bits, group in CASES:
        w, scales, fq = golden(dims, axis, bits, group)
        out.write("case %s bits %d group_size %d axis %d ndim %d dims %s\n" %
                  (name, bits, group, axis, len(dims), " ".join(str(d) for d in dims)))
        out.write("w %s\n" % fmt(w))
        out.write("scales %s\n" % fmt(scales))
        out.write("fq %s\n" % fmt(fq))
    return 0


if __name__ == "__main__":
    sys.exit(main())
