# TAP helpers for the shell tests, sourced as `. "$(dirname "$0")/support/tap.sh"`.
#   ok STATUS DESCRIPTION   prints "ok N - ..." when STATUS is 0, else "not ok N - ..."
#   show FILE               the file as TAP diagnostics ("# " lines); after a failed check on
#                           stderr, which prove prints even when not verbose, so a failure in
#                           make test's log says why (after a passing one, on stdout: quiet)
# A test ends with `echo "1..$n"` (or prints its plan first) and `exit $failed`.
n=0
failed=0
last_failed=0

ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
		last_failed=0
	else
		echo "not ok $n - $2"
		failed=1
		last_failed=1
	fi
}

show() {
	if [ "$last_failed" = 1 ]; then
		sed "s|^|# ${0##*/}: |" "$1" >&2
	else
		sed 's/^/# /' "$1"
	fi
}

# run_test_setup: for the tests that run qx-bench on Fashion-MNIST. Sets root and build (both
# absolute), bin, py and data; skips the whole test when the dataset is missing, bails out when
# the program (or /usr/bin/python3, which reads results.json) is missing.
run_test_setup() {
	root=${QX_ROOT:-.}
	build=${QX_BUILD:-$root/build}
	bin=$build/qx-bench
	py=/usr/bin/python3
	data=/usr/share/datasets/fashion-mnist
	if [ ! -r "$data/t10k-images-idx3-ubyte.gz" ] || [ ! -r "$data/train-images-idx3-ubyte.gz" ]; then
		echo "1..0 # SKIP Fashion-MNIST not installed under $data"
		exit 0
	fi
	if [ ! -x "$bin" ] || [ ! -x "$py" ]; then
		echo "Bail out! $bin not built (or no $py)"
		exit 1
	fi
	root=$(cd "$root" && pwd)
	build=$(cd "$build" && pwd)
	bin=$build/qx-bench
}

# fashion_suite_head NAME CALIBRATION-COUNT: the first part of a suite over the reference model
# and Debian's Fashion-MNIST ($root and $data must be set), up to and including `batch:`; the
# caller appends kernels, plugins and measure.
fashion_suite_head() {
	cat <<SUITE
name: $1
model: $root/models/fashion_cnn.onnx
dataset:
  format: idx
  images: $data/t10k-images-idx3-ubyte.gz
  labels: $data/t10k-labels-idx1-ubyte.gz
  classes: 10
calibration:
  images: $data/train-images-idx3-ubyte.gz
  labels: $data/train-labels-idx1-ubyte.gz
  count: $2
  batch: 32
preprocess:
  scale: 0.00392156862745098
  mean: [0.2860]
  std: [0.3530]
batch: 64
SUITE
}

# ort_setup: finds onnxruntime-node (build/ort, or $QX_ORT_DIR), installing it with
# tools/install-deps --ort (which also installs Debian's Node.js) when it is missing. Sets ort
# (the node_modules folder to hand tools/ort_run.mjs) and skip: empty when ORT can run, else
# the reason, for the caller's TAP skip. Needs root and tmp.
ort_setup() {
	ort=${QX_ORT_DIR:-$root/build/ort}/node_modules
	skip=""
	if ! command -v node >/dev/null 2>&1 || [ ! -r "$ort/onnxruntime-node/package.json" ]; then
		"$root/tools/install-deps" --ort >"$tmp/ort-install" 2>&1 ||
			skip="onnxruntime-node not installed and tools/install-deps --ort failed (npm registry unreachable?): $(grep -m1 -E 'npm (error|ERR)|E: ' "$tmp/ort-install")"
		if [ -z "$skip" ] && ! command -v node >/dev/null 2>&1; then
			skip="node (Node.js) not installed and tools/install-deps --ort did not install it"
		fi
	fi
}
