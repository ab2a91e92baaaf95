// The fused end of a Net1D block on the GPU: CUDA twin of nn/ops/residual.hpp (SE-scaled main
// path + max-pooled, zero-padded shortcut in one pass; the shortcut's backward in one pass).
#include <cuda_runtime.h>

#include <algorithm>
#include <stdexcept>

#include "kernels/common.cuh"
#include "kernels/fast_div.hpp"
#include "kernels/ops_cuda.hpp"

namespace xrdid::cuda {

namespace {

using i64 = std::int64_t;

template <class T>
__device__ __forceinline__ T shortcut_at(const T* __restrict__ xr, i64 L, i64 l, bool down) {
  if (!down) return xr[l];
  const T a = xr[2 * l], b = 2 * l + 1 < L ? xr[2 * l + 1] : T(0);
  return a >= b ? a : b;
}

// Grid-stride over N*C_out*L_out outputs.
template <class T>
__global__ void residual_se_forward_kernel(ResidualShape s, FastDiv fLo, FastDiv fC, const T* __restrict__ h, const T* __restrict__ e,
                                           const T* __restrict__ x, T* __restrict__ y) {
  const i64 Lo = fLo.d, total = s.N * s.C_out * Lo;
  for (i64 i = blockIdx.x * static_cast<i64>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<i64>(gridDim.x) * blockDim.x) {
    const std::uint32_t r = fLo.div(static_cast<std::uint32_t>(i)), n = fC.div(r);
    const i64 l = i - static_cast<i64>(r) * fLo.d, ci = static_cast<i64>(r - n * fC.d) - s.before;
    const T sc = (ci >= 0 && ci < s.C_in) ? shortcut_at(x + (n * s.C_in + ci) * s.L_in, s.L_in, l, s.downsample)
                                          : T(0);
    y[i] = h[i] * e[r] + sc;
  }
}

// Grid-stride over the N*C_in*L_in inputs: each input element adds the output gradient of the
// window it won (or of its own position without pooling).
template <class T>
__global__ void residual_shortcut_backward_kernel(ResidualShape s, i64 Lo, FastDiv fL, FastDiv fC, const T* __restrict__ x,
                                                  const T* __restrict__ dy, T* __restrict__ dx) {
  const i64 L = s.L_in, total = s.N * s.C_in * L;
  for (i64 i = blockIdx.x * static_cast<i64>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<i64>(gridDim.x) * blockDim.x) {
    const std::uint32_t r = fL.div(static_cast<std::uint32_t>(i)), n = fC.div(r);
    const i64 l = i - static_cast<i64>(r) * L, co = static_cast<i64>(r - n * fC.d) + s.before;
    const T* dr = dy + (n * s.C_out + co) * Lo;
    if (!s.downsample) {
      dx[i] += dr[l];
      continue;
    }
    const i64 w = l / 2;
    const T* xr = x + r * L;
    const bool pair = 2 * w + 1 < L;
    const bool left = xr[2 * w] >= (pair ? xr[2 * w + 1] : T(0));
    if ((l % 2 == 0) == left) dx[i] += dr[w];
  }
}

void check(const ResidualShape& s) {
  try {
    s.validate();
    check_u32(s.N * std::max(s.C_in * s.L_in, s.C_out * s.L_out()), "residual");
  } catch (const std::exception& e) {
    throw std::invalid_argument(std::string("xrdid::cuda residual: ") + e.what());
  }
}

}  // namespace

template <class T>
void residual_se_forward(const ResidualShape& s, const T* h, const T* e, const T* x, T* y, cudaStream_t stream) {
  check(s);
  const i64 Lo = s.L_out(), total = s.N * s.C_out * Lo;
  XRDID_LAUNCH(grid_for(total, 256), 256, 0, stream, residual_se_forward_kernel<T>)(s, FastDiv(Lo), FastDiv(s.C_out), h, e, x, y);
  XRDID_CUDA_CHECK_LAUNCH();
}

template <class T>
void residual_shortcut_backward(const ResidualShape& s, const T* x, const T* dy, T* dx, cudaStream_t stream) {
  check(s);
  if (!dx) return;
  const i64 total = s.N * s.C_in * s.L_in;
  XRDID_LAUNCH(grid_for(total, 256), 256, 0, stream, residual_shortcut_backward_kernel<T>)(s, s.L_out(), FastDiv(s.L_in), FastDiv(s.C_in), x, dy, dx);
  XRDID_CUDA_CHECK_LAUNCH();
}

#define XRDID_INST(T)                                                                                       \
  template void residual_se_forward<T>(const ResidualShape&, const T*, const T*, const T*, T*, cudaStream_t); \
  template void residual_shortcut_backward<T>(const ResidualShape&, const T*, const T*, T*, cudaStream_t);
XRDID_INST(float)
XRDID_INST(double)
#undef XRDID_INST

}  // namespace xrdid::cuda
