#!/bin/sh
# Promises the docs make about the tree, checked (issue 13: docs that drifted from the code):
# - every source file README, docs/, bench/README.md and the makefiles name (harness/, kernels/,
#   tests/, tools/, bench/, include/, schemas/ paths ending in .c .h .cc .sh .py .mk .json)
#   exists, so a file moved or removed cannot leave a doc pointing at nothing;
# - docs/pytorch-crosscheck.md's evaluation batch is the one tools/crosscheck_pytorch.py uses.
# The check can fail: a made-up path in a copy of a doc is reported.
set -u
root=${QX_ROOT:-.}
cd "$root" || exit 1
. tests/support/tap.sh

# missing FILE...: the named paths in FILEs that do not exist, "FILE: PATH" one a line.
missing() {
	for f in "$@"; do
		grep -oE '(^|[][ `(|"'"'"'])(harness|kernels|tests|tools|bench|include|schemas)/[A-Za-z0-9_/-]*\.(c|h|cc|sh|py|mk|json)\b' "$f" |
			sed -E 's/^[^a-z]//' | sort -u | while read -r p; do
			[ -e "$p" ] || echo "$f: $p"
		done
	done
}

docs="README.md docs/*.md bench/README.md Makefile bench/bench.mk kernels/neon/neon.mk"
# shellcheck disable=SC2086
out=$(missing $docs)
[ -z "$out" ]
ok $? "every source file the docs and makefiles name exists"
if [ -n "$out" ]; then echo "$out" | sed 's/^/# /'; fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf 'See `harness/model/no_such_file.c` and harness/exec/exec_f32.c.\n' > "$tmp/doc.md"
out=$(missing "$tmp/doc.md")
[ "$out" = "$tmp/doc.md: harness/model/no_such_file.c" ]
ok $? "a made-up path is reported, a real one is not ($out)"

doc_batch=$(sed -n 's/.*`evaluation`.*`batch` \([0-9]*\).*/\1/p' docs/pytorch-crosscheck.md)
tool_batch=$(sed -n 's/^EVAL_BATCH = \([0-9]*\).*/\1/p' tools/crosscheck_pytorch.py)
[ -n "$doc_batch" ] && [ "$doc_batch" = "$tool_batch" ]
ok $? "pytorch-crosscheck.md's evaluation batch ($doc_batch) is the tool's EVAL_BATCH ($tool_batch)"
echo "1..$n"
exit "$failed"
