// Dense layers on the GPU: CUDA twin of nn/ops/linear.hpp. cuBLAS sgemm/dgemm on row-major data
// via the identity row-major C = A B  <=>  column-major C^T = B^T A^T (no copies).
#include <cuda_runtime.h>

#include <stdexcept>

#include "kernels/common.cuh"
#include "kernels/cublas_util.cuh"
#include "kernels/ops_cuda.hpp"

namespace xrdid::cuda {

namespace {

using i64 = std::int64_t;

// Grid-stride over the N*out outputs: y[i, o] += b[o].
template <class T>
__global__ void linear_add_bias_kernel(i64 total, i64 out, const T* __restrict__ b, T* __restrict__ y) {
  for (i64 i = blockIdx.x * static_cast<i64>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<i64>(gridDim.x) * blockDim.x)
    y[i] += b[i % out];
}

// One thread per column o: db[o] += sum over the N rows of dy, in row order (coalesced across o).
template <class T>
__global__ void linear_backward_bias_kernel(i64 N, i64 out, const T* __restrict__ dy, T* __restrict__ db) {
  const i64 o = blockIdx.x * static_cast<i64>(blockDim.x) + threadIdx.x;
  if (o >= out) return;
  T acc = 0;
  for (i64 i = 0; i < N; ++i) acc += dy[i * out + o];
  db[o] += acc;
}

void check(const MatmulShape& s) {
  if (s.M < 1 || s.K < 1 || s.N < 1) throw std::invalid_argument("xrdid::cuda matmul: sizes must be positive");
}

}  // namespace

template <class T>
void matmul_forward(const MatmulShape& s, const T* a, const T* b, T* c, cudaStream_t stream) {
  check(s);
  const int M = to_int(s.M, "M"), K = to_int(s.K, "K"), N = to_int(s.N, "N");
  // Column-major c^T (N x M) = op(b)^T-view (N x K) * a^T (K x M).
  if (s.trans_b)  // b (N, K) row-major = column-major (K x N), ld K -> transpose it
    gemm(cublas_handle(stream), CUBLAS_OP_T, CUBLAS_OP_N, N, M, K, T(1), b, K, a, K, T(0), c, N);
  else  // b (K, N) row-major = column-major (N x K), ld N
    gemm(cublas_handle(stream), CUBLAS_OP_N, CUBLAS_OP_N, N, M, K, T(1), b, N, a, K, T(0), c, N);
}

template <class T>
void matmul_backward(const MatmulShape& s, const T* a, const T* b, const T* dc, T* da, T* db, cudaStream_t stream) {
  check(s);
  const int M = to_int(s.M, "M"), K = to_int(s.K, "K"), N = to_int(s.N, "N");
  cublasHandle_t h = cublas_handle(stream);
  if (da) {  // column-major da^T (K x M) += op(b) (K x N) * dc^T (N x M)
    if (s.trans_b)  // da += dc b: b^T... column-major view of b (N,K) is (K x N), ld K
      gemm(h, CUBLAS_OP_N, CUBLAS_OP_N, K, M, N, T(1), b, K, dc, N, T(1), da, K);
    else  // da += dc b^T: column-major view of b (K,N) is (N x K), ld N -> transpose
      gemm(h, CUBLAS_OP_T, CUBLAS_OP_N, K, M, N, T(1), b, N, dc, N, T(1), da, K);
  }
  if (db) {
    if (s.trans_b)  // db (N,K) += dc^T a: column-major db^T (K x N) = a^T-view (K x M) * dc-view^T (M x N)
      gemm(h, CUBLAS_OP_N, CUBLAS_OP_T, K, N, M, T(1), a, K, dc, N, T(1), db, K);
    else  // db (K,N) += a^T dc: column-major db^T (N x K) = dc-view (N x M) * a-view^T (M x K)
      gemm(h, CUBLAS_OP_N, CUBLAS_OP_T, N, K, M, T(1), dc, N, a, K, T(1), db, N);
  }
}

template <class T>
void linear_forward(const LinearShape& s, const T* x, const T* w, const T* b, T* y, cudaStream_t stream) {
  if (s.N < 1 || s.in < 1 || s.out < 1) throw std::invalid_argument("xrdid::cuda linear: sizes must be positive");
  matmul_forward(MatmulShape{s.N, s.in, s.out, true}, x, w, y, stream);
  if (b) {
    const i64 total = s.N * s.out;
    XRDID_LAUNCH(grid_for(total, 256), 256, 0, stream, linear_add_bias_kernel<T>)(total, s.out, b, y);
    XRDID_CUDA_CHECK_LAUNCH();
  }
}

template <class T>
void linear_backward(const LinearShape& s, const T* x, const T* w, const T* dy, T* dx, T* dw, T* db,
                     cudaStream_t stream) {
  if (s.N < 1 || s.in < 1 || s.out < 1) throw std::invalid_argument("xrdid::cuda linear: sizes must be positive");
  matmul_backward(MatmulShape{s.N, s.in, s.out, true}, x, w, dy, dx, dw, stream);
  if (db) {
    XRDID_LAUNCH(static_cast<unsigned>(CEIL_DIV(s.out, i64{256})), 256, 0, stream, linear_backward_bias_kernel<T>)
    (s.N, s.out, dy, db);
    XRDID_CUDA_CHECK_LAUNCH();
  }
}

#define XRDID_INST(T)                                                                                        \
  template void matmul_forward<T>(const MatmulShape&, const T*, const T*, T*, cudaStream_t);               \
  template void matmul_backward<T>(const MatmulShape&, const T*, const T*, const T*, T*, T*, cudaStream_t); \
  template void linear_forward<T>(const LinearShape&, const T*, const T*, const T*, T*, cudaStream_t);     \
  template void linear_backward<T>(const LinearShape&, const T*, const T*, const T*, T*, T*, T*, cudaStream_t);
XRDID_INST(float)
XRDID_INST(double)
#undef XRDID_INST

}  // namespace xrdid::cuda
