#!/bin/sh
# The SDK as a third party sees it: `make install` into a temporary prefix, build
# examples/percentile with nothing but `pkg-config --cflags qx` (no -I into this source tree),
# then `qx-bench plugin-check` the result. TAP on stdout.
set -u

root=${QX_ROOT:-$(pwd)}
build=${QX_BUILD:-$root/build}
root=$(cd "$root" && pwd -P)
tmp=$(mktemp -d /tmp/qx-example-plugin-XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
# Not a sub-make of whatever make runs the tests: no inherited flags or jobserver.
unset MAKEFLAGS MFLAGS MAKELEVEL

. "$(dirname "$0")/support/tap.sh"

echo "1..17"

make -C "$root" --no-print-directory install PREFIX="$tmp/prefix" >"$tmp/install.log" 2>&1
rc=$?
[ $rc -eq 0 ] && [ -f "$tmp/prefix/include/qx/plugin.h" ] && [ -f "$tmp/prefix/include/qx/qparams.h" ] &&
	[ -f "$tmp/prefix/lib/pkgconfig/qx.pc" ]
ok $? "make install PREFIX=<tmp> installs include/qx/*.h and lib/pkgconfig/qx.pc"
[ $rc -eq 0 ] || show "$tmp/install.log"

# The program itself: bin/qx-bench finds the plugins installed beside it, not the build tree's.
"$tmp/prefix/bin/qx-bench" plugin-check "$tmp/prefix/lib/qx-bench/plugins/dynamic.so" >/dev/null 2>&1 &&
	[ -x "$tmp/prefix/bin/qx-nightly" ] &&
	sed -e 's/name: dynamic/name: dynamc/' -e "s|\\.\\./models|$root/models|" \
		"$root/suites/fashion-mnist.yaml" >"$tmp/find.yaml" &&
	"$tmp/prefix/bin/qx-bench" -q "$tmp/find.yaml" 2>&1 |
	grep -q "no dynamc.so in .*$tmp/prefix/lib/qx-bench/plugins.*did you mean 'dynamic'"
ok $? "make install installs bin/qx-bench (which searches <prefix>/lib/qx-bench/plugins), its plugins and bin/qx-nightly"

cflags=$(PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig" pkg-config --cflags qx 2>&1)
cflags=$(echo $cflags) # without pkg-config's trailing space
[ "$cflags" = "-I$tmp/prefix/include" ]
ok $? "pkg-config --cflags qx points at the installed headers ($cflags)"

# A copy of the example outside the tree, so nothing can be found relative to it.
mkdir -p "$tmp/src" && cp "$root/examples/percentile/percentile.c" "$root/examples/percentile/Makefile" "$tmp/src/"
PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig" make -C "$tmp/src" --no-print-directory \
	BUILD="$tmp/build" >"$tmp/build.log" 2>&1
rc=$?
[ $rc -eq 0 ] && [ -f "$tmp/build/percentile.so" ]
ok $? "examples/percentile builds against the installed SDK"
[ $rc -eq 0 ] || show "$tmp/build.log"

# Every -I of the compile line must be outside the source tree.
bad=$(grep -o -- '-I *[^ ]*' "$tmp/build.log" | sed 's/^-I *//' | while read -r dir; do
	real=$(cd "$dir" 2>/dev/null && pwd -P || echo "$dir")
	case "$real" in "$root"|"$root"/*) echo "$dir" ;; esac
done)
grep -q -- "-I$tmp/prefix/include" "$tmp/build.log" && [ -z "$bad" ]
ok $? "compiled with no -I into the source tree${bad:+ (found: $bad)}"

"$build/qx-bench" plugin-check "$tmp/build/percentile.so" >"$tmp/check.log" 2>"$tmp/check.err"
rc=$?
ok $rc "qx-bench plugin-check passes on the example (exit $rc)"
show "$tmp/check.log"
[ $rc -eq 0 ] || show "$tmp/check.err"

# Declared options: plugin-check lists the example's and tries a bad value of each.
grep -q "^# declares 4 options:" "$tmp/check.log" &&
	grep -q "^ok .* - percentile: lots (not a number) is refused by the host before create()" "$tmp/check.log" &&
	grep -q "^ok .* - weights: qx_check_no_such_choice (not one of the choices) is refused" "$tmp/check.log" &&
	grep -q "^ok .* - percentil: 1 (an undeclared key near 'percentile') is refused" "$tmp/check.log" &&
	grep -q "^ok .* - an undeclared option is refused by the host before create()" "$tmp/check.log"
ok $? "plugin-check lists the example's 4 declared options and checks the host refuses a bad value of each"

# --option reaches the conformance runs; a value the declaration refuses fails once, in one line.
"$build/qx-bench" plugin-check "$tmp/build/percentile.so" --option percentile=99.9 \
	--option weights=per-tensor >"$tmp/opt.log" 2>/dev/null
rc=$?
[ $rc -eq 0 ] && grep -q "^ok .* - full run with 2 options (--option)" "$tmp/opt.log" &&
	grep -q "^# option in effect: percentile: 99.9$" "$tmp/opt.log" &&
	grep -q "^# option in effect: weights: per-tensor$" "$tmp/opt.log" &&
	grep -q "^# option in effect: samples: 100000$" "$tmp/opt.log" &&
	grep -q "(6 per channel)" "$tmp/check.log" && grep -q "(0 per channel)" "$tmp/opt.log"
ok $? "plugin-check --option: the runs use the options (per-tensor weights), the defaults fill the rest (exit $rc)"
"$build/qx-bench" plugin-check "$tmp/build/percentile.so" --option percentile=lots >"$tmp/lots.log" 2>&1
rc=$?
[ $rc -eq 1 ] && [ "$(grep -c "option 'percentile': 'lots' is not a number (expected a number with 50 <= value <= 100)" "$tmp/lots.log")" -eq 1 ] &&
	[ "$(grep -c '^not ok' "$tmp/lots.log")" -eq 1 ]
ok $? "plugin-check --option percentile=lots: exit $rc, one failed check, the host's message once"
show "$tmp/lots.log"

# A plugin that does not load: the reason once, not once per check.
"$build/qx-bench" plugin-check "$build/tests/plugins/newer-major.so" >"$tmp/major.log" 2>&1
rc=$?
[ $rc -eq 1 ] && [ "$(grep -c "built for plugin ABI 2" "$tmp/major.log")" -eq 1 ] &&
	grep -q "the other checks need a plugin that loads: not run" "$tmp/major.log"
ok $? "plugin-check on a plugin that does not load: exit $rc, the load failure printed once"

# A plugin of the previous minor (ABI 1.1, no declarations) passes; its own option parsing is
# what the unknown-option check sees.
"$build/qx-bench" plugin-check "$build/tests/plugins/minor1.so" >"$tmp/minor1.log" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -q "ABI 1.1 (this host" "$tmp/minor1.log" &&
	grep -q "^# declares no options" "$tmp/minor1.log" &&
	grep -q "^ok .* - an unknown option is rejected by create" "$tmp/minor1.log"
ok $? "plugin-check passes an ABI 1.1 plugin without declared options (exit $rc)"

# The name must match the file name (suites find NAME.so): a renamed copy fails that check.
cp "$tmp/build/percentile.so" "$tmp/build/renamed.so"
"$build/qx-bench" plugin-check "$tmp/build/renamed.so" >"$tmp/renamed.log" 2>/dev/null
rc=$?
[ $rc -eq 1 ] && grep -q "^not ok .* - the name 'percentile' matches the file name renamed.so" "$tmp/renamed.log" &&
	[ "$(grep -c '^not ok' "$tmp/renamed.log")" -eq 1 ]
ok $? "plugin-check fails a plugin whose name is not its file name (exit $rc)"

# The checker must also be able to fail: a plugin that crashes in calibrate.
# The example in a suite, next to a shipped plugin and a crashing one: its row is produced, the
# crash is one error row (kept in results.json although it is the run's last step), and the run
# says so in its exit status (1).
limit=512
[ -n "${QX_SANITIZED:-}" ] && limit=128
cat >"$tmp/suite.yaml" <<EOF
name: example-plugin
model: $root/models/fashion_cnn.onnx
dataset:
  format: idx
  images: /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz
  labels: /usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz
  limit: $limit
calibration:
  images: /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz
  labels: /usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz
  count: 64
preprocess:
  mean: [0.2860]
  std: [0.3530]
kernels: [scalar]
plugins:
  - path: $tmp/build/percentile.so
    options: { percentile: 99.9 }
  - name: static-per-tensor
  - path: $build/tests/plugins/segv.so
measure:
  enabled: false
EOF
"$build/qx-bench" -o "$tmp/results" "$tmp/suite.yaml" >"$tmp/suite.out" 2>"$tmp/suite.err"
rc=$?
[ $rc -eq 1 ] && grep -q "^percentile  *scalar  *[0-9.]*%" "$tmp/suite.out"
ok $? "the example plugin runs in a suite and gets its accuracy row (exit $rc)"
show "$tmp/suite.out"
grep -q "^segv .*error: plugin 'segv' .*crashed with SIGSEGV" "$tmp/suite.out" &&
	[ "$(grep -c "crashed with SIGSEGV" "$tmp/suite.err")" -eq 1 ]
ok $? "the crashing plugin is one error row and one line on stderr"
show "$tmp/suite.err"
grep -q "^static-per-tensor  *scalar  *[0-9.]*%" "$tmp/suite.out" &&
	grep -q '"label": "segv"' "$tmp"/results/example-plugin/*/results.json &&
	grep -q '"label": "static-per-tensor"' "$tmp"/results/example-plugin/*/results.json
ok $? "the other plugins run, and results.json holds all three rows, the crash (the last step) too"
/usr/bin/python3 - "$tmp"/results/example-plugin/*/results.json <<'PY'
import json, sys
rows = {r["label"]: r for r in json.load(open(sys.argv[1]))["plugins"]}
want = {"percentile": 99.9, "samples": 100000, "weights": "per-channel", "reduce_range": False}
got = rows["percentile"].get("options_used")
print("# options_used:", json.dumps(got))
sys.exit(0 if got == want and isinstance(got["samples"], int) and
         rows["static-per-tensor"]["options_used"]["qparams"] == "global_minmax" else 1)
PY
ok $? "results.json: the example's options_used holds its option and the declared defaults, typed"

"$build/qx-bench" plugin-check "$build/tests/plugins/segv.so" --timeout 20 >"$tmp/segv.log" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q "^not ok .*full run" "$tmp/segv.log" &&
	grep -q "crashed with SIGSEGV during calibrate" "$tmp/segv.log"
ok $? "plugin-check fails (exit $rc) on a plugin that crashes, naming the crash"

[ $failed -eq 0 ]
