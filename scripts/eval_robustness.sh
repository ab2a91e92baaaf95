#!/usr/bin/env bash
# Robustness table: `xrdid eval` on measured RRUFF/opXRD patterns under the perturbations real
# samples bring (augment/perturb.hpp), one row per perturbation, top-1/top-5 per method.
# Usage: scripts/eval_robustness.sh LIBRARY [MODEL] [-- extra eval options]
#   env: XRDID (default build/xrdid); METHODS; PATTERNS and CIFS (default
#        $XRDID_DATA/measured/rruff-opxrd and $XRDID_DATA/cif/rruff-opxrd); RANKS=DIR also
#        writes each row's `eval --ranks` file as DIR/NN.csv (00 = unperturbed, in table order),
#        for scripts/cv.py's pooled choice of a setting over all rows; PEER=1 adds a column for
#        the plain cosine search of scripts/peer_cosine.py on the same perturbed patterns
#        (needs numpy; PYTHON, default /usr/bin/python3)
set -euo pipefail
[[ $# -ge 1 ]] || { echo "usage: scripts/eval_robustness.sh LIBRARY [MODEL] [-- extra eval options]" >&2; exit 2; }
lib=$1
shift
model=""
if [[ $# -gt 0 && $1 != -- ]]; then model=$1; shift; fi
[[ ${1:-} == -- ]] && shift
X=${XRDID:-build/xrdid}
if [[ -z ${PATTERNS:-} || -z ${CIFS:-} ]] && [[ -z ${XRDID_DATA:-} ]]; then
  echo "eval_robustness.sh: set XRDID_DATA to the development data folder (with cif/ and measured/)," \
       "or set PATTERNS and CIFS" >&2
  exit 2
fi
P=${PATTERNS:-$XRDID_DATA/measured/rruff-opxrd}
C=${CIFS:-$XRDID_DATA/cif/rruff-opxrd}
if [[ -n $model ]]; then M=${METHODS:-profile peaks model hybrid}; else M=${METHODS:-profile peaks}; fi
perturbs=(""
  "strain=0.0075"
  "strain=-0.0075"
  "displacement=0.2"
  "noise=5"
  "hump=0.5,fluorescence=0.3"
  "texture=2"
  "range=10:50"
  "impurity=0.2"
  "strain=0.0075,displacement=0.2,noise=5,hump=0.4,fluorescence=0.2,texture=2,range=10:50,impurity=0.2")
printf '%-100s' "perturbation"
for m in $M; do printf '%16s' "$m t1/t5"; done
[[ -n ${PEER:-} ]] && printf '%16s' "peer t1/t5"
echo
if [[ -n ${PEER:-} ]]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
fi
[[ -n ${RANKS:-} ]] && mkdir -p "$RANKS"
row=0
for p in "${perturbs[@]}"; do
  args=(eval "$P" --cifs "$C" --library "$lib" --method $M "$@")
  [[ -n $model ]] && args+=(--model "$model")
  [[ -n $p ]] && args+=(--perturb "$p")
  [[ -n ${RANKS:-} ]] && args+=(--ranks "$(printf '%s/%02d.csv' "$RANKS" "$row")")
  peer_dir=$P
  if [[ -n ${PEER:-} && -n $p ]]; then
    peer_dir=$tmp/$row
    args+=(--write-perturbed "$peer_dir")
  fi
  row=$((row + 1))
  out=$("$X" "${args[@]}" 2>/dev/null)
  printf '%-100s' "${p:-(none)}"
  for m in $M; do
    printf '%16s' "$(awk -v m="$m" '$1 == m { gsub("%", ""); printf "%.1f/%.1f", $2, $3 }' <<<"$out")"
  done
  if [[ -n ${PEER:-} ]]; then
    peer=$("${PYTHON:-/usr/bin/python3}" "$(dirname "$0")/peer_cosine.py" "$lib" "$peer_dir")
    printf '%16s' "$(awk '$1 == "peer_cosine" { gsub("%", ""); printf "%.1f/%.1f", $2, $3 }' <<<"$peer")"
  fi
  echo
done
