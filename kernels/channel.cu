// Channel-wise ops on (N, C, L) on the GPU: CUDA twin of nn/ops/channel.hpp (SE scaling by
// per-(sample, channel) factors; zero channel padding of the residual shortcut).
#include <cuda_runtime.h>

#include <stdexcept>

#include "kernels/common.cuh"
#include "kernels/fast_div.hpp"
#include "kernels/ops_cuda.hpp"

namespace xrdid::cuda {

namespace {

using i64 = std::int64_t;

// Grid-stride over N*C*L: y = x * e[row].
template <class T>
__global__ void scale_channels_forward_kernel(i64 total, FastDiv fL, const T* __restrict__ x, const T* __restrict__ e,
                                              T* __restrict__ y) {
  for (i64 i = blockIdx.x * static_cast<i64>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<i64>(gridDim.x) * blockDim.x)
    y[i] = x[i] * e[fL.div(static_cast<std::uint32_t>(i))];
}

// Grid-stride over N*C*L: dx += dy * e[row].
template <class T>
__global__ void scale_channels_backward_data_kernel(i64 total, FastDiv fL, const T* __restrict__ e,
                                                    const T* __restrict__ dy, T* __restrict__ dx) {
  for (i64 i = blockIdx.x * static_cast<i64>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<i64>(gridDim.x) * blockDim.x)
    dx[i] += dy[i] * e[fL.div(static_cast<std::uint32_t>(i))];
}

// One warp per (n, c) row: de += sum_l dy*x, accumulated in T like the CPU reference (fixed
// lane-strided order then a butterfly).
template <class T>
__global__ void scale_channels_backward_scale_kernel(i64 R, i64 L, const T* __restrict__ x, const T* __restrict__ dy,
                                                     T* __restrict__ de) {
  const i64 warps = static_cast<i64>(gridDim.x) * (blockDim.x / kWarp);
  const int lane = threadIdx.x % kWarp;
  for (i64 r = blockIdx.x * static_cast<i64>(blockDim.x / kWarp) + threadIdx.x / kWarp; r < R; r += warps) {
    const T* xr = x + r * L;
    const T* dr = dy + r * L;
    T acc = 0;
    for (i64 l = lane; l < L; l += kWarp) acc += dr[l] * xr[l];
    acc = warp_sum(acc);
    if (lane == 0) de[r] += acc;
  }
}

// Grid-stride over the N*(before+C+after)*L outputs: copy of the middle channels, zeros elsewhere.
template <class T>
__global__ void pad_channels_forward_kernel(i64 N, i64 C, i64 L, i64 before, i64 Co, const T* __restrict__ x,
                                            T* __restrict__ y) {
  const i64 total = N * Co * L;
  for (i64 i = blockIdx.x * static_cast<i64>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<i64>(gridDim.x) * blockDim.x) {
    const i64 l = i % L, row = i / L, co = row % Co, n = row / Co, ci = co - before;
    y[i] = (ci >= 0 && ci < C) ? x[(n * C + ci) * L + l] : T(0);
  }
}

// Grid-stride over the N*C*L inputs: dx += dy of the middle channels.
template <class T>
__global__ void pad_channels_backward_kernel(i64 N, i64 C, i64 L, i64 before, i64 Co, const T* __restrict__ dy,
                                             T* __restrict__ dx) {
  const i64 CL = C * L, total = N * CL;
  for (i64 i = blockIdx.x * static_cast<i64>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<i64>(gridDim.x) * blockDim.x) {
    const i64 n = i / CL, rest = i - n * CL;
    dx[i] += dy[(n * Co + before) * L + rest];
  }
}

void check(i64 N, i64 C, i64 L) {
  if (N < 0 || C < 0 || L < 1 || L >= (i64{1} << 31)) throw std::invalid_argument("xrdid::cuda channel op: bad sizes");
  check_u32(N * C * L, "channel op");
}

}  // namespace

template <class T>
void scale_channels_forward(i64 N, i64 C, i64 L, const T* x, const T* e, T* y, cudaStream_t stream) {
  check(N, C, L);
  const i64 total = N * C * L;
  if (total == 0) return;
  XRDID_LAUNCH(grid_for(total, 256), 256, 0, stream, scale_channels_forward_kernel<T>)(total, FastDiv(L), x, e, y);
  XRDID_CUDA_CHECK_LAUNCH();
}

template <class T>
void scale_channels_backward(i64 N, i64 C, i64 L, const T* x, const T* e, const T* dy, T* dx, T* de,
                             cudaStream_t stream) {
  check(N, C, L);
  const i64 total = N * C * L;
  if (total == 0) return;
  if (dx) {
    XRDID_LAUNCH(grid_for(total, 256), 256, 0, stream, scale_channels_backward_data_kernel<T>)(total, FastDiv(L), e, dy, dx);
    XRDID_CUDA_CHECK_LAUNCH();
  }
  if (de) {
    XRDID_LAUNCH(grid_for(N * C, 256 / kWarp), 256, 0, stream, scale_channels_backward_scale_kernel<T>)
    (N * C, L, x, dy, de);
    XRDID_CUDA_CHECK_LAUNCH();
  }
}

template <class T>
void pad_channels_forward(i64 N, i64 C, i64 L, i64 before, i64 after, const T* x, T* y, cudaStream_t stream) {
  check(N, C, L);
  if (before < 0 || after < 0) throw std::invalid_argument("xrdid::cuda pad_channels: negative padding");
  const i64 Co = before + C + after, total = N * Co * L;
  if (total == 0) return;
  XRDID_LAUNCH(grid_for(total, 256), 256, 0, stream, pad_channels_forward_kernel<T>)(N, C, L, before, Co, x, y);
  XRDID_CUDA_CHECK_LAUNCH();
}

template <class T>
void pad_channels_backward(i64 N, i64 C, i64 L, i64 before, i64 after, const T* dy, T* dx, cudaStream_t stream) {
  check(N, C, L);
  if (before < 0 || after < 0) throw std::invalid_argument("xrdid::cuda pad_channels: negative padding");
  const i64 Co = before + C + after, total = N * C * L;
  if (total == 0 || !dx) return;
  XRDID_LAUNCH(grid_for(total, 256), 256, 0, stream, pad_channels_backward_kernel<T>)(N, C, L, before, Co, dy, dx);
  XRDID_CUDA_CHECK_LAUNCH();
}

#define XRDID_INST(T)                                                                                   \
  template void scale_channels_forward<T>(i64, i64, i64, const T*, const T*, T*, cudaStream_t);        \
  template void scale_channels_backward<T>(i64, i64, i64, const T*, const T*, const T*, T*, T*,        \
                                           cudaStream_t);                                               \
  template void pad_channels_forward<T>(i64, i64, i64, i64, i64, const T*, T*, cudaStream_t);          \
  template void pad_channels_backward<T>(i64, i64, i64, i64, i64, const T*, T*, cudaStream_t);
XRDID_INST(float)
XRDID_INST(double)
#undef XRDID_INST

}  // namespace xrdid::cuda
