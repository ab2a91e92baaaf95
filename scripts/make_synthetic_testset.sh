#!/usr/bin/env bash
# A synthetic "measured" test set from library CIFs, in the layout `xrdid eval` scores
# (NAME.xy beside cifs/NAME.cif): every K-th CIF under CIF_DIR (sorted, deterministic), one
# physics-informed variant each (augment/physics.hpp: Debye-Waller, strain that splits peaks,
# preferred orientation, texture, lost and impurity peaks, Ka2, size broadening, shift,
# displacement, background, counting noise), over a partial range.
# Usage: scripts/make_synthetic_testset.sh CIF_DIR OUT_DIR [EVERY_K=10] [RANGE=5,90]
#   then: xrdid eval OUT_DIR --cifs OUT_DIR/cifs --library LIB --method profile peaks [model hybrid]
set -euo pipefail
src=$1
out=$2
every=${3:-10}
range=${4:-5,90}
X=${XRDID:-build/xrdid}
mkdir -p "$out/cifs"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
i=0
n=0
while IFS= read -r cif; do
  i=$((i + 1))
  (( (i - 1) % every == 0 )) || continue
  name=$(printf '%05d_%s' "$i" "$(basename "$cif" .cif)")
  if "$X" augment "$cif" -n 1 --seed "$i" --range "$range" -o "$tmp/v" >/dev/null 2>&1; then
    mv "$tmp/v/variant_000.xy" "$out/$name.xy"
    cp "$cif" "$out/cifs/$name.cif"
    n=$((n + 1))
  fi
  rm -rf "$tmp/v"
done < <(find "$src" -name '*.cif' | LC_ALL=C sort)
echo "make_synthetic_testset: $n patterns in $out"
