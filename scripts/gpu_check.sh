#!/usr/bin/env bash
# The one GPU check. Two phases, because the device machine has nvcc and PyTorch but none of the
# Debian -dev packages (doctest, gemmi, Eigen, CLI11):
#   scripts/gpu_check.sh build   # here: a portable (x86-64-v3) CUDA build in build-gpu/
#   scripts/gpu_check.sh run     # on the device (carry build-gpu): GPU tests, kernel benchmarks,
#                                # the PyTorch peer, one table last; results under $OUT (or out/)
# Device tool: run(command="scripts/gpu_check.sh run", carry=["build-gpu"], timeout_s=540)
set -uo pipefail
cd "$(dirname "$0")/.."
phase=${1:-run}
OUT=${OUT:-out}
mkdir -p "$OUT"

if [[ $phase == build ]]; then
  cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DXRDID_CUDA=ON -DXRDID_MARCH=x86-64-v3 \
        -DCMAKE_CUDA_ARCHITECTURES=90 -DXRDID_BUILD_BENCH=ON
  cmake --build build-gpu -j"$(nproc)" --target test_gpu xrdid $(grep -q bench_cuda build-gpu/build.ninja 2>/dev/null && echo bench_cuda)
  ls -la build-gpu/tests/test_gpu build-gpu/xrdid
  exit $?
fi

log=$OUT/gpu_check.log
{
  echo "== $(date -u) $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null)"
  echo "== GPU tests"
  timeout 240 build-gpu/tests/test_gpu
  echo "test_gpu exit: $?"
  if [[ -x build-gpu/bench/bench_cuda ]]; then
    echo "== kernel benchmarks"
    timeout 180 build-gpu/bench/bench_cuda --benchmark_format=console --benchmark_out="$OUT/bench_cuda.json" \
      --benchmark_out_format=json
  fi
  if [[ -f bench/torch_peer_cuda.py ]]; then
    echo "== PyTorch peer (same model, same GPU)"
    timeout 150 python3 bench/torch_peer_cuda.py | tee "$OUT/peer.txt"
  fi
} 2>&1 | tee "$log"
echo "== summary"
grep -E "test cases|exit:|ms_per_step|samples_per_s" "$log" || true
