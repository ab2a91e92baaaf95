#!/usr/bin/env bash
# xrdid installed like a library: `cmake --install` into a fresh prefix, then, written only
# against that prefix,
#   - examples/c/identify.c built with pkg-config (libxrdid.so) and with find_package(xrdid)
#     (examples/cmake: libxrdid.so and libxrdid.a),
#   - examples/python/identify.py with the installed `xrdid` module (when it was built),
# each identifying the same pattern with the same top 5 (ids and scores) as the installed
# `xrdid identify --json`; libxrdid.so exports only xrdid_* symbols and has its SONAME.
# Usage: test_install.sh BUILD_DIR SOURCE_DIR [PYTHON]
set -euo pipefail
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
python=${3:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
P="$work/prefix"
fails=0
ok() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

cmake --install "$build" --prefix "$P" > "$work/install.log" || { cat "$work/install.log"; exit 1; }
libdir=""
for d in lib lib64 lib/*-linux-gnu; do [[ -e "$P/$d/libxrdid.so" ]] && { libdir=$d; break; }; done
[[ -n "$libdir" ]] || { echo "FAIL: no libxrdid.so under $P"; find "$P" -maxdepth 3; exit 1; }
for f in bin/xrdid include/xrdid/xrdid.h "$libdir/libxrdid.a" "$libdir/pkgconfig/xrdid.pc" \
         "$libdir/cmake/xrdid/xrdidConfig.cmake" share/xrdid/phases.xrdlib; do
  [[ -e "$P/$f" ]] && ok "installed $f" || fail "not installed: $f"
done

# The shared library: its SONAME, and nothing but the C API exported.
soname=$(readelf -d "$P/$libdir/libxrdid.so" | sed -n 's/.*Library soname: \[\(.*\)\].*/\1/p')
[[ "$soname" == libxrdid.so.0 ]] && ok "SONAME $soname" || fail "SONAME '$soname', expected libxrdid.so.0"
others=$(nm -D --defined-only "$P/$libdir/libxrdid.so" | awk '{print $3}' | grep -v '^xrdid_' | grep -vE '^(_init|_fini|XRDID_[0-9]+)$' || true)
[[ -z "$others" ]] && ok "only xrdid_* symbols exported ($(nm -D --defined-only "$P/$libdir/libxrdid.so" | grep -c ' xrdid_'))" \
  || fail "libxrdid.so exports more than the C API: $(echo "$others" | head -5 | tr '\n' ' ')"

# A two-phase pattern with counting noise, from the installed program and CIFs.
cifs="$P/share/xrdid/phases"
"$P/bin/xrdid" simulate "$cifs/ZnO_zincite.cif" --wavelength CuKa1 --range 10,80 --profile pvoigt \
  --caglioti 0.01,-0.005,0.006 -o "$work/a.xy"
"$P/bin/xrdid" simulate "$cifs/NiO.cif" --wavelength CuKa1 --range 10,80 --profile pvoigt \
  --caglioti 0.01,-0.005,0.006 -o "$work/b.xy"
paste "$work/a.xy" "$work/b.xy" | awk '!/^#/ && NF >= 4 { srand(NR); y = 50 + $2 + 0.3 * $4;
  printf "%s %.3f\n", $1, y + sqrt(y) * (rand() - 0.5) * 2 }' > "$work/mix.xy"
"$P/bin/xrdid" identify "$work/mix.xy" --top 5 --json 2> /dev/null > "$work/cli.json"
"${python:-python3}" - "$work/cli.json" > "$work/cli.tsv" <<'EOF'
import json, sys
for c in json.load(open(sys.argv[1]))["queries"][0]["candidates"]:
    print(f"{c['rank']}\t{c['id']}\t{c['score']:.6f}")
EOF
[[ $(wc -l < "$work/cli.tsv") -eq 5 ]] && ok "xrdid identify: 5 rows, first $(head -1 "$work/cli.tsv" | cut -f2)" \
  || fail "xrdid identify gave $(wc -l < "$work/cli.tsv") rows"
same_as_cli() {  # NAME OUTPUT: rank, id and score (6 decimals) equal to the program's
  if cut -f1,2,5 "$2" | diff -u "$work/cli.tsv" - > "$work/diff.txt"; then ok "$1: same top 5 as xrdid identify"
  else fail "$1 differs from xrdid identify:"; cat "$work/diff.txt"; fi
}

# C, with pkg-config (the .pc file finds its prefix from its own place).
export PKG_CONFIG_PATH="$P/$libdir/pkgconfig"
cc -std=c11 -Wall -Werror -o "$work/identify_pc" "$src/examples/c/identify.c" $(pkg-config --cflags --libs xrdid) \
   -Wl,-rpath,"$P/$libdir"
"$work/identify_pc" "$work/mix.xy" > "$work/pc.tsv" && same_as_cli "C (pkg-config, libxrdid.so)" "$work/pc.tsv" \
  || fail "C (pkg-config) exited $?"

# C, with CMake's find_package(xrdid): the shared and the static library.
cmake -S "$src/examples/cmake" -B "$work/example" -DCMAKE_PREFIX_PATH="$P" -DCMAKE_BUILD_TYPE=Release \
  > "$work/example.log" 2>&1 && cmake --build "$work/example" >> "$work/example.log" 2>&1 \
  || { cat "$work/example.log"; fail "examples/cmake did not build against the installed tree"; }
for exe in identify identify_static; do
  if [[ -x "$work/example/$exe" ]]; then
    "$work/example/$exe" "$work/mix.xy" > "$work/$exe.tsv" && same_as_cli "C (find_package, $exe)" "$work/$exe.tsv" \
      || fail "$exe exited $?"
  fi
done
if [[ -x "$work/example/identify_static" ]]; then
  cp "$work/example/identify_static" "$work/stripped" && strip "$work/stripped"
  if readelf -d "$work/stripped" | grep -q 'libxrdid'; then fail "identify_static needs libxrdid.so"
  else ok "identify_static links libxrdid.a: $(( $(stat -c %s "$work/stripped") / 1024 )) KiB stripped"; fi
fi

# Bad input through the C API: one message, no crash.
"$work/identify_pc" "$work/missing.xy" 2> "$work/err.txt" && fail "a missing file succeeded" \
  || { grep -q 'missing.xy' "$work/err.txt" && ok "missing file: $(head -1 "$work/err.txt")" || fail "no message: $(cat "$work/err.txt")"; }

# Python, with the installed module only.
if [[ -n "$python" ]]; then
  site=$(cd "$P" && ls -d lib/python3*/site-packages 2>/dev/null | head -1)
  if [[ -z "$site" ]]; then fail "no Python module installed (lib/python3.X/site-packages)"
  else
    PYTHONPATH="$P/$site" "$python" "$src/examples/python/identify.py" "$work/mix.xy" > "$work/py.tsv" \
      && same_as_cli "Python (installed module)" "$work/py.tsv" || fail "Python example exited $?"
    # A tiny model, for the model and hybrid methods through the module.
    "$P/bin/xrdid" train "$cifs" --config tiny --epochs 1 --copies 2 --batch 8 --seed 3 --no-progress \
      -o "$work/tiny.safetensors" > "$work/train.log" 2>&1 || { cat "$work/train.log"; fail "tiny model training"; }
    PYTHONPATH="$P/$site" "$python" "$src/tests/python/test_module.py" "$P/bin/xrdid" "$work" "$work/tiny.safetensors" \
      && ok "tests/python/test_module.py" || fail "tests/python/test_module.py"
  fi
fi

echo "test_install: $fails failed"
[[ $fails -eq 0 ]]
