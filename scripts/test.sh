#!/usr/bin/env bash
# The test command (README.md, .ci/run): Release build + all tests (GPU tests skip with 77
# without a device), then the CPU tests again under AddressSanitizer + UBSan, then the GPU tests
# on the emulated CUDA device (every kernel compiled as C++, ctest label cuda-emu), then the fuzz
# targets (clang, libFuzzer): every kept regression input, and XRDID_FUZZ_SECONDS (20) of
# fuzzing per target; last, the aarch64 cross build (scripts/test_arm64.sh): the op tests under
# qemu-user and an identification ranked as on x86-64.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
gen=(); command -v ninja >/dev/null && gen=(-G Ninja)

cmake -S . -B build "${gen[@]}" -DCMAKE_BUILD_TYPE=Release -DXRDID_CUDA=AUTO -DXRDID_BUILD_TESTS=ON \
      -DXRDID_BUILD_BENCH=ON
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure --no-tests=error

cmake -S . -B build-asan "${gen[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DXRDID_SANITIZE=ON \
      -DXRDID_CUDA=OFF -DXRDID_BUILD_TESTS=ON -DXRDID_BUILD_BENCH=OFF
cmake --build build-asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure --no-tests=error -L cpu

# Only what the cuda-emu tests need (test_gpu and the libraries under it).
cmake -S . -B build-emu "${gen[@]}" -DCMAKE_BUILD_TYPE=Release -DXRDID_CUDA=EMU -DXRDID_BUILD_TESTS=ON \
      -DXRDID_BUILD_BENCH=OFF
cmake --build build-emu -j"$jobs" --target test_gpu
ctest --test-dir build-emu --output-on-failure --no-tests=error -L cuda-emu

scripts/fuzz.sh "${XRDID_FUZZ_SECONDS:-20}"

scripts/test_arm64.sh build
