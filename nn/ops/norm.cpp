// Row-wise L2 normalisation; OpenMP over rows.
#include "nn/ops/norm.hpp"

#include <algorithm>
#include <cmath>

namespace xrdid::nn::ops {

template <class T>
void l2_normalize_rows_forward(std::int64_t R, std::int64_t D, double eps, const T* x, T* y, T* norm) {
#pragma omp parallel for schedule(static) if (R * D > 32768)
  for (std::int64_t r = 0; r < R; ++r) {
    const T* xr = x + r * D;
    double sq = 0;
#pragma omp simd reduction(+ : sq)
    for (std::int64_t i = 0; i < D; ++i) sq += static_cast<double>(xr[i]) * xr[i];
    const double n = std::max(std::sqrt(sq), eps);
    norm[r] = static_cast<T>(n);
    const T inv = static_cast<T>(1.0 / n);
    T* yr = y + r * D;
#pragma omp simd
    for (std::int64_t i = 0; i < D; ++i) yr[i] = xr[i] * inv;
  }
}

template <class T>
void l2_normalize_rows_backward(std::int64_t R, std::int64_t D, double eps, const T* y, const T* norm,
                                const T* dy, T* dx) {
#pragma omp parallel for schedule(static) if (R * D > 32768)
  for (std::int64_t r = 0; r < R; ++r) {
    const T* yr = y + r * D;
    const T* dr = dy + r * D;
    T* gr = dx + r * D;
    const T inv = static_cast<T>(1.0 / static_cast<double>(norm[r]));
    // norm == eps exactly means the clamp was active (||x|| <= eps): no projection term.
    T dot = 0;
    if (norm[r] > static_cast<T>(eps)) {
#pragma omp simd reduction(+ : dot)
      for (std::int64_t i = 0; i < D; ++i) dot += yr[i] * dr[i];
    }
#pragma omp simd
    for (std::int64_t i = 0; i < D; ++i) gr[i] += (dr[i] - yr[i] * dot) * inv;
  }
}

#define XRDID_INST(T)                                                                                \
  template void l2_normalize_rows_forward<T>(std::int64_t, std::int64_t, double, const T*, T*, T*);   \
  template void l2_normalize_rows_backward<T>(std::int64_t, std::int64_t, double, const T*, const T*, \
                                              const T*, T*);
XRDID_INST(float)
XRDID_INST(double)
#undef XRDID_INST

}  // namespace xrdid::nn::ops
