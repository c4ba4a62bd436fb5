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

echo "1..10"

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

"$build/qx-bench" plugin-check "$build/tests/plugins/segv.so" --timeout 20 >"$tmp/segv.log" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q "^not ok .*full run" "$tmp/segv.log" &&
	grep -q "crashed with SIGSEGV during calibrate" "$tmp/segv.log"
ok $? "plugin-check fails (exit $rc) on a plugin that crashes, naming the crash"

[ $failed -eq 0 ]
