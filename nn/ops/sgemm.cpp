// SGEMM dispatch (nn/cpu_path.hpp) and the portable path (Eigen's GEMM).
#include "nn/ops/sgemm.hpp"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

#include "common/check.hpp"
#include "nn/ops/cpu_util.hpp"

namespace xrdid::nn {

const char* cpu_path_name(CpuPath p) {
  switch (p) {
    case CpuPath::avx512: return "avx512";
    case CpuPath::avx2: return "avx2";
    case CpuPath::portable: break;
  }
  return "portable";
}

bool cpu_supports(CpuPath p) {
  switch (p) {
    case CpuPath::portable: return true;
#if defined(__x86_64__)
    // __builtin_cpu_supports also checks that the OS saves the vector registers (XCR0);
    // __builtin_cpu_init makes it valid in static initialisers too.
    case CpuPath::avx2: __builtin_cpu_init(); return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    // The AVX-512 kernels outside the SGEMM use the VL, BW and DQ extensions too (every AVX-512
    // CPU since Skylake-SP has them), and AVX2 + FMA.
    case CpuPath::avx512:
      __builtin_cpu_init();
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
             __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
             cpu_supports(CpuPath::avx2);
#else
    case CpuPath::avx2:
    case CpuPath::avx512: return false;
#endif
  }
  return false;
}

std::vector<CpuPath> supported_cpu_paths() {
  std::vector<CpuPath> out;
  for (CpuPath p : {CpuPath::avx512, CpuPath::avx2, CpuPath::portable})
    if (cpu_supports(p)) out.push_back(p);
  return out;
}

CpuPath cpu_path_for(const char* value) {
  if (value == nullptr || *value == '\0') {
    for (CpuPath p : {CpuPath::avx512, CpuPath::avx2})
      if (cpu_supports(p)) return p;
    return CpuPath::portable;
  }
  std::string supported;
  for (CpuPath p : supported_cpu_paths()) supported += std::string(supported.empty() ? "" : ", ") + cpu_path_name(p);
  for (CpuPath p : {CpuPath::avx512, CpuPath::avx2, CpuPath::portable})
    if (std::strcmp(value, cpu_path_name(p)) == 0) {
      XRDID_CHECK(cpu_supports(p), std::string("XRDID_CPU=") + value + ": this CPU (or this build) cannot run the " +
                                       value + " kernels; supported here: " + supported);
      return p;
    }
  XRDID_CHECK(false, std::string("XRDID_CPU=") + value + " is not a CPU path (avx512, avx2 or portable); supported here: " +
                         supported);
  return CpuPath::portable;
}

namespace {
// -1: none, else the CpuPath of the innermost live ScopedCpuPath.
std::atomic<int> g_path_override{-1};
}  // namespace

CpuPath cpu_path() {
  const int o = g_path_override.load(std::memory_order_relaxed);
  if (o >= 0) return static_cast<CpuPath>(o);
  static const CpuPath path = cpu_path_for(std::getenv("XRDID_CPU"));
  return path;
}

ScopedCpuPath::ScopedCpuPath(CpuPath p) : previous_(g_path_override.load()) {
  XRDID_CHECK(cpu_supports(p), std::string("ScopedCpuPath: this CPU (or this build) cannot run the ") +
                                   cpu_path_name(p) + " kernels");
  g_path_override.store(static_cast<int>(p));
}

ScopedCpuPath::~ScopedCpuPath() { g_path_override.store(previous_); }

}  // namespace xrdid::nn

namespace xrdid::nn::ops::detail {

namespace {

void sgemm_portable(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, const float* A,
                    std::int64_t lda, const float* B, std::int64_t ldb, float* C, std::int64_t ldc, bool accumulate) {
  if (K <= 0) {
    if (!accumulate)
      for (std::int64_t i = 0; i < M; ++i) std::fill(C + i * ldc, C + i * ldc + N, 0.f);
    return;
  }
  using Stride = Eigen::OuterStride<>;
  auto opA = [&](auto&& f) {
    if (trans_a) f(CMapRS<float>(A, K, M, Stride(lda)).transpose());
    else f(CMapRS<float>(A, M, K, Stride(lda)));
  };
  MapRS<float> Cm(C, M, N, Stride(ldc));
  opA([&](auto&& a) {
    if (trans_b) {
      auto b = CMapRS<float>(B, N, K, Stride(ldb)).transpose();
      if (accumulate) Cm.noalias() += a * b; else Cm.noalias() = a * b;
    } else {
      auto b = CMapRS<float>(B, K, N, Stride(ldb));
      if (accumulate) Cm.noalias() += a * b; else Cm.noalias() = a * b;
    }
  });
}

}  // namespace

void sgemm_on(CpuPath path, bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K,
              const float* A, std::int64_t lda, const float* B, std::int64_t ldb, float* C, std::int64_t ldc,
              bool accumulate) {
  if (M <= 0 || N <= 0) return;
  switch (path) {
#if defined(__x86_64__)
    case CpuPath::avx512: return sgemm_avx512(trans_a, trans_b, M, N, K, A, lda, B, ldb, C, ldc, accumulate);
    case CpuPath::avx2: return sgemm_avx2(trans_a, trans_b, M, N, K, A, lda, B, ldb, C, ldc, accumulate);
#else
    case CpuPath::avx512:
    case CpuPath::avx2: throw std::runtime_error(std::string("xrdid: no ") + cpu_path_name(path) + " kernels on this architecture");
#endif
    case CpuPath::portable: break;
  }
  sgemm_portable(trans_a, trans_b, M, N, K, A, lda, B, ldb, C, ldc, accumulate);
}

void sgemm(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, const float* A,
           std::int64_t lda, const float* B, std::int64_t ldb, float* C, std::int64_t ldc, bool accumulate) {
  sgemm_on(cpu_path(), trans_a, trans_b, M, N, K, A, lda, B, ldb, C, ldc, accumulate);
}

}  // namespace xrdid::nn::ops::detail
