#!/usr/bin/env bash
# The one GPU check. Two phases, because the device machine has nvcc, CMake and PyTorch but none
# of the Debian -dev packages (doctest, gemmi, Eigen, CLI11, Google Benchmark):
#   scripts/gpu_check.sh build   # here: a portable (x86-64-v3, sm_90) CUDA build in build-gpu/,
#                                # binaries + the shared libraries they need staged in gpu-bin/
#   scripts/gpu_check.sh run     # on the device (carry gpu-bin): GPU tests, kernel and step
#                                # benchmarks, the PyTorch peer, one table last; results in $OUT
# Device tool: run(command="scripts/gpu_check.sh run", carry=["gpu-bin"], timeout_s=540)
#   scripts/gpu_check.sh data    # here: the shared CIFs + real patterns as gpu-data/shared.tar.xz
#   scripts/gpu_check.sh full    # on the device (carry gpu-bin, gpu-data): the seed protocol at full
#                                # scale (all shared CIFs, 5 copies, seed Net1D, up to 100 epochs
#                                # within a time budget), then top-1/5 on the real patterns
# run(command="scripts/gpu_check.sh full", carry=["gpu-bin", "gpu-data"], timeout_s=590)
set -uo pipefail
cd "$(dirname "$0")/.."
phase=${1:-run}
OUT=${OUT:-out}
mkdir -p "$OUT"

if [[ $phase == build ]]; then
  set -e
  cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DXRDID_CUDA=ON -DXRDID_MARCH=x86-64-v3 \
        -DCMAKE_CUDA_ARCHITECTURES=90 -DXRDID_BUILD_BENCH=ON
  cmake --build build-gpu -j"$(nproc)" --target test_gpu bench_cuda xrdid
  rm -rf gpu-bin && mkdir -p gpu-bin/lib
  cp build-gpu/tests/test_gpu build-gpu/bench/bench_cuda build-gpu/xrdid gpu-bin/
  # Shared libraries the device image may lack: everything outside glibc and CUDA itself.
  for b in gpu-bin/test_gpu gpu-bin/bench_cuda gpu-bin/xrdid; do
    ldd "$b" | awk '$3 ~ /^\// {print $3}'
  done | sort -u | grep -Ev '/(libc|libm|libdl|libpthread|librt|libstdc\+\+|libgcc_s|ld-linux[^/]*)\.so|/libcu(blas|blasLt|dart)' |
    while read -r lib; do cp -L "$lib" gpu-bin/lib/; done
  ls -la gpu-bin gpu-bin/lib
  du -sh gpu-bin
  exit 0
fi

if [[ $phase == data ]]; then
  set -e
  mkdir -p gpu-data
  tar -cJf gpu-data/shared.tar.xz -C ../shared/data cif measured/rruff-opxrd
  ls -la gpu-data
  exit 0
fi

BIN=gpu-bin
[[ -x $BIN/test_gpu ]] || { echo "gpu-bin/ is missing: run 'scripts/gpu_check.sh build' here and carry gpu-bin"; exit 2; }
# Our binaries get the staged libraries (and cuBLAS 13, from the CUDA install or PyTorch's wheels,
# wherever the image keeps it) through `ours`; python3 keeps the image's own environment.
LIBS=$PWD/gpu-bin/lib
if ! ldconfig -p 2>/dev/null | grep -q libcublas.so.13; then
  for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib \
           $(python3 -c 'import nvidia, os; print(" ".join(os.path.join(p, "cu13", "lib") for p in nvidia.__path__))' 2>/dev/null) \
           $(python3 -c 'import nvidia.cublas, os; print(os.path.join(os.path.dirname(nvidia.cublas.__file__), "lib"))' 2>/dev/null); do
    [[ -e $d/libcublas.so.13 ]] && LIBS=$LIBS:$d && break
  done
fi
ours() { LD_LIBRARY_PATH=$LIBS${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} "$@"; }

if [[ $phase == full ]]; then
  flog=$OUT/full_scale.log
  {
    echo "== $(date -u) $(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null) full-scale run"
    mkdir -p gpu-data/x && tar -xJf gpu-data/shared.tar.xz -C gpu-data/x
    ours "$BIN/xrdid" library build gpu-data/x/cif -o gpu-data/shared.xrdlib --threads 16
    # Seed protocol (method-spec §9): 5 simulated copies per structure, seed Net1D, CosFace,
    # Adam; batch 256 with TF32; stop at 100 epochs, 10 epochs without improvement, or 7 minutes.
    time ours "$BIN/xrdid" train gpu-data/shared.xrdlib --config seed --copies 5 --epochs 100 --batch 256 \
      --device cuda --tf32 --patience 10 --max-time "${MAX_TIME:-420}" --threads 16 --no-progress \
      -o "$OUT/full.safetensors"
    ours "$BIN/xrdid" eval gpu-data/x/measured/rruff-opxrd --cifs gpu-data/x/cif/rruff-opxrd --library gpu-data/shared.xrdlib \
      --model "$OUT/full.safetensors" --method model hybrid --device cuda
  } 2>&1 | tee "$flog"
  exit 0
fi

log=$OUT/gpu_check.log
{
  echo "== $(date -u) $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null)"
  ours ldd "$BIN/test_gpu" | grep "not found" && echo "!! missing shared libraries (above)"
  echo "== GPU tests"
  ours timeout 180 "$BIN/test_gpu"
  echo "test_gpu exit: $?"
  echo "== end to end: train and identify with --device cuda (bundled phases, compact, 3 epochs)"
  mkdir -p "$OUT/e2e/gpu" "$OUT/e2e/cpu"
  for dev in cuda cpu; do
    d=$([[ $dev == cuda ]] && echo gpu || echo cpu)
    ours timeout 120 "$BIN/xrdid" train data/phases -o "$OUT/e2e/$d/m.safetensors" --config compact --epochs 3 \
      --copies 4 --no-progress --device $dev --engine planned --threads 8
    echo "train --device $dev exit: $?"
  done
  paste -d' ' "$OUT/e2e/gpu/learning_curve.csv" "$OUT/e2e/cpu/learning_curve.csv"
  ours "$BIN/xrdid" library build data/phases -o "$OUT/e2e/ph.xrdlib" >/dev/null &&
    ours "$BIN/xrdid" simulate data/phases/NaCl.cif -o "$OUT/e2e/nacl.xy" >/dev/null 2>&1
  ours timeout 60 "$BIN/xrdid" identify "$OUT/e2e/nacl.xy" --library "$OUT/e2e/ph.xrdlib" \
    --model "$OUT/e2e/gpu/m.safetensors" --method model --device cuda
  echo "identify --device cuda exit: $?"
  echo "== benchmarks (ceilings, kernels, whole step)"
  ours timeout 180 "$BIN/bench_cuda" --benchmark_format=console --benchmark_out="$OUT/bench_cuda.json" \
    --benchmark_out_format=json
  echo "bench_cuda exit: $?"
  echo "== PyTorch peer (same model, same GPU)"
  timeout 120 python3 bench/torch_peer_cuda.py | tee "$OUT/peer.txt"
  echo "peer exit: $?"
  echo "== cuDNN on our convolution shapes (PyTorch)"
  timeout 45 python3 bench/torch_conv_peer.py | tee "$OUT/conv_peer.txt"
} 2>&1 | tee "$log"
echo "== summary"
grep -E "test cases|assertions|exit:" "$log" || true
python3 scripts/gpu_report.py "$OUT/bench_cuda.json" "$OUT/peer.txt" "$OUT/conv_peer.txt" | tee "$OUT/summary.txt"
