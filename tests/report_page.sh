#!/bin/sh
# report.html in a real browser: headless Chromium opens the pages test_report writes from its
# fixture results.json (a measured run and a --no-measure run) and must find the three charts
# in the DOM with the mark counts the fixture implies (expected.txt, counted by hand in
# tests/test_report.c), and paint them: the screenshot holds many pixels of each plugin's colour.
# The page is opened with networking off; it must need nothing from outside.
set -u
build=${QX_BUILD:-build}
helper=$build/tests/test_report

browser=
for b in chromium chromium-browser; do
	if command -v "$b" >/dev/null 2>&1; then
		browser=$b
		break
	fi
done
if [ -z "$browser" ]; then
	echo "1..0 # SKIP chromium not installed"
	exit 0
fi

tmp=$(mktemp -d /tmp/qx-report-page-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
shots=$build/tests/report_page
. "$(dirname "$0")/support/tap.sh"

# chrome URL [EXTRA-FLAGS...]: the DOM after load on stdout; Chromium's own chatter in a log.
chrome() {
	url=$1
	shift
	timeout 90 "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$tmp/profile" "$@" --dump-dom "$url" 2>>"$tmp/chromium.log"
}

# The <svg id=ID ...>...</svg> element of a DOM dump, on one line.
svg_of() { # svg_of DOM-FILE ID
	tr '\n' ' ' <"$1" | sed -n "s|.*\\(<svg id=\"$2\"[^>]*>.*\\)|\\1|p" | sed 's|</svg>.*|</svg>|'
}

# count PATTERN: occurrences in stdin.
count() {
	grep -o -- "$1" | wc -l | tr -d ' '
}

expect() { # expect KEY: the value from expected.txt
	sed -n "s/^$1=//p" "$tmp/expected.txt"
}

"$helper" --write-fixture "$tmp" >"$tmp/helper.log" 2>&1
ok $? "test_report --write-fixture writes both fixtures and their report.html"
if [ ! -s "$tmp/expected.txt" ]; then
	sed 's/^/# /' "$tmp/helper.log"
	echo "Bail out! no fixture (is $helper built?)"
	exit 1
fi

mkdir -p "$shots"
shot=$shots/measured.png
rm -f "$shot"
chrome "file://$tmp/measured/report.html" --screenshot="$shot" --window-size=1280,2000 \
	>"$tmp/measured.dom"
status=$?
# Older Chromium builds take one of the two outputs per run: take the screenshot alone then.
if [ ! -s "$shot" ]; then
	chrome "file://$tmp/measured/report.html" --screenshot="$shot" --window-size=1280,2000 \
		>/dev/null
fi
[ "$status" -eq 0 ] && grep -q '</html>' "$tmp/measured.dom"
ok $? "chromium loads the measured report (status $status)"

pareto=$(svg_of "$tmp/measured.dom" pareto-chart)
size=$(svg_of "$tmp/measured.dom" size-chart)
speedup=$(svg_of "$tmp/measured.dom" speedup-chart)

want=$(expect pareto_points)
got=$(printf '%s' "$pareto" | count 'class="point"')
[ -n "$pareto" ] && [ "$got" = "$want" ] && printf '%s' "$pareto" | grep -q "data-points=\"$want\""
ok $? "pareto chart in the DOM with $want points (got $got)"
got=$(printf '%s' "$pareto" | count 'on the Pareto front')
[ "$got" = "$(expect pareto_front)" ] && printf '%s' "$pareto" | grep -q 'class="pareto-front" d="M'
ok $? "pareto front drawn through $(expect pareto_front) points (got $got)"

want=$(expect size_bars)
got=$(printf '%s' "$size" | count 'class="bar"')
[ -n "$size" ] && [ "$got" = "$want" ]
ok $? "size chart in the DOM with $want bars (got $got)"

want=$(expect speedup_bars)
got=$(printf '%s' "$speedup" | count 'class="bar"')
whiskers=$(printf '%s' "$speedup" | count 'class="whisker"')
[ -n "$speedup" ] && [ "$got" = "$want" ] && [ "$whiskers" = "$(expect speedup_whiskers)" ]
ok $? "speedup chart in the DOM with $want bars, $(expect speedup_whiskers) whiskers (got $got, $whiskers)"

# Escaped document strings stay text in the browser too: no script element appears.
scripts=$(count '<script' <"$tmp/measured.dom")
[ "$scripts" -eq 0 ] && grep -q 'broken&lt;script&gt;' "$tmp/measured.dom"
ok $? "the plugin label with markup is text in the DOM ($scripts script elements)"

size_bytes=$(wc -c <"$shot" 2>/dev/null || echo 0)
[ "$size_bytes" -gt 10240 ]
ok $? "screenshot written, $size_bytes bytes (> 10 KB)"
echo "# screenshot: $shot"

# Painted, not only parsed: the plugins' colours (dynamic, static-per-channel, histogram: each
# from a hash of its label, as test_report computes them) fill their bars, each at least 1500
# pixels at 1280 px wide.
for color in $(expect colors); do
	pixels=$("$helper" --count-color "$shot" "$color" 2>>"$tmp/helper.log")
	[ -n "$pixels" ] && [ "$pixels" -ge 1500 ]
	ok $? "screenshot has ${pixels:-no} pixels of #$color (>= 1500)"
done

# Layout, measured by the browser: a copy of the page with tests/support/report_probe.html
# appended (the real page runs no script) reports label overlaps in the Pareto chart and how far
# the table and the page overflow, at 1280 and 800 px wide. The crowded fixture puts seven
# front points in one corner.
for page in measured crowded; do
	sed -e 's|<meta http-equiv="Content-Security-Policy"[^>]*>||' \
		-e "/<\/body>/{
r $(dirname "$0")/support/report_probe.html
}" "$tmp/$page/report.html" >"$tmp/$page/probe.html"
	for width in 1280 800; do
		metrics=$(chrome "file://$tmp/$page/probe.html" --window-size=$width,2000 \
			--virtual-time-budget=3000 | sed -n 's|.*<pre id="metrics">\([^<]*\)</pre>.*|\1|p')
		get() { printf '%s' "$metrics" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
		[ -n "$metrics" ] && [ "$(get overlaps)" = 0 ] && [ "$(get labels)" -ge 2 ]
		ok $? "$page at $width px: Pareto labels overlap nothing ($metrics)"
		[ -n "$metrics" ] && [ "$(get table_overflow)" -le 0 ] && [ "$(get page_overflow)" -le 0 ]
		ok $? "$page at $width px: the table and the page fit the width"
	done
done
! grep -q 'suites/\.\./' "$tmp/measured.dom"
ok $? "no 'dir/..' in the paths shown"

chrome "file://$tmp/unmeasured/report.html" >"$tmp/unmeasured.dom"
status=$?
[ "$status" -eq 0 ] && grep -q '</html>' "$tmp/unmeasured.dom"
ok $? "chromium loads the --no-measure report (status $status)"
pareto=$(svg_of "$tmp/unmeasured.dom" pareto-chart)
speedup=$(svg_of "$tmp/unmeasured.dom" speedup-chart)
size=$(svg_of "$tmp/unmeasured.dom" size-chart)
printf '%s' "$pareto" | grep -q 'data-points="0"' && printf '%s' "$pareto" | grep -q 'not measured' &&
	printf '%s' "$speedup" | grep -q 'data-bars="0"' && printf '%s' "$speedup" | grep -q 'not measured'
ok $? "--no-measure: the latency charts say not measured"
got=$(printf '%s' "$size" | count 'class="bar"')
[ "$got" = "$(expect size_bars)" ]
ok $? "--no-measure: the size chart still has $(expect size_bars) bars (got $got)"

if [ "$failed" -ne 0 ]; then
	echo "# chromium's log:"
	tail -n 20 "$tmp/chromium.log" | sed 's/^/#   /'
	sed 's/^/# /' "$tmp/helper.log"
fi
echo "1..$n"
exit "$failed"
