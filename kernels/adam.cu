// Fused Adam / AdamW update on the GPU, torch.optim semantics (the same arithmetic as
// nn/ops/adam.hpp's adam_update: the shared nn::ops::adam_element), for one flat tensor or a list of tensors in one launch, and
// with lr and the bias corrections read from device memory (AdamHyper, for CUDA-graph replay).
#include <cuda_runtime.h>

#include <stdexcept>

#include "kernels/common.cuh"
#include "kernels/ops_cuda.hpp"
#include "nn/ops/element.hpp"

namespace xrdid::cuda {

namespace {

using i64 = std::int64_t;
constexpr int kMaxTensors = 32;
constexpr i64 kChunk = 4096;  // elements per block in the multi-tensor launch

using nn::ops::AdamCoef;

// The coefficients and the AdamW/Adam switch of one launch.
template <class T>
struct AdamArgs {
  AdamCoef<T> k;
  bool decoupled;
};

template <class T>
AdamArgs<T> make_args(double lr, double b1, double b2, double eps, double wd, bool decoupled, double bc1, double bc2) {
  return AdamArgs<T>{nn::ops::adam_coef<T>(lr, b1, b2, eps, wd, bc1, bc2), decoupled};
}

// nn::ops::adam_coef on the device from the AdamHyper scalars: the same double expressions, each
// rounded once (double division and sqrt are IEEE round-to-nearest on the device; __dmul_rn keeps
// lr*wd from contracting into an FMA, which the host does not form either), then rounded to T.
template <class T>
__device__ __forceinline__ AdamCoef<T> make_coef_device(const AdamHyper* __restrict__ h, T b1, T b2, T eps, T wd,
                                                        double wd_d) {
  const double lr = h->lr, bc1 = h->bc1, bc2 = h->bc2;
  return AdamCoef<T>{static_cast<T>(lr / bc1), static_cast<T>(sqrt(bc2)), b1, b2, eps,
                     static_cast<T>(1.0 - __dmul_rn(lr, wd_d)), wd};
}

// Every kernel updates an element through nn::ops::adam_element (the CPU reference's formula,
// with explicit rounding), so all of them agree bit for bit given the same coefficients.
template <class T>
__device__ __forceinline__ void adam_one(const AdamArgs<T>& a, T& p, T g, T& m, T& v) {
  nn::ops::adam_element(a.k, a.decoupled, p, g, m, v);
}

// Grid-stride over the n elements of one tensor.
template <class T>
__global__ void adam_update_kernel(i64 n, AdamArgs<T> k, T* __restrict__ p, const T* __restrict__ g,
                                   T* __restrict__ m, T* __restrict__ v) {
  for (i64 i = blockIdx.x * static_cast<i64>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<i64>(gridDim.x) * blockDim.x)
    adam_one(k, p[i], g[i], m[i], v[i]);
}

// Grid-stride, as adam_update_kernel; each thread forms the coefficients from *hyper itself
// (three cached 8-byte loads and a few double operations: cheaper than a block barrier).
template <class T>
__global__ void adam_update_hyper_kernel(i64 n, const AdamHyper* __restrict__ hyper, T b1, T b2, T eps, T wd,
                                         double wd_d, bool decoupled, T* __restrict__ p, const T* __restrict__ g,
                                         T* __restrict__ m, T* __restrict__ v) {
  const AdamArgs<T> k{make_coef_device<T>(hyper, b1, b2, eps, wd, wd_d), decoupled};
  for (i64 i = blockIdx.x * static_cast<i64>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<i64>(gridDim.x) * blockDim.x)
    adam_one(k, p[i], g[i], m[i], v[i]);
}

template <class T>
struct AdamList {
  T* p[kMaxTensors];
  const T* g[kMaxTensors];
  T* m[kMaxTensors];
  T* v[kMaxTensors];
  i64 n[kMaxTensors];
  i64 block_start[kMaxTensors + 1];  // prefix sums of the blocks per tensor
  int count;
};

// One block per kChunk-element chunk of one tensor (found by a scan of block_start), by value
// kernel argument (about 1.5 KB); block-stride loop inside the chunk.
template <class T>
__global__ void adam_update_multi_kernel(AdamList<T> list, AdamArgs<T> k) {
  const i64 b = blockIdx.x;
  int t = 0;
  while (t + 1 < list.count && list.block_start[t + 1] <= b) ++t;
  const i64 base = (b - list.block_start[t]) * kChunk, end = min(list.n[t], base + kChunk);
  T* p = list.p[t];
  const T* g = list.g[t];
  T* m = list.m[t];
  T* v = list.v[t];
  for (i64 i = base + threadIdx.x; i < end; i += blockDim.x) adam_one(k, p[i], g[i], m[i], v[i]);
}

}  // namespace

template <class T>
void adam_update(T* p, const T* g, T* m, T* v, i64 n, double lr, double beta1, double beta2, double eps,
                 double weight_decay, bool decoupled, double bc1, double bc2, cudaStream_t stream) {
  if (n < 0) throw std::invalid_argument("xrdid::cuda adam_update: negative size");
  if (n == 0 || !g) return;
  const auto k = make_args<T>(lr, beta1, beta2, eps, weight_decay, decoupled, bc1, bc2);
  XRDID_LAUNCH(grid_for(n, 256), 256, 0, stream, adam_update_kernel<T>)(n, k, p, g, m, v);
  XRDID_CUDA_CHECK_LAUNCH();
}

template <class T>
void adam_update(T* p, const T* g, T* m, T* v, i64 n, const AdamHyper* hyper, double beta1, double beta2, double eps,
                 double weight_decay, bool decoupled, cudaStream_t stream) {
  if (n < 0) throw std::invalid_argument("xrdid::cuda adam_update: negative size");
  if (n == 0 || !g) return;
  if (!hyper) throw std::invalid_argument("xrdid::cuda adam_update: null AdamHyper");
  XRDID_LAUNCH(grid_for(n, 256), 256, 0, stream, adam_update_hyper_kernel<T>)
  (n, hyper, static_cast<T>(beta1), static_cast<T>(beta2), static_cast<T>(eps), static_cast<T>(weight_decay),
   weight_decay, decoupled, p, g, m, v);
  XRDID_CUDA_CHECK_LAUNCH();
}

template <class T>
void adam_update_multi(int count, T* const* p, const T* const* g, T* const* m, T* const* v, const i64* n, double lr,
                       double beta1, double beta2, double eps, double weight_decay, bool decoupled, double bc1,
                       double bc2, cudaStream_t stream) {
  if (count < 0) throw std::invalid_argument("xrdid::cuda adam_update_multi: negative count");
  const auto k = make_args<T>(lr, beta1, beta2, eps, weight_decay, decoupled, bc1, bc2);
  AdamList<T> list{};
  auto flush = [&]() {
    if (list.count == 0) return;
    const i64 blocks = list.block_start[list.count];
    if (blocks > 2147483647LL) throw std::invalid_argument("xrdid::cuda adam_update_multi: too many blocks");
    if (blocks > 0) {
      XRDID_LAUNCH(static_cast<unsigned>(blocks), 256, 0, stream, adam_update_multi_kernel<T>)(list, k);
      XRDID_CUDA_CHECK_LAUNCH();
    }
    list = AdamList<T>{};
  };
  for (int t = 0; t < count; ++t) {
    if (n[t] < 0) throw std::invalid_argument("xrdid::cuda adam_update_multi: negative size");
    if (!g[t] || n[t] == 0) continue;  // a parameter without gradient is skipped, as on the CPU
    const int c = list.count;
    list.p[c] = p[t];
    list.g[c] = g[t];
    list.m[c] = m[t];
    list.v[c] = v[t];
    list.n[c] = n[t];
    list.block_start[c + 1] = list.block_start[c] + CEIL_DIV(n[t], kChunk);
    list.count = c + 1;
    if (list.count == kMaxTensors) flush();
  }
  flush();
}

#define XRDID_INST(T)                                                                                        \
  template void adam_update<T>(T*, const T*, T*, T*, i64, double, double, double, double, double, bool,     \
                               double, double, cudaStream_t);                                                \
  template void adam_update<T>(T*, const T*, T*, T*, i64, const AdamHyper*, double, double, double, double,    \
                               bool, cudaStream_t);                                                          \
  template void adam_update_multi<T>(int, T* const*, const T* const*, T* const*, T* const*, const i64*,     \
                                     double, double, double, double, double, bool, double, double,          \
                                     cudaStream_t);
XRDID_INST(float)
XRDID_INST(double)
#undef XRDID_INST

}  // namespace xrdid::cuda
