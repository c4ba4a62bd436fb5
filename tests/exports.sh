#!/bin/sh
# Symbol hygiene (issue 13): qx-bench exports to the plugins it dlopens exactly what the plugin
# SDK needs from it. The SDK (include/qx/) is header-only, so that is no function of ours. The
# shipped plugins, for their part, import nothing from the host and export only their entry.
. "$(dirname "$0")/support/tap.sh"
root=${QX_ROOT:-.}
build=${QX_BUILD:-$root/build}
bin=$build/qx-bench
if [ ! -x "$bin" ]; then
	echo "Bail out! $bin not built"
	exit 1
fi
tmp=$(mktemp -d /tmp/qx-exports-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# The program's own symbols (strong globals defined in main.o and libqx.a, the generated ONNX
# code included) against what it exports: none may be exported. Weak std:: template copies and a
# sanitizer runtime's interceptors (clang links them with a dynamic list) are not ours.
nm -g --defined-only "$build/obj/harness/cli/main.o" "$build/libqx.a" 2>/dev/null |
	awk 'NF == 3 && $2 ~ /^[TDBR]$/ {print $3}' | sort -u > "$tmp/defined"
nm -D --defined-only "$bin" | awk '{print $NF}' | sort -u > "$tmp/exported"
comm -12 "$tmp/defined" "$tmp/exported" > "$tmp/ours"
ok "$([ -s "$tmp/defined" ] && [ ! -s "$tmp/ours" ]; echo $?)" \
	"qx-bench exports none of its own $(wc -l < "$tmp/defined") symbols ($(wc -l < "$tmp/ours") exported)"
[ -s "$tmp/ours" ] && head -20 "$tmp/ours" | sed 's/^/# /'

# Nothing in the SDK headers is a host function a plugin could link against: every function
# declared there is static inline.
grep -h '^[a-z].*(' "$root"/include/qx/*.h | grep -v '^static inline' | grep -v '^typedef' \
	> "$tmp/decls" || true
ok "$([ ! -s "$tmp/decls" ]; echo $?)" "include/qx/ declares no host function (all static inline)"
[ -s "$tmp/decls" ] && sed 's/^/# /' "$tmp/decls"

for so in "$build"/plugins/*.so; do
	name=$(basename "$so")
	nm -D --undefined-only "$so" | awk '{print $NF}' | grep '^qx_' > "$tmp/imports" || true
	ok "$([ ! -s "$tmp/imports" ]; echo $?)" "$name imports no qx_* symbol from the host"
	nm -D --defined-only "$so" | awk '$2 == "T" {print $NF}' > "$tmp/exports"
	ok "$([ "$(cat "$tmp/exports")" = qx_plugin_entry ]; echo $?)" \
		"$name exports only its entry point (got: $(tr '\n' ' ' < "$tmp/exports"))"
done
echo "1..$n"
exit $failed
