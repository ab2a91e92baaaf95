// Pooling over length on the GPU: CUDA twin of nn/ops/pool.hpp ("same" max-pool k = s = 2 with
// one real zero appended on the right for odd L; mean over length).
#include <cuda_runtime.h>

#include <stdexcept>

#include "kernels/common.cuh"
#include "kernels/fast_div.hpp"
#include "kernels/ops_cuda.hpp"

namespace xrdid::cuda {

namespace {

using i64 = std::int64_t;

// Grid-stride over the R*Lo outputs; the last window of an odd row compares x[L-1] with 0.
template <class T>
__global__ void maxpool_same2_forward_kernel(i64 R, i64 L, const T* __restrict__ x, T* __restrict__ y) {
  const i64 Lo = (L + 1) / 2, total = R * Lo;
  for (i64 i = blockIdx.x * static_cast<i64>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<i64>(gridDim.x) * blockDim.x) {
    const i64 r = i / Lo, o = i - r * Lo;
    const T* xr = x + r * L;
    const T a = xr[2 * o];
    const T b = 2 * o + 1 < L ? xr[2 * o + 1] : T(0);
    y[i] = a >= b ? a : b;
  }
}

// Grid-stride over the R*Lo outputs: each adds dy to its window's winner (ties -> left; the pad
// takes the gradient when it wins, i.e. it is dropped). Windows are disjoint: no races.
template <class T>
__global__ void maxpool_same2_backward_kernel(i64 R, i64 L, const T* __restrict__ x, const T* __restrict__ dy,
                                              T* __restrict__ dx) {
  const i64 Lo = (L + 1) / 2, total = R * Lo;
  for (i64 i = blockIdx.x * static_cast<i64>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<i64>(gridDim.x) * blockDim.x) {
    const i64 r = i / Lo, o = i - r * Lo;
    const T* xr = x + r * L;
    T* gr = dx + r * L;
    if (2 * o + 1 < L) {
      if (xr[2 * o] >= xr[2 * o + 1])
        gr[2 * o] += dy[i];
      else
        gr[2 * o + 1] += dy[i];
    } else if (xr[2 * o] >= T(0)) {
      gr[2 * o] += dy[i];
    }
  }
}

// One warp per row, double accumulation, butterfly warp sum.
template <class T>
__global__ void mean_length_forward_kernel(i64 R, i64 L, double inv, const T* __restrict__ x, T* __restrict__ y) {
  const i64 warps = static_cast<i64>(gridDim.x) * (blockDim.x / kWarp);
  const int lane = threadIdx.x % kWarp;
  for (i64 r = blockIdx.x * static_cast<i64>(blockDim.x / kWarp) + threadIdx.x / kWarp; r < R; r += warps) {
    const T* xr = x + r * L;
    double acc = 0;
    for (i64 l = lane; l < L; l += kWarp) acc += static_cast<double>(xr[l]);
    acc = warp_sum(acc);
    if (lane == 0) y[r] = static_cast<T>(acc * inv);
  }
}

// Grid-stride over R*L: dx += dy[r] * (1/L).
template <class T>
__global__ void mean_length_backward_kernel(i64 R, FastDiv fL, T inv, const T* __restrict__ dy, T* __restrict__ dx) {
  const i64 total = R * fL.d;
  for (i64 i = blockIdx.x * static_cast<i64>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<i64>(gridDim.x) * blockDim.x)
    dx[i] += dy[fL.div(static_cast<std::uint32_t>(i))] * inv;
}

void check(i64 R, i64 L) {
  if (R < 0 || L < 1 || L >= (i64{1} << 31)) throw std::invalid_argument("xrdid::cuda pool: bad sizes");
  check_u32(R * L, "pool");
}

}  // namespace

template <class T>
void maxpool_same2_forward(i64 R, i64 L, const T* x, T* y, cudaStream_t stream) {
  check(R, L);
  if (R == 0) return;
  XRDID_LAUNCH(grid_for(R * ((L + 1) / 2), 256), 256, 0, stream, maxpool_same2_forward_kernel<T>)(R, L, x, y);
  XRDID_CUDA_CHECK_LAUNCH();
}

template <class T>
void maxpool_same2_backward(i64 R, i64 L, const T* x, const T* dy, T* dx, cudaStream_t stream) {
  check(R, L);
  if (R == 0 || !dx) return;
  XRDID_LAUNCH(grid_for(R * ((L + 1) / 2), 256), 256, 0, stream, maxpool_same2_backward_kernel<T>)(R, L, x, dy, dx);
  XRDID_CUDA_CHECK_LAUNCH();
}

template <class T>
void mean_length_forward(i64 R, i64 L, const T* x, T* y, cudaStream_t stream) {
  check(R, L);
  if (R == 0) return;
  XRDID_LAUNCH(grid_for(R, 256 / kWarp), 256, 0, stream, mean_length_forward_kernel<T>)
  (R, L, 1.0 / static_cast<double>(L), x, y);
  XRDID_CUDA_CHECK_LAUNCH();
}

template <class T>
void mean_length_backward(i64 R, i64 L, const T* dy, T* dx, cudaStream_t stream) {
  check(R, L);
  if (R == 0 || !dx) return;
  XRDID_LAUNCH(grid_for(R * L, 256), 256, 0, stream, mean_length_backward_kernel<T>)
  (R, FastDiv(L), static_cast<T>(1.0 / static_cast<double>(L)), dy, dx);
  XRDID_CUDA_CHECK_LAUNCH();
}

#define XRDID_INST(T)                                                                      \
  template void maxpool_same2_forward<T>(i64, i64, const T*, T*, cudaStream_t);            \
  template void maxpool_same2_backward<T>(i64, i64, const T*, const T*, T*, cudaStream_t); \
  template void mean_length_forward<T>(i64, i64, const T*, T*, cudaStream_t);              \
  template void mean_length_backward<T>(i64, i64, const T*, T*, cudaStream_t);
XRDID_INST(float)
XRDID_INST(double)
#undef XRDID_INST

}  // namespace xrdid::cuda
