// cuBLAS on the emulated device: handles with a stream, a math mode and a workspace (cublasSetStream
// drops a user workspace, as cuBLAS does), and the GEMMs computed on the host by the CPU GEMM of
// nn/ops (float) or Eigen (double). Every operand range is checked against the live device
// allocations and a registered workspace must still be allocated when a GEMM runs. TF32 math
// rounds the float operands to 10 mantissa bits (round to nearest even). A GEMM captured
// without a user workspace records an allocation and a free node, as cuBLAS's own pool does.
#include <cublas_v2.h>

#include <Eigen/Core>
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "emu/internal.hpp"
#include "nn/ops/sgemm.hpp"

struct cublasContext {
  cudaStream_t stream = nullptr;
  cublasMath_t mode = CUBLAS_DEFAULT_MATH;
  void* ws = nullptr;
  std::size_t ws_bytes = 0;
};

namespace {

using xrdid::emu::report;

float to_tf32(float v) {
  std::uint32_t b;
  std::memcpy(&b, &v, 4);
  if ((b & 0x7f800000u) != 0x7f800000u) {  // finite: round the low 13 bits away, ties to even
    b += 0xfffu + ((b >> 13) & 1u);
    b &= ~0x1fffu;
  }
  std::memcpy(&v, &b, 4);
  return v;
}

// Row-major view: C' (n x m, ldc) = op'(B) (n x k) * op'(A) (k x m) is the column-major
// C = op(A) op(B); op(B)^T is B read row-major with trans = (tb == T), likewise A.
template <class T>
void gemm_host(bool ta, bool tb, int m, int n, int k, T alpha, const T* A, int lda, const T* B, int ldb, T beta, T* C,
               int ldc, bool tf32) {
  using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  // Contiguous op'(B) (n x k) and op'(A) (k x m).
  Mat lhs(n, k), rhs(k, m);
  for (int i = 0; i < n; ++i)
    for (int p = 0; p < k; ++p)
      lhs(i, p) = tb ? B[static_cast<std::int64_t>(p) * ldb + i] : B[static_cast<std::int64_t>(i) * ldb + p];
  for (int p = 0; p < k; ++p)
    for (int j = 0; j < m; ++j)
      rhs(p, j) = ta ? A[static_cast<std::int64_t>(j) * lda + p] : A[static_cast<std::int64_t>(p) * lda + j];
  if constexpr (std::is_same_v<T, float>) {
    if (tf32) {
      for (Eigen::Index i = 0; i < lhs.size(); ++i) lhs.data()[i] = to_tf32(lhs.data()[i]);
      for (Eigen::Index i = 0; i < rhs.size(); ++i) rhs.data()[i] = to_tf32(rhs.data()[i]);
    }
  }
  Mat prod(n, m);
  if constexpr (std::is_same_v<T, float>) {
    xrdid::nn::ops::detail::sgemm(false, false, n, m, k, lhs.data(), k, rhs.data(), m, prod.data(), m, false);
  } else {
    prod.noalias() = lhs * rhs;
  }
  for (int i = 0; i < n; ++i) {
    T* c = C + static_cast<std::int64_t>(i) * ldc;
    for (int j = 0; j < m; ++j) c[j] = beta == T(0) ? alpha * prod(i, j) : alpha * prod(i, j) + beta * c[j];
  }
}

bool range_ok(const char* fn, const char* what, const void* p, std::int64_t elems, std::size_t elem) {
  if (elems <= 0) return true;
  if (xrdid::emu::is_device_range(p, static_cast<std::size_t>(elems) * elem)) return true;
  report("%s: operand %s [%p, +%lld elements) is not inside one live device allocation", fn, what, p,
         static_cast<long long>(elems));
  return false;
}

template <class T>
cublasStatus_t gemm_batched(const char* fn, cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n,
                            int k, const T* alpha, const T* A, int lda, long long sA, const T* B, int ldb, long long sB,
                            const T* beta, T* C, int ldc, long long sC, int batch) {
  if (!h) return CUBLAS_STATUS_NOT_INITIALIZED;
  if (m < 0 || n < 0 || k < 0 || batch < 0 || !alpha || !beta) return CUBLAS_STATUS_INVALID_VALUE;
  const bool tA = ta != CUBLAS_OP_N, tB = tb != CUBLAS_OP_N;
  const int arows = tA ? k : m, acols = tA ? m : k, brows = tB ? n : k, bcols = tB ? k : n;
  if (lda < std::max(1, arows) || ldb < std::max(1, brows) || ldc < std::max(1, m)) return CUBLAS_STATUS_INVALID_VALUE;
  if (m == 0 || n == 0 || batch == 0) return CUBLAS_STATUS_SUCCESS;
  auto extent = [](int ld, int rows, int cols, long long stride, int b) -> std::int64_t {
    if (rows == 0 || cols == 0) return 0;
    return static_cast<std::int64_t>(ld) * (cols - 1) + rows + static_cast<std::int64_t>(stride) * (b - 1);
  };
  const T a = *alpha, b = *beta;  // host scalars: read at the call
  const bool tf32 = std::is_same_v<T, float> && h->mode == CUBLAS_TF32_TENSOR_OP_MATH;
  void* ws = h->ws;
  const std::size_t ws_bytes = h->ws_bytes;
  const std::int64_t ea = k ? extent(lda, arows, acols, sA, batch) : 0,
                     eb = k ? extent(ldb, brows, bcols, sB, batch) : 0;
  const std::int64_t ec = extent(ldc, m, n, sC, batch);
  auto run = [=] {
    if (ws && !xrdid::emu::is_device_range(ws, ws_bytes))
      report("%s: the handle's workspace [%p, +%zu bytes) is no longer a live device allocation", fn, ws, ws_bytes);
    if (!range_ok(fn, "A", A, ea, sizeof(T)) || !range_ok(fn, "B", B, eb, sizeof(T)) ||
        !range_ok(fn, "C", C, ec, sizeof(T))) {
      xrdid::emu::set_last_error(cudaErrorIllegalAddress);
      return;
    }
    for (int i = 0; i < batch; ++i)
      gemm_host<T>(tA, tB, m, n, k, a, A + sA * i, lda, B + sB * i, ldb, b, C + sC * i, ldc, tf32);
    if (!xrdid::emu::check_guards(fn)) xrdid::emu::set_last_error(cudaErrorIllegalAddress);
  };
  const bool captured = xrdid::emu::is_capturing(h->stream);
  if (captured && !ws) xrdid::emu::enqueue(h->stream, cudaGraphNodeTypeMemAlloc, "cuBLAS workspace", [] {});
  const bool now = !captured;
  if (now) {
    const cudaError_t before = cudaGetLastError();
    run();
    const bool failed = cudaGetLastError() != cudaSuccess;
    xrdid::emu::set_last_error(before);
    if (failed) return CUBLAS_STATUS_EXECUTION_FAILED;
  } else if (xrdid::emu::enqueue(h->stream, cudaGraphNodeTypeKernel, fn, run) != cudaSuccess) {
    return CUBLAS_STATUS_EXECUTION_FAILED;
  }
  if (captured && !ws) xrdid::emu::enqueue(h->stream, cudaGraphNodeTypeMemFree, "cuBLAS workspace", [] {});
  return CUBLAS_STATUS_SUCCESS;
}

}  // namespace

cublasStatus_t cublasCreate(cublasHandle_t* h) {
  if (!h) return CUBLAS_STATUS_INVALID_VALUE;
  // cublasCreate allocates device memory: not allowed while this thread captures a stream.
  if (xrdid::emu::check_not_capturing("cublasCreate") != cudaSuccess) {
    report("cublasCreate during stream capture (it allocates device memory)");
    return CUBLAS_STATUS_NOT_INITIALIZED;
  }
  *h = new cublasContext;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasDestroy(cublasHandle_t h) {
  if (!h) return CUBLAS_STATUS_NOT_INITIALIZED;
  delete h;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetStream(cublasHandle_t h, cudaStream_t s) {
  if (!h) return CUBLAS_STATUS_NOT_INITIALIZED;
  h->stream = s;
  h->ws = nullptr;  // as cuBLAS: a new stream goes back to the default workspace pool
  h->ws_bytes = 0;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasGetStream(cublasHandle_t h, cudaStream_t* s) {
  if (!h || !s) return CUBLAS_STATUS_NOT_INITIALIZED;
  *s = h->stream;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetMathMode(cublasHandle_t h, cublasMath_t mode) {
  if (!h) return CUBLAS_STATUS_NOT_INITIALIZED;
  h->mode = mode;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasGetMathMode(cublasHandle_t h, cublasMath_t* mode) {
  if (!h || !mode) return CUBLAS_STATUS_NOT_INITIALIZED;
  *mode = h->mode;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetWorkspace(cublasHandle_t h, void* ws, std::size_t bytes) {
  if (!h) return CUBLAS_STATUS_NOT_INITIALIZED;
  if (ws && bytes && !xrdid::emu::is_device_range(ws, bytes)) {
    report("cublasSetWorkspace: [%p, +%zu bytes) is not inside one live device allocation", ws, bytes);
    return CUBLAS_STATUS_INVALID_VALUE;
  }
  h->ws = bytes ? ws : nullptr;
  h->ws_bytes = ws ? bytes : 0;
  return CUBLAS_STATUS_SUCCESS;
}

const char* cublasGetStatusString(cublasStatus_t s) {
  switch (s) {
    case CUBLAS_STATUS_SUCCESS:
      return "CUBLAS_STATUS_SUCCESS";
    case CUBLAS_STATUS_NOT_INITIALIZED:
      return "CUBLAS_STATUS_NOT_INITIALIZED";
    case CUBLAS_STATUS_ALLOC_FAILED:
      return "CUBLAS_STATUS_ALLOC_FAILED";
    case CUBLAS_STATUS_INVALID_VALUE:
      return "CUBLAS_STATUS_INVALID_VALUE";
    case CUBLAS_STATUS_EXECUTION_FAILED:
      return "CUBLAS_STATUS_EXECUTION_FAILED";
    case CUBLAS_STATUS_INTERNAL_ERROR:
      return "CUBLAS_STATUS_INTERNAL_ERROR";
    case CUBLAS_STATUS_NOT_SUPPORTED:
      return "CUBLAS_STATUS_NOT_SUPPORTED";
  }
  return "CUBLAS_STATUS_UNKNOWN";
}

cublasStatus_t cublasSgemm(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
                           const float* alpha, const float* A, int lda, const float* B, int ldb, const float* beta,
                           float* C, int ldc) {
  return gemm_batched<float>("cublasSgemm", h, ta, tb, m, n, k, alpha, A, lda, 0, B, ldb, 0, beta, C, ldc, 0, 1);
}

cublasStatus_t cublasDgemm(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
                           const double* alpha, const double* A, int lda, const double* B, int ldb, const double* beta,
                           double* C, int ldc) {
  return gemm_batched<double>("cublasDgemm", h, ta, tb, m, n, k, alpha, A, lda, 0, B, ldb, 0, beta, C, ldc, 0, 1);
}

cublasStatus_t cublasSgemmStridedBatched(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n,
                                         int k, const float* alpha, const float* A, int lda, long long sA,
                                         const float* B, int ldb, long long sB, const float* beta, float* C, int ldc,
                                         long long sC, int batch) {
  return gemm_batched<float>("cublasSgemmStridedBatched", h, ta, tb, m, n, k, alpha, A, lda, sA, B, ldb, sB, beta, C,
                             ldc, sC, batch);
}

cublasStatus_t cublasDgemmStridedBatched(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n,
                                         int k, const double* alpha, const double* A, int lda, long long sA,
                                         const double* B, int ldb, long long sB, const double* beta, double* C, int ldc,
                                         long long sC, int batch) {
  return gemm_batched<double>("cublasDgemmStridedBatched", h, ta, tb, m, n, k, alpha, A, lda, sA, B, ldb, sB, beta, C,
                              ldc, sC, batch);
}
