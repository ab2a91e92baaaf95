// Row-wise L2 normalisation on the GPU: CUDA twin of nn/ops/norm.hpp (cosine head).
#include <cuda_runtime.h>

#include <stdexcept>

#include "kernels/common.cuh"
#include "kernels/ops_cuda.hpp"

namespace xrdid::cuda {

namespace {

using i64 = std::int64_t;
constexpr int kThreads = 256;

// One block per row: sum of squares in double (block tree), then y = x / max(||x||, eps).
template <class T>
__global__ void __launch_bounds__(kThreads)
    l2_normalize_rows_forward_kernel(i64 D, double eps, const T* __restrict__ x, T* __restrict__ y,
                                     T* __restrict__ norm) {
  __shared__ double red[32];
  const i64 r = blockIdx.x;
  const T* xr = x + r * D;
  double sq = 0;
  for (i64 i = threadIdx.x; i < D; i += blockDim.x) sq += static_cast<double>(xr[i]) * xr[i];
  sq = block_sum(sq, red);
  const double n = fmax(sqrt(sq), eps);
  if (threadIdx.x == 0) norm[r] = static_cast<T>(n);
  const T inv = static_cast<T>(1.0 / n);
  T* yr = y + r * D;
  for (i64 i = threadIdx.x; i < D; i += blockDim.x) yr[i] = xr[i] * inv;
}

// One block per row: <y, dy> (block tree, T accumulation as on the CPU; skipped when the norm was
// clamped to eps), then dx += (dy - y <y, dy>) / norm.
template <class T>
__global__ void __launch_bounds__(kThreads)
    l2_normalize_rows_backward_kernel(i64 D, double eps, const T* __restrict__ y, const T* __restrict__ norm,
                                      const T* __restrict__ dy, T* __restrict__ dx) {
  __shared__ T red[32];
  const i64 r = blockIdx.x;
  const T* yr = y + r * D;
  const T* dr = dy + r * D;
  const T nr = norm[r];
  const T inv = static_cast<T>(1.0 / static_cast<double>(nr));
  T dot = 0;
  if (nr > static_cast<T>(eps)) {  // uniform across the block: no divergent __syncthreads
    for (i64 i = threadIdx.x; i < D; i += blockDim.x) dot += yr[i] * dr[i];
    dot = block_sum(dot, red);
  }
  T* gr = dx + r * D;
  for (i64 i = threadIdx.x; i < D; i += blockDim.x) gr[i] += (dr[i] - yr[i] * dot) * inv;
}

void check(i64 R, i64 D) {
  if (R < 0 || D < 1 || R > 2147483647LL) throw std::invalid_argument("xrdid::cuda l2_normalize_rows: bad sizes");
}

}  // namespace

template <class T>
void l2_normalize_rows_forward(i64 R, i64 D, double eps, const T* x, T* y, T* norm, cudaStream_t stream) {
  check(R, D);
  if (R == 0) return;
  XRDID_LAUNCH(static_cast<unsigned>(R), kThreads, 0, stream, l2_normalize_rows_forward_kernel<T>)(D, eps, x, y, norm);
  XRDID_CUDA_CHECK_LAUNCH();
}

template <class T>
void l2_normalize_rows_backward(i64 R, i64 D, double eps, const T* y, const T* norm, const T* dy, T* dx,
                                cudaStream_t stream) {
  check(R, D);
  if (R == 0 || !dx) return;
  XRDID_LAUNCH(static_cast<unsigned>(R), kThreads, 0, stream, l2_normalize_rows_backward_kernel<T>)
  (D, eps, y, norm, dy, dx);
  XRDID_CUDA_CHECK_LAUNCH();
}

#define XRDID_INST(T)                                                                                      \
  template void l2_normalize_rows_forward<T>(i64, i64, double, const T*, T*, T*, cudaStream_t);           \
  template void l2_normalize_rows_backward<T>(i64, i64, double, const T*, const T*, const T*, T*, cudaStream_t);
XRDID_INST(float)
XRDID_INST(double)
#undef XRDID_INST

}  // namespace xrdid::cuda
