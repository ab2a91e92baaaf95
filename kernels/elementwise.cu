// Elementwise ops and the full sum on the GPU: CUDA twin of the raw-array ops of
// nn/ops/elementwise.hpp (add, axpy, mul, add_scalar, sum_all), plus axpy with a device-resident
// scale (axpy_device_scale). Grid-stride loops.
#include <cuda_runtime.h>

#include <stdexcept>

#include "kernels/common.cuh"
#include "kernels/ops_cuda.hpp"

namespace xrdid::cuda {

namespace {

using i64 = std::int64_t;
constexpr int kSumBlocks = 264, kSumThreads = 256;

enum class Ew { kAdd, kMul };

// Grid-stride: y = a + b or a * b.
template <class T, Ew kOp>
__global__ void binary_forward_kernel(i64 n, const T* __restrict__ a, const T* __restrict__ b, T* __restrict__ y) {
  for (i64 i = blockIdx.x * static_cast<i64>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<i64>(gridDim.x) * blockDim.x)
    y[i] = kOp == Ew::kAdd ? a[i] + b[i] : a[i] * b[i];
}

// Grid-stride: y += alpha * x.
template <class T>
__global__ void axpy_forward_kernel(i64 n, T alpha, const T* __restrict__ x, T* __restrict__ y) {
  for (i64 i = blockIdx.x * static_cast<i64>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<i64>(gridDim.x) * blockDim.x)
    y[i] += alpha * x[i];
}

// Grid-stride: y += T(*s) * x; every thread reads the device double *s once and rounds it to T
// as the host does for axpy's alpha, so the result equals axpy(n, T(*s), x, y) bit for bit.
template <class T>
__global__ void axpy_device_scale_kernel(i64 n, const double* __restrict__ s, const T* __restrict__ x,
                                         T* __restrict__ y) {
  const T alpha = static_cast<T>(*s);
  for (i64 i = blockIdx.x * static_cast<i64>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<i64>(gridDim.x) * blockDim.x)
    y[i] += alpha * x[i];
}

// Grid-stride: da += dy*b, db += dy*a (either may be nullptr).
template <class T>
__global__ void mul_backward_kernel(i64 n, const T* __restrict__ a, const T* __restrict__ b, const T* __restrict__ dy,
                                    T* __restrict__ da, T* __restrict__ db) {
  for (i64 i = blockIdx.x * static_cast<i64>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<i64>(gridDim.x) * blockDim.x) {
    const T g = dy[i];
    if (da) da[i] += g * b[i];
    if (db) db[i] += g * a[i];
  }
}

// Grid-stride: y += value.
template <class T>
__global__ void add_scalar_forward_kernel(i64 n, T value, T* __restrict__ y) {
  for (i64 i = blockIdx.x * static_cast<i64>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<i64>(gridDim.x) * blockDim.x)
    y[i] += value;
}

// Stage 1: a fixed grid of kSumBlocks blocks, each a grid-strided double partial (block tree) to
// partial[block]; stage 2 (one block) adds the partials. Fixed shape: deterministic.
template <class T>
__global__ void __launch_bounds__(kSumThreads) sum_all_partial_kernel(i64 n, const T* __restrict__ x,
                                                                      double* __restrict__ partial) {
  __shared__ double red[32];
  double a = 0;
  for (i64 i = blockIdx.x * static_cast<i64>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<i64>(gridDim.x) * blockDim.x)
    a += static_cast<double>(x[i]);
  a = block_sum(a, red);
  if (threadIdx.x == 0) partial[blockIdx.x] = a;
}

__global__ void __launch_bounds__(kSumThreads) sum_all_final_kernel(int parts, const double* __restrict__ partial,
                                                                    double* __restrict__ out) {
  __shared__ double red[32];
  double a = 0;
  for (int i = threadIdx.x; i < parts; i += blockDim.x) a += partial[i];
  a = block_sum(a, red);
  if (threadIdx.x == 0) *out = a;
}

void check_n(i64 n) {
  if (n < 0) throw std::invalid_argument("xrdid::cuda elementwise: negative size");
}

}  // namespace

template <class T>
void add_forward(i64 n, const T* a, const T* b, T* y, cudaStream_t stream) {
  check_n(n);
  if (n == 0) return;
  XRDID_LAUNCH(grid_for(n, 256), 256, 0, stream, binary_forward_kernel<T, Ew::kAdd>)(n, a, b, y);
  XRDID_CUDA_CHECK_LAUNCH();
}

template <class T>
void axpy(i64 n, T alpha, const T* x, T* y, cudaStream_t stream) {
  check_n(n);
  if (n == 0) return;
  XRDID_LAUNCH(grid_for(n, 256), 256, 0, stream, axpy_forward_kernel<T>)(n, alpha, x, y);
  XRDID_CUDA_CHECK_LAUNCH();
}

template <class T>
void mul_forward(i64 n, const T* a, const T* b, T* y, cudaStream_t stream) {
  check_n(n);
  if (n == 0) return;
  XRDID_LAUNCH(grid_for(n, 256), 256, 0, stream, binary_forward_kernel<T, Ew::kMul>)(n, a, b, y);
  XRDID_CUDA_CHECK_LAUNCH();
}

template <class T>
void mul_backward(i64 n, const T* a, const T* b, const T* dy, T* da, T* db, cudaStream_t stream) {
  check_n(n);
  if (n == 0 || (!da && !db)) return;
  XRDID_LAUNCH(grid_for(n, 256), 256, 0, stream, mul_backward_kernel<T>)(n, a, b, dy, da, db);
  XRDID_CUDA_CHECK_LAUNCH();
}

template <class T>
void sum_all(i64 n, const T* x, double* out, cudaStream_t stream) {
  check_n(n);
  Scratch<double> partial(kSumBlocks, stream);
  XRDID_LAUNCH(kSumBlocks, kSumThreads, 0, stream, sum_all_partial_kernel<T>)(n, x, partial.get());
  XRDID_CUDA_CHECK_LAUNCH();
  XRDID_LAUNCH(1, kSumThreads, 0, stream, sum_all_final_kernel)(kSumBlocks, partial.get(), out);
  XRDID_CUDA_CHECK_LAUNCH();
}

template <class T>
void add_scalar(i64 n, T value, T* y, cudaStream_t stream) {
  check_n(n);
  if (n == 0) return;
  XRDID_LAUNCH(grid_for(n, 256), 256, 0, stream, add_scalar_forward_kernel<T>)(n, value, y);
  XRDID_CUDA_CHECK_LAUNCH();
}

template <class T>
void axpy_device_scale(i64 n, const double* s, const T* x, T* y, cudaStream_t stream) {
  check_n(n);
  if (n == 0) return;
  XRDID_LAUNCH(grid_for(n, 256), 256, 0, stream, axpy_device_scale_kernel<T>)(n, s, x, y);
  XRDID_CUDA_CHECK_LAUNCH();
}

#define XRDID_INST(T)                                                                              \
  template void add_forward<T>(i64, const T*, const T*, T*, cudaStream_t);                         \
  template void axpy<T>(i64, T, const T*, T*, cudaStream_t);                                       \
  template void mul_forward<T>(i64, const T*, const T*, T*, cudaStream_t);                         \
  template void mul_backward<T>(i64, const T*, const T*, const T*, T*, T*, cudaStream_t);          \
  template void sum_all<T>(i64, const T*, double*, cudaStream_t);                                  \
  template void add_scalar<T>(i64, T, T*, cudaStream_t);                                          \
  template void axpy_device_scale<T>(i64, const double*, const T*, T*, cudaStream_t);
XRDID_INST(float)
XRDID_INST(double)
#undef XRDID_INST

}  // namespace xrdid::cuda
