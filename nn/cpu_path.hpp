// Which kernels the CPU ops use, chosen once per process at run time: avx512 (AVX-512F/VL/BW/DQ
// + FMA), avx2 (AVX2 + FMA) or portable (compiled for the build's -march). The SGEMM
// (nn/ops/sgemm.hpp: 8 x 48 AVX-512 tile, 6 x 16 AVX2 tile, Eigen for portable), the direct
// grouped convolution (nn/ops/conv1d.cpp), batch norm with the fused batch norm + swish +
// dropout, the row L2 normalisation, the few-row head product, Adam and the profile search's
// dot product (identify) follow it (nn/ops/cpu_target.hpp: one source compiled per path). On x86-64
// the best one the CPU supports; elsewhere portable. The environment variable
// XRDID_CPU=avx512|avx2|portable forces one (an error when the CPU lacks it).
// Each path is deterministic on its own: the same inputs give the same bits on every call.
#pragma once
#include <vector>

namespace xrdid::nn {

enum class CpuPath { portable, avx2, avx512 };

// "portable", "avx2", "avx512".
const char* cpu_path_name(CpuPath p);

// Whether this build and this CPU can run the path (portable: always).
bool cpu_supports(CpuPath p);

// The paths this build and this CPU can run, fastest first.
std::vector<CpuPath> supported_cpu_paths();

// The path for a value of XRDID_CPU: null or empty -> the best supported path. Throws
// std::runtime_error for an unknown name or a path the CPU does not support.
CpuPath cpu_path_for(const char* value);

// The path in use: cpu_path_for(getenv("XRDID_CPU")), decided on the first call (unless a
// ScopedCpuPath is alive).
CpuPath cpu_path();

// Tests and benchmarks: every op runs on path p (which must be supported) while the guard lives,
// then the previous choice returns. Process-wide; not for use while ops run on other threads.
class ScopedCpuPath {
 public:
  explicit ScopedCpuPath(CpuPath p);
  ~ScopedCpuPath();
  ScopedCpuPath(const ScopedCpuPath&) = delete;
  ScopedCpuPath& operator=(const ScopedCpuPath&) = delete;

 private:
  int previous_;
};

}  // namespace xrdid::nn
