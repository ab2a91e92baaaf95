// BatchNorm1d on the GPU: CUDA twin of nn/ops/batchnorm.hpp, including its fused BN + swish +
// dropout forward and backward (bn_swish_dropout_*), plus the fused forward that also stores the
// intermediates (batchnorm_swish_dropout_forward). Per-channel reductions are deterministic:
// fixed splits, block trees, double sums, no atomics.
#include <cuda_runtime.h>

#include <algorithm>
#include <stdexcept>
#include <string>

#include "kernels/common.cuh"
#include "kernels/fast_div.hpp"
#include "kernels/ops_cuda.hpp"
#include "nn/ops/element.hpp"
#include "nn/ops/random.hpp"

namespace xrdid::cuda {

namespace {

using i64 = std::int64_t;
using u32 = std::uint32_t;
constexpr int kThreads = 256;

enum class Sums { kXSq, kGrad, kSwishGrad };

// What the fused backward needs to recompute g = dy * dropout_scale * swish'(x_bn) from x and dy:
// the forward BN coefficients coef[2c], coef[2c+1] (x_bn = x*a + b0) and the dropout mask.
template <class T>
struct SwishGrad {
  const T* coef = nullptr;
  SeedArg seed{};
  float pf = 0.f;
  T scale = T(1);
  bool drop = false;
};

// g of element idx (flat index) with the forward coefficients a, b0 of its channel, with exactly
// the arithmetic of the CPU twin (nn/ops/batchnorm.cpp, bsd_bwd_k): z = x*a + b0; sg = sigmoid(z);
// g = dy (times 1/(1-p), or 0 where dropped) * (sg + z*sg*(1 - sg)), all in T.
template <class T>
__device__ __forceinline__ T swish_grad(const SwishGrad<T>& sw, std::uint64_t seed, T a, T b0, i64 idx, T xv,
                                        T dyv) {
  const T z = xv * a + b0;
  const T sg = nn::ops::sigmoid_elem(z);
  T g = dyv;
  if (sw.drop) g = nn::ops::uniform(seed, static_cast<std::uint64_t>(idx)) >= sw.pf ? dyv * sw.scale : T(0);
  return g * (sg + z * sg * (T(1) - sg));
}

// Block (c, split) reduces its contiguous chunk of channel c's N*L values (flattened (n, l)) to
// two double partial sums in ws[(c*S + split)*2 + k]. kXSq: sum x and sum x^2 (one pass; in
// double the variance E[x^2] - mean^2 loses ~1e-16 * E[x^2] / var, far below float rounding);
// kGrad: sum dy and sum dy*(x - mean_c); kSwishGrad: the same two sums of g = swish_grad(sw, ...)
// in place of dy.
template <class T, Sums kMode>
__global__ void __launch_bounds__(kThreads)
    batchnorm_partial_kernel(i64 N, i64 C, FastDiv fL, i64 chunk, const T* __restrict__ x, const T* __restrict__ dy,
                             const T* __restrict__ mean, double* __restrict__ ws,
                             SwishGrad<T> sw) {
  constexpr bool kTwo = kMode == Sums::kGrad || kMode == Sums::kSwishGrad;
  __shared__ double red[32];
  const i64 L = fL.d, c = blockIdx.x, S = gridDim.y, M = N * L;
  const i64 j0 = blockIdx.y * chunk, j1 = min(M, j0 + chunk);
  const double m = kTwo ? static_cast<double>(mean[c]) : 0.0;
  std::uint64_t seed = 0;
  T fa = T(0), fb = T(0);
  if constexpr (kMode == Sums::kSwishGrad) {
    seed = nn::ops::resolve(sw.seed);
    fa = sw.coef[2 * c];
    fb = sw.coef[2 * c + 1];
  }
  double a0 = 0, a1 = 0;
  for (i64 j = j0 + threadIdx.x; j < j1; j += blockDim.x) {
    const i64 n = fL.div(static_cast<u32>(j)), l = j - n * L, idx = (n * C + c) * L + l;
    const double xv = static_cast<double>(x[idx]);
    if constexpr (kMode == Sums::kXSq) {
      a0 += xv;
      a1 += xv * xv;
    } else {
      double g;
      if constexpr (kMode == Sums::kGrad)
        g = static_cast<double>(dy[idx]);
      else
        g = static_cast<double>(swish_grad(sw, seed, fa, fb, idx, x[idx], dy[idx]));
      a0 += g;
      a1 += g * (xv - m);
    }
  }
  a0 = block_sum(a0, red);
  a1 = block_sum(a1, red);
  if (threadIdx.x == 0) {
    ws[(c * S + blockIdx.y) * 2] = a0;
    ws[(c * S + blockIdx.y) * 2 + 1] = a1;
  }
}

// One thread per channel: adds the S partials of sum k in split order.
__device__ __forceinline__ double sum_splits(const double* ws, i64 c, i64 S, int k) {
  double a = 0;
  for (i64 s = 0; s < S; ++s) a += ws[(c * S + s) * 2 + k];
  return a;
}

// One thread per channel: mean and biased variance from the kXSq sums (the variance clamped at 0).
template <class T>
__global__ void batchnorm_mean_var_kernel(i64 C, i64 S, double inv_m, const double* __restrict__ ws,
                                          T* __restrict__ mean, T* __restrict__ var) {
  const i64 c = blockIdx.x * static_cast<i64>(blockDim.x) + threadIdx.x;
  if (c >= C) return;
  const double m = sum_splits(ws, c, S, 0) * inv_m;
  const double v = sum_splits(ws, c, S, 1) * inv_m - m * m;
  mean[c] = static_cast<T>(m);
  var[c] = static_cast<T>(v > 0 ? v : 0.0);
}

// One thread per channel: y = x*a + b0 coefficients, rounded exactly as the CPU reference.
template <class T>
__global__ void batchnorm_coef_kernel(i64 C, const T* __restrict__ mean, const T* __restrict__ var,
                                      const T* __restrict__ gamma, const T* __restrict__ beta, double eps,
                                      T* __restrict__ coef) {
  const i64 c = blockIdx.x * static_cast<i64>(blockDim.x) + threadIdx.x;
  if (c >= C) return;
  const double invstd = 1.0 / sqrt(static_cast<double>(var[c]) + eps);
  coef[2 * c] = static_cast<T>(invstd * gamma[c]);
  coef[2 * c + 1] = static_cast<T>(beta[c] - mean[c] * invstd * gamma[c]);
}

// Grid-stride over the N*C*L elements: y = x*a[c] + b0[c].
template <class T>
__global__ void batchnorm_forward_kernel(i64 total, FastDiv fC, FastDiv fL, const T* __restrict__ x, const T* __restrict__ coef,
                                         T* __restrict__ y) {
  for (i64 i = blockIdx.x * static_cast<i64>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<i64>(gridDim.x) * blockDim.x) {
    const i64 c = fC.mod(fL.div(static_cast<u32>(i)));
    y[i] = x[i] * coef[2 * c] + coef[2 * c + 1];
  }
}

// Grid-stride, fused: v = BN(x); a = swish(v); y = a * dropout_scale(i) (pf = 0: y = a).
// Optional stores of v, a. The seed is resolved once per thread.
template <class T>
__global__ void batchnorm_swish_dropout_forward_kernel(i64 total, FastDiv fC, FastDiv fL, const T* __restrict__ x,
                                                       const T* __restrict__ coef, float pf, T keep_scale,
                                                       SeedArg seed_arg, T* __restrict__ xbn, T* __restrict__ act,
                                                       T* __restrict__ y) {
  const std::uint64_t seed = nn::ops::resolve(seed_arg);
  for (i64 i = blockIdx.x * static_cast<i64>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<i64>(gridDim.x) * blockDim.x) {
    const i64 c = fC.mod(fL.div(static_cast<u32>(i)));
    const T v = x[i] * coef[2 * c] + coef[2 * c + 1];
    const T a = nn::ops::swish_elem(v);
    if (xbn) xbn[i] = v;
    if (act) act[i] = a;
    if (pf > 0.f)
      y[i] = nn::ops::uniform(seed, static_cast<std::uint64_t>(i)) >= pf ? a * keep_scale : T(0);
    else
      y[i] = a;
  }
}

// One thread per channel: dgamma, dbeta += and the dx coefficients (a, k, b0) as on the CPU.
template <class T>
__global__ void batchnorm_backward_coef_kernel(i64 C, i64 S, double m, const double* __restrict__ ws,
                                               const T* __restrict__ mean, const T* __restrict__ var,
                                               const T* __restrict__ gamma, double eps, bool training,
                                               T* __restrict__ dgamma, T* __restrict__ dbeta, T* __restrict__ coef) {
  const i64 c = blockIdx.x * static_cast<i64>(blockDim.x) + threadIdx.x;
  if (c >= C) return;
  const double invstd = 1.0 / sqrt(static_cast<double>(var[c]) + eps);
  const double mu = mean[c];
  const double sum_dy = sum_splits(ws, c, S, 0);
  const double sum_dyxhat = sum_splits(ws, c, S, 1) * invstd;
  if (dgamma) dgamma[c] += static_cast<T>(sum_dyxhat);
  if (dbeta) dbeta[c] += static_cast<T>(sum_dy);
  const double gi = gamma ? gamma[c] * invstd : invstd;
  coef[3 * c] = static_cast<T>(gi);
  coef[3 * c + 1] = training ? static_cast<T>(gi * sum_dyxhat * invstd / m) : T(0);
  coef[3 * c + 2] = training ? static_cast<T>(-gi * sum_dy / m + gi * sum_dyxhat * invstd * mu / m) : T(0);
}

// Grid-stride: dx += a*dy - k*x + b0 (k = b0 = 0 in evaluation mode).
template <class T>
__global__ void batchnorm_backward_kernel(i64 total, FastDiv fC, FastDiv fL, const T* __restrict__ x, const T* __restrict__ dy,
                                          const T* __restrict__ coef, T* __restrict__ dx) {
  for (i64 i = blockIdx.x * static_cast<i64>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<i64>(gridDim.x) * blockDim.x) {
    const i64 c = fC.mod(fL.div(static_cast<u32>(i)));
    dx[i] += coef[3 * c] * dy[i] - coef[3 * c + 1] * x[i] + coef[3 * c + 2];
  }
}

// Grid-stride, fused backward: dx += a*g - k*x + b0 with g = swish_grad(...) recomputed exactly as
// in the kSwishGrad sums (k = b0 = 0 in evaluation mode); bcoef from batchnorm_backward_coef_kernel.
template <class T>
__global__ void bn_swish_dropout_backward_kernel(i64 total, FastDiv fC, FastDiv fL, const T* __restrict__ x,
                                                 const T* __restrict__ dy, SwishGrad<T> sw,
                                                 const T* __restrict__ bcoef, T* __restrict__ dx) {
  const std::uint64_t seed = nn::ops::resolve(sw.seed);
  for (i64 i = blockIdx.x * static_cast<i64>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<i64>(gridDim.x) * blockDim.x) {
    const i64 c = fC.mod(fL.div(static_cast<u32>(i)));
    const T xv = x[i];
    const T g = swish_grad(sw, seed, sw.coef[2 * c], sw.coef[2 * c + 1], i, xv, dy[i]);
    dx[i] += bcoef[3 * c] * g - bcoef[3 * c + 1] * xv + bcoef[3 * c + 2];
  }
}

// One thread per channel.
template <class T>
__global__ void batchnorm_update_running_kernel(i64 C, double unbias, double momentum, const T* __restrict__ mean,
                                                const T* __restrict__ var, T* __restrict__ rm, T* __restrict__ rv) {
  const i64 c = blockIdx.x * static_cast<i64>(blockDim.x) + threadIdx.x;
  if (c >= C) return;
  rm[c] = static_cast<T>((1.0 - momentum) * rm[c] + momentum * mean[c]);
  rv[c] = static_cast<T>((1.0 - momentum) * rv[c] + momentum * var[c] * unbias);
}

void check_shape(const BatchNormShape& s) {
  if (s.N < 1 || s.C < 1 || s.L < 1) throw std::invalid_argument("xrdid::cuda batchnorm: sizes must be positive");
  if (s.C > 2147483647LL) throw std::invalid_argument("xrdid::cuda batchnorm: C too large");
  if (s.N > (std::int64_t{1} << 31) || s.L > (std::int64_t{1} << 31) - 1)
    throw std::invalid_argument("xrdid::cuda batchnorm: N or L too large");
  check_u32(s.N * s.C * s.L, "batchnorm");
}

void check_p(double p, const char* what) {
  if (!(p >= 0.0 && p < 1.0)) throw std::invalid_argument(std::string("xrdid::cuda ") + what + ": p not in [0, 1)");
}

// Splits per channel: about 8 blocks per multiprocessor in all, at least 2048 values per split
// (a function of the shape and the card: the same sums on every run on one card).
i64 splits_for(const BatchNormShape& s) {
  const i64 M = s.N * s.L;
  i64 S = CEIL_DIV(i64{8} * sm_count(), s.C);
  S = std::min(S, std::max<i64>(1, M / 2048));
  return std::max<i64>(1, std::min<i64>(S, 65535));
}

unsigned per_channel_grid(i64 C) { return static_cast<unsigned>(CEIL_DIV(C, i64{128})); }

template <class T>
void coefficients(const BatchNormShape& s, const T* mean, const T* var, const T* gamma, const T* beta, double eps,
                  T* coef, cudaStream_t stream) {
  XRDID_LAUNCH(per_channel_grid(s.C), 128, 0, stream, batchnorm_coef_kernel<T>)(s.C, mean, var, gamma, beta, eps, coef);
  XRDID_CUDA_CHECK_LAUNCH();
}

}  // namespace

template <class T>
void batchnorm_stats(const BatchNormShape& s, const T* x, T* mean, T* var, cudaStream_t stream) {
  check_shape(s);
  const i64 S = splits_for(s), M = s.N * s.L, chunk = CEIL_DIV(M, S);
  Scratch<double> ws(static_cast<std::size_t>(s.C * S * 2), stream);
  const dim3 grid(static_cast<unsigned>(s.C), static_cast<unsigned>(S));
  XRDID_LAUNCH(grid, kThreads, 0, stream, batchnorm_partial_kernel<T, Sums::kXSq>)
  (s.N, s.C, FastDiv(s.L), chunk, x, nullptr, nullptr, ws.get(), SwishGrad<T>{});
  XRDID_CUDA_CHECK_LAUNCH();
  XRDID_LAUNCH(per_channel_grid(s.C), 128, 0, stream, batchnorm_mean_var_kernel<T>)
  (s.C, S, 1.0 / static_cast<double>(M), ws.get(), mean, var);
  XRDID_CUDA_CHECK_LAUNCH();
}

template <class T>
void batchnorm_forward(const BatchNormShape& s, const T* x, const T* mean, const T* var, const T* gamma,
                       const T* beta, double eps, T* y, cudaStream_t stream) {
  check_shape(s);
  Scratch<T> coef(static_cast<std::size_t>(2 * s.C), stream);
  coefficients(s, mean, var, gamma, beta, eps, coef.get(), stream);
  const i64 total = s.N * s.C * s.L;
  XRDID_LAUNCH(grid_for(total, 256), 256, 0, stream, batchnorm_forward_kernel<T>)(total, FastDiv(s.C), FastDiv(s.L), x, coef.get(), y);
  XRDID_CUDA_CHECK_LAUNCH();
}

template <class T>
void batchnorm_swish_dropout_forward(const BatchNormShape& s, const T* x, const T* mean, const T* var,
                                     const T* gamma, const T* beta, double eps, double p, std::uint64_t seed,
                                     T* xbn, T* act, T* y, cudaStream_t stream) {
  check_shape(s);
  check_p(p, "batchnorm_swish_dropout");
  Scratch<T> coef(static_cast<std::size_t>(2 * s.C), stream);
  coefficients(s, mean, var, gamma, beta, eps, coef.get(), stream);
  const i64 total = s.N * s.C * s.L;
  XRDID_LAUNCH(grid_for(total, 256), 256, 0, stream, batchnorm_swish_dropout_forward_kernel<T>)
  (total, FastDiv(s.C), FastDiv(s.L), x, coef.get(), static_cast<float>(p), static_cast<T>(1.0 / (1.0 - p)), SeedArg{nullptr, seed}, xbn,
   act, y);
  XRDID_CUDA_CHECK_LAUNCH();
}

template <class T>
void bn_swish_dropout_forward(const BatchNormShape& s, const T* x, const T* mean, const T* var, const T* gamma,
                              const T* beta, double eps, bool drop, double p, SeedArg seed, T* y,
                              cudaStream_t stream) {
  check_shape(s);
  if (drop) check_p(p, "bn_swish_dropout_forward");
  const double pe = drop ? p : 0.0;  // the CPU's drop with p = 0 keeps all with scale 1: the same
  Scratch<T> coef(static_cast<std::size_t>(2 * s.C), stream);
  coefficients(s, mean, var, gamma, beta, eps, coef.get(), stream);
  const i64 total = s.N * s.C * s.L;
  XRDID_LAUNCH(grid_for(total, 256), 256, 0, stream, batchnorm_swish_dropout_forward_kernel<T>)
  (total, FastDiv(s.C), FastDiv(s.L), x, coef.get(), static_cast<float>(pe), static_cast<T>(1.0 / (1.0 - pe)), seed, nullptr, nullptr, y);
  XRDID_CUDA_CHECK_LAUNCH();
}

// Fused backward: the forward coefficients; per-channel sums of g and g*(x - mean) (kSwishGrad,
// fixed splits, deterministic); dgamma, dbeta += and the dx coefficients exactly as
// batchnorm_backward; then dx += a*g - k*x + b0 with g recomputed elementwise.
template <class T>
void bn_swish_dropout_backward(const BatchNormShape& s, const T* x, const T* mean, const T* var, const T* gamma,
                               const T* beta, double eps, bool training, bool drop, double p, SeedArg seed,
                               const T* dy, T* dx, T* dgamma, T* dbeta, cudaStream_t stream) {
  check_shape(s);
  if (drop) check_p(p, "bn_swish_dropout_backward");
  if (!dx && !dgamma && !dbeta) return;
  const i64 S = splits_for(s), M = s.N * s.L, chunk = CEIL_DIV(M, S);
  Scratch<double> ws(static_cast<std::size_t>(s.C * S * 2), stream);
  Scratch<T> fcoef(static_cast<std::size_t>(2 * s.C), stream);
  Scratch<T> bcoef(static_cast<std::size_t>(3 * s.C), stream);
  coefficients(s, mean, var, gamma, beta, eps, fcoef.get(), stream);
  SwishGrad<T> sw;
  sw.coef = fcoef.get();
  sw.seed = seed;
  sw.drop = drop && p > 0.0;  // p = 0: every element kept with scale 1, as the CPU's drop path
  sw.pf = static_cast<float>(sw.drop ? p : 0.0);
  sw.scale = static_cast<T>(1.0 / (1.0 - (sw.drop ? p : 0.0)));
  const dim3 grid(static_cast<unsigned>(s.C), static_cast<unsigned>(S));
  XRDID_LAUNCH(grid, kThreads, 0, stream, batchnorm_partial_kernel<T, Sums::kSwishGrad>)
  (s.N, s.C, FastDiv(s.L), chunk, x, dy, mean, ws.get(), sw);
  XRDID_CUDA_CHECK_LAUNCH();
  XRDID_LAUNCH(per_channel_grid(s.C), 128, 0, stream, batchnorm_backward_coef_kernel<T>)
  (s.C, S, static_cast<double>(M), ws.get(), mean, var, gamma, eps, training, dgamma, dbeta, bcoef.get());
  XRDID_CUDA_CHECK_LAUNCH();
  if (dx) {
    const i64 total = s.N * s.C * s.L;
    XRDID_LAUNCH(grid_for(total, 256), 256, 0, stream, bn_swish_dropout_backward_kernel<T>)
    (total, FastDiv(s.C), FastDiv(s.L), x, dy, sw, bcoef.get(), dx);
    XRDID_CUDA_CHECK_LAUNCH();
  }
}

template <class T>
void batchnorm_update_running(std::int64_t C, std::int64_t M, const T* mean, const T* var, double momentum,
                              T* running_mean, T* running_var, cudaStream_t stream) {
  if (C < 1 || M < 1) throw std::invalid_argument("xrdid::cuda batchnorm_update_running: sizes must be positive");
  const double unbias = M > 1 ? static_cast<double>(M) / static_cast<double>(M - 1) : 1.0;
  XRDID_LAUNCH(per_channel_grid(C), 128, 0, stream, batchnorm_update_running_kernel<T>)
  (C, unbias, momentum, mean, var, running_mean, running_var);
  XRDID_CUDA_CHECK_LAUNCH();
}

template <class T>
void batchnorm_backward(const BatchNormShape& s, const T* x, const T* mean, const T* var, const T* gamma,
                        const T* dy, double eps, bool training, T* dx, T* dgamma, T* dbeta, cudaStream_t stream) {
  check_shape(s);
  if (!dx && !dgamma && !dbeta) return;
  const i64 S = splits_for(s), M = s.N * s.L, chunk = CEIL_DIV(M, S);
  Scratch<double> ws(static_cast<std::size_t>(s.C * S * 2), stream);
  Scratch<T> coef(static_cast<std::size_t>(3 * s.C), stream);
  const dim3 grid(static_cast<unsigned>(s.C), static_cast<unsigned>(S));
  XRDID_LAUNCH(grid, kThreads, 0, stream, batchnorm_partial_kernel<T, Sums::kGrad>)
  (s.N, s.C, FastDiv(s.L), chunk, x, dy, mean, ws.get(), SwishGrad<T>{});
  XRDID_CUDA_CHECK_LAUNCH();
  XRDID_LAUNCH(per_channel_grid(s.C), 128, 0, stream, batchnorm_backward_coef_kernel<T>)
  (s.C, S, static_cast<double>(M), ws.get(), mean, var, gamma, eps, training, dgamma, dbeta, coef.get());
  XRDID_CUDA_CHECK_LAUNCH();
  if (dx) {
    const i64 total = s.N * s.C * s.L;
    XRDID_LAUNCH(grid_for(total, 256), 256, 0, stream, batchnorm_backward_kernel<T>)
    (total, FastDiv(s.C), FastDiv(s.L), x, dy, coef.get(), dx);
    XRDID_CUDA_CHECK_LAUNCH();
  }
}

#define XRDID_INST(T)                                                                                            \
  template void batchnorm_stats<T>(const BatchNormShape&, const T*, T*, T*, cudaStream_t);                      \
  template void batchnorm_forward<T>(const BatchNormShape&, const T*, const T*, const T*, const T*, const T*,   \
                                     double, T*, cudaStream_t);                                                  \
  template void batchnorm_swish_dropout_forward<T>(const BatchNormShape&, const T*, const T*, const T*,         \
                                                   const T*, const T*, double, double, std::uint64_t, T*, T*,  \
                                                   T*, cudaStream_t);                                            \
  template void batchnorm_update_running<T>(std::int64_t, std::int64_t, const T*, const T*, double, T*, T*,     \
                                            cudaStream_t);                                                       \
  template void batchnorm_backward<T>(const BatchNormShape&, const T*, const T*, const T*, const T*, const T*,  \
                                      double, bool, T*, T*, T*, cudaStream_t);                                   \
  template void bn_swish_dropout_forward<T>(const BatchNormShape&, const T*, const T*, const T*, const T*,      \
                                            const T*, double, bool, double, SeedArg, T*, cudaStream_t);          \
  template void bn_swish_dropout_backward<T>(const BatchNormShape&, const T*, const T*, const T*, const T*,     \
                                             const T*, double, bool, bool, double, SeedArg, const T*, T*, T*, T*, \
                                             cudaStream_t);
XRDID_INST(float)
XRDID_INST(double)
#undef XRDID_INST

}  // namespace xrdid::cuda
