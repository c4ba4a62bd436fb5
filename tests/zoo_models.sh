#!/bin/sh
# The model zoo (models/zoo/, docs/model-zoo.md) through qx-bench, on the first images of the
# Fashion-MNIST test set. Per model, with its suite suites/zoo/<name>.yaml:
# - the constant-folded export (<name>.onnx) loads and every shipped plugin runs (exit 0);
#   a model qx-bench cannot load is a failure that names the reason (e.g. an unsupported op);
# - fp32 top-1 equals PyTorch's (models/zoo/<name>.top1.u8) on the sample (one in a thousand
#   allowed for near-ties, as tests/test_fp32_pytorch.c);
# - the unfolded export (<name>.nofold.onnx) loads and its fp32 top-1 equals the folded one's;
# - per plugin, its int8 predictions agree with PyTorch's int8 predictions for the same
#   configuration (models/zoo/<name>.pytorch.<plugin>.u8, written by tools/zoo.py) on at least
#   the share of images the full 10,000-image run agrees on (tests/fixtures/zoo_agreement.txt,
#   written by tools/zoo_table.py from such runs) minus a margin: 3 points on the plain build's
#   500 images, 10 points on the sanitizer build's 32 (the first images are a fixed sample, so
#   the margin only absorbs how far the sample's rate may sit from the whole set's: about three
#   binomial standard deviations at 97% agreement). Configurations PyTorch could not quantize
#   (status "failed" in <name>.pytorch.json) are skipped with its reason.
# The sanitizer build runs two plugins (dynamic, static-per-channel) on 32 images.
set -u
. "$(dirname "$0")/support/tap.sh"
run_test_setup
zoo=$root/models/zoo
fixture=$root/tests/fixtures/zoo_agreement.txt
tmp=$(mktemp -d /tmp/qx-zoo-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# The sanitizer build is several times slower and every static plugin calibrates on 256 images:
# there, 32 images and two plugins (dynamic, and static-per-channel for the static path).
if [ "${QX_SANITIZED:-0}" = 1 ]; then
	limit=32 margin=10 plugins=dynamic,static-per-channel
else
	limit=500 margin=3 plugins=dynamic,static-per-tensor,static-per-channel,histogram
fi

# check.py RESULTS.json NAME LIMIT MARGIN FIXTURE: one line per check, "STATUS DESCRIPTION"
# (STATUS 0 ok, 1 not ok, 2 skip); diagnostics start with '#'.
cat > "$tmp/check.py" <<'PY'
import json, os, sys
res, name, limit, margin, fixture = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
zoo = os.environ["ZOO"]
r = json.load(open(res))
fp = r["fp32"]["predictions"]
n = len(fp)
top1 = open(os.path.join(zoo, name + ".top1.u8"), "rb").read()
same = sum(1 for i in range(n) if fp[i] == top1[i])
allowed = n // 1000
print("%d %s: fp32 top-1 equals PyTorch's on %d of %d images (at least %d required)"
      % (0 if n == limit and same >= n - allowed else 1, name, same, n, n - allowed))
pt = json.load(open(os.path.join(zoo, name + ".pytorch.json")))
full = {}
if os.path.exists(fixture):
    for line in open(fixture):
        f = line.split()
        if len(f) == 4 and not line.startswith("#"):
            full[(f[0], f[1])] = (int(f[2]), int(f[3]))
plugins = {p.get("label", p.get("name")): p for p in r["plugins"]}
ran = (r["options"].get("plugins") or "").split(",")
for plugin, entry in pt["plugins"].items():
    if ran != [""] and plugin not in ran:
        continue
    if entry["status"] != "ok":
        print("2 %s %s: PyTorch could not quantize it: %s" % (name, plugin, entry["error"][:150]))
        continue
    p = plugins.get(plugin)
    if p is None or "predictions" not in p:
        print("1 %s %s: qx-bench has no predictions (%s)" % (name, plugin, (p or {}).get("error", "not run")))
        continue
    ref = open(os.path.join(zoo, entry["predictions"]), "rb").read()
    agree = sum(1 for i in range(n) if p["predictions"][i] == ref[i])
    if (name, plugin) not in full:
        print("1 %s %s: agrees with PyTorch on %d of %d images, but %s has no full-run rate for it"
              % (name, plugin, agree, n, os.path.basename(fixture)))
        continue
    fa, fn = full[(name, plugin)]
    rate = 100.0 * fa / fn
    need = int(n * (rate - margin) / 100.0)
    print("%d %s %s: int8 agrees with PyTorch's on %d of %d images (%.1f%%; full run %.2f%%, at least %d required)"
          % (0 if agree >= need else 1, name, plugin, agree, n, 100.0 * agree / n, rate, need))
PY

# emit STATUS DESCRIPTION: one TAP line (STATUS 0 ok, 1 not ok, 2 skip; '#...' a diagnostic).
emit() {
	case "$1" in
	'#'*) echo "$*" ;;
	2) n=$((n + 1)); echo "ok $n # SKIP $2" ;;
	*) ok "$1" "$2" ;;
	esac
}

report() {   # emit for every "STATUS DESCRIPTION" line of stdin (no pipe: n must survive)
	while read -r status desc; do
		emit "$status" "$desc"
	done
}

models=$(cd "$root/suites/zoo" && ls *.yaml | sed 's/\.yaml$//')
for m in $models; do
	out=$tmp/$m
	"$bin" "$root/suites/zoo/$m.yaml" --no-measure --kernels auto --limit "$limit" -q \
		--plugins "$plugins" -o "$out" > "$tmp/$m.log" 2>&1
	rc=$?
	res=$(ls "$out"/*/*/results.json 2>/dev/null | head -n 1)
	if [ "$rc" -ne 0 ] || [ -z "$res" ]; then
		why=$(grep -v '^$' "$tmp/$m.log" | tail -n 1)
		emit 1 "$m: qx-bench suites/zoo/$m.yaml --limit $limit --plugins $plugins exited $rc: $why"
		continue
	fi
	emit 0 "$m: qx-bench runs the folded export and plugins $plugins on $limit images"
	ZOO=$zoo "$py" "$tmp/check.py" "$res" "$m" "$limit" "$margin" "$fixture" > "$tmp/$m.check" 2>&1 \
		|| echo "1 $m: check.py failed: $(tail -n 1 "$tmp/$m.check")" >> "$tmp/$m.check"
	report < "$tmp/$m.check"

	# The unfolded export: fp32 only (--plugins none), same predictions as the folded export.
	sed "s|^model: .*|model: $zoo/$m.nofold.onnx|" "$root/suites/zoo/$m.yaml" > "$tmp/$m.nofold.yaml"
	"$bin" "$tmp/$m.nofold.yaml" --no-measure --kernels auto --limit "$limit" -q --plugins none \
		-o "$out.nofold" > "$tmp/$m.nofold.log" 2>&1
	rc=$?
	nres=$(ls "$out.nofold"/*/*/results.json 2>/dev/null | head -n 1)
	if [ "$rc" -ne 0 ] || [ -z "$nres" ]; then
		why=$(grep -v '^$' "$tmp/$m.nofold.log" | tail -n 1)
		emit 1 "$m: the nofold export: qx-bench exited $rc: $why"
		continue
	fi
	diff=$("$py" -c 'import json, sys
a, b = (json.load(open(p))["fp32"]["predictions"] for p in sys.argv[1:])
print(sum(1 for x, y in zip(a, b) if x != y) + abs(len(a) - len(b)))' "$res" "$nres" 2>&1)
	[ "$diff" = 0 ]
	emit $? "$m: nofold export: fp32 top-1 equals the folded export's on $limit images ($diff differ)"
done
echo "1..$n"
exit $failed
