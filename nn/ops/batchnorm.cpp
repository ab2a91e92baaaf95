// BatchNorm1d CPU ops: OpenMP over channels, vectorisable inner loops over length; per-channel
// sums are accumulated in double.
#include "nn/ops/batchnorm.hpp"

#include <cmath>

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

#define XRDID_INST(T)                                                                          \
  template void batchnorm_stats<T>(const BatchNormShape&, const T*, T*, T*);                  \
  template void batchnorm_forward<T>(const BatchNormShape&, const T*, const T*, const T*,     \
                                     const T*, const T*, double, T*);                          \
  template void batchnorm_update_running<T>(std::int64_t, std::int64_t, const T*, const T*,   \
                                            double, T*, T*);                                   \
  template void batchnorm_backward<T>(const BatchNormShape&, const T*, const T*, const T*,    \
                                      const T*, const T*, double, bool, T*, T*, T*);
XRDID_INST(float)
XRDID_INST(double)
#undef XRDID_INST

}  // namespace xrdid::nn::ops
