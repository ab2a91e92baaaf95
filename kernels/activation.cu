// Elementwise activations on the GPU (swish, sigmoid, relu): CUDA twin of nn/ops/activation.hpp.
// Grid-stride loops over the per-element formulas of nn/ops/element.hpp, shared with the CPU
// reference; backward accumulates into dx.
#include <cuda_runtime.h>

#include <stdexcept>

#include "kernels/common.cuh"
#include "kernels/ops_cuda.hpp"
#include "nn/ops/element.hpp"

namespace xrdid::cuda {

namespace {

using i64 = std::int64_t;

enum class Act { kSwish, kSigmoid, kRelu };

// Grid-stride over n elements: y = f(x).
template <class T, Act kA>
__global__ void activation_forward_kernel(i64 n, const T* __restrict__ x, T* __restrict__ y) {
  for (i64 i = blockIdx.x * static_cast<i64>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<i64>(gridDim.x) * blockDim.x) {
    const T v = x[i];
    if constexpr (kA == Act::kSwish) y[i] = nn::ops::swish_elem(v);
    if constexpr (kA == Act::kSigmoid) y[i] = nn::ops::sigmoid_elem(v);
    if constexpr (kA == Act::kRelu) y[i] = v > T(0) ? v : T(0);
  }
}

// Grid-stride over n elements: dx += dy * f'(in); `in` is x (swish, relu) or the output y (sigmoid).
template <class T, Act kA>
__global__ void activation_backward_kernel(i64 n, const T* __restrict__ in, const T* __restrict__ dy,
                                           T* __restrict__ dx) {
  for (i64 i = blockIdx.x * static_cast<i64>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<i64>(gridDim.x) * blockDim.x) {
    const T v = in[i], g = dy[i];
    if constexpr (kA == Act::kSwish) dx[i] += nn::ops::swish_backward_elem(v, g);
    if constexpr (kA == Act::kSigmoid) dx[i] += nn::ops::sigmoid_backward_elem(v, g);
    if constexpr (kA == Act::kRelu) dx[i] += v > T(0) ? g : T(0);
  }
}

void check_n(i64 n) {
  if (n < 0) throw std::invalid_argument("xrdid::cuda activation: negative size");
}

template <class T, Act kA>
void launch_forward(i64 n, const T* x, T* y, cudaStream_t stream) {
  check_n(n);
  if (n == 0) return;
  XRDID_LAUNCH(grid_for(n, 256), 256, 0, stream, activation_forward_kernel<T, kA>)(n, x, y);
  XRDID_CUDA_CHECK_LAUNCH();
}

template <class T, Act kA>
void launch_backward(i64 n, const T* in, const T* dy, T* dx, cudaStream_t stream) {
  check_n(n);
  if (n == 0 || !dx) return;
  XRDID_LAUNCH(grid_for(n, 256), 256, 0, stream, activation_backward_kernel<T, kA>)(n, in, dy, dx);
  XRDID_CUDA_CHECK_LAUNCH();
}

}  // namespace

template <class T> void swish_forward(i64 n, const T* x, T* y, cudaStream_t st) { launch_forward<T, Act::kSwish>(n, x, y, st); }
template <class T> void swish_backward(i64 n, const T* x, const T* dy, T* dx, cudaStream_t st) {
  launch_backward<T, Act::kSwish>(n, x, dy, dx, st);
}
template <class T> void sigmoid_forward(i64 n, const T* x, T* y, cudaStream_t st) { launch_forward<T, Act::kSigmoid>(n, x, y, st); }
template <class T> void sigmoid_backward(i64 n, const T* y, const T* dy, T* dx, cudaStream_t st) {
  launch_backward<T, Act::kSigmoid>(n, y, dy, dx, st);
}
template <class T> void relu_forward(i64 n, const T* x, T* y, cudaStream_t st) { launch_forward<T, Act::kRelu>(n, x, y, st); }
template <class T> void relu_backward(i64 n, const T* x, const T* dy, T* dx, cudaStream_t st) {
  launch_backward<T, Act::kRelu>(n, x, dy, dx, st);
}

#define XRDID_INST(T)                                                                       \
  template void swish_forward<T>(i64, const T*, T*, cudaStream_t);                          \
  template void swish_backward<T>(i64, const T*, const T*, T*, cudaStream_t);               \
  template void sigmoid_forward<T>(i64, const T*, T*, cudaStream_t);                        \
  template void sigmoid_backward<T>(i64, const T*, const T*, T*, cudaStream_t);             \
  template void relu_forward<T>(i64, const T*, T*, cudaStream_t);                           \
  template void relu_backward<T>(i64, const T*, const T*, T*, cudaStream_t);
XRDID_INST(float)
XRDID_INST(double)
#undef XRDID_INST

}  // namespace xrdid::cuda
