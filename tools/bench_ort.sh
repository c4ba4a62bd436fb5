#!/bin/sh
# make bench's ORT column for one model (bench/bench.mk; docs/benchmarks.md):
#   tools/bench_ort.sh QX-BENCH RUN-DIR PLUGIN FP32-MODEL.onnx OUT-DIR
# 1. `QX-BENCH export RUN-DIR --plugin PLUGIN -o OUT-DIR/int8.onnx --dump 64 OUT-DIR/images`:
#    the plan qx-bench measured, as an ONNX QDQ model, and 64 preprocessed test images;
# 2. ONNX Runtime (tools/bench_ort.mjs, one model per Node process) on the suite's fp32 model
#    and on that int8 model, one intra-op thread, batch 1 and 64, pinned to CPU $BENCH_CPU (as
#    qx-bench pins its thread): OUT-DIR/fp32.json, OUT-DIR/int8.json;
# 3. the int8 model with two intra-op threads at batch 64, on CPUs $BENCH_CPU and the next
#    (qx-bench's 2-thread run uses two PUs too): OUT-DIR/int8-t2.json.
# Environment: BENCH_CPU (0), BENCH_ORT_SECONDS (1: seconds per batch size and model),
# QX_ORT_DIR (build/ort: where tools/install-deps --ort put onnxruntime-node).
# Exit status: 0 done; non-zero when a step fails (its message says which).
set -eu
[ $# -eq 5 ] || { echo "usage: tools/bench_ort.sh QX-BENCH RUN-DIR PLUGIN FP32-MODEL.onnx OUT-DIR" >&2; exit 2; }
qx=$1 run=$2 plugin=$3 fp32=$4 out=$5
cpu=${BENCH_CPU:-0}
seconds=${BENCH_ORT_SECONDS:-1}
modules=${QX_ORT_DIR:-build/ort}/node_modules
tools=$(dirname "$0")

pin() { # pin CPUS COMMAND...: run pinned where taskset exists (as bench.mk's other steps)
	cpus=$1
	shift
	if command -v taskset >/dev/null 2>&1; then taskset -c "$cpus" "$@"; else "$@"; fi
}

rm -rf "$out"
mkdir -p "$out"
echo "\$ $qx export $run --plugin $plugin -o $out/int8.onnx --dump 64 $out/images"
"$qx" export "$run" --plugin "$plugin" -o "$out/int8.onnx" --dump 64 "$out/images" >"$out/export.txt" 2>&1 ||
	{ cat "$out/export.txt" >&2; echo "bench_ort.sh: qx-bench export failed" >&2; exit 1; }

ncpu=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
second=$(((cpu + 1) % ncpu))
for step in "fp32 $fp32 1 1,64 $cpu" "int8 $out/int8.onnx 1 1,64 $cpu" \
	"int8 $out/int8.onnx 2 64 $cpu,$second"; do
	# shellcheck disable=SC2086
	set -- $step
	json=$out/$1.json
	[ "$3" -eq 1 ] || json=$out/$1-t$3.json
	echo "\$ node $tools/bench_ort.mjs $2 $out/images --label $1 --threads $3 --batch $4 --seconds $seconds -o $json (CPUs $5)"
	pin "$5" node "$tools/bench_ort.mjs" "$2" "$out/images" --label "$1" --threads "$3" \
		--batch "$4" --seconds "$seconds" --modules "$modules" -o "$json"
done
