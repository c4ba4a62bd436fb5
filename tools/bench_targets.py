"""Issue 14's targets for `make bench`: the ORT column, the model zoo table and one verdict row
per target (imported by tools/bench_summary.py; docs/benchmarks.md says how to read them).

Plain json, no torch. Every reader raises bench_targets.InputError with the file and what was
expected; a missing optional input makes its rows 'n/a' (not measured), never a number.
"""

import glob
import json
import os

# The targets of issue 14 (docs/benchmarks.md, "Targets").
FP32_VS_ORT = 1.0        # qx-bench fp32 (fastest set) / ORT fp32 speed, batch 1 and 64, 1 thread
FP32_LOOP_SHARE = 90.0   # % of the FMA peak loop, each large 3x3 layer, fastest fp32 set
INT8_MODEL_SHARE = 90.0  # % of the VNNI peak loop, whole default model, batch 64
FIRST_LAYER_MAC = 20.0   # MAC/cycle, first layer (1 input channel), VNNI set
AVX2_SHARE = 85.0        # % of the AVX2 peak loop, each layer with >= 16 input channels
ZOO_INT8_B64 = 1.2       # qx-bench int8 / the faster of PyTorch int8 and ORT int8, batch 64
ZOO_INT8_B1 = 1.3        # the same at batch 1
ZOO_SCALING = 1.8        # 2 threads / 1 thread images/s, int8, batch 64
SUITE_SECONDS = 45.0     # the default suite (make run), wall time, at most

CLOCKS = ("wall", "cpu")


class InputError(Exception):
	pass


def read_json(path, what):
	try:
		with open(path) as f:
			return json.load(f)
	except OSError as e:
		raise InputError("%s: cannot read %s (%s)" % (path, what, e.strerror))
	except ValueError as e:
		raise InputError("%s: %s is not JSON (%s)" % (path, what, e))


def find_results(path):
	"""path itself, or the newest results.json under the folder path."""
	if os.path.isfile(path):
		return path
	found = glob.glob(os.path.join(path, "**", "results.json"), recursive=True)
	if not found:
		raise InputError("%s: no results.json under it (expected qx-bench -o output)" % path)
	return max(found, key=os.path.getmtime)


# ---- times: {(system, batch, threads): {"wall": ms, "cpu": ms or None, "kernels": set}} --------

def qx_times(path, plugin):
	"""qx-bench's whole-model medians from results.json (folder or file): int8 = plugin's row,
	fp32 = the fp32 row; per (system, batch, threads) the kernel set with the lowest wall median
	(cpu: that set's median thread CPU time per inference; only meaningful with one thread)."""
	rpath = find_results(path)
	doc = read_json(rpath, "qx-bench results")
	plugins = [p for p in doc.get("plugins", []) if p.get("label") == plugin]
	if not plugins:
		raise InputError("%s: no plugin labelled %s (expected qx-bench --plugins %s)"
				 % (rpath, plugin, plugin))
	out, errors = {}, []
	for system, ms in (("int8", plugins[0].get("measurements", [])),
			   ("fp32", (doc.get("fp32") or {}).get("measurements", []))):
		for m in ms:
			if m.get("error") or m.get("median") is None:
				errors.append("%s %s threads %s batch %s: %s" % (
					system, m.get("kernels"), m.get("threads"), m.get("batch"),
					m.get("error", "no median")))
				continue
			key = (system, m["batch"], m["threads"])
			if key in out and out[key]["wall"] <= m["median"]:
				continue
			out[key] = {"wall": m["median"], "cpu": (m.get("cpu") or {}).get("median")
				    if m["threads"] == 1 else None, "kernels": m.get("kernels")}
	return out, errors, rpath


def pytorch_times(path):
	"""tools/bench_pytorch.py's JSON: ({(system, batch, 1): {...}}, why skipped or None)."""
	doc = read_json(path, "bench_pytorch output")
	if "skipped" in doc:
		return {}, doc["skipped"]
	return {(m["system"], m["batch"], m.get("threads", 1)): {"wall": m["median"],
								 "cpu": m.get("cpu_median"),
								 "kernels": doc.get("engine")}
		for m in doc.get("measurements", [])}, None


def ort_times(folder):
	"""tools/bench_ort.sh's folder: fp32.json, int8.json, int8-t2.json (tools/bench_ort.mjs)."""
	out, version = {}, None
	for name in ("fp32.json", "int8.json", "int8-t2.json"):
		path = os.path.join(folder, name)
		if not os.path.exists(path):
			continue
		doc = read_json(path, "bench_ort.mjs output")
		if doc.get("schema") != "qx-bench/bench-ort":
			raise InputError("%s: schema %r, expected \"qx-bench/bench-ort\"" % (path,
											doc.get("schema")))
		version = doc.get("ort_version")
		for m in doc.get("measurements", []):
			out[(m["system"], m["batch"], m["threads"])] = {
				"wall": m["median"], "cpu": m["cpu_median"] if m["threads"] == 1 else None,
				"kernels": "ort " + str(version)}
	if not out:
		raise InputError("%s: no fp32.json / int8.json (expected tools/bench_ort.sh's output)"
				 % folder)
	return out, version


def ort_skipped(folder):
	"""Why tools/bench_ort.sh left ORT's int8 model out (its int8.skipped), or []."""
	try:
		with open(os.path.join(folder, "int8.skipped")) as f:
			return [f.read().strip()]
	except OSError:
		return []


def get(times, system, batch, threads, clock):
	e = (times or {}).get((system, batch, threads))
	return None if e is None else e.get(clock)


def speed(theirs, ours):
	"""How many times faster ours is (their ms / our ms); None when either is missing."""
	return theirs / ours if theirs and ours else None


# ---- the zoo ---------------------------------------------------------------------------------

def read_zoo(folder, plugin):
	"""{model: {"qx", "pt", "ort": times, "notes": [text]}} from FOLDER/NAME/{qx, pytorch.json,
	ort/}; a part that is missing or unreadable becomes a note (its cells print '-')."""
	try:
		names = sorted(d for d in os.listdir(folder) if os.path.isdir(os.path.join(folder, d)))
	except OSError as e:
		raise InputError("%s: cannot read the zoo folder (%s)" % (folder, e.strerror))
	if not names:
		raise InputError("%s: no model folders (expected NAME/qx, NAME/pytorch.json, NAME/ort)"
				 % folder)
	zoo = {}
	for name in names:
		base = os.path.join(folder, name)
		z = {"qx": {}, "pt": {}, "ort": {}, "notes": []}
		try:
			z["qx"], errors, _ = qx_times(os.path.join(base, "qx"), plugin)
			z["notes"] += ["qx-bench " + e for e in errors]
		except InputError as e:
			z["notes"].append("qx-bench: %s" % e)
		try:
			z["pt"], skipped = pytorch_times(os.path.join(base, "pytorch.json"))
			if skipped:
				z["notes"].append("PyTorch skipped: %s" % skipped)
		except InputError as e:
			z["notes"].append("PyTorch: %s" % e)
		try:
			z["ort"], _ = ort_times(os.path.join(base, "ort"))
		except InputError as e:
			z["notes"].append("ORT: %s" % e)
		z["notes"] += ["ORT int8 not measured: %s" % why for why in ort_skipped(
			os.path.join(base, "ort"))]
		zoo[name] = z
	return zoo


def faster_other(z, system, batch, clock):
	"""(ms, 'PyTorch' or 'ORT'): the faster of PyTorch and ORT, one thread, on clock."""
	c = [(get(z[k], system, batch, 1, clock), label) for k, label in (("pt", "PyTorch"),
									    ("ort", "ORT"))]
	c = [x for x in c if x[0]]
	return min(c) if c else (None, None)


def zoo_rows(zoo):
	"""The zoo table's rows: per model, int8 and fp32 at batch 1 and 64 (one thread) and the
	2-thread scaling at batch 64, each with both clocks."""
	rows = []
	for name, z in zoo.items():
		for system in ("int8", "fp32"):
			for b in (1, 64):
				r = {"model": name, "what": "%s b%d" % (system, b)}
				for clock in CLOCKS:
					qx = get(z["qx"], system, b, 1, clock)
					pt = get(z["pt"], system, b, 1, clock)
					ort = get(z["ort"], system, b, 1, clock)
					best, who = faster_other(z, system, b, clock)
					r[clock] = {"qx": qx, "pytorch": pt, "ort": ort,
						    "vs_faster": speed(best, qx), "faster": who}
				rows.append(r)
		r = {"model": name, "what": "int8 b64 2thr"}
		q1, q2 = get(z["qx"], "int8", 64, 1, "wall"), get(z["qx"], "int8", 64, 2, "wall")
		o1, o2 = get(z["ort"], "int8", 64, 1, "wall"), get(z["ort"], "int8", 64, 2, "wall")
		r["wall"] = {"qx": q2, "pytorch": None, "ort": o2, "qx_scaling": speed(q1, q2),
			     "ort_scaling": speed(o1, o2), "vs_faster": speed(o2, q2), "faster": "ORT"}
		rows.append(r)
	return rows


def ms(v):
	return "-" if v is None else ("%.3f" % v if v < 100 else "%.1f" % v)


def x(v):
	return "-" if v is None else "%.2fx" % v


def print_zoo_table(rows, title):
	print(title)
	print("  ms per batch (median), one thread unless '2thr'; 'x faster' = the faster of PyTorch "
	      "and ORT's time over qx-bench's (above 1: qx-bench is faster); scaling = 1-thread "
	      "time / 2-thread time")
	print("  %-19s %-13s | %9s %9s %9s %10s | %9s %9s %9s %10s" % (
		"model", "", "qx wall", "PT wall", "ORT wall", "x faster", "qx cpu", "PT cpu",
		"ORT cpu", "x faster"))
	for r in rows:
		w = r["wall"]
		if r["what"].endswith("2thr"):
			print("  %-19s %-13s | %9s %9s %9s %10s | scaling: qx-bench %s, ORT %s (wall)" % (
				r["model"], r["what"], ms(w["qx"]), "-", ms(w["ort"]), x(w["vs_faster"]),
				x(w["qx_scaling"]), x(w["ort_scaling"])))
			continue
		c = r["cpu"]
		print("  %-19s %-13s | %9s %9s %9s %10s | %9s %9s %9s %10s" % (
			r["model"], r["what"], ms(w["qx"]), ms(w["pytorch"]), ms(w["ort"]),
			x(w["vs_faster"]), ms(c["qx"]), ms(c["pytorch"]), ms(c["ort"]), x(c["vs_faster"])))


# ---- the verdict rows --------------------------------------------------------------------------

class Targets:
	"""One row per target: what, where, measured value per clock, target, verdict per clock."""

	def __init__(self):
		self.rows = []

	def add(self, what, where, values, op, target, unit, step, explain=None, untrusted=None):
		"""values: {clock: value or None}; op '>=' or '<='; explain(): lines for a miss;
		untrusted: why the value cannot be trusted (verdict UNTRUSTED on every clock)."""
		verdicts = {}
		for clock, v in values.items():
			if untrusted and v is not None:
				verdicts[clock] = "UNTRUSTED"
			elif v is None:
				verdicts[clock] = "n/a"
			elif (v >= target) if op == ">=" else (v <= target):
				verdicts[clock] = "MET"
			else:
				verdicts[clock] = "MISSED"
		self.rows.append({"what": what, "where": where, "values": values, "op": op,
				  "target": target, "unit": unit, "step": step, "verdicts": verdicts,
				  "explain": explain, "untrusted": untrusted})

	def print(self):
		print("%-36s %-37s %16s  %-9s %-15s %s" % ("target (issue 14)", "where", "measured",
							    "target", "verdict", "measured by"))
		for r in self.rows:
			clocks = list(r["values"])
			shown = " / ".join("-" if r["values"][c] is None else
					   ("%.2f%s" % (r["values"][c], r["unit"])) for c in clocks)
			verdict = " / ".join(r["verdicts"][c] for c in clocks)
			print("%-36s %-37s %16s  %-9s %-15s %s" % (
				r["what"], r["where"], shown, "%s %g%s" % (r["op"], r["target"], r["unit"]),
				"%s (%s)" % (verdict, "/".join(clocks)), r["step"]))
		met = sum(1 for r in self.rows if set(r["verdicts"].values()) == {"MET"})
		missed = sum(1 for r in self.rows if set(r["verdicts"].values()) == {"MISSED"})
		na = sum(1 for r in self.rows if "n/a" in r["verdicts"].values())
		untrusted = sum(1 for r in self.rows if "UNTRUSTED" in r["verdicts"].values())
		split = len(self.rows) - met - missed - na - untrusted
		print("\nIssue 14 targets: %d rows: %d MET, %d MISSED, %d met on one clock only, %d not "
		      "measured, %d UNTRUSTED" % (len(self.rows), met, missed, split, na, untrusted))
		for r in self.rows:
			if r["untrusted"]:
				print("  UNTRUSTED: %s, %s: %s" % (r["what"], r["where"], r["untrusted"]))
		for r in self.rows:
			if "MISSED" not in r["verdicts"].values():
				continue
			print("\n  MISSED: %s, %s" % (r["what"], r["where"]))
			for line in (r["explain"]() if r["explain"] else
				     ["(the bench has no finer breakdown for this target)"]):
				print("    " + line)

	def json(self):
		return [{k: v for k, v in r.items() if k != "explain"} for r in self.rows]


def suite_breakdown(wall_doc):
	"""Where the default suite's wall time went, from the results.json its run wrote (the -o
	folder in bench_wall.py's command): its "timing" per phase, or for a run written before
	that existed, what the entries record; lines, or [] when it cannot be found."""
	cmd = wall_doc.get("command") or []
	if "-o" not in cmd[:-1]:
		return []
	try:
		doc = read_json(find_results(cmd[cmd.index("-o") + 1]), "qx-bench results")
	except InputError as e:
		return ["(no breakdown: %s)" % e]
	timing = doc.get("timing")
	if isinstance(timing, dict) and isinstance(timing.get("phases"), dict):
		# Measured per phase by the run itself (results.json "timing", docs/results-format.md).
		ph = sorted(timing["phases"].items(), key=lambda kv: -kv[1].get("wall_s", 0))
		return ["of the run's own %.1f s of wall time (%.1f s CPU), per phase as results.json's "
			"\"timing\" records it, wall / CPU: %s"
			% (timing.get("wall_s", 0), timing.get("cpu_s", 0),
			   ", ".join("%s %.1f / %.1f s" % (k, v.get("wall_s", 0), v.get("cpu_s", 0))
				     for k, v in ph if v.get("wall_s", 0) >= 0.05))]
	rows = [("fp32", doc.get("fp32") or {})] + [(p.get("label"), p) for p in doc.get("plugins", [])]
	calib = sum((r.get("calibration") or {}).get("seconds") or 0 for _, r in rows)
	evals = sum(r.get("eval_seconds") or 0 for _, r in rows)
	timed = sum(rep.get("iterations", 0) * rep.get("real_ms", 0) * 1e-3
		    for _, r in rows for m in r.get("measurements", []) for rep in m.get("repetitions", []))
	n = sum(len(r.get("measurements", [])) for _, r in rows)
	lines = ["of the %.1f s of wall time, as results.json records it: calibration %.1f s, "
		 "evaluation %.1f s (%s), latency measurement %.1f s timed in %d measurements, the "
		 "rest %.1f s (warm-ups, bit-identity checks, plugin runs, report: not itemized)"
		 % (wall_doc["wall_s"], calib, evals,
		    ", ".join("%s %.1f" % (label, r.get("eval_seconds") or 0) for label, r in rows),
		    timed, n, wall_doc["wall_s"] - calib - evals - timed)]
	return lines
