#!/usr/bin/python3
"""Golden activation qparams for the static plugins' qparams calculators (docs/plugins.md,
"qparams calculators"), computed independently of the C code:

  global_minmax, moving_average, histogram   torch.ao.quantization's own MinMaxObserver,
                                             MovingAverageMinMaxObserver, HistogramObserver
  percentile, entropy, mse                   numpy, written from the definitions in
                                             docs/plugins.md (ORT's calibrate.py collecting
                                             histogram, TensorRT's KL method, an MSE grid
                                             search); torch only for the final scale / zero
                                             point formula (_calculate_qparams)

on seeded synthetic batches that tests/test_plugins_golden.c regenerates bit for bit (the
generator uses only exact or correctly rounded operations: integer xorshift, +, *, /, sqrt).
Writes tests/fixtures/calculator_goldens.txt:

    /usr/bin/python3 tools/calculator_goldens.py > tests/fixtures/calculator_goldens.txt

Needs numpy and torch (tools/install-deps --train); `make test` only reads the fixture.
"""
import math
import sys

import numpy as np
import torch
from torch.ao.quantization import HistogramObserver, MinMaxObserver, MovingAverageMinMaxObserver

N_BATCHES = 4
BATCH = 4096
MASK = (1 << 64) - 1


class Rng:
    """xorshift64*, the same sequence as the C test's."""

    def __init__(self, seed):
        self.s = seed

    def next(self):
        s = self.s
        s ^= s >> 12
        s ^= (s << 25) & MASK
        s ^= s >> 27
        self.s = s
        return (s * 0x2545F4914F6CDD1D) & MASK

    def uniform(self):
        return (self.next() >> 40) / 16777216.0  # 24 bits: exact in double

    def gauss(self):
        # Irwin-Hall: 12 uniforms - 6 (mean 0, variance 1); every partial sum exact in double
        acc = 0.0
        for _ in range(12):
            acc += self.uniform()
        return acc - 6.0


def make_batches(dist):
    """N_BATCHES float32 batches; batch b is widened by (1 + b) so histograms must grow."""
    rng = Rng({"gauss": 1, "heavy": 2, "relu": 3, "zeros": 4}[dist])
    out = []
    for b in range(N_BATCHES):
        w = 1.0 + b
        x = np.empty(BATCH, dtype=np.float32)
        for i in range(BATCH):
            if dist == "gauss":
                v = rng.gauss() * w * 0.75 + 0.25
            elif dist == "heavy":
                g = rng.gauss()
                u = rng.uniform()
                v = g * 0.5 / math.sqrt(u + 0.002) * w
                if i % 1000 == 999:  # outliers, alternating sign
                    v = (40.0 + 10.0 * b) * (1.0 if (i // 1000) % 2 else -1.0)
            elif dist == "relu":
                g = rng.gauss()
                v = (g if g > 0.0 else 0.0) * 2.0 * w
            else:
                v = 0.0
            x[i] = v  # float64 -> float32, round to nearest as the C cast
        out.append(x)
    return out


def qparams(lo, hi, symmetric, reduce_range):
    """torch's own scale / zero point for a range, as the plugin configures its observer."""
    if symmetric:
        qs = torch.per_tensor_symmetric
    else:
        qs = torch.per_tensor_affine
    if reduce_range:
        obs = MinMaxObserver(dtype=torch.quint8, qscheme=qs, quant_min=0, quant_max=127)
    else:
        obs = MinMaxObserver(dtype=torch.quint8, qscheme=qs)
    s, z = obs._calculate_qparams(torch.tensor([lo], dtype=torch.float32),
                                  torch.tensor([hi], dtype=torch.float32))
    return np.float32(s.item()), int(z.item())


def torch_observer(kind, batches, symmetric, reduce_range, bins):
    qs = torch.per_tensor_symmetric if symmetric else torch.per_tensor_affine
    rng = dict(quant_min=0, quant_max=127) if reduce_range else {}
    if kind == "global_minmax":
        obs = MinMaxObserver(dtype=torch.quint8, qscheme=qs, **rng)
    elif kind == "moving_average":
        obs = MovingAverageMinMaxObserver(averaging_constant=0.01, dtype=torch.quint8, qscheme=qs,
                                          **rng)
    else:
        obs = HistogramObserver(bins=bins, dtype=torch.quint8, qscheme=qs, **rng)
    for x in batches:
        obs(torch.from_numpy(x.copy()))
    s, z = obs.calculate_qparams()
    return np.float32(s.reshape(-1)[0].item()), int(z.reshape(-1)[0].item())


class Hist:
    """The collecting histogram (ORT collect_value / merge_histogram, bounded by merging)."""

    def __init__(self, bins):
        self.base = bins
        self.n = bins
        self.T = 0.0
        self.counts = np.zeros(bins, dtype=np.int64)
        self.min = np.float32(np.inf)
        self.max = np.float32(-np.inf)
        self.binning_mismatches = 0  # values np.histogram puts in another bin

    def _bin(self, x, B, T):
        k = np.floor(((x.astype(np.float64) + T) * float(B)) / (2.0 * T)).astype(np.int64)
        k = np.clip(k, 0, B - 1)
        counts = np.bincount(k, minlength=B).astype(np.int64)
        ref, _ = np.histogram(x.astype(np.float64), bins=B, range=(-T, T))
        self.binning_mismatches += int(np.abs(ref - counts).sum()) // 2
        return counts

    def observe(self, x):
        lo, hi = x.min(), x.max()
        t = max(abs(float(lo)), abs(float(hi)))
        self.min = min(self.min, lo)
        self.max = max(self.max, hi)
        if t <= self.T:
            if self.T == 0.0:
                self.counts[self.n // 2] += x.size
            else:
                self.counts += self._bin(x, self.n, self.T)
            return
        if self.T == 0.0:
            old = self.counts
            self.T = t
            self.counts = self._bin(x, self.n, self.T) + old
            return
        s = 2.0 * self.T / self.n
        half_old = self.n // 2
        half = half_old + int(math.floor((t - self.T) / s) + 1.0)
        f = 1
        while -(-half // f) > self.base:
            f *= 2
        half_new = -(-half // f)
        B = 2 * half_new
        T = float(half_new * f) * s
        offset = half_new * f - half_old
        new = np.zeros(B, dtype=np.int64)
        np.add.at(new, (np.arange(self.n) + offset) // f, self.counts)
        self.counts = new + self._bin(x, B, T)
        self.n = B
        self.T = T

    def edge(self, k):
        return -self.T + k * (2.0 * self.T / self.n)

    def clamp(self, lo, hi):
        out_lo = self.min if lo < float(self.min) else np.float32(lo)
        out_hi = self.max if hi > float(self.max) else np.float32(hi)
        return out_lo, out_hi


def percentile_range(h, p, symmetric):
    if h.T == 0.0:
        return h.min, h.max
    total = int(h.counts.sum())
    z = h.n // 2
    if symmetric:
        folded = h.counts[z:] + h.counts[:z][::-1]
        cum = np.cumsum(folded)
        hits = np.nonzero(cum.astype(np.float64) >= p / 100.0 * total)[0]
        k = min(int(hits[0]) if hits.size else z - 1, z - 1)
        a = h.edge(z + k + 1)
        return h.clamp(-a, a)
    cum = np.cumsum(h.counts).astype(np.float64)
    lo_hits = np.nonzero(cum >= (100.0 - p) / 100.0 * total)[0]
    hi_hits = np.nonzero(cum >= p / 100.0 * total)[0]
    k_lo = int(lo_hits[0]) if lo_hits.size else 0
    k_hi = int(hi_hits[0]) if hi_hits.size else h.n - 1
    return h.clamp(h.edge(k_lo), h.edge(k_hi + 1))


def seqsum(v):
    """A left-to-right float64 sum (np.cumsum is sequential; np.sum is pairwise)."""
    return float(np.cumsum(v)[-1])


def smooth(v):
    zeros = int((v == 0).sum())
    if zeros == v.size:
        return None
    eps = 0.0001
    eps1 = eps * float(zeros) / float(v.size - zeros)
    out = np.where(v == 0, eps, v - eps1)
    return out if (out > 0).all() else None


def entropy_range(h, levels):
    z = h.n // 2
    hl = levels // 2
    if h.T == 0.0 or z < hl:
        return h.min, h.max
    c = h.counts
    total = int(c.sum())
    best, best_i = math.inf, -1
    for i in range(hl, z + 1):
        start, length = z - i, 2 * i
        sliced = c[start:start + length]
        left = int(c[:start].sum())
        p = sliced.astype(np.float64)
        p[0] += left
        p[-1] += total - int(sliced.sum()) - left
        m = length // levels
        starts = np.arange(levels) * m
        sums = np.add.reduceat(sliced, starts)
        nonzero = np.add.reduceat((p != 0).astype(np.int64), starts)
        sizes = np.diff(np.append(starts, length))
        per = np.repeat(np.where(nonzero > 0, sums / np.maximum(nonzero, 1), 0.0), sizes)
        q = np.where(p != 0, per, 0.0)
        ps, qs = smooth(p), smooth(q)
        if ps is None or qs is None:
            continue
        pn = ps / seqsum(ps)
        qn = qs / seqsum(qs)
        kl = seqsum(pn * np.log(pn / qn))
        if kl < best:
            best, best_i = kl, i
    if best_i < 0:
        return h.min, h.max
    return h.clamp(h.edge(z - best_i), h.edge(z + best_i))


def mse_range(h, symmetric, reduce_range):
    if h.T == 0.0:
        return h.min, h.max
    qmin, qmax = 0, 127 if reduce_range else 255
    nz = np.nonzero(h.counts)[0]
    centre = (h.edge(nz) + h.edge(nz + 1)) / 2.0
    weight = h.counts[nz].astype(np.float64)
    best, out = math.inf, (h.min, h.max)
    for k in range(1, h.n // 2 + 1):
        a = h.edge(h.n // 2 + k)
        lo, hi = h.clamp(-a, a)
        scale, zp = qparams(lo, hi, symmetric, reduce_range)
        s = float(scale)
        v = np.clip(np.rint(centre / s) + zp, qmin, qmax)
        d = centre - (v - zp) * s
        err = seqsum(weight * d * d)
        if err < best:
            best, out = err, (lo, hi)
    return out


def main():
    cases = []
    for dist in ("gauss", "heavy", "relu", "zeros"):
        for sym, rr in ((0, 1), (1, 0)):
            for calc in ("global_minmax", "moving_average", "histogram", "percentile", "entropy",
                         "mse"):
                cases.append((dist, calc, sym, rr, None, None))
    # non-default options
    cases += [("heavy", "percentile", 0, 1, "percentile", "99.9"),
              ("heavy", "percentile", 1, 1, "percentile", "99.5"),
              ("gauss", "percentile", 0, 0, "percentile", "100"),
              ("heavy", "entropy", 0, 0, "bins", "512"),
              ("relu", "entropy", 0, 1, "bins", "256"),
              ("relu", "mse", 0, 0, "bins", "256"),
              ("heavy", "histogram", 0, 1, "bins", "256")]
    data = {d: make_batches(d) for d in ("gauss", "heavy", "relu", "zeros")}
    lines, notes = [], []
    for dist, calc, sym, rr, key, value in cases:
        bins = int(value) if key == "bins" else 2048
        p = float(value) if key == "percentile" else 99.99
        if calc in ("global_minmax", "moving_average", "histogram"):
            scale, zp = torch_observer(calc, data[dist], sym, rr, bins)
        else:
            h = Hist(bins)
            for x in data[dist]:
                h.observe(x)
            if calc == "percentile":
                lo, hi = percentile_range(h, p, sym)
                if p < 100 and h.T > 0:
                    # cross-check against the raw values: the bound holds p % of them, one bin
                    # less would not (the bins' edges are where the histogram rounds)
                    allx = np.concatenate(data[dist]).astype(np.float64)
                    width = 2.0 * h.T / h.n
                    want = p / 100.0 * allx.size
                    v = np.abs(allx) if sym else allx
                    assert (v <= float(hi)).sum() >= want, (dist, p)
                    assert (v < float(hi) - width).sum() < want, (dist, p)
                    if not sym:
                        want_lo = (100.0 - p) / 100.0 * allx.size
                        assert (v >= float(lo)).sum() >= allx.size - want_lo, (dist, p)
                        assert (v < float(lo) + width).sum() >= want_lo or lo == h.min, (dist, p)
            elif calc == "entropy":
                lo, hi = entropy_range(h, 128 if rr else 256)
            else:
                lo, hi = mse_range(h, sym, rr)
            scale, zp = qparams(lo, hi, sym, rr)
            notes.append("%s %s bins=%d: final %d bins over +-%.9g, %d values binned "
                         "differently by np.histogram" % (dist, calc, bins, h.n, h.T,
                                                          h.binning_mismatches))
        opt = "-" if key is None else "%s=%s" % (key, value)
        lines.append("%s %s %d %d %s %.9e %d" % (dist, calc, sym, rr, opt, float(scale), zp))
    out = sys.stdout
    out.write("# Golden activation qparams of the static plugins' qparams calculators.\n")
    out.write("# Made by: /usr/bin/python3 tools/calculator_goldens.py > "
              "tests/fixtures/calculator_goldens.txt\n")
    out.write("# (torch %s, numpy %s). Read by tests/test_plugins_golden.c.\n"
              % (torch.__version__, np.__version__))
    out.write("# Data: %d batches of %d float32 values per distribution (the generator in the "
              "tool and the test).\n" % (N_BATCHES, BATCH))
    for n in sorted(set(notes)):
        out.write("# note: %s\n" % n)
    out.write("# distribution qparams symmetric reduce_range option scale zero_point\n")
    for line in lines:
        out.write(line + "\n")


if __name__ == "__main__":
    main()
