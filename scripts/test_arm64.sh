#!/usr/bin/env bash
# The aarch64 stage of scripts/test.sh: cross-compiles the op tests (test_nn) and the xrdid
# program for 64-bit ARM Linux (cmake/toolchains/aarch64-linux-gnu.cmake, Debian's
# g++-aarch64-linux-gnu and the arm64 pugixml/spglib), runs test_nn under qemu-user, and checks
# that `xrdid identify --json` of a simulated anatase pattern against the bundled library (built
# by the aarch64 program, under qemu) ranks the same top 5 entries in the same order as the
# x86-64 build, with scores equal to 1e-4.
# Usage: scripts/test_arm64.sh [X86_BUILD_DIR (default build, with xrdid and its bundled library)]
set -euo pipefail
cd "$(dirname "$0")/.."
x86=${1:-build}
jobs=$(nproc)
gen=(); command -v ninja >/dev/null && gen=(-G Ninja)
# How the toolchain file runs aarch64 programs (CMAKE_CROSSCOMPILING_EMULATOR).
qemu=(qemu-aarch64)
[[ -e /lib/ld-linux-aarch64.so.1 ]] || qemu+=(-L /usr/aarch64-linux-gnu)
[[ -x $x86/xrdid && -f $x86/share/xrdid/phases.xrdlib ]] || { echo "test_arm64: build $x86/xrdid first" >&2; exit 1; }

cmake -S . -B build-arm64 "${gen[@]}" -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake \
      -DCMAKE_BUILD_TYPE=Release -DXRDID_CUDA=OFF -DXRDID_MARCH= -DXRDID_BUILD_TESTS=ON \
      -DXRDID_BUILD_BENCH=OFF -DXRDID_REPORT_UPLOT=OFF
# test_nn, the program, and its bundled library (built by the aarch64 program under qemu).
cmake --build build-arm64 -j"$jobs" --target test_nn xrdid_bundled_library
ctest --test-dir build-arm64 --output-on-failure --no-tests=error -R '^nn$'

out=build-arm64/identify-check
mkdir -p "$out"
"$x86/xrdid" simulate data/phases/TiO2_anatase.cif --wavelength CuKa1 --range 10,80 --profile pvoigt \
             --size 40 --zero-shift 0.03 -o "$out/anatase.xy"
"$x86/xrdid" identify "$out/anatase.xy" --json > "$out/x86_64.json"
"${qemu[@]}" build-arm64/xrdid identify "$out/anatase.xy" --json > "$out/aarch64.json"
python3 - "$out/x86_64.json" "$out/aarch64.json" <<'PY'
import json, sys
top = [json.load(open(f))["queries"][0]["candidates"][:5] for f in sys.argv[1:3]]
ok = len(top[0]) == len(top[1]) == 5
for a, b in zip(*top):
    same = a["id"] == b["id"] and abs(a["score"] - b["score"]) <= 1e-4
    ok = ok and same
    print(f"{a['rank']}  x86_64 {a['id']:<22} {a['score']:.6f}   aarch64 {b['id']:<22} {b['score']:.6f}"
          f"{'' if same else '   <- differs'}")
print("test_arm64: identify ranks the same on aarch64 and x86_64" if ok else
      "test_arm64: FAILED: the aarch64 ranking differs from the x86_64 one")
sys.exit(0 if ok else 1)
PY
