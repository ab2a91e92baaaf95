// Which SGEMM kernel the CPU ops use (nn/ops/sgemm.hpp), chosen once per process at run time:
// avx512 (8 x 48 AVX-512 tile), avx2 (6 x 16 AVX2 + FMA tile) or portable (Eigen, compiled for
// the build's -march). On x86-64 the best one the CPU supports; elsewhere portable. The
// environment variable XRDID_CPU=avx512|avx2|portable forces one (an error when the CPU lacks it).
// Each path is deterministic on its own: the same inputs give the same bits on every call.
#pragma once

namespace xrdid::nn {

enum class CpuPath { portable, avx2, avx512 };

// "portable", "avx2", "avx512".
const char* cpu_path_name(CpuPath p);

// Whether this build and this CPU can run the path (portable: always).
bool cpu_supports(CpuPath p);

// The path for a value of XRDID_CPU: null or empty -> the best supported path. Throws
// std::runtime_error for an unknown name or a path the CPU does not support.
CpuPath cpu_path_for(const char* value);

// The path in use: cpu_path_for(getenv("XRDID_CPU")), decided on the first call.
CpuPath cpu_path();

}  // namespace xrdid::nn
