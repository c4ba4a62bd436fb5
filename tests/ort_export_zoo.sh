#!/bin/sh
# ONNX Runtime as the int8 oracle on the model zoo (docs/export.md, "ONNX Runtime as an
# oracle"): for each zoo model ORT runs bit-identically or to the same top-1 (not densenet121:
# docs/export.md; export refuses shufflenet_v2_x0_5), the static-per-channel and static-per-tensor plans
# (the zoo suites' 256 calibration images, 32 under the sanitizer build) are exported with
# --dump and run by ORT (onnxruntime-node, CPU, one thread) through tools/ort_run.mjs on the
# first 100 test images (30 under the sanitizer build):
# - resnet18, squeezenet1_1, mobilenet_v2, googlenet, efficientnet_b0: logits bit-identical to
#   qx-bench's int8 executor on every image;
# - mobilenet_v3_small: top-1 identical on every image, logits bit-identical on most: the
#   measured cause (docs/export.md) is ORT's QLinearMul, which adds the output zero point in
#   fp32 before rounding where qx-bench rounds, then adds it; a product within an fp32 ulp of a
#   rounding tie then lands one step apart. The count of bit-identical images is printed.
# Skipped, with the reason, when onnxruntime-node cannot be installed (as tests/ort_export.sh).
set -u
. "$(dirname "$0")/support/tap.sh"
run_test_setup
tmp=$(mktemp -d /tmp/qx-ort-zoo-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

images=100 limit=32 calib=256
[ "${QX_SANITIZED:-0}" = 1 ] && images=30 limit=16 calib=32
exact="resnet18 squeezenet1_1 mobilenet_v2 googlenet efficientnet_b0"
top1_only="mobilenet_v3_small"
plans="static-per-channel static-per-tensor"

ort_setup
if [ -n "$skip" ]; then
	echo "1..0 # SKIP $skip"
	exit 0
fi

for m in $exact $top1_only; do
	# The zoo suite with its paths made absolute, its results in $tmp (and fewer calibration
	# images under the sanitizer build).
	sed -e "s#^model: .*#model: $root/models/zoo/$m.onnx#" -e "s#^  count: 256#  count: $calib#" \
	    -e "s#^results: .*#results: $tmp/runs#" "$root/suites/zoo/$m.yaml" >"$tmp/$m.yaml"
	"$bin" -q -M --limit $limit -p "$(echo $plans | tr ' ' ,)" -k scalar "$tmp/$m.yaml" \
		>"$tmp/out" 2>"$tmp/err"
	rc=$?
	run=$(dirname "$(ls "$tmp"/runs/zoo-$m/*/results.json 2>/dev/null | head -1)")
	if [ $rc != 0 ] || [ ! -r "$run/results.json" ]; then
		ok 1 "$m: the suite runs (exit $rc)"
		show "$tmp/err"
		continue
	fi
	for p in $plans; do
		"$bin" export "$run" --plugin $p -o "$tmp/$m.$p.onnx" --dump $images "$tmp/$m.$p" \
			>"$tmp/out" 2>"$tmp/err" &&
		node "$root/tools/ort_run.mjs" "$tmp/$m.$p.onnx" "$tmp/$m.$p" "$ort" >"$tmp/ort.out" 2>>"$tmp/err"
		rc=$?
		line=$(cat "$tmp/ort.out" 2>/dev/null)
		echo "# ORT $m $p: $line"
		case " $exact " in
		*" $m "*)
			ok $(test $rc = 0 && echo "$line" | grep -q "^images $images bitexact $images top1 $images maxdiff 0$"; echo $?) \
				"$m $p: ORT's logits bit-identical to qx-bench's on all $images images" ;;
		*)
			ok $(test $rc = 0 && echo "$line" | grep -q "^images $images bitexact [0-9]* top1 $images maxdiff"; echo $?) \
				"$m $p: ORT's top-1 identical to qx-bench's on all $images images (logits differ where QLinearMul rounds after adding the zero point)" ;;
		esac
		[ $rc = 0 ] || show "$tmp/err"
	done
	rm -rf "$tmp/runs" "$tmp/$m".*
done

echo "1..$n"
exit $failed
