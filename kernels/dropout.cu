// Inverted dropout on the GPU: CUDA twin of nn/ops/dropout.hpp. The mask is recomputed from
// (seed, index) with nn/ops/random.hpp, so it equals the CPU mask bit for bit. The seed is a
// SeedArg: a fixed value, or nn::ops::step_seed(*base, counter) resolved on the device from a
// base seed in device memory (CUDA-graph replay draws a new mask when the host rewrites *base).
#include <cuda_runtime.h>

#include <stdexcept>

#include "kernels/common.cuh"
#include "kernels/ops_cuda.hpp"
#include "nn/ops/random.hpp"

namespace xrdid::cuda {

namespace {

using i64 = std::int64_t;

// Grid-stride over n elements: out (=, or += when kAccumulate) in * scale if uniform(seed, i) >= p.
// Each thread resolves the seed once (nn::ops::resolve: one 8-byte load when seed.base is set).
template <class T, bool kAccumulate>
__global__ void dropout_apply_kernel(i64 n, float pf, T scale, SeedArg seed_arg, const T* __restrict__ in,
                                     T* __restrict__ out) {
  const std::uint64_t seed = nn::ops::resolve(seed_arg);
  for (i64 i = blockIdx.x * static_cast<i64>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<i64>(gridDim.x) * blockDim.x) {
    const T v = nn::ops::uniform(seed, static_cast<std::uint64_t>(i)) >= pf ? in[i] * scale : T(0);
    if constexpr (kAccumulate)
      out[i] += v;
    else
      out[i] = v;
  }
}

void check(i64 n, double p) {
  if (n < 0) throw std::invalid_argument("xrdid::cuda dropout: negative size");
  if (!(p >= 0.0 && p < 1.0)) throw std::invalid_argument("xrdid::cuda dropout: p not in [0, 1)");
}

}  // namespace

template <class T>
void dropout_forward(i64 n, double p, SeedArg seed, const T* x, T* y, cudaStream_t stream) {
  check(n, p);
  if (n == 0) return;
  XRDID_LAUNCH(grid_for(n, 256), 256, 0, stream, dropout_apply_kernel<T, false>)
  (n, static_cast<float>(p), static_cast<T>(1.0 / (1.0 - p)), seed, x, y);
  XRDID_CUDA_CHECK_LAUNCH();
}

template <class T>
void dropout_backward(i64 n, double p, SeedArg seed, const T* dy, T* dx, cudaStream_t stream) {
  check(n, p);
  if (n == 0 || !dx) return;
  XRDID_LAUNCH(grid_for(n, 256), 256, 0, stream, dropout_apply_kernel<T, true>)
  (n, static_cast<float>(p), static_cast<T>(1.0 / (1.0 - p)), seed, dy, dx);
  XRDID_CUDA_CHECK_LAUNCH();
}

template <class T>
void dropout_forward(i64 n, double p, std::uint64_t seed, const T* x, T* y, cudaStream_t stream) {
  dropout_forward<T>(n, p, SeedArg{nullptr, seed}, x, y, stream);
}

template <class T>
void dropout_backward(i64 n, double p, std::uint64_t seed, const T* dy, T* dx, cudaStream_t stream) {
  dropout_backward<T>(n, p, SeedArg{nullptr, seed}, dy, dx, stream);
}

#define XRDID_INST(T)                                                                       \
  template void dropout_forward<T>(i64, double, std::uint64_t, const T*, T*, cudaStream_t); \
  template void dropout_backward<T>(i64, double, std::uint64_t, const T*, T*, cudaStream_t); \
  template void dropout_forward<T>(i64, double, SeedArg, const T*, T*, cudaStream_t);       \
  template void dropout_backward<T>(i64, double, SeedArg, const T*, T*, cudaStream_t);
XRDID_INST(float)
XRDID_INST(double)
#undef XRDID_INST

}  // namespace xrdid::cuda
