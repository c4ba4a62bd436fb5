#!/usr/bin/python3
"""Quantize the reference model with PyTorch and write golden values for qx-bench's tests.

Run with Debian's /usr/bin/python3 (torch 1.13). See docs/pytorch-crosscheck.md.

  /usr/bin/python3 tools/crosscheck_pytorch.py                       # PyTorch's numbers
  /usr/bin/python3 tools/crosscheck_pytorch.py --qx-results acc.json # beside qx-bench's

What it does:
  1. Rebuilds models/fashion_cnn.pt (tools/train_reference.py's FashionCNN).
  2. For each configuration (dynamic, static-per-tensor, static-per-channel,
     histogram, and the extra histogram-exact-bounds), runs FX graph mode
     post-training quantization (prepare_fx, calibrate, convert_fx) on the
     first 256 Fashion-MNIST training images, then measures top-1 accuracy on
     the 10,000 test images.
  3. Writes tests/fixtures/pytorch_golden.json: observer golden cases (small
     seeded tensors through PyTorch's observers), the first layer's
     quantization parameters per configuration, and the accuracies.
"""

import argparse
import copy
import datetime
import hashlib
import json
import os
import sys
import time
import warnings

import numpy as np
import torch
import torch.nn as nn

sys.dont_write_bytecode = True  # no tools/__pycache__ in the checkout
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train_reference as ref  # noqa: E402  (FashionCNN, data loading, normalization)

from torch.ao.quantization import (  # noqa: E402
	HistogramObserver,
	MinMaxObserver,
	MovingAverageMinMaxObserver,
	PerChannelMinMaxObserver,
	QConfig,
	QConfigMapping,
	default_dynamic_qconfig,
	default_observer,
	default_per_channel_weight_observer,
	default_weight_observer,
)
from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx  # noqa: E402

GOLDEN_SCHEMA_VERSION = 1
ROOT = ref.ROOT
DEFAULT_GOLDEN = os.path.join(ROOT, "tests", "fixtures", "pytorch_golden.json")
DEFAULT_MODEL = os.path.join(ROOT, "models", "fashion_cnn.pt")


class HistogramObserverExactBounds(HistogramObserver):
	"""torch 1.13's HistogramObserver with the histogram bounds it means to use.

	torch 1.13 calls torch.histc(x, bins, min=int(lo), max=int(hi)): the bounds
	are truncated toward zero (pytorch/pytorch#83672), so values outside
	[int(lo), int(hi)] are dropped while the bins are later read as spanning
	[lo, hi]. This subclass is the same algorithm (same range combination,
	same L2 search) with float bounds; it is what a faithful reimplementation
	of the documented algorithm computes.
	"""

	def forward(self, x_orig):
		if x_orig.numel() == 0:
			return x_orig
		x = x_orig.detach().to(torch.float32)
		lo, hi = self.min_val, self.max_val
		first = (lo == float("inf") and hi == float("-inf")) or lo.item() == hi.item()
		if first:
			lo, hi = torch.aminmax(x)
			self.min_val.resize_(lo.shape).copy_(lo)
			self.max_val.resize_(hi.shape).copy_(hi)
			torch.histc(x, self.bins, min=lo.item(), max=hi.item(), out=self.histogram)
			return x_orig
		new_lo, new_hi = torch.aminmax(x)
		comb_lo, comb_hi, down, start = self._adjust_min_max(torch.min(new_lo, lo),
								     torch.max(new_hi, hi),
								     self.upsample_rate)
		hist = torch.histc(x, self.bins, min=comb_lo.item(), max=comb_hi.item())
		if comb_lo == lo and comb_hi == hi:
			hist += self.histogram
		else:
			hist = self._combine_histograms(hist, self.histogram, self.upsample_rate,
							down, start, self.bins)
		self.histogram.detach_().resize_(hist.shape).copy_(hist)
		self.min_val.detach_().resize_(comb_lo.shape).copy_(comb_lo)
		self.max_val.detach_().resize_(comb_hi.shape).copy_(comb_hi)
		return x_orig


def static_mapping(qconfig):
	return QConfigMapping().set_global(qconfig)


def dynamic_mapping():
	# quantize_dynamic's default for nn.Linear: qint8 per-tensor symmetric
	# weights (default_weight_observer), activations quantized at run time.
	return QConfigMapping().set_object_type(nn.Linear, default_dynamic_qconfig)


CONFIGS = [
	("dynamic", "Linear only: default_dynamic_qconfig (qint8 per-tensor weights, dynamic activations)",
	 dynamic_mapping),
	("static-per-tensor", "QConfig(activation=default_observer, weight=default_weight_observer)",
	 lambda: static_mapping(QConfig(activation=default_observer, weight=default_weight_observer))),
	("static-per-channel",
	 "QConfig(activation=default_observer, weight=default_per_channel_weight_observer)",
	 lambda: static_mapping(QConfig(activation=default_observer,
					weight=default_per_channel_weight_observer))),
	("histogram", "QConfig(activation=HistogramObserver.with_args(reduce_range=True), "
	 "weight=default_per_channel_weight_observer) (fbgemm's default)",
	 lambda: static_mapping(QConfig(activation=HistogramObserver.with_args(reduce_range=True),
					weight=default_per_channel_weight_observer))),
	("histogram-exact-bounds", "as histogram, with torch.histc given float bounds "
	 "(extra: torch 1.13 truncates them to int, pytorch/pytorch#83672)",
	 lambda: static_mapping(QConfig(
		 activation=HistogramObserverExactBounds.with_args(reduce_range=True),
		 weight=default_per_channel_weight_observer))),
]

# qx-bench plugin names that compare with each configuration (more with --pair)
ALIASES = {
	"dynamic": ["dynamic", "dynamic-linear", "pytorch-dynamic"],
	"static-per-tensor": ["static-per-tensor", "minmax", "minmax-per-tensor", "per-tensor"],
	"static-per-channel": ["static-per-channel", "minmax-per-channel", "per-channel"],
	"histogram": ["histogram", "histogram-l2", "fbgemm-default"],
	"histogram-exact-bounds": ["histogram-exact-bounds"],
}


def set_engine(wanted):
	engines = torch.backends.quantized.supported_engines
	for engine in [wanted] + [e for e in ("onednn", "qnnpack") if e != wanted]:
		if engine in engines:
			torch.backends.quantized.engine = engine
			return engine
	raise RuntimeError("no quantized engine among %s (expected onednn or qnnpack)" % engines)


# --- JSON helpers -------------------------------------------------------------

def f32_list(t):
	"""float32 values as Python floats: repr() round-trips to the same float32."""
	return [float(v) for v in np.asarray(torch.as_tensor(t).detach().reshape(-1).float().numpy(),
					       dtype=np.float32)]


def int_list(t):
	return [int(v) for v in torch.as_tensor(t).reshape(-1).tolist()]


def tensor_json(a):
	a = np.asarray(a, dtype=np.float32)
	if a.ndim == 1:
		return f32_list(torch.from_numpy(a))
	return {"shape": list(a.shape), "data": f32_list(torch.from_numpy(a))}


def dtype_name(d):
	return str(d).replace("torch.", "")


def observer_state(obs):
	"""Quantization parameters and range of an observer, as PyTorch reports them."""
	with warnings.catch_warnings():
		warnings.simplefilter("ignore")
		scale, zp = obs.calculate_qparams()
	out = {"observer": type(obs).__name__, "dtype": dtype_name(obs.dtype),
	       "qscheme": dtype_name(obs.qscheme), "quant_min": int(obs.quant_min),
	       "quant_max": int(obs.quant_max), "scale": f32_list(scale), "zero_point": int_list(zp)}
	if hasattr(obs, "min_val") and obs.min_val.numel():
		out["min_val"] = f32_list(obs.min_val)
		out["max_val"] = f32_list(obs.max_val)
	if hasattr(obs, "ch_axis"):
		out["ch_axis"] = int(obs.ch_axis)
	if isinstance(obs, HistogramObserver) and obs.min_val.item() != float("inf"):
		# the range the L2 search settled on, before calculate_qparams
		lo, hi = obs._non_linear_param_search()
		out["search_min_val"] = float(lo)
		out["search_max_val"] = float(hi)
	return out


# --- observer golden cases ----------------------------------------------------

OBSERVERS = {
	"MinMaxObserver": MinMaxObserver,
	"MovingAverageMinMaxObserver": MovingAverageMinMaxObserver,
	"PerChannelMinMaxObserver": PerChannelMinMaxObserver,
	"HistogramObserver": HistogramObserver,
	"HistogramObserverExactBounds": HistogramObserverExactBounds,
}


def make_observer(name, args):
	kw = dict(args)
	if "dtype" in kw:
		kw["dtype"] = getattr(torch, kw["dtype"])
	if "qscheme" in kw:
		kw["qscheme"] = getattr(torch, kw["qscheme"])
	with warnings.catch_warnings():
		warnings.simplefilter("ignore")
		return OBSERVERS[name](**kw)


def histc_bounds(obs, batches):
	"""The (lo, hi) range each torch.histc call of HistogramObserver means to use.

	Replays the observer's range logic on a fresh copy so the golden file can
	say whether torch 1.13's int() truncation changed anything.
	"""
	with warnings.catch_warnings():
		warnings.simplefilter("ignore")
		probe = HistogramObserverExactBounds(bins=obs.bins, upsample_rate=obs.upsample_rate,
						     dtype=obs.dtype, qscheme=obs.qscheme,
						     reduce_range=obs.reduce_range)
	bounds = []
	for b in batches:
		x = torch.from_numpy(b)
		lo, hi = probe.min_val, probe.max_val
		if (lo == float("inf") and hi == float("-inf")) or lo.item() == hi.item():
			nlo, nhi = torch.aminmax(x)
		else:
			nlo, nhi, _, _ = probe._adjust_min_max(torch.min(x.min(), lo), torch.max(x.max(), hi),
							       probe.upsample_rate)
		bounds.append((float(nlo), float(nhi)))
		probe(x)
	return bounds


def run_observer_case(case_id, name, args, batches, note):
	obs = make_observer(name, args)
	for b in batches:
		obs(torch.from_numpy(b))
	state = observer_state(obs)
	case = {"id": case_id, "observer": name, "args": args, "note": note}
	if len(batches) == 1:
		case["input"] = tensor_json(batches[0])
	else:
		case["batches"] = [tensor_json(b) for b in batches]
	for key in ("quant_min", "quant_max", "scale", "zero_point", "min_val", "max_val",
		    "search_min_val", "search_max_val"):
		if key in state:
			case[key] = state[key]
	if isinstance(obs, HistogramObserver):
		case["histogram"] = f32_list(obs.histogram)
		bounds = histc_bounds(obs, batches)
		case["histc_bounds"] = [list(b) for b in bounds]
		case["histc_bounds_truncated"] = False
		if name == "HistogramObserver":
			exact = make_observer("HistogramObserverExactBounds", args)
			for b in batches:
				exact(torch.from_numpy(b))
			case["histc_bounds_truncated"] = not (torch.equal(exact.histogram, obs.histogram) and
							      torch.equal(exact.min_val, obs.min_val) and
							      torch.equal(exact.max_val, obs.max_val))
	return case


def observer_cases(seed):
	rng = np.random.default_rng(seed)

	def normal(n, mu=0.0, sd=1.0):
		return rng.normal(mu, sd, n).astype(np.float32)

	cases = []

	def add(name, args, batches, note):
		cases.append(run_observer_case("%s/%d" % (name, len(cases)), name, args,
					       [np.asarray(b, dtype=np.float32) for b in batches], note))

	u8_affine = {"dtype": "quint8", "qscheme": "per_tensor_affine"}
	s8_sym = {"dtype": "qint8", "qscheme": "per_tensor_symmetric"}
	act = normal(1000, 0.3, 1.2)
	relu_like = np.maximum(normal(1000, 0.2, 1.0), 0)
	add("MinMaxObserver", dict(u8_affine, reduce_range=False), [act], "quint8 affine, 0..255")
	add("MinMaxObserver", dict(u8_affine, reduce_range=True), [act], "quint8 affine, reduce_range: 0..127")
	add("MinMaxObserver", dict(u8_affine, quant_min=0, quant_max=127), [act],
	    "default_observer's arguments (what static-per-tensor uses for activations)")
	add("MinMaxObserver", dict(u8_affine, reduce_range=False), [relu_like],
	    "non-negative input: min_val 0 gives zero_point 0")
	add("MinMaxObserver", dict(u8_affine, reduce_range=False), [-np.abs(normal(300))],
	    "non-positive input: zero_point 255")
	add("MinMaxObserver", dict(s8_sym, reduce_range=False), [normal(1000, 0.1, 0.05)],
	    "qint8 symmetric (default_weight_observer): scale = max(|min|,|max|) / 127.5")
	add("MinMaxObserver", dict(s8_sym, reduce_range=True), [normal(1000, 0.1, 0.05)],
	    "qint8 symmetric, reduce_range: -64..63")
	add("MinMaxObserver", {"dtype": "quint8", "qscheme": "per_tensor_symmetric"}, [act],
	    "quint8 symmetric: zero_point 128")
	add("MinMaxObserver", dict(u8_affine, reduce_range=False),
	    [normal(200, 0.0, 0.5), normal(200, 1.0, 2.0), normal(200, -0.5, 0.1)],
	    "running min/max over 3 batches")
	add("MovingAverageMinMaxObserver", dict(u8_affine, averaging_constant=0.01),
	    [normal(500, 0.0, 1.0), normal(500, 0.5, 2.0), normal(500, -1.0, 0.5)],
	    "first batch sets min/max; later ones move them by 0.01 * (batch value - running value)")
	add("MovingAverageMinMaxObserver", dict(u8_affine, averaging_constant=0.01, reduce_range=True),
	    [relu_like[:300], relu_like[300:600] * 3.0, relu_like[600:]],
	    "moving average, reduce_range, non-negative batches")
	weight = rng.normal(0.0, 0.2, (8, 4, 3, 3)).astype(np.float32)
	weight[3] *= 0.01          # a near-dead channel
	weight[5] = 0.0            # an all-zero channel: scale falls to eps
	weight[6] = np.abs(weight[6])  # a one-signed channel
	add("PerChannelMinMaxObserver", {"dtype": "qint8", "qscheme": "per_channel_symmetric", "ch_axis": 0},
	    [weight], "default_per_channel_weight_observer on a [8,4,3,3] conv weight")
	add("PerChannelMinMaxObserver", {"dtype": "quint8", "qscheme": "per_channel_affine", "ch_axis": 0},
	    [weight], "per-channel affine quint8, axis 0")
	add("PerChannelMinMaxObserver", {"dtype": "qint8", "qscheme": "per_channel_symmetric", "ch_axis": 1},
	    [weight], "per-channel symmetric on axis 1")

	hist = {"bins": 2048, "dtype": "quint8", "qscheme": "per_tensor_affine", "reduce_range": True}
	outliers = normal(4000, 0.0, 1.0)
	outliers[rng.choice(4000, 12, replace=False)] = rng.uniform(15.0, 40.0, 12).astype(np.float32)
	skewed = np.concatenate([rng.exponential(0.5, 3000), -rng.exponential(0.05, 1000)]).astype(np.float32)
	skewed[:5] = [22.5, 31.0, 9.0, 17.25, 12.0]
	first_of_two = normal(2000, 0.2, 1.0)
	relu_hist = np.maximum(normal(3000, 0.5, 1.0), 0)
	for name in ("HistogramObserver", "HistogramObserverExactBounds"):
		add(name, hist, [first_of_two, skewed],
		    "2 batches, the second skewed with outliers: range grows, histograms combine, "
		    "the L2 search clips the tail")
		add(name, hist, [outliers], "one batch, N(0,1) plus 12 outliers in [15,40]")
		add(name, dict(hist, reduce_range=False), [relu_hist],
		    "ReLU-like, reduce_range False (0..255)")
	# Integer bounds and a power-of-two range: histc's int() truncation is a no-op
	# and the combination is exact, so both observers agree bit for bit.
	clean1 = np.clip(normal(3000, 0.0, 1.5), -4.0, 4.0)
	clean1[:2] = [-4.0, 4.0]
	clean2 = np.clip(rng.exponential(1.0, 3000).astype(np.float32) - 1.0, -4.0, 12.0)
	clean2[:2] = [-4.0, 12.0]
	add("HistogramObserver", hist, [clean1, clean2],
	    "integer bounds (-4, 4) then (-4, 12): truncation-free, both histogram variants agree")
	clean3 = np.clip(normal(3000, 0.0, 2.0), -8.0, 8.0)
	clean3[:2] = [-8.0, 8.0]
	add("HistogramObserver", hist, [clean3, np.clip(normal(1000, 0.0, 1.0), -8.0, 8.0)],
	    "second batch inside the first's integer range: histograms add bin by bin")

	edge = [
		("all zeros", np.zeros(64, np.float32)),
		("min == max > 0", np.full(64, 3.0, np.float32)),
		("min == max < 0", np.full(64, -0.75, np.float32)),
		("range 1e-9 (scale clamps to eps)", np.linspace(0.0, 1e-9, 64, dtype=np.float32)),
		("range +-1e-8 around 0", np.linspace(-1e-8, 1e-8, 64, dtype=np.float32)),
		("range 255 * eps", np.linspace(0.0, 255 * 1.1920928955078125e-07, 64, dtype=np.float32)),
		("range 250 * eps", np.linspace(0.0, 250 * 1.1920928955078125e-07, 64, dtype=np.float32)),
		("tiny offset from 0", np.linspace(1e-7, 1.01e-7, 64, dtype=np.float32)),
		("one value", np.array([0.37], np.float32)),
	]
	for note, x in edge:
		add("MinMaxObserver", dict(u8_affine, reduce_range=False), [x], "edge: " + note)
		add("MinMaxObserver", dict(s8_sym, reduce_range=False), [x], "edge: " + note)
	add("HistogramObserver", hist, [np.zeros(64, np.float32)], "edge: all zeros")
	add("HistogramObserver", hist, [np.full(64, 3.0, np.float32)], "edge: min == max > 0")
	add("PerChannelMinMaxObserver", {"dtype": "qint8", "qscheme": "per_channel_symmetric", "ch_axis": 0},
	    [np.stack([np.zeros(9), np.full(9, 1e-9), np.full(9, -2.5), np.linspace(-1, 3, 9)])
	     .astype(np.float32).reshape(4, 1, 3, 3)], "edge: zero, tiny, constant, ordinary channels")
	return cases


# --- the model ------------------------------------------------------------------

def load_images(split, count=None):
	images, labels = ref.load_split(split)
	if count is not None:
		images, labels = images[:count], labels[:count]
	return ref.normalize(images), torch.from_numpy(labels.astype(np.int64))


def find_observer(graph_module, producer):
	"""The activation observer whose input is the node `producer` matches."""
	for node in graph_module.graph.nodes:
		if (node.op == "call_module" and "activation_post_process" in str(node.target)
		    and node.args and hasattr(node.args[0], "op") and producer(node.args[0])):
			return getattr(graph_module, node.target)
	return None


def first_layer_qparams(prepared, quantized, qconfig_mapping):
	"""Input, conv1 weight and conv1 output quantization parameters PyTorch chose."""
	qconfig = qconfig_mapping.global_qconfig
	out = {}
	if qconfig is None:
		# dynamic: only fc is quantized; activations get their qparams at run time
		out["input"] = out["conv1_weight"] = out["conv1_output"] = None
		wobs = qconfig_mapping.object_type_qconfigs[nn.Linear].weight()
		wobs(prepared.fc.weight.detach())
		out["fc_weight"] = observer_state(wobs)
		got = float(quantized.fc.weight().q_scale())
		if got != out["fc_weight"]["scale"][0]:
			raise RuntimeError("fc weight scale %r in the converted model differs from the observer's %r"
					   % (got, out["fc_weight"]["scale"][0]))
		return out
	inp = find_observer(prepared, lambda n: n.op == "placeholder")
	conv1_out = find_observer(prepared, lambda n: n.op == "call_module" and n.target == "conv1")
	if inp is None or conv1_out is None:
		raise RuntimeError("prepared graph: no observer after the input or after conv1 "
				   "(expected FX to insert activation_post_process modules)")
	out["input"] = observer_state(inp)
	fused = prepared.conv1
	conv = fused[0] if isinstance(fused, nn.Sequential) else fused
	wobs = qconfig.weight()
	wobs(conv.weight.detach())
	out["conv1_weight"] = observer_state(wobs)
	out["conv1_weight"]["fused_module"] = type(fused).__name__
	out["conv1_output"] = observer_state(conv1_out)
	# The converted model must hold exactly these parameters.
	qw = quantized.conv1.weight()
	if qw.qscheme() in (torch.per_channel_symmetric, torch.per_channel_affine):
		got = f32_list(qw.q_per_channel_scales())
	else:
		got = [float(qw.q_scale())]
	if got != out["conv1_weight"]["scale"]:
		raise RuntimeError("conv1 weight scales in the converted model %s differ from the observer's %s"
				   % (got[:4], out["conv1_weight"]["scale"][:4]))
	if float(quantized.conv1.scale) != out["conv1_output"]["scale"][0]:
		raise RuntimeError("conv1 output scale %r in the converted model differs from the observer's %r"
				   % (float(quantized.conv1.scale), out["conv1_output"]["scale"][0]))
	return out


def folded_conv1(prepared):
	fused = prepared.conv1
	conv = fused[0] if isinstance(fused, nn.Sequential) else fused
	return {"weight": tensor_json(conv.weight.detach().numpy()),
		"bias": f32_list(conv.bias.detach())}


# The suite's evaluation batch: dynamic quantization takes its qparams from each call's
# min/max, so its accuracy depends on the batch, and qx-bench evaluates in batches of 64.
EVAL_BATCH = 64


@torch.no_grad()
def top1(model, x, batch=EVAL_BATCH):
	return torch.cat([model(x[i:i + batch]).argmax(1) for i in range(0, x.shape[0], batch)])


def run_config(name, make_mapping, fp32, calib, calib_batch, x_test, y_test, fp32_top1):
	model = copy.deepcopy(fp32).eval()
	mapping = make_mapping()
	t0 = time.time()
	with warnings.catch_warnings():
		warnings.simplefilter("ignore")
		prepared = prepare_fx(model, mapping, example_inputs=(calib[:1],))
		with torch.no_grad():
			for i in range(0, calib.shape[0], calib_batch):
				prepared(calib[i:i + calib_batch])
		observed = copy.deepcopy(prepared)
		quantized = convert_fx(prepared)
	t1 = time.time()
	pred = top1(quantized, x_test)
	t2 = time.time()
	correct = int((pred == y_test).sum())
	agree = int((pred == fp32_top1).sum())
	res = {"top1_percent": 100.0 * correct / y_test.shape[0], "correct": correct,
	       "agreement_with_fp32_percent": 100.0 * agree / y_test.shape[0],
	       "calibrate_convert_s": round(t1 - t0, 3), "evaluate_s": round(t2 - t1, 3)}
	return res, first_layer_qparams(observed, quantized, mapping), observed


def load_qx_results(path, pairs):
	with open(path) as f:
		data = json.load(f)
	if not isinstance(data, dict):
		raise ValueError("%s: top level is %s (expected an object {\"plugin\": accuracy_percent})"
				 % (path, type(data).__name__))
	for k, v in data.items():
		if not isinstance(v, (int, float)) or isinstance(v, bool):
			raise ValueError("%s: \"%s\": %r (expected a number, the accuracy in percent)" % (path, k, v))
	config_of = {}
	for config, names in ALIASES.items():
		for n in names:
			config_of[n] = config
	for pair in pairs:
		plugin, sep, config = pair.partition("=")
		if not sep or config not in ALIASES:
			raise ValueError("--pair %s: expected PLUGIN=CONFIG with CONFIG one of %s"
					 % (pair, ", ".join(ALIASES)))
		config_of[plugin] = config
	return data, config_of


def print_comparison(accuracy, qx, config_of):
	print()
	print("%-28s %10s   %-24s %10s %8s" % ("qx-bench plugin", "qx top-1", "PyTorch config",
					      "PyTorch", "diff"))
	for plugin, acc in sorted(qx.items()):
		config = config_of.get(plugin)
		if config in accuracy:
			pt = accuracy[config]["top1_percent"]
			print("%-28s %9.2f%%   %-24s %9.2f%% %+7.2f" % (plugin, acc, config, pt, acc - pt))
		else:
			print("%-28s %9.2f%%   %-24s %10s %8s" % (plugin, acc, "(no pair: use --pair)", "-", "-"))


def json_text(value, indent=0):
	"""JSON with one key per line but lists of scalars on one line (readable diffs)."""
	pad, inner = " " * indent, " " * (indent + 1)
	if isinstance(value, dict):
		if not value:
			return "{}"
		items = ['%s%s: %s' % (inner, json.dumps(k), json_text(v, indent + 1)) for k, v in value.items()]
		return "{\n" + ",\n".join(items) + "\n" + pad + "}"
	if isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
		items = [inner + json_text(v, indent + 1) for v in value]
		return "[\n" + ",\n".join(items) + "\n" + pad + "]"
	return json.dumps(value, allow_nan=False)


def sha256(path):
	with open(path, "rb") as f:
		return hashlib.sha256(f.read()).hexdigest()


def main():
	ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
	ap.add_argument("--model", default=DEFAULT_MODEL, help="state_dict from train_reference.py")
	ap.add_argument("--qx-results", metavar="FILE",
			help="JSON {\"plugin name\": accuracy_percent} from qx-bench to print beside PyTorch's")
	ap.add_argument("--pair", action="append", default=[], metavar="PLUGIN=CONFIG",
			help="compare qx-bench plugin PLUGIN with configuration CONFIG (repeatable)")
	ap.add_argument("--golden", default=DEFAULT_GOLDEN, help="where to write the golden JSON")
	ap.add_argument("--no-golden", action="store_true", help="do not write the golden JSON")
	ap.add_argument("--calib-count", type=int, default=256)
	ap.add_argument("--calib-batch", type=int, default=32,
			help="calibration batch size (qx-bench's suite default is 32)")
	ap.add_argument("--configs", default=",".join(c[0] for c in CONFIGS),
			help="comma-separated subset of: " + ", ".join(c[0] for c in CONFIGS))
	ap.add_argument("--engine", default="onednn")
	ap.add_argument("--threads", type=int, default=2)
	ap.add_argument("--seed", type=int, default=1234, help="seed of the observer golden tensors")
	args = ap.parse_args()

	qx, config_of = (None, None)
	if args.qx_results:
		try:
			qx, config_of = load_qx_results(args.qx_results, args.pair)
		except (OSError, ValueError) as e:
			ap.error(str(e))
	wanted = args.configs.split(",")
	unknown = [c for c in wanted if c not in ALIASES]
	if unknown:
		ap.error("--configs: unknown %s (expected some of %s)" % (unknown, ", ".join(ALIASES)))

	torch.set_num_threads(args.threads)
	engine = set_engine(args.engine)
	print("torch %s, quantized engine %s%s, %d threads" % (
		torch.__version__, engine, "" if engine == args.engine else
		" (%s is not available)" % args.engine, args.threads))

	fp32 = ref.FashionCNN()
	fp32.load_state_dict(torch.load(args.model))
	fp32.eval()
	calib, _ = load_images("train", args.calib_count)
	x_test, y_test = load_images("t10k")
	t0 = time.time()
	fp32_top1 = top1(fp32, x_test)
	fp32_s = time.time() - t0
	fp32_correct = int((fp32_top1 == y_test).sum())
	print("fp32: top-1 %.2f%% (%d/10000), %.1f s" % (100.0 * fp32_correct / 10000, fp32_correct, fp32_s))
	card_top1 = os.path.join(os.path.dirname(args.model), "fashion_cnn.top1.u8")
	if os.path.exists(card_top1):
		saved = torch.from_numpy(np.fromfile(card_top1, dtype=np.uint8).astype(np.int64))
		print("fp32: agrees with %s on %d/10000 images" % (os.path.relpath(card_top1, ROOT),
								   int((saved == fp32_top1).sum())))

	accuracy, first_layer = {}, {}
	observed_static = None
	print("calibration: first %d training images, batches of %d" % (args.calib_count, args.calib_batch))
	print("%-24s %9s %12s %14s %10s" % ("configuration", "top-1", "agree fp32", "calib+convert", "evaluate"))
	for name, desc, make_mapping in CONFIGS:
		if name not in wanted:
			continue
		res, fl, observed = run_config(name, make_mapping, fp32, calib, args.calib_batch,
					       x_test, y_test, fp32_top1)
		res["qconfig"] = desc
		accuracy[name] = res
		first_layer[name] = fl
		if observed_static is None and fl.get("conv1_weight"):
			observed_static = observed
		print("%-24s %8.2f%% %11.2f%% %13.1fs %9.1fs" % (name, res["top1_percent"],
			res["agreement_with_fp32_percent"], res["calibrate_convert_s"], res["evaluate_s"]),
		      flush=True)

	if qx is not None:
		print_comparison(accuracy, qx, config_of)

	if args.no_golden:
		return 0
	golden = {
		"schema_version": GOLDEN_SCHEMA_VERSION,
		"generated_by": "/usr/bin/python3 tools/crosscheck_pytorch.py",
		"generated_at": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
		"torch_version": torch.__version__,
		"engine": engine,
		"model": {"path": os.path.relpath(args.model, ROOT), "sha256": sha256(args.model)},
		"normalization": {"mean": ref.MEAN, "std": ref.STD},
		"calibration": {"split": "train", "first": 0, "count": args.calib_count,
				"batch": args.calib_batch},
		"evaluation": {"split": "t10k", "count": int(y_test.shape[0]), "batch": EVAL_BATCH},
		"eps": float(torch.finfo(torch.float32).eps),
		"observers": observer_cases(args.seed),
		"first_layer": first_layer,
		"conv1_folded": folded_conv1(observed_static) if observed_static is not None else None,
		"accuracy": dict({"fp32": {"top1_percent": 100.0 * fp32_correct / 10000,
					   "correct": fp32_correct}}, **accuracy),
	}
	os.makedirs(os.path.dirname(args.golden), exist_ok=True)
	tmp = args.golden + ".tmp"
	with open(tmp, "w") as f:
		f.write(json_text(golden) + "\n")
	os.replace(tmp, args.golden)
	print("wrote %s (%d observer cases, %d bytes)" % (os.path.relpath(args.golden, ROOT),
							   len(golden["observers"]), os.path.getsize(args.golden)))
	return 0


if __name__ == "__main__":
	sys.exit(main())
