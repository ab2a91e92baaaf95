#!/usr/bin/env bash
# xrdid vs PyTorch 1.13 (CPU) on the seed Net1D, measured alternately in the same run:
# infer batch 1, infer batch 16, train batch 16 (8172 classes). Prints a table with peer/ours
# (> 1: xrdid is faster). Each cell is the median over ROUNDS of each program's median step time.
#
#   bench/compare_cpu.sh [THREADS=2] [ROUNDS=2]
#   XRDID_BIN=build/xrdid STEPS=5 WARMUP=2 bench/compare_cpu.sh 2 2
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
threads="${1:-2}"
rounds="${2:-2}"
bin="${XRDID_BIN:-$root/build/xrdid}"
peer_py="${TORCH_PYTHON:-/usr/bin/python3}"
steps="${STEPS:-5}"
warmup="${WARMUP:-2}"
classes="${CLASSES:-8172}"
[[ -x "$bin" ]] || { echo "compare_cpu.sh: no xrdid binary at $bin (set XRDID_BIN)" >&2; exit 2; }

last_ms() { grep -o 'ms_per_step=[0-9.eE+-]*' | tail -1 | cut -d= -f2; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

echo "# $(date -u +%FT%TZ)  threads=$threads rounds=$rounds steps=$steps warmup=$warmup classes=$classes"
echo "# cpu: $(lscpu | sed -n 's/^Model name: *//p')  ours: $bin  peer: $peer_py bench/torch_peer.py"
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-16s %12s %12s %10s\n' case ours_ms peer_ms peer/ours
for case in "infer 1" "infer 16" "train 16"; do
  set -- $case
  mode=$1 batch=$2
  ours=() peer=()
  for ((r = 0; r < rounds; r++)); do
    o=$(OMP_NUM_THREADS=$threads "$bin" model --config seed --bench "$mode" --batch "$batch" --classes "$classes" \
          --threads "$threads" --steps "$steps" --warmup "$warmup" 2>/dev/null | last_ms || true)
    p=$(OMP_NUM_THREADS=$threads "$peer_py" "$root/bench/torch_peer.py" --bench "$mode" --batch "$batch" \
          --classes "$classes" --threads "$threads" --steps "$steps" --warmup "$warmup" 2>/dev/null | last_ms || true)
    [[ -n "$o" ]] && ours+=("$o") || echo "compare_cpu.sh: xrdid failed on '$case' (round $r)" >&2
    [[ -n "$p" ]] && peer+=("$p") || echo "compare_cpu.sh: peer failed on '$case' (round $r)" >&2
  done
  om=n/a pm=n/a ratio=n/a
  ((${#ours[@]})) && om=$(median "${ours[@]}")
  ((${#peer[@]})) && pm=$(median "${peer[@]}")
  [[ $om != n/a && $pm != n/a ]] && ratio=$(awk -v a="$pm" -v b="$om" 'BEGIN{printf "%.2f", a/b}')
  [[ $om != n/a ]] && om=$(printf '%.1f' "$om")
  [[ $pm != n/a ]] && pm=$(printf '%.1f' "$pm")
  printf '%-16s %12s %12s %10s\n' "$mode b$batch" "$om" "$pm" "$ratio"
  [[ $om != n/a && $pm != n/a ]] || status=1
done
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
exit "${status:-0}"
