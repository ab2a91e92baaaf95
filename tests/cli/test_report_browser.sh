#!/usr/bin/env bash
# The identification report in a real browser: headless Chromium renders `xrdid identify --report`
# to a PNG, and the picture must have the window's size, ink, and the curves' colours (measured
# blue, reference red). A blank page must fail the same check (negative control), so the check
# can fail. In a build with the interactive plots, a copy of the report with report_errors.js and
# report_probe.js added is driven in the browser: the whole-pattern fit picture draws, switching
# a candidate off changes it, dragging zooms and "reset zoom" undoes it, hovering over a tick
# shows its hkl, no script error; a phase and a file named with markup show as text.
# Exit 77 (skipped) when chromium or Debian's python3 is missing.
# Usage: test_report_browser.sh PATH/TO/xrdid REPO_ROOT
set -u
X=$1
ROOT=$2
CHROMIUM=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
PY=/usr/bin/python3
if [[ -z $CHROMIUM || ! -x $PY ]]; then
  echo "skipped: needs chromium and /usr/bin/python3 (scripts/install_deps.sh installs both)"
  exit 77
fi
T=$(mktemp -d)
trap '[[ -n ${KEEP:-} ]] && echo "kept $T" || rm -rf "$T"' EXIT  # KEEP=1 keeps the files
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

shot() {  # shot HTML PNG
  timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --user-data-dir="$T/profile" --window-size=1200,1600 --screenshot="$2" "file://$1" \
    >"$T/chromium.log" 2>&1
}
field() { sed -n "s/.*\\b$1=\\([0-9.]*\\).*/\\1/p" "$2"; }

# A report for two queries (one pure phase, one shifted and broadened Kα1+Kα2 pattern). The Si
# entry's CIF and the Si query's file carry markup in their names, which must show as text.
WEIRD='<!--<script>window.__pwned=1<b>x'
mkdir "$T/phases"
cp "$ROOT"/data/phases/*.cif "$T/phases/"
mv "$T/phases/Si.cif" "$T/phases/Si$WEIRD.cif"
SI_XY="$T/si$WEIRD.xy"
"$X" library build "$T/phases" -o "$T/lib.xrdlib" >/dev/null 2>"$T/err" || { cat "$T/err"; exit 1; }
"$X" simulate "$ROOT/data/phases/Al2O3_corundum.cif" -o "$T/corundum.xy" >/dev/null 2>&1
"$X" simulate "$ROOT/data/phases/Si.cif" --zero-shift 0.12 --profile pvoigt --size 40 --wavelength CuKa12 \
  -o "$SI_XY" >/dev/null 2>&1
if "$X" identify "$T/corundum.xy" "$SI_XY" --library "$T/lib.xrdlib" --method profile \
     --top 3 --report "$T/report.html" >"$T/id.txt" 2>"$T/err"; then ok; else bad "identify --report"; cat "$T/err"; fi

if shot "$T/report.html" "$T/report.png" && [[ -s $T/report.png ]]; then ok; else
  bad "chromium screenshot of the report"; tail -5 "$T/chromium.log"; fi
if "$PY" "$ROOT/tests/cli/png_stats.py" "$T/report.png" >"$T/stats" 2>&1; then ok; else bad "PNG decodes"; cat "$T/stats"; fi
cat "$T/stats"
w=$(field width "$T/stats"); h=$(field height "$T/stats")
ink=$(field ink "$T/stats"); red=$(field red "$T/stats"); blue=$(field blue "$T/stats")
[[ $w == 1200 && $h == 1600 ]] && ok || bad "screenshot size ${w}x${h}, expected 1200x1600"
awk -v v="${ink:-0}" 'BEGIN { exit !(v > 0.01 && v < 0.6) }' && ok || bad "report ink fraction $ink not in (0.01, 0.6)"
(( ${red:-0} > 300 )) && ok || bad "too few red (reference curve) pixels: $red"
(( ${blue:-0} > 300 )) && ok || bad "too few blue (measured curve) pixels: $blue"

# Negative control: an empty page must fail the ink check.
printf '<!DOCTYPE html><html><body></body></html>\n' >"$T/blank.html"
shot "$T/blank.html" "$T/blank.png"
"$PY" "$ROOT/tests/cli/png_stats.py" "$T/blank.png" >"$T/bstats" 2>&1
bink=$(field ink "$T/bstats")
awk -v v="${bink:-1}" 'BEGIN { exit !(v < 0.01) }' && ok || bad "blank page should have no ink, got $bink"

# The browser's DOM of the report holds the inline SVG plots with their curves.
timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --user-data-dir="$T/profile" \
  --dump-dom "file://$T/report.html" >"$T/dom.html" 2>/dev/null
n_svg=$(grep -o '<svg' "$T/dom.html" | wc -l)
(( n_svg >= 6 )) && ok || bad "DOM has $n_svg <svg> elements, expected >= 6 (2 queries x top 3)"

# The whole-pattern fit pictures, driven in the browser (only in a build that inlined uPlot).
if grep -q 'class="rv-data"' "$T/report.html"; then
  "$PY" - "$T/report.html" "$ROOT/tests/cli/report_errors.js" "$ROOT/tests/cli/report_probe.js" "$T/probe.html" <<'PYEOF'
import sys
html, errors, probe = (open(f, encoding="utf-8").read() for f in sys.argv[1:4])
html = html.replace("<head>", "<head><script>" + errors + "</script>", 1)
i = html.rindex("</body>")
open(sys.argv[4], "w", encoding="utf-8").write(html[:i] + "<script>" + probe + "</script>" + html[i:])
PYEOF
  timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --user-data-dir="$T/profile" \
    --window-size=1200,1600 --virtual-time-budget=20000 --enable-logging=stderr --v=0 \
    --dump-dom "file://$T/probe.html" >"$T/probe_dom.html" 2>"$T/probe.log"
  "$PY" - "$T/probe_dom.html" "$WEIRD" >"$T/probe_checks" 2>&1 <<'PYEOF'
import html, json, re, sys
dom = open(sys.argv[1], encoding="utf-8").read()
weird = sys.argv[2]
m = re.findall(r'<pre id="probe">([^<]*)</pre>', dom)  # the last: the probe's script names it too
if not m:
    print("FAIL: the probe wrote no result"); sys.exit(0)
p = json.loads(html.unescape(m[-1]))
print("probe:", json.dumps({k: v for k, v in p.items() if k != "steps"}))
def check(cond, what): print(("ok: " if cond else "FAIL: ") + what)
check(p.get("plots", 0) >= 2, "one interactive picture per query (%s)" % p.get("plots"))
b, off, on = p.get("before", {}), p.get("off", {}), p.get("on_again", {})
check(b.get("ink", 0) > 0.01 * b.get("pixels", 1), "the picture's canvas has ink (%s px)" % b.get("ink"))
check(b.get("colour", 0) > 200, "the first candidate's curves are drawn in its colour (%s px)" % b.get("colour"))
check(off.get("sum") != b.get("sum") and off.get("colour", 0) < b.get("colour", 0) / 4,
      "switching the first candidate off removes its curves (%s -> %s px)" % (b.get("colour"), off.get("colour")))
check(p.get("calc_shown_when_off") is False, "its calculated series is hidden while off")
check(on.get("sum") == b.get("sum"), "switching it on again draws the same picture")
full, zoom, reset = p.get("x_full", [0, 0]), p.get("x_zoomed", [0, 0]), p.get("x_reset", [0, 0])
check(abs((zoom[1] - zoom[0]) - 1.2) < 0.1 and zoom[0] > full[0], "dragging across a peak zooms to it (%s)" % zoom)
check(abs(reset[0] - full[0]) < 1e-6 and abs(reset[1] - full[1]) < 1e-6, "reset zoom shows the whole range again")
s = p.get("strongest", [0, 0, 0, 0])
tip = p.get("tip", "")
check(re.search(r"hkl \(%d %d %d\)" % (s[1], s[2], s[3]), tip) is not None,
      "hovering over the strongest tick shows its hkl (%r)" % tip)
check(p.get("tip_away", "x") == "", "away from the ticks no hkl is shown")
check(not p.get("errors") and "exception" not in p, "no script errors (%s %s)" % (p.get("errors"), p.get("exception", "")))
check(not p.get("pwned"), "markup in names is not run")
cap = re.findall(r"<figcaption>.*?</figcaption>", dom, re.S)
check(len(cap) >= 2 and all(re.search(r"Rwp \d+\.\d+ %", c) for c in cap), "every caption has Rwp values")
check(re.search(r"refined cell a = 5\.4\d+\(\d+\) Å<", dom) is not None, "the caption has Si's refined cell a (only)")
check(re.search(r"refined cell a = 4\.7\d+\(\d+\) Å, c = 1[23]\.\d+\(\d+\) Å<", dom) is not None,
      "the caption has corundum's refined cell a and c")
esc = html.escape(weird, quote=False)
check(dom.count(esc) >= 3, "the names with markup show as text (%d times)" % dom.count(esc))
check("<b>x" not in dom and "__pwned=1<" not in dom, "no element made from a name")
PYEOF
  cat "$T/probe_checks"
  n_ok=$(grep -c '^ok: ' "$T/probe_checks"); n_bad=$(grep -c '^FAIL: ' "$T/probe_checks")
  pass=$((pass + n_ok)); fail=$((fail + n_bad))
  (( n_ok >= 15 )) && ok || bad "only $n_ok probe checks passed"
  if grep -q 'Uncaught' "$T/probe.log"; then bad "script errors in the browser log"; grep 'Uncaught' "$T/probe.log" | head -5; else ok; fi
else
  grep -q 'built without the interactive plots' "$T/report.html" && ok || bad "a static report says why it has no interactive plots"
  echo "interactive plots not built in: the picture checks are left out"
fi

# A mixture (--mixture): the weight fractions as one bar, the phase table and the joint fit's
# SVG (observed, calculated, one curve per phase, difference), as the browser's DOM holds them.
"$X" simulate "$ROOT/data/phases/Si.cif" --range 10,80 --wavelength CuKa12 -o "$T/si_m.xy" >/dev/null 2>&1
"$X" simulate "$ROOT/data/phases/TiO2_rutile.cif" --range 10,80 --wavelength CuKa12 -o "$T/ru_m.xy" >/dev/null 2>&1
paste "$T/si_m.xy" "$T/ru_m.xy" | awk '{ printf "%s %.3f\n", $1, 50 + 60 * $2 + 30 * $4 }' >"$T/mix.xy"
if "$X" identify "$T/mix.xy" --library "$T/lib.xrdlib" --mixture --report "$T/mix.html" >/dev/null 2>"$T/err"; then ok
else bad "identify --mixture --report"; cat "$T/err"; fi
timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --user-data-dir="$T/profile" \
  --dump-dom "file://$T/mix.html" >"$T/mix_dom.html" 2>/dev/null
"$PY" - "$T/mix_dom.html" >"$T/mix_checks" 2>&1 <<'PYEOF'
import re, sys
dom = open(sys.argv[1], encoding="utf-8").read()
def check(cond, what): print(("ok: " if cond else "FAIL: ") + what)
parts = re.findall(r'<div class="mix-part" title="([^"]*) ([0-9.]+) wt%" style="width:([0-9.]+)%', dom)
check(len(parts) == 2, "the mixture bar has one part per phase (%d)" % len(parts))
check(abs(sum(float(p[2]) for p in parts) - 100) < 0.3, "the bar's parts add up to 100 %")
check({p[0] for p in parts} == {"Si", "TiO2"}, "the bar names Si and TiO2 (%s)" % [p[0] for p in parts])
fig = re.search(r'<figure class="mix-fit">(.*?)</figure>', dom, re.S)
check(fig is not None and fig.group(1).count("<polyline") >= 5,
      "the joint fit draws observed, calculated, each phase and the difference")
check(re.search(r'<table class="mix-table">.*Si.*TiO2|<table class="mix-table">.*TiO2.*Si', dom, re.S) is not None,
      "the phase table lists both phases")
PYEOF
cat "$T/mix_checks"
pass=$((pass + $(grep -c '^ok: ' "$T/mix_checks"))); fail=$((fail + $(grep -c '^FAIL: ' "$T/mix_checks")))

echo "report browser tests: $pass passed, $fail failed"
(( fail == 0 ))
