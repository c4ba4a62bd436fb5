#!/usr/bin/python3
"""Thread scaling from one qx-bench run: images/s at each thread count, the ratio to one
thread and how the threads shared the batch ("parallel"), for every int8 model and fp32 on
every kernel set the run measured (make bench)."""
import glob
import json
import os
import sys

TARGET_2T = 1.7  # issue target: 2 threads at batch 64 give at least 1.7x one thread's throughput


def main():
	if len(sys.argv) != 2:
		sys.exit("usage: bench_scaling.py RESULTS-FOLDER (qx-bench -o folder)")
	paths = sorted(glob.glob(os.path.join(sys.argv[1], "*", "*", "results.json")))
	if not paths:
		sys.exit("bench_scaling.py: no results.json under %s" % sys.argv[1])
	doc = json.load(open(paths[-1]))
	systems = [("fp32", doc.get("fp32", {}))] + [(p["label"], p) for p in doc.get("plugins", [])]
	print("%-20s %-11s %5s %8s %12s %9s  %s" % ("model", "kernels", "batch", "threads", "images/s", "x 1 thr", "parallel"))
	verdicts = []
	for label, entry in systems:
		rows, parallel = {}, {}
		for m in entry.get("measurements", []):
			if "error" in m:
				print("%-20s %-11s %5d %8d  error: %s" % (label, m["kernels"], m["batch"], m["threads"], m["error"]))
				continue
			rows[(m["kernels"], m["batch"], m["threads"])] = m["images_per_s"]
			parallel[(m["kernels"], m["batch"], m["threads"])] = m.get("parallel", "-")
		for (kernels, batch, threads), ips in sorted(rows.items()):
			one = rows.get((kernels, batch, 1))
			ratio = ips / one if one else float("nan")
			print("%-20s %-11s %5d %8d %12.0f %8.2fx  %s" % (label, kernels, batch, threads, ips, ratio,
			                                                 parallel[(kernels, batch, threads)]))
			if label != "fp32" and threads == 2 and batch == 64:
				verdicts.append((label, kernels, ratio))
	for label, kernels, ratio in verdicts:
		print("%s on %s, batch 64: 2 threads give %.2fx one thread's images/s (target >= %.1fx): %s"
		      % (label, kernels, ratio, TARGET_2T, "met" if ratio >= TARGET_2T else "MISSED"))


if __name__ == "__main__":
	main()
