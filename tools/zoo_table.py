#!/usr/bin/python3
"""qx-bench's full runs of the model zoo beside PyTorch's: the table of docs/model-zoo.md.

Needs only the Python standard library (any python3). Run the zoo suites first, then:

  for s in suites/zoo/*.yaml; do build/qx-bench $s --no-measure --kernels auto -q -o results/zoo-full; done
  python3 tools/zoo_table.py results/zoo-full/*/*/results.json
  python3 tools/zoo_table.py --fixture tests/fixtures/zoo_agreement.txt results/zoo-full/*/*/results.json

Per model it reads the run's results.json and what tools/zoo.py saved in models/zoo/
(NAME.top1.u8, NAME.pytorch.json, NAME.pytorch.PLUGIN.u8) and prints, in Markdown:
fp32 accuracy (qx-bench, PyTorch) and how many of the images get the identical top-1;
per plugin qx-bench's accuracy, PyTorch's for the same configuration, the difference in
points, and on how many images both predict the same class. --fixture writes those
per-image agreement counts for tests/zoo_models.sh.
"""

import argparse
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLUGINS = ["dynamic", "static-per-tensor", "static-per-channel", "histogram"]


def model_name(results):
	name = os.path.basename(results["suite"]["model"])
	for suffix in (".nofold.onnx", ".onnx"):
		if name.endswith(suffix):
			return name[:-len(suffix)]
	return name


def same(a, b):
	return sum(1 for x, y in zip(a, b) if x == y)


def main():
	ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
	ap.add_argument("results", nargs="+", help="results.json of full runs of suites/zoo/*.yaml")
	ap.add_argument("--zoo", default=os.path.join(ROOT, "models", "zoo"))
	ap.add_argument("--fixture", help="write 'model plugin agree images' lines here")
	ap.add_argument("--json", help="also write the numbers as JSON here")
	args = ap.parse_args()

	rows, fixture, out = [], [], {}
	for path in args.results:
		with open(path) as f:
			r = json.load(f)
		name = model_name(r)
		with open(os.path.join(args.zoo, name + ".top1.u8"), "rb") as f:
			top1 = f.read()
		with open(os.path.join(args.zoo, name + ".pytorch.json")) as f:
			pt = json.load(f)
		fp = r["fp32"]["predictions"]
		n = len(fp)
		ident = same(fp, top1)
		entry = {"images": n, "kernels": r["fp32"].get("kernels"),
			 "fp32": {"qx": r["fp32"]["accuracy"], "pytorch": pt["fp32"]["top1_percent"],
				  "identical_top1": ident}, "plugins": {}}
		cells = []
		plugins = {p["label"]: p for p in r["plugins"]}
		for plugin in PLUGINS:
			p, ref = plugins.get(plugin), pt["plugins"].get(plugin, {})
			qx_acc = p.get("accuracy") if p else None
			if ref.get("status") != "ok":
				why = ref.get("error", "not run")
				cells.append("%s / PyTorch: cannot quantize (%s)" % (
					"-" if qx_acc is None else "%.2f" % qx_acc, why.split(":")[0]))
				entry["plugins"][plugin] = {"qx": qx_acc, "pytorch": None, "pytorch_error": why}
				continue
			if qx_acc is None or "predictions" not in p:
				cells.append("qx-bench failed (%s) / %.2f" % ((p or {}).get("error", "not run"),
									     ref["top1_percent"]))
				entry["plugins"][plugin] = {"qx": None, "pytorch": ref["top1_percent"],
							    "qx_error": (p or {}).get("error", "not run")}
				continue
			with open(os.path.join(args.zoo, ref["predictions"]), "rb") as f:
				ptpred = f.read()
			agree = same(p["predictions"], ptpred)
			diff = qx_acc - ref["top1_percent"]
			cells.append("%.2f / %.2f (%+.2f), %d" % (qx_acc, ref["top1_percent"], diff, agree))
			entry["plugins"][plugin] = {"qx": qx_acc, "pytorch": ref["top1_percent"],
						    "diff_points": round(diff, 2), "agree_with_pytorch": agree}
			fixture.append("%s %s %d %d" % (name, plugin, agree, n))
		rows.append("| %s | %.2f / %.2f, %d | %s |" % (
			name, r["fp32"]["accuracy"], pt["fp32"]["top1_percent"], ident, " | ".join(cells)))
		out[name] = entry

	print("| model | fp32: qx-bench / PyTorch, identical top-1 | %s |" % " | ".join(PLUGINS))
	print("|---|---|" + "---|" * len(PLUGINS))
	print("\n".join(rows))
	if args.fixture:
		with open(args.fixture, "w") as f:
			f.write("# model plugin images-where-qx-bench-int8-equals-pytorch-int8 images\n"
				"# full 10,000-image runs of suites/zoo/*.yaml (--no-measure --kernels auto);\n"
				"# written by tools/zoo_table.py --fixture, read by tests/zoo_models.sh\n")
			f.write("\n".join(fixture) + "\n")
	if args.json:
		with open(args.json, "w") as f:
			json.dump(out, f, indent=1)
			f.write("\n")
	return 0


if __name__ == "__main__":
	sys.exit(main())
