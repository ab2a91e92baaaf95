// cuBLAS helpers for the kernels: one lazily created handle per (thread, device) whose math mode
// follows set_tf32 (kernels/cublas_util.cu), and float / double overloads of GEMM and
// strided-batched GEMM (column-major, as cuBLAS sees memory).
#pragma once
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "kernels/cuda_check.hpp"
#include "kernels/ops_cuda.hpp"

namespace xrdid::cuda {

// The workspace registered for `stream` by set_cublas_workspace (kernels/cublas_util.cu): false
// and nothing written when none is.
bool cublas_workspace_for(cudaStream_t stream, void** ptr, std::size_t* bytes);

// The calling thread's handle for the current device, bound to `stream`, with the math mode of
// tf32_enabled() (TF32 tensor-op math, else CUBLAS_DEFAULT_MATH), set on every call.
// cublasSetStream resets the handle's workspace to cuBLAS's default pool, so a workspace
// registered for `stream` (set_cublas_workspace) is re-applied after it on every call.
// Deliberately never destroyed: destroying it from a thread_local/static destructor may run after
// the CUDA runtime has shut down at process exit; the driver reclaims it.
inline cublasHandle_t cublas_handle(cudaStream_t stream) {
  constexpr int kMaxDevices = 16;
  thread_local cublasHandle_t handles[kMaxDevices] = {};
  int dev = 0;
  XRDID_CUDA_CHECK(cudaGetDevice(&dev));
  if (dev < 0 || dev >= kMaxDevices) throw CudaError("xrdid: cublas_handle: device id out of range");
  if (!handles[dev]) XRDID_CUBLAS_CHECK(cublasCreate(&handles[dev]));
  XRDID_CUBLAS_CHECK(
      cublasSetMathMode(handles[dev], tf32_enabled() ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH));
  XRDID_CUBLAS_CHECK(cublasSetStream(handles[dev], stream));
  void* ws = nullptr;
  std::size_t ws_bytes = 0;
  if (cublas_workspace_for(stream, &ws, &ws_bytes)) XRDID_CUBLAS_CHECK(cublasSetWorkspace(handles[dev], ws, ws_bytes));
  return handles[dev];
}

inline int to_int(std::int64_t v, const char* what) {
  if (v < 0 || v > 2147483647LL) throw std::invalid_argument(std::string("xrdid: cuBLAS dimension too large: ") + what);
  return static_cast<int>(v);
}

inline void gemm(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k, float alpha,
                 const float* A, int lda, const float* B, int ldb, float beta, float* C, int ldc) {
  XRDID_CUBLAS_CHECK(cublasSgemm(h, ta, tb, m, n, k, &alpha, A, lda, B, ldb, &beta, C, ldc));
}
inline void gemm(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k, double alpha,
                 const double* A, int lda, const double* B, int ldb, double beta, double* C, int ldc) {
  XRDID_CUBLAS_CHECK(cublasDgemm(h, ta, tb, m, n, k, &alpha, A, lda, B, ldb, &beta, C, ldc));
}
inline void gemm_batched(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
                         float alpha, const float* A, int lda, long long sA, const float* B, int ldb, long long sB,
                         float beta, float* C, int ldc, long long sC, int batch) {
  XRDID_CUBLAS_CHECK(cublasSgemmStridedBatched(h, ta, tb, m, n, k, &alpha, A, lda, sA, B, ldb, sB, &beta, C, ldc,
                                               sC, batch));
}
inline void gemm_batched(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
                         double alpha, const double* A, int lda, long long sA, const double* B, int ldb,
                         long long sB, double beta, double* C, int ldc, long long sC, int batch) {
  XRDID_CUBLAS_CHECK(cublasDgemmStridedBatched(h, ta, tb, m, n, k, &alpha, A, lda, sA, B, ldb, sB, &beta, C, ldc,
                                               sC, batch));
}

}  // namespace xrdid::cuda
