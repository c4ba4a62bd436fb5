#!/bin/sh
# results.json of a real run against schemas/results.schema.json, and the rest of the run folder.
#
# A short run of the fashion-mnist model (the four shipped plugins, two in the sanitizer build; a
# plugin that fails; every kernel set this CPU has) writes a run folder; then:
# - results.json is valid under the schema (draft 2020-12, python3-jsonschema), integers being
#   JSON integers (jansson's readers tell 3 from 3.0), and the schema rejects mutated copies of
#   it (an unknown key, a string for a number, 3.0 for an integer), so the check can fail;
# - its numbers agree with each other: counts and accuracies with the predictions and labels,
#   each measurement's statistics with its samples, names with the configuration, speedups with
#   fp32's medians, the set of measurements with the run's options;
# - gbench.json has Google Benchmark's shape (context, benchmarks[] with name, run_type,
#   real_time, time_unit), one name per measurement with one entry per repetition (time_unit
#   ns) and the mean/median/stddev/cv aggregates, as Google Benchmark writes them;
# - every <label>.plan.json parses (schema qx-plan/1) and belongs to a plugin that succeeded;
# - the folder holds exactly results.json, report.html, gbench.json, repro.txt and the plans, and
#   repro.txt has one command per measurement with the run's --limit and -o.
# (More threads than cores is refused before the run since issue 10: tests/cli_errors.sh.)
# Needs /usr/bin/python3 with jsonschema (Debian: python3-jsonschema); skips without it.
set -u
. "$(dirname "$0")/support/tap.sh"
run_test_setup
if ! "$py" -c 'import jsonschema' 2>/dev/null; then
	echo "1..0 # SKIP python3-jsonschema not installed (apt-get install python3-jsonschema)"
	exit 0
fi
schema=$root/schemas/results.schema.json

tmp=$(mktemp -d /tmp/qx-results-schema-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# The sanitizer build is ~3x slower (and its scalar kernels ~20x): fewer images and plugins.
if [ "${QX_SANITIZED:-0}" = 1 ]; then
	limit=32 calib=32 bitexact=8 later=
else
	limit=256 calib=128 bitexact=64 later="static-per-channel histogram"
fi
# No error measurement any more: a thread count that cannot run is refused before the run.
too_many=0

failing=$build/tests/plugins/exit3.so
failing_entry=
if [ -r "$failing" ]; then
	failing_entry="  - path: $failing
    label: failing"
fi
later_entries=
for p in $later; do
	later_entries="$later_entries  - name: $p
"
done
{
	fashion_suite_head schema-test "$calib"
	cat <<EOF
kernels: [all]
plugins:
  - name: dynamic
  - name: static-per-tensor
$failing_entry
$later_entries
measure:
  threads: [1]
  batch: [1]
  repetitions: 2
  max_repetitions: 2
  warmup: 0.01
  min_time: 0.01
check:
  bitexact_images: $bitexact
results: $tmp/unused
EOF
} >"$tmp/suite.yaml"

"$bin" -q --limit "$limit" -o "$tmp/out" "$tmp/suite.yaml" >"$tmp/stdout" 2>"$tmp/stderr"
status=$?
runs=$(ls -d "$tmp/out/schema-test"/*/ 2>/dev/null | wc -l)
rundir=$(ls -d "$tmp/out/schema-test"/*/ 2>/dev/null | head -n 1)
rundir=${rundir%/}
if [ -n "$failing_entry" ]; then
	# Status 1: the failing plugin, nothing else.
	[ "$status" -eq 1 ]
	ok $? "the run exits 1 (a plugin failed) (got $status)"
	grep -q "failing" "$tmp/stderr"
	ok $? "stderr names the failing plugin"
else
	echo "# $failing not built (make tests): no plugin error row in this run"
	[ "$status" -eq 0 ]
	ok $? "the run exits 0 (got $status)"
fi
[ "$runs" -eq 1 ] && [ -s "$rundir/results.json" ]
ok $? "one run folder with results.json ($runs folders)"
grep -q "results written to $rundir/results.json" "$tmp/stdout"
ok $? "stdout says where results.json is"
if [ ! -s "$rundir/results.json" ]; then
	sed 's/^/# stderr: /' "$tmp/stderr" | tail -n 20
	echo "Bail out! no results.json"
	exit 1
fi

cat >"$tmp/check.py" <<'EOF'
# Prints one line per check: PASS<TAB>what, FAIL<TAB>what, DIAG<TAB>text.
import copy, glob, json, os, statistics, sys
import jsonschema
from jsonschema import Draft202012Validator

schema_path, rundir = sys.argv[1], sys.argv[2]
too_many, bitexact = int(sys.argv[3]), int(sys.argv[4])
expected_labels = sys.argv[5].split()          # suite order; "failing" is the error row
KSETS = ["scalar", "avx2", "avx512vnni", "avxvnni", "neon"]   # kernels.h order


def report(ok, what, problems=()):
    print(("PASS" if ok else "FAIL") + "\t" + what)
    for p in list(problems)[:8]:
        print("DIAG\t  " + str(p).replace("\n", " ")[:300])
    if len(problems) > 8:
        print("DIAG\t  ... and %d more" % (len(problems) - 8))


def close(a, b, rel=1e-6):
    return abs(a - b) <= rel * max(abs(a), abs(b), 1e-12)


# "integer" means a JSON integer: 3.0 is a number, not an integer, for jansson's readers.
strict = jsonschema.validators.extend(
    Draft202012Validator,
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine(
        "integer", lambda _, x: isinstance(x, int) and not isinstance(x, bool)))

with open(schema_path) as f:
    schema = json.load(f)
try:
    Draft202012Validator.check_schema(schema)
    report(True, "the schema is a valid draft 2020-12 schema")
except jsonschema.SchemaError as e:
    report(False, "the schema is a valid draft 2020-12 schema", [e.message])
validator = strict(schema)


def errors_of(doc):
    out = []
    for e in sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path)):
        deep = jsonschema.exceptions.best_match([e]) if not e.context else \
            jsonschema.exceptions.best_match(e.context)
        where = "/".join(str(p) for p in deep.absolute_path) or "(top)"
        out.append("%s: %s" % (where, deep.message[:200]))
    return out


with open(os.path.join(rundir, "results.json")) as f:
    doc = json.load(f)
report(True, "results.json is JSON")
errs = errors_of(doc)
report(not errs, "results.json is valid under schemas/results.schema.json", errs)

# The validation can fail: mutated copies of the real document must be rejected.
def mutant(change):
    d = copy.deepcopy(doc)
    change(d)
    return bool(errors_of(d))

meas0 = lambda d: d["fp32"]["measurements"][0]
mutants = {
    "an unknown key in a measurement": lambda d: meas0(d).__setitem__("median_us", 1.0),
    "a string where a number belongs": lambda d: meas0(d).__setitem__("p99", "1.5"),
    "3.0 where an integer belongs": lambda d: d["fp32"].__setitem__("images", float(d["fp32"]["images"])),
    "null plugin metadata": lambda d: [p["plugin"].__setitem__("version", None)
                                       for p in d["plugins"] if "plugin" in p],
    "a complete run without labels": lambda d: d.pop("labels"),
    "an options_used value that is an object": lambda d: [p["options_used"].__setitem__("bins", {})
                                                          for p in d["plugins"] if "options_used" in p],
    "a per-layer entry of an unknown kind": lambda d: [p["layers"]["tensors"][0].__setitem__("kind", "bias")
                                                       for p in d["plugins"] if "layers" in p],
}
with_layers = [p for p in doc["plugins"] if "error" not in p]
report(with_layers and all(p.get("layers", {}).get("tensors") for p in with_layers),
       "every plugin that ran has per-layer error (layers.tensors), so the schema checks it")
missed = [what for what, change in mutants.items() if not mutant(change)]
report(not missed, "the schema rejects %d mutated copies of the document" % len(mutants),
       ["not rejected: " + m for m in missed])

# --- consistency of the numbers ----------------------------------------------------------------
labels = doc.get("labels", [])
fp32 = doc.get("fp32", {})
fp32_pred = fp32.get("predictions", [])
problems = []
if not (len(labels) == fp32.get("images") == len(fp32_pred) > 0):
    problems.append("labels %d, fp32.images %s, fp32.predictions %d" %
                    (len(labels), fp32.get("images"), len(fp32_pred)))
systems = [("fp32", fp32)] + [(p.get("label"), p) for p in doc.get("plugins", []) if "error" not in p]
for label, s in systems:
    pred = s.get("predictions", [])
    if len(pred) != len(labels):
        problems.append("%s: %d predictions for %d labels" % (label, len(pred), len(labels)))
        continue
    correct = sum(p == l for p, l in zip(pred, labels))
    if s.get("correct") != correct:
        problems.append("%s: correct %s, predictions say %d" % (label, s.get("correct"), correct))
    if not close(s.get("accuracy", -1), 100.0 * correct / len(labels)):
        problems.append("%s: accuracy %s, expected %r" % (label, s.get("accuracy"), 100.0 * correct / len(labels)))
    if label == "fp32":
        continue
    agree = 100.0 * sum(a == b for a, b in zip(pred, fp32_pred)) / len(pred)
    if not close(s["agreement"], agree):
        problems.append("%s: agreement %s, expected %r" % (label, s["agreement"], agree))
    drop = s["drop"]
    if abs(drop["points"] - (fp32["accuracy"] - s["accuracy"])) > 1e-6:
        problems.append("%s: drop %s, expected %r" % (label, drop["points"], fp32["accuracy"] - s["accuracy"]))
    if not drop["ci95_low"] <= drop["points"] + 1e-9 or not drop["points"] <= drop["ci95_high"] + 1e-9:
        problems.append("%s: drop %s outside its interval [%s, %s]" % (label, drop["points"], drop["ci95_low"], drop["ci95_high"]))
report(not problems, "accuracy, correct, agreement and drop agree with predictions and labels", problems)

machine_sets = doc["machine"]["kernel_sets"]
available = [k["name"] for k in machine_sets if k["available"]]
problems = []
if [k["name"] for k in machine_sets] != KSETS:
    problems.append("machine.kernel_sets %s (expected %s)" % ([k["name"] for k in machine_sets], KSETS))
speed_order = ["avx512vnni", "avxvnni", "avx2", "neon", "scalar"]
run_sets = [k for k in speed_order if k in available]
if fp32.get("kernels") != run_sets[0]:
    problems.append("fp32.kernels %s (expected the fastest set, %s)" % (fp32.get("kernels"), run_sets[0]))
for label, s in systems[1:]:
    names = [k["name"] for k in s["kernel_sets"]]
    if names != run_sets:
        problems.append("%s: kernel_sets %s (expected every available set, fastest first: %s)" % (label, names, run_sets))
    if s["accuracy_kernels"] != run_sets[0]:
        problems.append("%s: accuracy_kernels %s (expected %s)" % (label, s["accuracy_kernels"], run_sets[0]))
    for k in s["kernel_sets"]:
        if k["name"] == "scalar":
            continue   # the reference: scalar against itself proves nothing
        if not k["bit_identical"]:
            problems.append("%s: %s not bit-identical to scalar: %s" % (label, k["name"], k.get("mismatch")))
        if k["name"] != "scalar" and k.get("checked_images") != min(bitexact, len(labels)):
            problems.append("%s: %s checked %s images (expected %d)" % (label, k["name"], k.get("checked_images"), min(bitexact, len(labels))))
report(not problems, "kernel sets: every available one run, fastest first, all bit-identical to scalar", problems)

labels_run = [p.get("label") for p in doc.get("plugins", [])]
problems = []
if labels_run != expected_labels:
    problems.append("plugins[] labels %s (expected %s)" % (labels_run, expected_labels))
errors = [p for p in doc.get("plugins", []) if "error" in p]
if [p["label"] for p in errors] != [l for l in expected_labels if l == "failing"]:
    problems.append("error rows: %s" % [(p["label"], p["error"]) for p in errors])
report(not problems, "plugins[] in suite order, the failing plugin as an error row", problems)

# Declared options: every shipped plugin that ran records the options in effect, its defaults
# (the suite gives none), typed as declared; the failing test plugin declares none.
defaults = {
    "dynamic": {"reduce_range": True},
    "static-per-tensor": {"qparams": "global_minmax", "averaging_constant": 0.01, "bins": 2048,
                          "percentile": 99.99, "weights": "per_tensor", "symmetric": False,
                          "reduce_range": True, "flatten": "float"},
    "histogram": {"bins": 2048, "upsample_rate": 128, "histc_bounds": "truncated",
                  "weights": "per_channel", "symmetric": False, "reduce_range": True,
                  "flatten": "float"},
}
defaults["static-per-channel"] = dict(defaults["static-per-tensor"], weights="per_channel")
problems = []
for p in doc.get("plugins", []):
    if "error" in p:
        continue
    want = defaults.get(p["label"])
    got = p.get("options_used")
    if got != want or (want and type(got.get("bins", 0)) is not int):
        problems.append("%s: options_used %s (expected %s)" % (p["label"], got, want))
report(not problems, "options_used: each shipped plugin's declared defaults, typed", problems)

run_id = os.path.basename(rundir)
problems = []
if doc["run_id"] != run_id:
    problems.append("run_id %s, folder %s" % (doc["run_id"], run_id))
if doc["started"].replace("-", "").replace(":", "") != run_id.split("-")[0]:
    problems.append("started %s does not match run_id %s" % (doc["started"], run_id))
if doc["suite"]["name"] != "schema-test" or doc["suite"]["batch"] != 64:
    problems.append("suite %s" % doc["suite"])
if doc.get("gbench_json") != os.path.join(rundir, "gbench.json"):
    problems.append("gbench_json %s (expected %s)" % (doc.get("gbench_json"), os.path.join(rundir, "gbench.json")))
want_status = 1 if "failing" in expected_labels else 0
if (doc.get("state"), doc.get("tag"), doc.get("exit_status")) != ("finished", "ad-hoc", want_status) or \
        "interrupted" in doc:
    problems.append("state %s, tag %s, exit_status %s, interrupted %s (expected finished, ad-hoc, %d, absent)"
                    % (doc.get("state"), doc.get("tag"), doc.get("exit_status"), doc.get("interrupted"), want_status))
report(not problems, "run_id, started, suite, gbench_json, state, tag and exit_status describe this run", problems)

# timing: the phases add up to the run, the ones this run went through are there, and the
# latency phase holds at least the time its measurements' rounds ran (Google Benchmark's
# iterations x time per iteration), the checks at least the evaluation's own figures.
problems = []
timing = doc.get("timing", {})
phases = timing.get("phases", {})
wall_sum = sum(p["wall_s"] for p in phases.values())
cpu_sum = sum(p["cpu_s"] for p in phases.values())
if not (close(wall_sum, timing.get("wall_s", -1), 1e-6) and close(cpu_sum, timing.get("cpu_s", -1), 1e-6)):
    problems.append("phases add up to %r s wall, %r s CPU; the run says %r, %r"
                    % (wall_sum, cpu_sum, timing.get("wall_s"), timing.get("cpu_s")))
want = {"load", "fp32", "calibration", "evaluation", "trust", "layer_error", "bit_identity", "latency", "writing"}
if not want <= set(phases) or "investigation" in phases:
    problems.append("phases %s (expected %s, no investigation)" % (sorted(phases), sorted(want)))
timed = sum(r["iterations"] * r["real_ms"] / 1000.0
            for s in [doc["fp32"]] + doc["plugins"] for m in s.get("measurements", [])
            for r in m["repetitions"])
if not phases.get("latency", {}).get("wall_s", 0) >= timed > 0:
    problems.append("latency phase %r s wall, but the rounds ran %r s" % (phases.get("latency"), timed))
evaluated = doc["fp32"]["eval_seconds"]
if not phases.get("fp32", {}).get("wall_s", 0) >= evaluated * 0.999:
    problems.append("fp32 phase %r s wall, but fp32's evaluation took %r s" % (phases.get("fp32"), evaluated))
report(not problems, "timing: the phases add up to the run; latency and fp32 hold at least what they measured",
       problems)

# --- measurements ------------------------------------------------------------------------------
problems = []
fp32_median = {}
for m in fp32.get("measurements", []):
    if "error" not in m:
        fp32_median[(m["kernels"], m["threads"], m["batch"])] = m["median"]
count = 0
for label, s in systems:
    got = sorted((m["kernels"], m["threads"], m["batch"], "error" in m) for m in s["measurements"])
    want = sorted((k, 1, 1, False) for k in run_sets)
    if got != want:
        problems.append("%s: measurements %s (expected %s)" % (label, got, want))
    for m in s["measurements"]:
        if "error" in m:
            continue
        count += 1
        cfg = "%s/%s/threads:%d/batch:%d" % (label, m["kernels"], m["threads"], m["batch"])
        x = m["samples"]
        if m["gbench_name"] != cfg:
            problems.append("%s: gbench_name %s" % (cfg, m["gbench_name"]))
        if m["samples_thinned"] or len(x) != m["n"]:
            problems.append("%s: %d samples of n %d, thinned %s" % (cfg, len(x), m["n"], m["samples_thinned"]))
        if len(m.get("cpu_samples", [])) != len(x) or not all(c > 0 for c in m.get("cpu_samples", [])):
            problems.append("%s: cpu_samples %s beside %d samples" % (cfg, str(m.get("cpu_samples"))[:80], len(x)))
        if m.get("noise", {}).get("rounds") != len(m["repetitions"]) or \
                any("cpu_median" not in r for r in m["repetitions"]):
            problems.append("%s: noise %s, repetitions %s" % (cfg, str(m.get("noise"))[:120], str(m["repetitions"])[:120]))
        if m["n"] != sum(r["iterations"] for r in m["repetitions"]) or len(m["repetitions"]) != 2:
            problems.append("%s: n %d, repetitions %s (expected 2, iterations summing to n)" % (cfg, m["n"], m["repetitions"]))
        if not (close(m["median"], statistics.median(x)) and close(m["mean"], statistics.fmean(x)) and
                m["min"] == min(x) and m["max"] == max(x) and m["min"] <= m["p90"] <= m["p99"] <= m["max"]):
            problems.append("%s: median %s mean %s min %s max %s p90 %s p99 %s disagree with its samples" %
                            (cfg, m["median"], m["mean"], m["min"], m["max"], m["p90"], m["p99"]))
        if len(x) > 1 and not close(m["stddev"], statistics.stdev(x), 1e-5):
            problems.append("%s: stddev %s, samples say %r" % (cfg, m["stddev"], statistics.stdev(x)))
        if not close(m["images_per_s"], m["batch"] * 1e3 / m["median"]):
            problems.append("%s: images_per_s %s" % (cfg, m["images_per_s"]))
        if m.get("pool", {}).get("threads") != m["threads"]:
            problems.append("%s: pool %s" % (cfg, m.get("pool")))
        if m.get("parallel") != "none":
            problems.append("%s: parallel %s (expected none: one thread)" % (cfg, m.get("parallel")))
        if m.get("gbench_json") != doc.get("gbench_json"):
            problems.append("%s: gbench_json %s" % (cfg, m.get("gbench_json")))
        # measurement.md: each round is its own Google Benchmark call that finds its own
        # iteration count, so every round lasts at least min_time (the counts may differ).
        short = [r for r in m["repetitions"] if r["iterations"] * r["real_ms"] < 1e3 * m["min_time_s"] * 0.999]
        if short:
            problems.append("%s: rounds shorter than min_time %s s: %s" % (cfg, m["min_time_s"], short[:2]))
        if m["min_time_s"] != 0.01 or m["warmup_s"] != 0.01:
            problems.append("%s: min_time_s %s, warmup_s %s (expected the suite's 0.01)" % (cfg, m["min_time_s"], m["warmup_s"]))
        sp = m.get("speedup_vs_fp32")
        ref = fp32_median.get((m["kernels"], m["threads"], m["batch"]))
        if label == "fp32":
            if sp is not None:
                problems.append("%s: fp32 has a speedup" % cfg)
        elif sp is None or ref is None:
            problems.append("%s: no speedup_vs_fp32" % cfg)
        elif not close(sp["ratio"], ref / m["median"], 1e-6) or not sp["ci95_low"] <= sp["ci95_high"]:
            problems.append("%s: speedup %s, fp32 median / median = %r" % (cfg, sp, ref / m["median"]))
report(not problems and count > 0,
       "%d measurements: one per system, kernel set and thread count; statistics agree with samples" % count,
       problems)

# --- what the run read, and where --------------------------------------------------------------
import hashlib
def sha256_of(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()

suite = doc["suite"]
problems = []
for entry in [suite["model_file"]] + suite["dataset_files"] + suite["calibration_files"]:
    if entry["sha256"] != sha256_of(entry["path"]):
        problems.append("%s: sha256 %s, the file's is %s" % (entry["path"], entry["sha256"], sha256_of(entry["path"])))
if suite["model_file"]["path"] != suite["model"]:
    problems.append("model_file %s, model %s" % (suite["model_file"]["path"], suite["model"]))
if [p["label"] for p in suite["plugins"]] != expected_labels:
    problems.append("suite.plugins %s (expected %s)" % ([p["label"] for p in suite["plugins"]], expected_labels))
if suite["measure"]["threads"] != [1] or suite["measure"]["batch"] != [1] or \
        suite["measure"]["repetitions"] != 2 or suite["measure"].get("max_repetitions") != 2 or suite["bitexact_images"] != bitexact:
    problems.append("suite.measure %s, bitexact_images %s" % (suite["measure"], suite["bitexact_images"]))
report(not problems, "suite: the files read with their sha256, the plugins and settings as written", problems)

machine = doc["machine"]
problems = []
needs = {"avx2": ["avx2", "fma"], "avx512vnni": ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_vnni"],
         "avxvnni": ["avx2", "fma", "avx_vnni"]}
for k in available:
    lacking = [f for f in needs.get(k, []) if f not in machine["isa_flags"]]
    if lacking:
        problems.append("kernel set %s available but isa_flags lack %s" % (k, lacking))
if "topology" not in machine:
    problems.append("no topology (hwloc)")
elif machine["topology"]["cpu_model"].rstrip(" ") != machine["cpu_model"]:
    problems.append("cpu_model %r, topology.cpu_model %r" % (machine["cpu_model"], machine["topology"]["cpu_model"]))
pinned = {m.get("pool", {}).get("pinned") for _, s in systems for m in s["measurements"] if "error" not in m}
if pinned != {machine["pinning"]["enabled"]}:
    problems.append("machine.pinning.enabled %s, but the measurement pools were pinned: %s" % (machine["pinning"]["enabled"], pinned))
report(not problems, "machine: the identity compare checks, consistent with the kernel sets and the pools", problems)

# --- gbench.json --------------------------------------------------------------------------------
problems = []
try:
    with open(os.path.join(rundir, "gbench.json")) as f:
        g = json.load(f)
except (OSError, ValueError) as e:
    g = {}
    problems.append("gbench.json: %s" % e)
if not isinstance(g.get("context"), dict) or not {"date", "num_cpus", "library_build_type"} <= set(g["context"]):
    problems.append("context: %s" % str(g.get("context"))[:200])
bench = g.get("benchmarks")
if not isinstance(bench, list) or not bench:
    problems.append("benchmarks: %s" % str(bench)[:200])
    bench = []
for i, b in enumerate(bench):
    if not (isinstance(b, dict) and isinstance(b.get("name"), str) and
            b.get("run_type") in ("iteration", "aggregate") and
            isinstance(b.get("real_time"), (int, float)) and not isinstance(b.get("real_time"), bool) and
            b.get("time_unit") in ("ns", "us", "ms", "s")):
        problems.append("benchmarks[%d]: %s" % (i, str(b)[:200]))
for label, s in systems:
    for m in s["measurements"]:
        if "error" in m:
            continue
        mine = [b for b in bench if isinstance(b, dict) and b.get("name") == m["gbench_name"]
                and b.get("run_type") == "iteration"]
        if [b.get("iterations") for b in mine] != [r["iterations"] for r in m["repetitions"]]:
            problems.append("%s: gbench.json has iterations %s, results.json %s" %
                            (m["gbench_name"], [b.get("iterations") for b in mine], [r["iterations"] for r in m["repetitions"]]))
        reps = len(m["repetitions"])
        if ([b.get("repetition_index") for b in mine] != list(range(reps)) or
                any(b.get("repetitions") != reps or b.get("time_unit") != "ns" for b in mine)):
            problems.append("%s: repetition_index/repetitions/time_unit %s" %
                            (m["gbench_name"], [(b.get("repetition_index"), b.get("repetitions"), b.get("time_unit")) for b in mine]))
        aggs = sorted(b.get("aggregate_name") for b in bench if isinstance(b, dict) and
                      b.get("run_name") == m["gbench_name"] and b.get("run_type") == "aggregate")
        if aggs != ["cv", "mean", "median", "stddev"]:
            problems.append("%s: aggregates %s" % (m["gbench_name"], aggs))
        if mine and not close(mine[0]["real_time"], m["repetitions"][0]["real_ms"] * 1e6, 1e-6):
            problems.append("%s: real_time %s ns, real_ms %s" % (m["gbench_name"], mine[0]["real_time"], m["repetitions"][0]["real_ms"]))
report(not problems, "gbench.json: Google Benchmark's shape, one name per measurement, one entry per repetition with "
       "Google Benchmark's aggregates, times in ns", problems)

# --- plan.json ----------------------------------------------------------------------------------
problems = []
plans = sorted(glob.glob(os.path.join(rundir, "*.plan.json")))
for path in plans:
    label = os.path.basename(path)[:-len(".plan.json")]
    try:
        with open(path) as f:
            plan = json.load(f)
    except (OSError, ValueError) as e:
        problems.append("%s: %s" % (path, e))
        continue
    if plan.get("schema") != "qx-plan/1" or plan.get("plugin", {}).get("label") != label or \
            not isinstance(plan.get("nodes"), list) or not isinstance(plan.get("tensors"), list):
        problems.append("%s: schema %s, label %s" % (path, plan.get("schema"), plan.get("plugin", {}).get("label")))
    entry = dict(systems[1:]).get(label)
    if entry is None:
        problems.append("%s: no successful plugin with that label" % path)
    elif entry["plan"] != path or entry["calibration"]["images"] != plan.get("calibration", {}).get("images"):
        problems.append("%s: results.json says plan %s, calibration %s" % (path, entry["plan"], entry["calibration"]))
want = sorted(os.path.join(rundir, l + ".plan.json") for l, _ in systems[1:])
if plans != want:
    problems.append("plans %s (expected %s)" % (plans, want))
report(not problems, "%d plan.json files parse (qx-plan/1), one per successful plugin" % len(plans), problems)

# --- the run folder -----------------------------------------------------------------------------
files = sorted(os.listdir(rundir))
want = sorted(["results.json", "report.html", "gbench.json", "repro.txt"] + [os.path.basename(p) for p in want])
report(files == want, "the run folder holds results.json, report.html, gbench.json, repro.txt and the plans, nothing else",
       [] if files == want else ["holds %s" % files])
lines = [l for l in open(os.path.join(rundir, "repro.txt")) if not l.startswith("#")]
measured = sum(1 for _, s in systems for m in s["measurements"] if "error" not in m)
opts = doc["options"]
bad = [l for l in lines if not (l.startswith("qx-bench ") and " --limit %d " % opts["limit"] in l
                                and " -o " in l and " --threads " in l and " --batch " in l)]
report(len(lines) == measured and not bad,
       "repro.txt: %d commands, one per measurement, each with --limit and -o" % len(lines),
       bad[:3] + ([] if len(lines) == measured else ["%d lines for %d measurements" % (len(lines), measured)]))
EOF

expected="dynamic static-per-tensor ${failing_entry:+failing }$later"
"$py" "$tmp/check.py" "$schema" "$rundir" "$too_many" "$bitexact" "$expected" \
	>"$tmp/checks.out" 2>"$tmp/checks.err"
status=$?
while IFS='	' read -r kind what; do
	case $kind in
	PASS) ok 0 "$what" ;;
	FAIL) ok 1 "$what" ;;
	# On stderr too, which prove shows without -v: a failure in `make test` names its cause.
	DIAG) echo "# $what"; echo "# results_schema.sh: $what" >&2 ;;
	esac
done <"$tmp/checks.out"
[ "$status" -eq 0 ] && [ ! -s "$tmp/checks.err" ]
ok $? "the checks ran to the end"
if [ -s "$tmp/checks.err" ]; then
	sed 's/^/# /' "$tmp/checks.err" | tail -n 20
fi

# The one results reader (harness/results/results_read.c: report, compare and history) accepts
# what the writers wrote: the report renders this real run with nothing left out, and compare
# reads it (the same run on both sides: no regression; too few rounds may leave it inconclusive).
"$bin" report -o "$tmp/again.html" "$rundir" >"$tmp/report.out" 2>&1
ok $? "qx-bench report renders the real run's results.json ($(head -c 200 "$tmp/report.out"))"
missing=
for l in fp32 dynamic static-per-tensor $later; do
	grep -q ">$l<" "$tmp/again.html" || missing="$missing $l"
done
[ -z "$missing" ] && grep -q "<h1>qx-bench report: schema-test</h1>" "$tmp/again.html" &&
	! grep -q "left out" "$tmp/again.html"
ok $? "the real run's report names the suite and every system, and leaves nothing out${missing:+ (missing:$missing)}"
"$bin" compare --force "$rundir" "$rundir" >"$tmp/compare.out" 2>&1
status=$?
[ "$status" -eq 0 ] || [ "$status" -eq 3 ]
ok $? "qx-bench compare reads the real run against itself (exit $status: $(grep -m1 'qx-bench:' "$tmp/compare.out"))"

if [ "$failed" -ne 0 ]; then
	echo "# qx-bench's stderr:"
	tail -n 20 "$tmp/stderr" | sed 's/^/#   /'
fi
echo "1..$n"
exit "$failed"
