#!/bin/sh
# How many rounds each latency measurement gets (docs/measurement.md, "How many rounds"): past
# measure.repetitions, each configuration stops on its own once its median is precise enough,
# so one imprecise configuration does not keep the others measuring.
# - ci_target 100 (every real measurement is precise at once) and
#   QX_TEST_IMPRECISE_MEASUREMENT=fp32/<set> (harness/measure/measure_run.c: that one never is):
#   fp32 on that set gets max_repetitions rounds, every other measurement exactly repetitions;
# - without the switch every measurement gets repetitions;
# - ci_target 0 measures everything to max_repetitions.
set -u
. "$(dirname "$0")/support/tap.sh"
run_test_setup
tmp=$(mktemp -d /tmp/qx-measure-rounds-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# suite CI-TARGET: a suite with two int8 plugins and fp32, 2 rounds at least, 5 at most.
suite() {
	{
		fashion_suite_head rounds-test 32
		cat <<EOF
kernels: [scalar]
plugins:
  - name: static-per-tensor
  - name: dynamic
measure:
  threads: [1]
  batch: [1]
  repetitions: 2
  max_repetitions: 5
  ci_target: $1
  warmup: 0.01
  min_time: 0.01
check:
  bitexact_images: 0
  reference_images: 0
results: $tmp/unused
EOF
	} >"$tmp/suite.yaml"
}

# run NAME [ENV-ASSIGNMENT]: one run; prints "label/kernels=rounds" per measurement, sorted.
run() {
	which=$1
	shift
	env "$@" "$bin" -q --limit 64 -o "$tmp/$which" "$tmp/suite.yaml" >"$tmp/$which.out" \
		2>"$tmp/$which.err"
	echo $? >"$tmp/$which.status"
	"$py" - "$tmp/$which"/rounds-test/*/results.json <<'EOF' 2>>"$tmp/py.log"
import json, sys
d = json.load(open(sys.argv[1]))
for label, e in [("fp32", d["fp32"])] + [(p["label"], p) for p in d["plugins"]]:
    for m in e.get("measurements", []):
        print("%s/%s=%s" % (label, m["kernels"], m["noise"]["rounds"]))
EOF
}

suite 100
kset=scalar
rounds=$(run imprecise QX_TEST_IMPRECISE_MEASUREMENT="fp32/$kset")
[ "$(cat "$tmp/imprecise.status")" = 0 ] && [ -n "$rounds" ]
ok $? "a run with one imprecise configuration exits 0 (status $(cat "$tmp/imprecise.status"))"
echo "$rounds" | grep -qx "fp32/$kset=5"
ok $? "the imprecise configuration (fp32/$kset) is measured to max_repetitions (5)"
others=$(echo "$rounds" | grep -vx "fp32/$kset=5")
[ "$(echo "$others" | wc -l)" -eq 2 ] && ! echo "$others" | grep -vq "=2$"
ok $? "every other configuration stops at repetitions (2): $(echo "$others" | tr '\n' ' ')"
grep -q "these 2 to 5 rounds per measurement (2..5)" "$tmp/imprecise.out"
ok $? "the group's noise line gives the span of rounds"

rounds=$(run precise)
[ -n "$rounds" ] && ! echo "$rounds" | grep -vq "=2$"
ok $? "without the switch every configuration stops at repetitions: $(echo "$rounds" | tr '\n' ' ')"

suite 0
rounds=$(run always)
[ -n "$rounds" ] && ! echo "$rounds" | grep -vq "=5$"
ok $? "ci_target 0 measures every configuration to max_repetitions: $(echo "$rounds" | tr '\n' ' ')"

echo "1..$n"
exit $failed
