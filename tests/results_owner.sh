#!/bin/sh
# results.json has one writer, harness/results/ (tools/check-results-owner), and the check can
# fail: a copy of harness/ where cli/run.c sets a key again, or measure/latency.c packs an
# object, is refused naming the file and line; a copy whose allow list names a missing file is
# refused too.
set -u
root=${QX_ROOT:-.}
check=$root/tools/check-results-owner
echo "1..4"

if out=$("$check" "$root" 2>&1); then
	echo "ok 1 - no file outside harness/results/ writes results.json"
else
	echo "not ok 1 - JSON written outside harness/results/"
	echo "$out" | sed 's/^/# /'
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r "$root/harness" "$tmp/harness"
cp -r "$root/tools" "$tmp/tools"
# A key set the way run.c once did, at the end of the file so that the line number is known.
printf '\nstatic void again(json_t *e)\n{\n\tjson_object_set_new(e, "quick", json_true());\n}\n' \
	>> "$tmp/harness/cli/run.c"
line=$(grep -n 'json_object_set_new(e, "quick"' "$tmp/harness/cli/run.c" | cut -d: -f1)
out=$("$check" "$tmp" 2>&1)
rc=$?
if [ "$rc" -eq 1 ] && echo "$out" | grep -q "^harness/cli/run.c:$line:"; then
	echo "ok 2 - a key set in cli/run.c is refused, named with its line ($line)"
else
	echo "not ok 2 - a key set in cli/run.c gave exit $rc"
	echo "$out" | sed 's/^/# /'
fi

cp "$root/harness/cli/run.c" "$tmp/harness/cli/run.c"
printf '\nstatic json_t *m(void) { return json_pack ("{s:i}", "n", 1); }\n' \
	>> "$tmp/harness/measure/latency.c"
out=$("$check" "$tmp" 2>&1)
rc=$?
if [ "$rc" -eq 1 ] && echo "$out" | grep -q "^harness/measure/latency.c:" &&
   ! echo "$out" | grep -q "harness/cli/run.c"; then
	echo "ok 3 - json_pack in measure/latency.c is refused (and run.c, restored, is not)"
else
	echo "not ok 3 - json_pack in measure/latency.c gave exit $rc"
	echo "$out" | sed 's/^/# /'
fi

cp "$root/harness/measure/latency.c" "$tmp/harness/measure/latency.c"
rm "$tmp/harness/plugin/decl_read.c"
out=$("$check" "$tmp" 2>&1)
rc=$?
if [ "$rc" -eq 1 ] && echo "$out" | grep -q "decl_read.c is allowed but does not exist"; then
	echo "ok 4 - an allowed file that is gone is reported, so the list stays true"
else
	echo "not ok 4 - a missing allowed file gave exit $rc"
	echo "$out" | sed 's/^/# /'
fi
