#!/bin/sh
# Bad input through the command line, as a user meets it: each case must print exactly one line
# on stderr naming the file and the place, exit with status 2, and (in the sanitizer build) leave
# no sanitizer report, which would add lines to stderr.
set -u
root=${QX_ROOT:-.}
bin=${QX_BUILD:-build}/qx-bench
tmp=$(mktemp -d /tmp/qx-cli-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/support/tap.sh"

# run_case NAME EXPECTED-STATUS GREP-PATTERN ARGS...: one line on stderr matching the pattern.
run_case() {
	name=$1 want=$2 pattern=$3
	shift 3
	"$bin" --quiet "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
	status=$?
	lines=$(wc -l <"$tmp/$name.err")
	[ "$status" -eq "$want" ]
	ok $? "$name: exit status $status (expected $want)"
	[ "$lines" -eq 1 ]
	ok $? "$name: one line on stderr (got $lines)"
	grep -q -- "$pattern" "$tmp/$name.err"
	ok $? "$name: message matches '$pattern'"
	sed 's/^/# /' "$tmp/$name.err"
}

model="$root/models/fashion_cnn.onnx"
images=/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz
labels=/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz

# A suite over files in $tmp: write_suite FILE MODEL IMAGES LABELS [EXTRA-KEY-LINE]
write_suite() {
	cat >"$1" <<EOF
name: cli-test
model: $2
dataset:
  format: idx
  images: $3
  labels: $4
calibration:
  images: $3
  labels: $4
  count: 16
plugins:
  - name: static-per-tensor
${5:-}
EOF
}

# 1. A misspelt key: file:line:column and what was expected.
write_suite "$tmp/typo.yaml" "$model" "$images" "$labels" "plugns: []"
run_case typo 2 "typo.yaml:13:1: unknown key 'plugns' (expected one of: .*plugins" "$tmp/typo.yaml"

# 2. A truncated ONNX file: the file and how far the parser got.
if [ -f "$model" ]; then
	size=$(wc -c <"$model")
	head -c $((size / 2)) "$model" >"$tmp/truncated.onnx"
	write_suite "$tmp/trunc.yaml" "$tmp/truncated.onnx" "$images" "$labels"
	run_case truncated-onnx 2 "truncated.onnx: not a valid ONNX model" "$tmp/trunc.yaml"
else
	for i in 1 2 3; do n=$((n + 1)); echo "ok $n # skip $model not built yet"; done
fi

# 3. An IDX file with a wrong magic number: the file and the byte offset.
printf '\000\000\010\077\000\000\000\001' >"$tmp/bad-magic.idx"
head -c 784 /dev/zero >>"$tmp/bad-magic.idx"
write_suite "$tmp/magic.yaml" "$model" "$tmp/bad-magic.idx" "$labels"
run_case bad-magic 2 "bad-magic.idx: byte 0: bad IDX magic 0x0000083f" "$tmp/magic.yaml"

# 4. CIFAR-10 without its data: which file is needed, where, and how to get it.
mkdir -p "$tmp/suites"
sed -e "s|^model: .*|model: $model|" "$root/suites/cifar.yaml" >"$tmp/suites/cifar.yaml"
run_case cifar-missing 2 "test_batch.bin: CIFAR-10 file not found.*tools/fetch-cifar10" "$tmp/suites/cifar.yaml"

# 4b. CIFAR-10 with its data but without the trained model: the next step is training, and how
# long it takes. (Fake batches of 300 black images: the loader only needs valid records.)
mkdir -p "$tmp/data/cifar-10-batches-bin"
head -c $((300 * 3073)) /dev/zero >"$tmp/data/cifar-10-batches-bin/test_batch.bin"
cp "$tmp/data/cifar-10-batches-bin/test_batch.bin" "$tmp/data/cifar-10-batches-bin/data_batch_1.bin"
cp "$root/suites/cifar.yaml" "$tmp/suites/cifar-model.yaml"
run_case cifar-no-model 2 "cifar-model.yaml:8:8: model file '.*cifar_cnn.onnx' not found: train it (about 18 minutes.*tools/train_reference.py --dataset cifar10" "$tmp/suites/cifar-model.yaml"

# 5. Command-line mistakes.
run_case no-suite 2 "no suite given"
run_case bad-limit 2 "limit 'x': expected a positive integer" --limit x "$tmp/typo.yaml"
run_case missing-suite 2 "nope.yaml: suite file not found" "$tmp/nope.yaml"
write_suite "$tmp/good.yaml" "$model" "$images" "$labels"
run_case unknown-plugin 2 "--plugins: 'static-per-tensr' is not a plugin of .*good.yaml (expected none or some of: static-per-tensor)" --plugins static-per-tensr "$tmp/good.yaml"

# 6. What cannot run here fails before any work (nothing on stdout: no image was evaluated):
# an empty --plugins, an unavailable kernel set, too many threads, a misspelt plugin, a refused
# plugin option.
# before_work NAME: the case printed nothing on stdout.
before_work() {
	[ ! -s "$tmp/$1.out" ]
	ok $? "$1: refused before any work (stdout empty)"
}
run_case empty-plugins 2 "--plugins '': empty (expected plugin labels" --plugins "" "$tmp/good.yaml"
before_work empty-plugins
export QX_DISABLE_KSETS=avx2
run_case kernels-unavailable 2 "--kernels avx2: avx2 is not available on this machine (disabled by QX_DISABLE_KSETS) (expected some of: scalar" --kernels avx2 "$tmp/good.yaml"
before_work kernels-unavailable
write_suite "$tmp/kset.yaml" "$model" "$images" "$labels" "kernels: [scalar, avx2]"
run_case suite-kernels-unavailable 2 "kset.yaml:13:10: kernels: avx2 is not available on this machine" "$tmp/kset.yaml"
before_work suite-kernels-unavailable
unset QX_DISABLE_KSETS
run_case too-many-threads 2 "--threads 4096: this machine lets qx-bench use [0-9]* cores\? (expected at most" --threads 1,4096 "$tmp/good.yaml"
before_work too-many-threads
sed 's/name: static-per-tensor/name: static-per-tensr/' "$tmp/good.yaml" >"$tmp/misspelt.yaml"
run_case misspelt-plugin 2 "misspelt.yaml:12:11: plugin 'static-per-tensr': no static-per-tensr.so in .*(did you mean 'static-per-tensor'?)" "$tmp/misspelt.yaml"
before_work misspelt-plugin
# An option the plugin refuses: its create() runs in a child before any image, and the message
# is the plugin's own, at the option's line.
sed 's/  - name: static-per-tensor/  - name: histogram\n    options:\n      bins: -5/' "$tmp/good.yaml" \
	>"$tmp/badopt.yaml"
run_case bad-option 2 "badopt.yaml:14:13: plugin 'histogram' (.*histogram.so): option 'bins': '-5' is out of range (expected an integer from 16 to 16384)" "$tmp/badopt.yaml"
before_work bad-option
# Declared options (the shipped plugins declare theirs): the host checks the value's type and
# refuses a key the plugin does not declare, at its line and column, before any work; a value
# only the plugin's own rules refuse (bins for entropy must be even) is still its message.
sed 's/  - name: static-per-tensor/  - name: static-per-tensor\n    options:\n      qparams: moving_average\n      averaging_constant: lots/' \
	"$tmp/good.yaml" >"$tmp/lots.yaml"
run_case declared-not-a-number 2 "lots.yaml:15:27: plugin 'static-per-tensor' (.*static-per-tensor.so): option 'averaging_constant': 'lots' is not a number (expected a number with 0 < value <= 1)" "$tmp/lots.yaml"
before_work declared-not-a-number
sed 's/averaging_constant: lots/averaging_const: 0.5/' "$tmp/lots.yaml" >"$tmp/const.yaml"
run_case declared-unknown-key 2 "const.yaml:15:7: plugin 'static-per-tensor' (.*static-per-tensor.so): unknown option 'averaging_const' (did you mean 'averaging_constant'? the plugin declares: qparams, averaging_constant, bins, percentile, weights, symmetric, reduce_range, flatten)" "$tmp/const.yaml"
before_work declared-unknown-key
sed 's/averaging_constant: lots/averaging_constant: [0.5, lots]/' "$tmp/lots.yaml" >"$tmp/sweep-lots.yaml"
run_case declared-sweep-element 2 "sweep-lots.yaml:15:33: plugin 'static-per-tensor\[averaging_constant=lots\]' (.*): option 'averaging_constant': 'lots' is not a number" "$tmp/sweep-lots.yaml"
before_work declared-sweep-element
sed 's/qparams: moving_average/qparams: entropy/; s/averaging_constant: lots/bins: 1023/' "$tmp/lots.yaml" >"$tmp/odd.yaml"
run_case plugin-own-rule 2 "odd.yaml:15:13: plugin 'static-per-tensor' (.*static-per-tensor.so): create failed: option 'bins': '1023' is odd" "$tmp/odd.yaml"
before_work plugin-own-rule

# Sensitivity and fallback: a budget that is not a number of points, in the suite (at its
# line and column) and on the command line; a fallback row --plugins names without a fallback.
write_suite "$tmp/fallback.yaml" "$model" "$images" "$labels" "    fallback: { max_drop: -1 }"
run_case fallback-negative 2 "fallback.yaml:13:27: plugins\[0\].fallback.max_drop: -1 is out of range (expected a number >= 0 and <= 100)" "$tmp/fallback.yaml"
before_work fallback-negative
write_suite "$tmp/fallback-key.yaml" "$model" "$images" "$labels" "    fallback: { images: 100 }"
run_case fallback-no-budget 2 "fallback-key.yaml:13:15: plugins\[0\].fallback: missing 'max_drop' (expected" "$tmp/fallback-key.yaml"
run_case fallback-flag 2 "--fallback 'abc': expected the accuracy drop allowed against fp32, in points" --fallback abc "$tmp/good.yaml"
run_case fallback-flag-negative 2 "--fallback '-0.5': expected" --fallback -0.5 "$tmp/good.yaml"
run_case fallback-row-unknown 2 "--plugins: 'static-per-tensor+fallback' is not a plugin of" --plugins static-per-tensor+fallback "$tmp/good.yaml"
before_work fallback-row-unknown

# --help documents the exit statuses.
"$bin" --help >"$tmp/help.out" 2>&1
grep -q "^exit status:" "$tmp/help.out" && grep -q "  2  bad command line, invalid input" "$tmp/help.out"
ok $? "--help documents the exit statuses"
grep -q "^  -F, --fallback B" "$tmp/help.out" && grep -q "^  -S, --sensitivity" "$tmp/help.out"
ok $? "--help documents --sensitivity and --fallback"

echo "1..$n"
exit $failed
