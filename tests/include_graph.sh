#!/bin/sh
# No include cycle between the folders of harness/ (tools/check-includes), and the check can
# fail: a copy of two folders where each includes the other is refused, naming the cycle.
set -u
root=${QX_ROOT:-.}
check=$root/tools/check-includes
echo "1..3"

if out=$("$check" "$root" 2>&1); then
	echo "ok 1 - harness/ folders include each other without a cycle"
else
	echo "not ok 1 - harness/ folders include each other in a cycle"
	echo "$out" | sed 's/^/# /'
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/harness/alpha" "$tmp/harness/beta" "$tmp/harness/gamma"
printf '#include "beta/b.h"\n' > "$tmp/harness/alpha/a.h"
printf '#include "gamma/c.h"\n#include <stdio.h>\n' > "$tmp/harness/beta/b.c"
printf '#include "alpha/a.h"\n' > "$tmp/harness/gamma/c.h"
out=$("$check" "$tmp" 2>&1)
rc=$?
if [ "$rc" -eq 1 ] && echo "$out" | grep -q alpha && echo "$out" | grep -q gamma; then
	echo "ok 2 - a cycle alpha -> beta -> gamma -> alpha is refused and named"
else
	echo "not ok 2 - a cycle alpha -> beta -> gamma -> alpha gave exit $rc"
	echo "$out" | sed 's/^/# /'
fi

# An include of a folder's own header, or of a header outside harness/ (qx/, kernels), is no edge.
rm "$tmp/harness/gamma/c.h"
printf '#include "gamma/other.h"\n#include "qx/plan.h"\n#include "alpha/a.h"\n' > "$tmp/harness/gamma/c.c"
sed -i 's#alpha/a.h#qx/graph.h#' "$tmp/harness/gamma/c.c"
if "$check" "$tmp" >/dev/null 2>&1; then
	echo "ok 3 - own-folder and non-harness includes make no edge"
else
	echo "not ok 3 - own-folder and non-harness includes were taken for a cycle"
fi
