#!/usr/bin/python3
"""Time PyTorch's int8 and fp32 versions of the reference model, for `make bench`.

Run with Debian's /usr/bin/python3 (torch 1.13). A benchmark, not a test.

  /usr/bin/python3 tools/bench_pytorch.py -o build/bench/pytorch.json
  /usr/bin/python3 tools/bench_pytorch.py --seconds 1 --batch 1,64 --threads 1

The models are the ones tools/crosscheck_pytorch.py builds (imported, not copied):
  int8  FX graph mode post-training quantization, configuration "static-per-channel"
        (what qx-bench's static-per-channel plugin does: uint8 activations, int8
        per-channel weights), calibrated on the same 256 training images in batches
        of 32, converted with convert_fx, run by the `onednn` quantized engine (this
        torch build has no fbgemm). Conv+BN+ReLU are fused by FX, as in deployment.
  fp32  the same trained model in eval mode with Conv+BN folded
        (torch.fx.experimental.optimization.fuse, PyTorch's inference recipe).
Both take float images and return float logits, as qx-bench's models do (the int8
model's quantize / dequantize steps are inside the timing, as in qx-bench).

How it times: torch.set_num_threads(N) (1 by default, like qx-bench's --threads 1),
the process pinned to one CPU (qx-bench pins its thread to PU 0), torch.inference_mode.
For each (model, batch): warm-up, then rounds interleaved across models and batches
(a neighbour's burst on a shared machine hits them alike), each call timed with
time.perf_counter. Reported: median and p90 milliseconds per batch over all calls,
images/s from the median; and the median of the calling thread's CPU time per call
(time.thread_time: with one thread all the work runs on it), which time-slicing by
other processes on a busy machine does not inflate. Input: the first test images (real data, so the int8
model sees the activations it was calibrated for).

--zoo NAME times a model of the zoo (docs/model-zoo.md) the same way: its weights come from
models/zoo/NAME.nofold.onnx (tools/zoo.py's load_from_onnx), its int8 version is
tools/zoo.py's static-per-channel configuration.

Output: a JSON document (-o), described in docs/benchmarks.md, and a table on stdout.
"""

import argparse
import copy
import json
import os
import statistics
import sys
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
try:
	import crosscheck_pytorch as cc  # (model, configurations, data, engine choice)
	import torch
	from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx
	IMPORT_ERROR = None
except ImportError as e:  # no torch here: make bench goes on without PyTorch's numbers
	IMPORT_ERROR = "%s (%s has no torch: Debian's python3-torch provides it)" % (e, sys.executable)

SCHEMA = "qx-bench/bench-pytorch"
SCHEMA_VERSION = 1
CONFIG = "static-per-channel"


def build_models(model_path, calib_count, calib_batch, zoo_name=None):
	"""(fp32 model, whether its Conv+BN are folded, int8 model): crosscheck_pytorch's recipe.

	zoo_name: a model of the zoo instead (tools/zoo.py: weights from models/zoo/NAME.nofold.onnx,
	the mapping plus PyTorch's fixed-qparams qconfigs, FX-traceable channel shuffle)."""
	make_mapping = {name: make for name, _, make in cc.CONFIGS}[CONFIG]
	if zoo_name:
		import zoo
		fp32 = zoo.load_from_onnx(zoo_name)
		plain_mapping = make_mapping
		make_mapping = lambda: zoo.with_fixed_qparams(plain_mapping())  # noqa: E731
		tracing = zoo.fx_traceable()
	else:
		import contextlib
		fp32 = cc.ref.FashionCNN()
		fp32.load_state_dict(torch.load(model_path))
		tracing = contextlib.nullcontext()
	fp32.eval()
	calib, _ = cc.load_images("train", calib_count)
	with warnings.catch_warnings(), tracing:
		warnings.simplefilter("ignore")
		prepared = prepare_fx(copy.deepcopy(fp32), make_mapping(), example_inputs=(calib[:1],))
		with torch.no_grad():
			for i in range(0, calib.shape[0], calib_batch):
				prepared(calib[i:i + calib_batch])
		int8 = convert_fx(prepared)
	try:
		from torch.fx.experimental.optimization import fuse
		return fuse(copy.deepcopy(fp32)), True, int8
	except Exception as e:  # an older or newer torch without it: time the plain model
		print("bench_pytorch: fp32 Conv+BN folding unavailable (%s): timing the eval model" % e,
		      file=sys.stderr)
		return fp32, False, int8


def summarize(ms):
	s = sorted(ms)
	p90 = s[min(len(s) - 1, int(0.9 * (len(s) - 1) + 0.5))]
	return {"n": len(s), "median": statistics.median(s), "p90": p90, "min": s[0],
		"mean": statistics.fmean(s)}


def time_all(configs, seconds, rounds, warmup):
	"""configs: list of dicts with model, x; fills each one's 'ms' list."""
	with torch.inference_mode():
		for c in configs:
			t_end = time.perf_counter() + warmup
			calls = 0
			while calls < 3 or time.perf_counter() < t_end:
				c["model"](c["x"])
				calls += 1
			c["ms"], c["cpu_ms"] = [], []
		per_round = seconds / rounds
		for _ in range(rounds):
			for c in configs:
				t_end = time.perf_counter() + per_round
				calls = 0
				while calls < 2 or time.perf_counter() < t_end:
					c0 = time.thread_time()
					t0 = time.perf_counter()
					c["model"](c["x"])
					t1 = time.perf_counter()
					c["cpu_ms"].append((time.thread_time() - c0) * 1e3)
					c["ms"].append((t1 - t0) * 1e3)
					calls += 1


def parse_list(text, what):
	try:
		values = [int(v) for v in text.split(",")]
	except ValueError:
		values = []
	if not values or min(values) < 1:
		raise argparse.ArgumentTypeError("%s: %r (expected comma-separated integers >= 1)"
						 % (what, text))
	return values


def write_json(path, doc):
	os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
	tmp = path + ".tmp"
	with open(tmp, "w") as f:
		json.dump(doc, f, indent=1)
		f.write("\n")
	os.replace(tmp, path)


def main():
	ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
	ap.add_argument("-o", "--output", help="write the JSON here (default: stdout table only)")
	ap.add_argument("--model", help="state_dict from train_reference.py (default "
			"models/fashion_cnn.pt)")
	ap.add_argument("--zoo", metavar="NAME",
			help="time the zoo model NAME (models/zoo/NAME.onnx, see docs/model-zoo.md) instead")
	ap.add_argument("--engine", default="onednn", help="quantized engine (default onednn)")
	ap.add_argument("--threads", type=int, default=1)
	ap.add_argument("--batch", default="1,64", type=lambda t: parse_list(t, "--batch"))
	ap.add_argument("--seconds", type=float, default=1.0,
			help="timed seconds per (model, batch), split over the rounds (default 1)")
	ap.add_argument("--rounds", type=int, default=5)
	ap.add_argument("--warmup", type=float, default=0.2, help="warm-up seconds per (model, batch)")
	ap.add_argument("--cpu", type=int, default=0, help="CPU to pin to (-1: do not pin)")
	ap.add_argument("--calib-count", type=int, default=256)
	ap.add_argument("--calib-batch", type=int, default=32)
	args = ap.parse_args()
	if args.threads < 1 or args.rounds < 1 or not args.seconds > 0 or args.warmup < 0:
		ap.error("--threads and --rounds >= 1, --seconds > 0, --warmup >= 0 expected")
	if IMPORT_ERROR:
		print("bench_pytorch: skipped: cannot import torch: %s" % IMPORT_ERROR)
		if args.output:
			write_json(args.output, {"schema": SCHEMA, "schema_version": SCHEMA_VERSION,
						 "skipped": "cannot import torch: " + IMPORT_ERROR})
		return 0
	if args.model is None:
		args.model = cc.DEFAULT_MODEL

	pinned = None
	if args.cpu >= 0 and hasattr(os, "sched_setaffinity"):
		allowed = os.sched_getaffinity(0)
		if args.cpu in allowed:
			os.sched_setaffinity(0, {args.cpu})
			pinned = args.cpu
		else:
			print("bench_pytorch: CPU %d not in this process's set %s: not pinned"
			      % (args.cpu, sorted(allowed)), file=sys.stderr)
	torch.set_num_threads(args.threads)
	engine = cc.set_engine(args.engine)
	if engine != args.engine:
		print("bench_pytorch: quantized engine %s is not available, using %s"
		      % (args.engine, engine), file=sys.stderr)

	t0 = time.time()
	fp32, folded, int8 = build_models(args.model, args.calib_count, args.calib_batch, args.zoo)
	build_s = time.time() - t0
	x_all, _ = cc.load_images("t10k", max(args.batch))
	with torch.inference_mode():
		agree = int((int8(x_all).argmax(1) == fp32(x_all).argmax(1)).sum())

	configs = [{"system": system, "model": model, "batch": b, "x": x_all[:b].contiguous()}
		   for b in args.batch for system, model in (("int8", int8), ("fp32", fp32))]
	time_all(configs, args.seconds, args.rounds, args.warmup)

	measurements = []
	print("PyTorch %s, quantized engine %s, %d thread(s), %s" % (
		torch.__version__, engine, args.threads,
		"pinned to CPU %d" % pinned if pinned is not None else "not pinned"))
	print("%-12s %5s %11s %11s %8s %10s %12s" % ("model", "batch", "median ms", "p90 ms", "calls",
						      "images/s", "cpu ms"))
	for c in configs:
		s, cpu = summarize(c["ms"]), summarize(c["cpu_ms"])
		m = {"system": c["system"], "engine": engine if c["system"] == "int8" else "aten",
		     "batch": c["batch"], "threads": args.threads, "unit": "ms/batch", "n": s["n"],
		     "median": s["median"], "p90": s["p90"], "min": s["min"], "mean": s["mean"],
		     "images_per_s": c["batch"] * 1e3 / s["median"],
		     "cpu_median": cpu["median"], "cpu_p90": cpu["p90"]}
		measurements.append(m)
		print("%-12s %5d %11.4f %11.4f %8d %10.0f %12.4f" % (
			"pytorch-" + c["system"], c["batch"], s["median"], s["p90"], s["n"],
			m["images_per_s"], cpu["median"]))
	print("int8 and fp32 agree on the top-1 class of %d/%d timing images" % (agree, x_all.shape[0]))

	doc = {
		"schema": SCHEMA, "schema_version": SCHEMA_VERSION,
		"generated_by": "/usr/bin/python3 tools/bench_pytorch.py",
		"torch_version": torch.__version__, "engine": engine, "threads": args.threads,
		"pinned_cpu": pinned,
		"model": ("models/zoo/%s.onnx" % args.zoo if args.zoo else os.path.relpath(args.model, cc.ROOT)),
		"int8": {"configuration": CONFIG, "calibration_images": args.calib_count,
			 "calibration_batch": args.calib_batch, "build_s": round(build_s, 3)},
		"fp32": {"conv_bn_folded": folded},
		"method": {"timer": "time.perf_counter per call (median, p90, min, mean); "
			   "time.thread_time per call (cpu_median, cpu_p90)", "seconds": args.seconds,
			   "rounds": args.rounds, "warmup_s": args.warmup,
			   "input": "first %d test images" % x_all.shape[0]},
		"top1_agreement_int8_fp32": {"agree": agree, "images": int(x_all.shape[0])},
		"measurements": measurements,
	}
	if args.output:
		write_json(args.output, doc)
	return 0


if __name__ == "__main__":
	sys.exit(main())
