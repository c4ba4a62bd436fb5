#!/bin/sh
# Ctrl-C in the middle of a run keeps what was finished (qx-bench --help: exit status 130).
# A run of the four shipped plugins starts in the background; as soon as its results.json holds
# exactly two entries in plugins[] (the third plugin is calibrating), it gets SIGINT. Then:
# it exits with status 130 within a bounded time; results.json is valid JSON holding the fp32
# baseline and the first two plugins, marked "interrupted": true, and valid under
# schemas/results.schema.json (when python3-jsonschema is installed); no temporary file is left
# beside it; stderr names the run folder holding the partial results.
# Then a run whose only plugin hangs (tests/plugins/hang.c, timeout 20 s) gets SIGINT while the
# plugin's child process calibrates: it must stop within 10 s (the host kills the child instead
# of waiting for its timeout), exit 130 and mark results.json, although that plugin was the last
# step of the run. report.html, history and compare say the run is partial. And `| head -3`:
# SIGPIPE stops and marks the run the same way (results.json "interrupted_by": "SIGPIPE").
set -u
. "$(dirname "$0")/support/tap.sh"
run_test_setup
tmp=$(mktemp -d /tmp/qx-interrupt-XXXXXX)
pid=
trap '[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT

# The third plugin calibrates on 256 images (over a second here, more in the sanitizer build):
# a wide window in which plugins[] holds exactly two entries.
if [ "${QX_SANITIZED:-0}" = 1 ]; then
	limit=32 deadline=240
else
	limit=128 deadline=90
fi
{
	fashion_suite_head interrupt-test "256"
	cat <<EOF
kernels: [auto]
plugins:
  - name: dynamic
  - name: static-per-tensor
  - name: static-per-channel
  - name: histogram
measure:
  threads: [1]
  batch: [1]
  repetitions: 2
  warmup: 0.01
  min_time: 0.01
check:
  bitexact_images: 0
results: $tmp/unused
EOF
} >"$tmp/suite.yaml"

# start SUITE OUT-DIR: qx-bench in the background; sets pid. A background job of a
# non-interactive shell starts with SIGINT ignored (POSIX), while a user's Ctrl-C reaches a
# program whose SIGINT is in its default state: restore that before exec.
start() {
	"$py" -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])' \
		"$bin" -q --limit "$limit" -o "$2" "$1" >"$tmp/stdout" 2>"$tmp/stderr" &
	pid=$!
}

# The poller: sends SIGINT to PID DELAY seconds after FOLDER/*/results.json holds exactly
# PLUGINS entries in plugins[]; exit status 0 when it did. results.json is replaced atomically
# (rename), so every read sees a whole document. Writes the time the signal left to SENT-FILE.
cat >"$tmp/poll.py" <<'EOF'
import glob, json, os, signal, sys, time
pid, folder, want, delay = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
limit, sent_file = float(sys.argv[5]), sys.argv[6]
deadline = time.time() + limit
seen = -1
while time.time() < deadline:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        print("qx-bench exited before plugins[] had %d entries (last seen: %d)" % (want, seen))
        sys.exit(1)
    for path in glob.glob(os.path.join(folder, "*", "results.json")):
        try:
            with open(path) as f:
                seen = len(json.load(f).get("plugins", []))
        except (OSError, ValueError):
            continue
    if seen == want:
        time.sleep(delay)
        os.kill(pid, signal.SIGINT)
        with open(sent_file, "w") as f:
            f.write("%.3f\n" % time.time())
        sys.exit(0)
    if seen > want:
        print("missed the moment: plugins[] already has %d entries" % seen)
        sys.exit(1)
    time.sleep(0.02)
print("plugins[] never had %d entries in %g s (last seen: %d)" % (want, limit, seen))
sys.exit(1)
EOF

# interrupt_at FOLDER PLUGINS DELAY
interrupt_at() {
	"$py" "$tmp/poll.py" "$pid" "$1" "$2" "$3" "$deadline" "$tmp/sent" >"$tmp/poll.out" 2>&1
}

# wait_exit LIMIT: waits at most LIMIT seconds for $pid to end, then kills it; sets status
# (137 when killed) and took (seconds from the signal to the end).
wait_exit() {
	ticks=0
	while kill -0 "$pid" 2>/dev/null && [ "$ticks" -lt $(($1 * 10)) ]; do
		sleep 0.1
		ticks=$((ticks + 1))
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		status=137
	else
		wait "$pid"
		status=$?
	fi
	pid=
	took=$("$py" -c 'import sys, time; print("%.1f" % (time.time() - float(open(sys.argv[1]).read())))' \
		"$tmp/sent" 2>/dev/null)
}

start "$tmp/suite.yaml" "$tmp/out"
interrupt_at "$tmp/out/interrupt-test" 2 0
poll=$?
[ "$poll" -eq 0 ]
ok $? "SIGINT sent while plugins[] held exactly 2 entries"
if [ "$poll" -ne 0 ]; then
	sed 's/^/# /' "$tmp/poll.out"
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	pid=
	tail -n 10 "$tmp/stderr" | sed 's/^/# stderr: /'
	echo "Bail out! could not interrupt the run at the right moment"
	exit 1
fi

# The run stops at the end of the current step (the third plugin's calibration): wait for it,
# but not for ever.
wait_exit "$deadline"
[ "$status" -ne 137 ]
ok $? "qx-bench exits after SIGINT ($took s later)"
[ "$status" -ne 0 ]
ok $? "exit status is not 0 (got $status)"
[ "$status" -eq 130 ]
ok $? "exit status is 130, as --help documents (got $status)"

rundir=$(ls -d "$tmp/out/interrupt-test"/*/ 2>/dev/null | head -n 1)
rundir=${rundir%/}
"$py" - "$rundir/results.json" >"$tmp/doc.out" 2>&1 <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
print("labels=%s" % " ".join(p.get("label", "?") for p in d.get("plugins", [])))
print("errors=%d" % sum("error" in p for p in d.get("plugins", [])))
print("fp32=%d" % ("fp32" in d and "labels" in d and d["fp32"]["images"] == len(d["labels"])))
print("interrupted=%s" % d.get("interrupted"))
EOF
[ $? -eq 0 ]
ok $? "results.json is valid JSON"
grep -q '^labels=dynamic static-per-tensor$' "$tmp/doc.out" && grep -q '^errors=0$' "$tmp/doc.out"
ok $? "results.json holds the first two plugins, complete ($(sed -n 's/^labels=//p' "$tmp/doc.out"))"
grep -q '^fp32=1$' "$tmp/doc.out"
ok $? "results.json holds the fp32 baseline and the labels"
grep -q '^interrupted=True$' "$tmp/doc.out"
ok $? "results.json is marked \"interrupted\": true"
left=$(ls "$rundir" | grep -c '\.tmp$\|\.part$\|\.\(json\|html\)\.[A-Za-z0-9]\{6\}$')
[ "$left" -eq 0 ]
ok $? "no temporary file left in the run folder ($left)"

if "$py" -c 'import jsonschema' 2>/dev/null; then
	"$py" - "$root/schemas/results.schema.json" "$rundir/results.json" >"$tmp/schema.out" 2>&1 <<'EOF'
import json, sys
import jsonschema
from jsonschema import Draft202012Validator as V
strict = jsonschema.validators.extend(V, type_checker=V.TYPE_CHECKER.redefine(
    "integer", lambda _, x: isinstance(x, int) and not isinstance(x, bool)))
errors = list(strict(json.load(open(sys.argv[1]))).iter_errors(json.load(open(sys.argv[2]))))
for e in errors[:8]:
    print("/".join(str(p) for p in e.absolute_path) + ": " + e.message[:200])
sys.exit(1 if errors else 0)
EOF
	ok $? "the partial results.json is valid under schemas/results.schema.json"
	[ -s "$tmp/schema.out" ] && sed 's/^/#   /' "$tmp/schema.out"
else
	n=$((n + 1))
	echo "ok $n # SKIP python3-jsonschema not installed: schema not checked"
fi

grep -q "$rundir" "$tmp/stderr"
ok $? "stderr says where the partial results are"
grep "$rundir" "$tmp/stderr" | head -n 1 | sed 's/^/# /'
if [ "$failed" -ne 0 ]; then
	tail -n 10 "$tmp/stderr" | sed 's/^/# stderr: /'
	sed 's/^/# /' "$tmp/doc.out"
fi

# The Ctrl-C'd run is partial everywhere it is shown: report.html, history and compare.
grep -q 'id="partial">Interrupted run (SIGINT)' "$rundir/report.html"
ok $? "report.html of the interrupted run says so above the table"
"$bin" history "$tmp/out/interrupt-test" >"$tmp/hist.txt" 2>&1
grep -q 'PARTIAL: interrupted (SIGINT)' "$tmp/hist.txt"
ok $? "history marks the interrupted run PARTIAL"

# `| head -3`: the reader goes away after three lines, qx-bench's next write gets SIGPIPE.
# It must not die silently: it stops, marks results.json cut off and says so on stderr.
"$bin" -q --limit "$limit" -o "$tmp/full" --plugins dynamic,static-per-tensor "$tmp/suite.yaml" \
	>"$tmp/full.out" 2>"$tmp/full.err"
{ "$bin" -q --limit "$limit" -o "$tmp/pipe" "$tmp/suite.yaml" 2>"$tmp/pipe.err"; echo $? >"$tmp/pipe.status"; } |
	head -n 3 >"$tmp/pipe.head"
pipe_status=$(cat "$tmp/pipe.status")
[ "$pipe_status" -eq 130 ] && [ "$(wc -l <"$tmp/pipe.head")" -eq 3 ]
ok $? "| head -3: qx-bench exits 130, not killed by SIGPIPE (got $pipe_status)"
piped=$(ls -d "$tmp/pipe/interrupt-test"/*/ 2>/dev/null | head -n 1)
piped=${piped%/}
"$py" -c 'import json, sys; d = json.load(open(sys.argv[1])); sys.exit(not (d["state"] == "interrupted" and d["interrupted"] is True and d["interrupted_by"] == "SIGPIPE" and d["exit_status"] == 130))' \
	"$piped/results.json" 2>/dev/null
ok $? "| head -3: results.json is marked interrupted by SIGPIPE, exit_status 130"
grep -q "cut off: stdout was closed .*partial results in $piped/results.json" "$tmp/pipe.err"
ok $? "| head -3: stderr says the run was cut off and where its partial results are"
[ "$failed" -ne 0 ] && show "$tmp/pipe.err"
grep -q 'id="partial">Interrupted run (SIGPIPE: its output was cut off)' "$piped/report.html"
ok $? "| head -3: report.html says the run was cut off"
full=$(ls -d "$tmp/full/interrupt-test"/*/ 2>/dev/null | head -n 1)
"$bin" compare "$full" "$piped" >"$tmp/cmp.txt" 2>&1
cmp_status=$?
[ "$cmp_status" -eq 3 ] && grep -q '^NEW is a PARTIAL run: interrupted by SIGPIPE' "$tmp/cmp.txt" &&
	! grep -q 'GONE' "$tmp/cmp.txt" && grep -q '^result: incomplete: NEW is a partial run' "$tmp/cmp.txt"
ok $? "compare with the cut-off run: says NEW is partial, no GONE plugins, exit 3 (got $cmp_status)"
[ "$cmp_status" -eq 3 ] || show "$tmp/cmp.txt"

# A hung plugin: SIGINT while its child process calibrates.
hang=$build/tests/plugins/hang.so
if [ -r "$hang" ]; then
	sed -e '/^plugins:/,$d' -e 's/^name: interrupt-test/name: interrupt-hang/' \
		"$tmp/suite.yaml" >"$tmp/hang.yaml"
	cat >>"$tmp/hang.yaml" <<EOF
plugins:
  - path: $hang
    timeout: 20
measure:
  enabled: false
EOF
	start "$tmp/hang.yaml" "$tmp/hang"
	# One second after fp32 is written, the plugin's child is calibrating: it hangs there.
	interrupt_at "$tmp/hang/interrupt-hang" 0 1
	poll=$?
	[ "$poll" -eq 0 ]
	ok $? "SIGINT sent while the hung plugin calibrates"
	[ "$poll" -ne 0 ] && sed 's/^/# /' "$tmp/poll.out"
	wait_exit 40
	fast=$("$py" -c 'import sys; print(int(float(sys.argv[1]) <= 10))' "${took:-99}" 2>/dev/null)
	[ "${fast:-0}" -eq 1 ]
	ok $? "SIGINT during a hung plugin stops the run within 10 s (took $took s; its timeout is 20 s)"
	[ "$status" -eq 130 ]
	ok $? "SIGINT during a hung plugin: exit status 130 (got $status)"
	hung=$(ls "$tmp/hang/interrupt-hang"/*/results.json 2>/dev/null | head -n 1)
	"$py" -c 'import json, sys; d = json.load(open(sys.argv[1])); sys.exit(not (d.get("interrupted") is True and d["plugins"] == [] and "fp32" in d))' \
		"$hung" 2>/dev/null
	ok $? "SIGINT during a hung plugin: results.json holds fp32, no plugin entry, and is marked interrupted"
	grep -q "partial results in $hung" "$tmp/stderr"
	ok $? "SIGINT during a hung plugin: stderr says where the partial results are"
	if [ "$failed" -ne 0 ]; then
		tail -n 5 "$tmp/stderr" | sed 's/^/# stderr: /'
	fi
else
	echo "# $hang not built (make tests): no hung-plugin case"
fi

echo "1..$n"
exit "$failed"
