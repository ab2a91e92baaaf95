// GPU test entry point: exits 77 (ctest "skipped") when no CUDA device is present.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>

#include "kernels/device.hpp"

int main(int argc, char** argv) {
  if (xrdid::cuda::device_count() == 0) {
    std::puts("no CUDA device: GPU tests skipped");
    return 77;
  }
  xrdid::cuda::install_tensor_hooks();
  doctest::Context ctx(argc, argv);
  return ctx.run();
}
