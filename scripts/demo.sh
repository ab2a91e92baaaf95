#!/usr/bin/env bash
# The main job on the built-in default: build, show the Net1D model, simulate the bundled
# phases' patterns and identify one of them.
set -euo pipefail
cd "$(dirname "$0")/.."
gen=(); command -v ninja >/dev/null && gen=(-G Ninja)
cmake -S . -B build "${gen[@]}" -DCMAKE_BUILD_TYPE=Release -DXRDID_BUILD_TESTS=OFF -DXRDID_BUILD_BENCH=OFF >/dev/null
cmake --build build -j"$(nproc)"
if build/xrdid --help | grep -q '^ *demo'; then
  exec build/xrdid demo "$@"
fi
out=${XRDID_DEMO_OUT:-demo-out}
mkdir -p "$out"
build/xrdid model --config seed
for cif in data/phases/*.cif; do
  [ -e "$cif" ] || continue
  name=$(basename "$cif" .cif)
  build/xrdid simulate "$cif" -o "$out/$name.xy"
done
echo "demo: simulated patterns in $out/"
