// Single-precision GEMM for the CPU ops (internal to nn/ops), dispatched at run time
// (nn/cpu_path.hpp): packed register-tile kernels with BLIS-style blocking (KC x NC panels of B,
// MC x KC blocks of A) for AVX-512 (8 x 48; a C at most 32 columns wide is computed as its
// transpose) and AVX2 + FMA (6 x 16) in sgemm_x86.cpp, Eigen's GEMM elsewhere. Serial:
// callers parallelise over independent output blocks. Deterministic per
// path: in the packed kernels the sum over k of every output element runs in order in KC-sized
// chunks, whatever the call site's threading. docs/perf.md has the measured speeds.
#pragma once
#include <cstdint>

#include "nn/cpu_path.hpp"

namespace xrdid::nn::ops::detail {

// C (M x N, row stride ldc) = op(A) (M x K) * op(B) (K x N), or C += ... when accumulate.
// op(A)(i,k) = trans_a ? A[k*lda + i] : A[i*lda + k]; op(B)(k,j) = trans_b ? B[j*ldb + k] : B[k*ldb + j].
// Without accumulate, C's previous contents (NaN included) are never read. On cpu_path().
void sgemm(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, const float* A,
           std::int64_t lda, const float* B, std::int64_t ldb, float* C, std::int64_t ldc, bool accumulate);

// The same on a given path (tests and benchmarks); the path must be supported (cpu_supports).
void sgemm_on(CpuPath path, bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K,
              const float* A, std::int64_t lda, const float* B, std::int64_t ldb, float* C, std::int64_t ldc,
              bool accumulate);

// The packed kernels (sgemm_x86.cpp; x86-64 only).
void sgemm_avx512(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, const float* A,
                  std::int64_t lda, const float* B, std::int64_t ldb, float* C, std::int64_t ldc, bool accumulate);
void sgemm_avx2(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, const float* A,
                std::int64_t lda, const float* B, std::int64_t ldb, float* C, std::int64_t ldc, bool accumulate);

}  // namespace xrdid::nn::ops::detail
