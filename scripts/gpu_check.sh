#!/usr/bin/env bash
# The GPU check, in phases. The CUDA machine has nvcc, CMake and PyTorch but none of the Debian
# -dev packages (doctest, gemmi, Eigen, CLI11, Google Benchmark), so the binaries are built on a
# Debian machine and copied over:
#   scripts/gpu_check.sh build   # Debian machine: a portable (x86-64-v3, sm_90) CUDA build in
#                                # build-gpu/, binaries + the shared libraries they need in gpu-bin/
#   scripts/gpu_check.sh run     # CUDA machine, with gpu-bin/ beside the sources: GPU tests, the
#                                # end-to-end train/identify on the GPU beside the CPU, kernel and
#                                # step benchmarks, the PyTorch peer; results and one table in $OUT.
#                                # Its steps' time limits sum to BUDGET seconds (default 420).
#   scripts/gpu_check.sh data    # Debian machine: $XRDID_DATA's CIFs + real patterns as gpu-data/shared.tar.xz
#   scripts/gpu_check.sh full    # CUDA machine, with gpu-bin/ and gpu-data/: the seed protocol at
#                                # full scale (all CIFs, 5 copies, seed Net1D, up to 100 epochs within
#                                # MAX_TIME seconds), then top-1/5 on the real patterns
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
  [[ -d ${XRDID_DATA:-} ]] || { echo "set XRDID_DATA to the development data folder (cif/, measured/)"; exit 2; }
  tar -cJf gpu-data/shared.tar.xz -C "$XRDID_DATA" cif measured/rruff-opxrd
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
  W=${TMPDIR:-/tmp}/xrdid-full && mkdir -p "$W"
  {
    echo "== $(date -u) $(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null) full-scale run"
    mkdir -p gpu-data/x && tar -xJf gpu-data/shared.tar.xz -C gpu-data/x
    ours "$BIN/xrdid" library build gpu-data/x/cif -o gpu-data/shared.xrdlib --threads 16
    # Seed protocol (docs/method.md §9): 5 simulated copies per structure, seed Net1D, CosFace,
    # Adam; batch 256 with TF32; stop at 100 epochs, 10 epochs without improvement, or 7 minutes.
    time ours "$BIN/xrdid" train gpu-data/shared.xrdlib --config seed --copies 5 --epochs 100 --batch 256 \
      --device cuda --tf32 --patience 10 --max-time "${MAX_TIME:-420}" --threads 16 --no-progress \
      -o "$W/full.safetensors"
    ours "$BIN/xrdid" eval gpu-data/x/measured/rruff-opxrd --cifs gpu-data/x/cif/rruff-opxrd --library gpu-data/shared.xrdlib \
      --model "$W/full.safetensors" --method model hybrid --device cuda
  } 2>&1 | tee "$flog"
  exit 0
fi

log=$OUT/gpu_check.log
# $OUT keeps at most a few files (the log, benchmark JSON, peer tables, sanitizer log, summary);
# the end-to-end run's models and rankings stay in a scratch folder.
E2E=${TMPDIR:-/tmp}/xrdid-e2e
# Step limits (seconds): they sum to 580 at most; a whole run takes about 240 s on an H200.
# Each can be set from the environment; 0 skips that step (T_TRAIN=0: no end-to-end run).
T_TEST=${T_TEST:-60} T_TRAIN=${T_TRAIN:-60} T_ID=${T_ID:-20} T_BENCH=${T_BENCH:-120} T_PROF=${T_PROF:-40}
T_PEER=${T_PEER:-150} T_CONV=${T_CONV:-30} T_SAN=${T_SAN:-80}
{
  echo "== $(date -u) $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null)"
  ours ldd "$BIN/test_gpu" | grep "not found" && echo "!! missing shared libraries (above)"
  mkdir -p "$E2E/gpu" "$E2E/cpu"
  # The CPU twin of the end-to-end run trains in the background while the GPU tests run.
  (( T_TRAIN > 0 )) && ours timeout $T_TRAIN "$BIN/xrdid" train data/phases -o "$E2E/cpu/m.safetensors" --config compact --epochs 3 \
    --copies 4 --no-progress --device cpu --engine planned --threads 8 >"$E2E/cpu/train.log" 2>&1 &
  cpu_train=$!
  echo "== GPU tests"
  ours timeout $T_TEST "$BIN/test_gpu" --duration=true
  echo "test_gpu exit: $?"
  if (( T_TRAIN > 0 )); then
  echo "== end to end: train and identify with --device cuda (bundled phases, compact, 3 epochs)"
  ours timeout $T_TRAIN "$BIN/xrdid" train data/phases -o "$E2E/gpu/m.safetensors" --config compact --epochs 3 \
    --copies 4 --no-progress --device cuda --engine planned --threads 8
  echo "train --device cuda exit: $?"
  wait $cpu_train; echo "train --device cpu exit: $?"
  paste -d' ' "$E2E/gpu/learning_curve.csv" "$E2E/cpu/learning_curve.csv"
  ours "$BIN/xrdid" library build data/phases -o "$E2E/ph.xrdlib" >/dev/null &&
    ours "$BIN/xrdid" simulate data/phases/NaCl.cif -o "$E2E/nacl.xy" >/dev/null 2>&1
  for dev in cuda cpu; do
    ours timeout $T_ID "$BIN/xrdid" identify "$E2E/nacl.xy" --library "$E2E/ph.xrdlib" \
      --model "$E2E/gpu/m.safetensors" --method model --device $dev --json >"$E2E/id_$dev.json"
    echo "identify --device $dev exit: $?"
  done
  cmp -s "$E2E/id_cuda.json" "$E2E/id_cpu.json" && echo "identify: cuda and cpu rankings identical" ||
    diff <(grep -E '"(id|rank)"' "$E2E/id_cuda.json") <(grep -E '"(id|rank)"' "$E2E/id_cpu.json") | head -20
  fi
  if [[ -n ${QUICK:-} ]]; then T_BENCH=0 T_PEER=0 T_CONV=0; echo "== QUICK: no benchmarks or peers"; fi
  (( T_BENCH > 0 )) && echo "== benchmarks (ceilings, kernels, whole step)"
  (( T_BENCH > 0 )) && ours timeout $T_BENCH "$BIN/bench_cuda" --benchmark_format=console --benchmark_out="$OUT/bench_cuda.json" \
    --benchmark_out_format=json --benchmark_filter=-BM_Step_Profile
  echo "bench_cuda exit: $?"
  (( T_PROF > 0 )) && echo "== per-op profile of the step (eager, an event between every two ops)" &&
  ours timeout $T_PROF "$BIN/bench_cuda" --benchmark_filter=BM_Step_Profile >"$OUT/profile.txt" 2>&1
  echo "profile exit: $? ($OUT/profile.txt)"
  (( T_PEER > 0 )) && echo "== PyTorch peer (same model, same GPU)" &&
  timeout $T_PEER python3 bench/torch_peer_cuda.py | tee "$OUT/peer.txt"
  echo "peer exit: $?"
  (( T_CONV > 0 )) && echo "== cuDNN on our convolution shapes (PyTorch)" &&
  timeout $T_CONV python3 bench/torch_conv_peer.py | tee "$OUT/conv_peer.txt"
  if command -v compute-sanitizer >/dev/null && (( T_SAN > 0 )); then
    echo "== GPU tests under compute-sanitizer memcheck (out-of-bounds and misaligned accesses; the per-thread cuBLAS handle is kept for the process by design, so no leak check)"
    ours timeout $T_SAN compute-sanitizer --tool memcheck --leak-check no --error-exitcode 3 "$BIN/test_gpu" \
      >"$OUT/memcheck.log" 2>&1
    echo "memcheck exit: $? ($(grep -c 'Invalid\|ERROR SUMMARY: [1-9]' "$OUT/memcheck.log") error lines)"
    tail -3 "$OUT/memcheck.log"
  fi
} 2>&1 | tee "$log"
echo "== summary"
grep -E "test cases|assertions|exit:|identical" "$log" || true
[[ -s $OUT/bench_cuda.json ]] && python3 scripts/gpu_report.py "$OUT/bench_cuda.json" "$OUT/peer.txt" "$OUT/conv_peer.txt" | tee "$OUT/summary.txt"
