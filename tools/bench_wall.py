#!/usr/bin/python3
"""Run one command and record how long it took, for `make bench`'s default-suite target.

  tools/bench_wall.py -o OUT.json [--log FILE] -- COMMAND [ARG ...]

Writes OUT.json: {schema "qx-bench/bench-wall", schema_version 1, command, exit_status,
wall_s (time.monotonic around the command), user_s and sys_s (CPU time of the command and
everything it waited for: resource.getrusage(RUSAGE_CHILDREN)), loadavg_before,
loadavg_after (os.getloadavg: the 1, 5 and 15 minute load averages)} and prints one line.
The command's own output (stdout and stderr) goes to --log FILE, or where this script's goes.
Exit status: the command's.
Plain Python, no torch: any python3 runs it.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time


def main():
	ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
	ap.add_argument("-o", required=True, metavar="OUT.json")
	ap.add_argument("--log", metavar="FILE")
	ap.add_argument("command", nargs=argparse.REMAINDER)
	args = ap.parse_args()
	command = args.command[1:] if args.command[:1] == ["--"] else args.command
	if not command:
		ap.error("no COMMAND (usage: bench_wall.py -o OUT.json [--log FILE] -- COMMAND [ARG ...])")
	out, log = args.o, args.log
	try:
		sink = open(log, "w") if log else None
	except OSError as e:
		sys.exit("bench_wall.py: cannot write %s: %s" % (log, e.strerror))
	load0 = os.getloadavg()
	r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
	t0 = time.monotonic()
	try:
		status = subprocess.call(command, stdout=sink, stderr=subprocess.STDOUT if sink else None)
	except OSError as e:
		sys.exit("bench_wall.py: cannot run %s: %s" % (command[0], e.strerror))
	wall = time.monotonic() - t0
	r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
	doc = {"schema": "qx-bench/bench-wall", "schema_version": 1, "command": command,
	       "exit_status": status, "wall_s": wall, "user_s": r1.ru_utime - r0.ru_utime,
	       "sys_s": r1.ru_stime - r0.ru_stime, "loadavg_before": list(load0),
	       "loadavg_after": list(os.getloadavg())}
	with open(out + ".tmp", "w") as f:
		json.dump(doc, f, indent=1)
		f.write("\n")
	os.replace(out + ".tmp", out)
	print("bench_wall: %s: %.1f s wall, %.1f s user + %.1f s sys CPU, exit %d, load average "
	      "%.2f before, %.2f after" % (" ".join(command), wall, doc["user_s"], doc["sys_s"],
					   status, load0[0], doc["loadavg_after"][0]))
	return status


if __name__ == "__main__":
	sys.exit(main())
