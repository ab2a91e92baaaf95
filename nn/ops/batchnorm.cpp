// BatchNorm1d CPU ops: OpenMP over channels, vectorisable inner loops over length; per-channel
// sums are accumulated in double.
#include "nn/ops/batchnorm.hpp"

#include <cmath>

#include "nn/ops/cpu_util.hpp"
#include "nn/ops/element.hpp"
#include "nn/ops/random.hpp"

namespace xrdid::nn::ops {

template <class T>
void batchnorm_stats(const BatchNormShape& s, const T* x, T* mean, T* var) {
  const std::int64_t N = s.N, C = s.C, L = s.L;
  const double inv_m = 1.0 / static_cast<double>(N * L);
#pragma omp parallel for schedule(static) if (s.N * s.C * s.L > 32768)
  for (std::int64_t c = 0; c < C; ++c) {
    double acc = 0;
    for (std::int64_t n = 0; n < N; ++n) {
      const T* xr = x + (n * C + c) * L;
#pragma omp simd reduction(+ : acc)
      for (std::int64_t l = 0; l < L; ++l) acc += xr[l];
    }
    const double mu = acc * inv_m;
    double sq = 0;  // second pass: no cancellation
    for (std::int64_t n = 0; n < N; ++n) {
      const T* xr = x + (n * C + c) * L;
#pragma omp simd reduction(+ : sq)
      for (std::int64_t l = 0; l < L; ++l) {
        const double d = xr[l] - mu;
        sq += d * d;
      }
    }
    mean[c] = static_cast<T>(mu);
    var[c] = static_cast<T>(sq * inv_m);
  }
}

template <class T>
void batchnorm_forward(const BatchNormShape& s, const T* x, const T* mean, const T* var,
                       const T* gamma, const T* beta, double eps, T* y) {
  const std::int64_t N = s.N, C = s.C, L = s.L;
#pragma omp parallel for collapse(2) schedule(static) if (s.N * s.C * s.L > 32768)
  for (std::int64_t n = 0; n < N; ++n)
    for (std::int64_t c = 0; c < C; ++c) {
      const double invstd = 1.0 / std::sqrt(static_cast<double>(var[c]) + eps);
      const T a = static_cast<T>(invstd * gamma[c]);
      const T b0 = static_cast<T>(beta[c] - mean[c] * invstd * gamma[c]);
      const T* xr = x + (n * C + c) * L;
      T* yr = y + (n * C + c) * L;
#pragma omp simd
      for (std::int64_t l = 0; l < L; ++l) yr[l] = xr[l] * a + b0;
    }
}

template <class T>
void batchnorm_update_running(std::int64_t C, std::int64_t M, const T* mean, const T* var,
                              double momentum, T* running_mean, T* running_var) {
  const double unbias = M > 1 ? static_cast<double>(M) / static_cast<double>(M - 1) : 1.0;
  for (std::int64_t c = 0; c < C; ++c) {
    running_mean[c] = static_cast<T>((1.0 - momentum) * running_mean[c] + momentum * mean[c]);
    running_var[c] = static_cast<T>((1.0 - momentum) * running_var[c] + momentum * var[c] * unbias);
  }
}

template <class T>
void batchnorm_backward(const BatchNormShape& s, const T* x, const T* mean, const T* var,
                        const T* gamma, const T* dy, double eps, bool training, T* dx, T* dgamma,
                        T* dbeta) {
  const std::int64_t N = s.N, C = s.C, L = s.L;
  const double m = static_cast<double>(N * L);
#pragma omp parallel for schedule(static) if (s.N * s.C * s.L > 32768)
  for (std::int64_t c = 0; c < C; ++c) {
    const double invstd = 1.0 / std::sqrt(static_cast<double>(var[c]) + eps);
    const double mu = mean[c];
    // sum_dy = sum dy, sum_dyx = sum dy * xhat
    double sum_dy = 0, sum_dyxc = 0;
    for (std::int64_t n = 0; n < N; ++n) {
      const T* xr = x + (n * C + c) * L;
      const T* dr = dy + (n * C + c) * L;
#pragma omp simd reduction(+ : sum_dy, sum_dyxc)
      for (std::int64_t l = 0; l < L; ++l) {
        sum_dy += dr[l];
        sum_dyxc += dr[l] * (xr[l] - mu);
      }
    }
    const double sum_dyxhat = sum_dyxc * invstd;
    if (dgamma) dgamma[c] += static_cast<T>(sum_dyxhat);
    if (dbeta) dbeta[c] += static_cast<T>(sum_dy);
    if (!dx) continue;
    const double gi = gamma[c] * invstd;
    if (training) {
      // dx = gamma*invstd * (dy - mean(dy) - xhat * mean(dy*xhat))
      const T a = static_cast<T>(gi);
      const T k = static_cast<T>(gi * sum_dyxhat * invstd / m);  // multiplies (x - mu)
      const T b0 = static_cast<T>(-gi * sum_dy / m + gi * sum_dyxhat * invstd * mu / m);
      for (std::int64_t n = 0; n < N; ++n) {
        const T* xr = x + (n * C + c) * L;
        const T* dr = dy + (n * C + c) * L;
        T* gr = dx + (n * C + c) * L;
#pragma omp simd
        for (std::int64_t l = 0; l < L; ++l) gr[l] += a * dr[l] - k * xr[l] + b0;
      }
    } else {
      const T a = static_cast<T>(gi);
      for (std::int64_t n = 0; n < N; ++n) {
        const T* dr = dy + (n * C + c) * L;
        T* gr = dx + (n * C + c) * L;
#pragma omp simd
        for (std::int64_t l = 0; l < L; ++l) gr[l] += a * dr[l];
      }
    }
  }
}

// ---- fused batch norm + swish (+ dropout) ------------------------------------------------
namespace {
// Per-channel affine of batchnorm_forward (same expressions, so z is bit-identical).
template <class T>
inline void bn_affine(const T* mean, const T* var, const T* gamma, const T* beta, double eps, std::int64_t c,
                      T& a, T& b0) {
  const double invstd = 1.0 / std::sqrt(static_cast<double>(var[c]) + eps);
  a = static_cast<T>(invstd * gamma[c]);
  b0 = static_cast<T>(beta[c] - mean[c] * invstd * gamma[c]);
}

template <class T>
void bsd_fwd_k(std::int64_t L, const T* __restrict xr, T a, T b0, T* __restrict yr) {
#pragma omp simd
  for (std::int64_t l = 0; l < L; ++l) {
    const T z = xr[l] * a + b0;
    yr[l] = z * sigmoid_elem(z);
  }
}

template <class T>
void bsd_fwd_drop_k(std::int64_t L, const T* __restrict xr, T a, T b0, float pf, T scale, std::uint64_t seed,
                    std::uint64_t i0, T* __restrict yr) {
#pragma omp simd
  for (std::int64_t l = 0; l < L; ++l) {
    const T z = xr[l] * a + b0;
    const T sw = z * sigmoid_elem(z);
    yr[l] = uniform(seed, i0 + static_cast<std::uint64_t>(l)) >= pf ? sw * scale : T(0);
  }
}

// gz = dy * mask * swish'(z); adds sum gz and sum gz*(x - mu) to s1, s2.
template <class T>
void bsd_bwd_k(std::int64_t L, const T* __restrict xr, const T* __restrict dr, T a, T b0, bool drop, float pf,
               T scale, std::uint64_t seed, std::uint64_t i0, double mu, T* __restrict gz, double& s1o,
               double& s2o) {
  double s1 = 0, s2 = 0;
  if (drop) {
#pragma omp simd reduction(+ : s1, s2)
    for (std::int64_t l = 0; l < L; ++l) {
      const T z = xr[l] * a + b0;
      const T sg = sigmoid_elem(z);
      const T g = uniform(seed, i0 + static_cast<std::uint64_t>(l)) >= pf ? dr[l] * scale : T(0);
      const T v = g * (sg + z * sg * (T(1) - sg));
      gz[l] = v;
      s1 += v;
      s2 += v * (xr[l] - mu);
    }
  } else {
#pragma omp simd reduction(+ : s1, s2)
    for (std::int64_t l = 0; l < L; ++l) {
      const T z = xr[l] * a + b0;
      const T sg = sigmoid_elem(z);
      const T v = dr[l] * (sg + z * sg * (T(1) - sg));
      gz[l] = v;
      s1 += v;
      s2 += v * (xr[l] - mu);
    }
  }
  s1o += s1;
  s2o += s2;
}

// Rows are processed as a multiple of kVec elements plus one zero-padded kVec-element tail, so
// the exp/sigmoid never runs in a scalar remainder loop (rows of 24 or 47 would be 1/3 scalar).
constexpr std::int64_t kVec = 16;

template <class T>
void bsd_row_fwd(std::int64_t L, const T* xr, T a, T b0, bool drop, float pf, T scale, std::uint64_t seed,
                 std::uint64_t i0, T* yr) {
  const std::int64_t Lm = L / kVec * kVec, r = L - Lm;
  if (drop) bsd_fwd_drop_k<T>(Lm, xr, a, b0, pf, scale, seed, i0, yr);
  else bsd_fwd_k<T>(Lm, xr, a, b0, yr);
  if (r == 0) return;
  alignas(64) T xt[kVec] = {}, yt[kVec];
  for (std::int64_t l = 0; l < r; ++l) xt[l] = xr[Lm + l];
  if (drop) bsd_fwd_drop_k<T>(kVec, xt, a, b0, pf, scale, seed, i0 + static_cast<std::uint64_t>(Lm), yt);
  else bsd_fwd_k<T>(kVec, xt, a, b0, yt);
  for (std::int64_t l = 0; l < r; ++l) yr[Lm + l] = yt[l];
}

template <class T>
void bsd_row_bwd(std::int64_t L, const T* xr, const T* dr, T a, T b0, bool drop, float pf, T scale,
                 std::uint64_t seed, std::uint64_t i0, double mu, T* gz, double& sum_dy, double& sum_dyxc) {
  const std::int64_t Lm = L / kVec * kVec, r = L - Lm;
  bsd_bwd_k<T>(Lm, xr, dr, a, b0, drop, pf, scale, seed, i0, mu, gz, sum_dy, sum_dyxc);
  if (r == 0) return;
  // Padded lanes have dy = 0, hence gz = 0: they add nothing to the sums.
  alignas(64) T xt[kVec] = {}, dt[kVec] = {}, gt[kVec];
  for (std::int64_t l = 0; l < r; ++l) {
    xt[l] = xr[Lm + l];
    dt[l] = dr[Lm + l];
  }
  bsd_bwd_k<T>(kVec, xt, dt, a, b0, drop, pf, scale, seed, i0 + static_cast<std::uint64_t>(Lm), mu, gt, sum_dy,
               sum_dyxc);
  for (std::int64_t l = 0; l < r; ++l) gz[Lm + l] = gt[l];
}
}  // namespace

template <class T>
void bn_swish_dropout_forward(const BatchNormShape& s, const T* x, const T* mean, const T* var,
                              const T* gamma, const T* beta, double eps, bool drop, double p,
                              std::uint64_t seed, T* y) {
  const std::int64_t N = s.N, C = s.C, L = s.L;
  const T scale = static_cast<T>(1.0 / (1.0 - p));
  const float pf = static_cast<float>(p);
#pragma omp parallel for collapse(2) schedule(static) if (s.N * s.C * s.L > 32768)
  for (std::int64_t n = 0; n < N; ++n)
    for (std::int64_t c = 0; c < C; ++c) {
      T a, b0;
      bn_affine(mean, var, gamma, beta, eps, c, a, b0);
      const std::int64_t off = (n * C + c) * L;
      bsd_row_fwd<T>(L, x + off, a, b0, drop, pf, scale, seed, static_cast<std::uint64_t>(off), y + off);
    }
}

template <class T>
void bn_swish_dropout_backward(const BatchNormShape& s, const T* x, const T* mean, const T* var,
                               const T* gamma, const T* beta, double eps, bool training, bool drop,
                               double p, std::uint64_t seed, const T* dy, T* dx, T* dgamma, T* dbeta) {
  const std::int64_t N = s.N, C = s.C, L = s.L;
  const double m = static_cast<double>(N * L);
  const T scale = static_cast<T>(1.0 / (1.0 - p));
  const float pf = static_cast<float>(p);
#pragma omp parallel for schedule(static) if (s.N * s.C * s.L > 32768)
  for (std::int64_t c = 0; c < C; ++c) {
    T* gz = detail::scratch<T>(0, static_cast<std::size_t>(N * L));
    T a0, b00;
    bn_affine(mean, var, gamma, beta, eps, c, a0, b00);
    const double invstd = 1.0 / std::sqrt(static_cast<double>(var[c]) + eps);
    const double mu = mean[c];
    double sum_dy = 0, sum_dyxc = 0;
    for (std::int64_t n = 0; n < N; ++n) {
      const std::int64_t off = (n * C + c) * L;
      bsd_row_bwd<T>(L, x + off, dy + off, a0, b00, drop, pf, scale, seed, static_cast<std::uint64_t>(off), mu,
                     gz + n * L, sum_dy, sum_dyxc);
    }
    const double sum_dyxhat = sum_dyxc * invstd;
    if (dgamma) dgamma[c] += static_cast<T>(sum_dyxhat);
    if (dbeta) dbeta[c] += static_cast<T>(sum_dy);
    if (!dx) continue;
    const double gi = gamma[c] * invstd;
    const T a = static_cast<T>(gi);
    if (training) {
      const T k = static_cast<T>(gi * sum_dyxhat * invstd / m);
      const T b0 = static_cast<T>(-gi * sum_dy / m + gi * sum_dyxhat * invstd * mu / m);
      for (std::int64_t n = 0; n < N; ++n) {
        const T* __restrict xr = x + (n * C + c) * L;
        const T* __restrict gr = gz + n * L;
        T* __restrict dr = dx + (n * C + c) * L;
#pragma omp simd
        for (std::int64_t l = 0; l < L; ++l) dr[l] += a * gr[l] - k * xr[l] + b0;
      }
    } else {
      for (std::int64_t n = 0; n < N; ++n) {
        const T* __restrict gr = gz + n * L;
        T* __restrict dr = dx + (n * C + c) * L;
#pragma omp simd
        for (std::int64_t l = 0; l < L; ++l) dr[l] += a * gr[l];
      }
    }
  }
}

#define XRDID_INST(T)                                                                          \
  template void batchnorm_stats<T>(const BatchNormShape&, const T*, T*, T*);                  \
  template void batchnorm_forward<T>(const BatchNormShape&, const T*, const T*, const T*,     \
                                     const T*, const T*, double, T*);                          \
  template void batchnorm_update_running<T>(std::int64_t, std::int64_t, const T*, const T*,   \
                                            double, T*, T*);                                   \
  template void batchnorm_backward<T>(const BatchNormShape&, const T*, const T*, const T*,    \
                                      const T*, const T*, double, bool, T*, T*, T*);       \
  template void bn_swish_dropout_forward<T>(const BatchNormShape&, const T*, const T*, const T*,  \
                                            const T*, const T*, double, bool, double,             \
                                            std::uint64_t, T*);                                    \
  template void bn_swish_dropout_backward<T>(const BatchNormShape&, const T*, const T*, const T*, \
                                             const T*, const T*, double, bool, bool, double,      \
                                             std::uint64_t, const T*, T*, T*, T*);
XRDID_INST(float)
XRDID_INST(double)
#undef XRDID_INST

}  // namespace xrdid::nn::ops
