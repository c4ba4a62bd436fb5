#!/bin/sh
# make bench's ORT column for one model (bench/bench.mk; docs/benchmarks.md):
#   tools/bench_ort.sh QX-BENCH RUN-DIR PLUGIN FP32-MODEL.onnx OUT-DIR [FALLBACK-IMAGES-DIR]
# 1. `QX-BENCH export RUN-DIR --plugin PLUGIN -o OUT-DIR/int8.onnx --dump 64 OUT-DIR/images`:
#    the plan qx-bench measured, as an ONNX QDQ model, and 64 preprocessed test images. When
#    export cannot write the model (an op it does not export yet), OUT-DIR/int8.skipped says
#    why, the int8 steps are left out, and the fp32 step takes its images from
#    FALLBACK-IMAGES-DIR (the default model's dump: the zoo's suites share its dataset and
#    preprocessing); without one, the script fails;
# 2. ONNX Runtime (tools/bench_ort.mjs, one model per Node process) on the suite's fp32 model
#    and on that int8 model, one intra-op thread, batch 1 and 64, pinned to CPU $BENCH_CPU (as
#    qx-bench pins its thread): OUT-DIR/fp32.json, OUT-DIR/int8.json;
# 3. the int8 model with two intra-op threads at batch 64, on CPUs $BENCH_CPU and the next
#    (qx-bench's 2-thread run uses two PUs too): OUT-DIR/int8-t2.json.
# Environment: BENCH_CPU (0), BENCH_ORT_SECONDS (1: seconds per batch size and model),
# QX_ORT_DIR (build/ort: where tools/install-deps --ort put onnxruntime-node).
# Exit status: 0 done; non-zero when a step fails (its message says which).
set -eu
[ $# -eq 5 ] || [ $# -eq 6 ] || {
	echo "usage: tools/bench_ort.sh QX-BENCH RUN-DIR PLUGIN FP32-MODEL.onnx OUT-DIR [FALLBACK-IMAGES-DIR]" >&2
	exit 2
}
qx=$1 run=$2 plugin=$3 fp32=$4 out=$5 fallback=${6:-}
cpu=${BENCH_CPU:-0}
seconds=${BENCH_ORT_SECONDS:-1}
modules=${QX_ORT_DIR:-build/ort}/node_modules
tools=$(dirname "$0")

pin() { # pin CPUS COMMAND...: run pinned where taskset exists (as bench.mk's other steps)
	cpus=$1
	shift
	if command -v taskset >/dev/null 2>&1; then taskset -c "$cpus" "$@"; else "$@"; fi
}

# ort LABEL MODEL THREADS BATCHES CPUS JSON: one bench_ort.mjs process
ort() {
	echo "\$ node $tools/bench_ort.mjs $2 $images --label $1 --threads $3 --batch $4 --seconds $seconds -o $6 (CPUs $5)"
	pin "$5" node "$tools/bench_ort.mjs" "$2" "$images" --label "$1" --threads "$3" \
		--batch "$4" --seconds "$seconds" --modules "$modules" -o "$6"
}

rm -rf "$out"
mkdir -p "$out"
images=$out/images
int8=yes
echo "\$ $qx export $run --plugin $plugin -o $out/int8.onnx --dump 64 $out/images"
if ! "$qx" export "$run" --plugin "$plugin" -o "$out/int8.onnx" --dump 64 "$out/images" >"$out/export.txt" 2>&1; then
	cat "$out/export.txt" >&2
	[ -n "$fallback" ] || { echo "bench_ort.sh: qx-bench export failed" >&2; exit 1; }
	echo "qx-bench export failed: $(head -n 1 "$out/export.txt")" >"$out/int8.skipped"
	echo "bench_ort.sh: qx-bench export failed: ORT int8 not measured; fp32 on the images in $fallback" >&2
	rm -f "$out/int8.onnx"
	images=$fallback
	int8=
fi

ncpu=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
second=$(((cpu + 1) % ncpu))
ort fp32 "$fp32" 1 1,64 "$cpu" "$out/fp32.json"
if [ -n "$int8" ]; then
	ort int8 "$out/int8.onnx" 1 1,64 "$cpu" "$out/int8.json"
	ort int8 "$out/int8.onnx" 2 64 "$cpu,$second" "$out/int8-t2.json"
fi
