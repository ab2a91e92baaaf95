#!/usr/bin/env bash
# Installs the Debian packages xrdid needs to build and test. Run as root (or with sudo).
# Usage: scripts/install_deps.sh [--oracles]   (--oracles adds python3-torch/pymatgen/scipy,
# which only the fixture generators and side-by-side benchmarks use)
set -euo pipefail
pkgs=(build-essential cmake ninja-build pkg-config curl
      gemmi-dev tao-pegtl-dev libeigen3-dev doctest-dev libbenchmark-dev
      libcli11-dev nlohmann-json3-dev libpugixml-dev libfmt-dev libsymspg-dev
      chromium python3    # the report's browser test: headless Chromium + a stdlib PNG check
      python3-dev pybind11-dev python3-numpy   # the `xrdid` Python module (python/) and its tests
      clang libclang-rt-14-dev libomp-dev    # the fuzz targets: clang, libFuzzer, clang's OpenMP
      g++-aarch64-linux-gnu qemu-user libpugixml-dev:arm64 libsymspg-dev:arm64)  # scripts/test_arm64.sh
# The report's interactive plots: uPlot, installed by npm ci at configure time. A Node.js that
# brings its own npm (e.g. NodeSource's) conflicts with Debian's npm package: take what is there.
command -v npm >/dev/null || pkgs+=(nodejs npm)
if [[ "${1:-}" == "--oracles" ]]; then
  pkgs+=(python3-torch python3-pymatgen python3-scipy)
fi
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
# The arm64 libraries of the aarch64 cross build come from Debian multiarch.
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  $SUDO dpkg --add-architecture arm64
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if (( ${#missing[@]} )); then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
echo "install_deps: all ${#pkgs[@]} packages present"
