// Pooling CPU ops; OpenMP over rows (N*C).
#include "nn/ops/pool.hpp"

namespace xrdid::nn::ops {

template <class T>
void maxpool_same2_forward(std::int64_t R, std::int64_t L, const T* x, T* y) {
  const std::int64_t Lo = (L + 1) / 2, full = L / 2;
#pragma omp parallel for schedule(static) if (R * L > 32768)
  for (std::int64_t r = 0; r < R; ++r) {
    const T* xr = x + r * L;
    T* yr = y + r * Lo;
#pragma omp simd
    for (std::int64_t i = 0; i < full; ++i) yr[i] = xr[2 * i] >= xr[2 * i + 1] ? xr[2 * i] : xr[2 * i + 1];
    if (Lo > full) yr[full] = xr[L - 1] >= T(0) ? xr[L - 1] : T(0);
  }
}

template <class T>
void maxpool_same2_backward(std::int64_t R, std::int64_t L, const T* x, const T* dy, T* dx) {
  const std::int64_t Lo = (L + 1) / 2, full = L / 2;
#pragma omp parallel for schedule(static) if (R * L > 32768)
  for (std::int64_t r = 0; r < R; ++r) {
    const T* xr = x + r * L;
    const T* dr = dy + r * Lo;
    T* gr = dx + r * L;
    // Branch-free (the comparison is data-dependent and mispredicts half the time): the loser
    // of each pair gets + 0.
#pragma omp simd
    for (std::int64_t i = 0; i < full; ++i) {
      const bool left = xr[2 * i] >= xr[2 * i + 1];
      gr[2 * i] += left ? dr[i] : T(0);
      gr[2 * i + 1] += left ? T(0) : dr[i];
    }
    if (Lo > full && xr[L - 1] >= T(0)) gr[L - 1] += dr[full];
  }
}

template <class T>
void mean_length_forward(std::int64_t R, std::int64_t L, const T* x, T* y) {
  const double inv = 1.0 / static_cast<double>(L);
#pragma omp parallel for schedule(static) if (R * L > 32768)
  for (std::int64_t r = 0; r < R; ++r) {
    const T* xr = x + r * L;
    double acc = 0;
#pragma omp simd reduction(+ : acc)
    for (std::int64_t l = 0; l < L; ++l) acc += xr[l];
    y[r] = static_cast<T>(acc * inv);
  }
}

template <class T>
void mean_length_backward(std::int64_t R, std::int64_t L, const T* dy, T* dx) {
  const T inv = static_cast<T>(1.0 / static_cast<double>(L));
#pragma omp parallel for schedule(static) if (R * L > 32768)
  for (std::int64_t r = 0; r < R; ++r) {
    const T g = dy[r] * inv;
    T* gr = dx + r * L;
#pragma omp simd
    for (std::int64_t l = 0; l < L; ++l) gr[l] += g;
  }
}

#define XRDID_INST(T)                                                                          \
  template void maxpool_same2_forward<T>(std::int64_t, std::int64_t, const T*, T*);            \
  template void maxpool_same2_backward<T>(std::int64_t, std::int64_t, const T*, const T*, T*); \
  template void mean_length_forward<T>(std::int64_t, std::int64_t, const T*, T*);              \
  template void mean_length_backward<T>(std::int64_t, std::int64_t, const T*, T*);
XRDID_INST(float)
XRDID_INST(double)
#undef XRDID_INST

}  // namespace xrdid::nn::ops
