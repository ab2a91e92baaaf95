#!/usr/bin/env bash
# The identification report in a real browser: headless Chromium renders `xrdid identify --report`
# to a PNG, and the picture must have the window's size, ink, and the curves' colours (measured
# blue, reference red). A blank page must fail the same check (negative control), so the check
# can fail. Exit 77 (skipped) when chromium or Debian's python3 is missing.
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
trap 'rm -rf "$T"' EXIT
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

# A report for two queries (one pure phase, one shifted and broadened Kα1+Kα2 pattern).
"$X" library build "$ROOT/data/phases" -o "$T/lib.xrdlib" >/dev/null 2>"$T/err" || { cat "$T/err"; exit 1; }
"$X" simulate "$ROOT/data/phases/Al2O3_corundum.cif" -o "$T/corundum.xy" >/dev/null 2>&1
"$X" simulate "$ROOT/data/phases/Si.cif" --zero-shift 0.12 --profile pvoigt --size 40 --wavelength CuKa12 \
  -o "$T/si_measured.xy" >/dev/null 2>&1
if "$X" identify "$T/corundum.xy" "$T/si_measured.xy" --library "$T/lib.xrdlib" --method profile \
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

echo "report browser tests: $pass passed, $fail failed"
(( fail == 0 ))
