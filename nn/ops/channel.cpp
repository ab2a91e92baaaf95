// Channel-wise CPU ops; OpenMP over (sample, channel) rows.
#include "nn/ops/channel.hpp"

#include <cstring>

namespace xrdid::nn::ops {

template <class T>
void scale_channels_forward(std::int64_t N, std::int64_t C, std::int64_t L, const T* x, const T* e, T* y) {
  const std::int64_t R = N * C;
#pragma omp parallel for schedule(static) if (R * L > 32768)
  for (std::int64_t r = 0; r < R; ++r) {
    const T s = e[r];
    const T* xr = x + r * L;
    T* yr = y + r * L;
#pragma omp simd
    for (std::int64_t l = 0; l < L; ++l) yr[l] = xr[l] * s;
  }
}

template <class T>
void scale_channels_backward(std::int64_t N, std::int64_t C, std::int64_t L, const T* x, const T* e,
                             const T* dy, T* dx, T* de) {
  const std::int64_t R = N * C;
#pragma omp parallel for schedule(static) if (R * L > 32768)
  for (std::int64_t r = 0; r < R; ++r) {
    const T* dr = dy + r * L;
    if (dx) {
      const T s = e[r];
      T* gr = dx + r * L;
#pragma omp simd
      for (std::int64_t l = 0; l < L; ++l) gr[l] += dr[l] * s;
    }
    if (de) {
      const T* xr = x + r * L;
      T acc = 0;
#pragma omp simd reduction(+ : acc)
      for (std::int64_t l = 0; l < L; ++l) acc += dr[l] * xr[l];
      de[r] += acc;
    }
  }
}

template <class T>
void pad_channels_forward(std::int64_t N, std::int64_t C, std::int64_t L, std::int64_t before,
                          std::int64_t after, const T* x, T* y) {
  const std::int64_t Co = before + C + after;
#pragma omp parallel for schedule(static) if (N * Co * L > 32768)
  for (std::int64_t n = 0; n < N; ++n) {
    T* yn = y + n * Co * L;
    std::memset(static_cast<void*>(yn), 0, static_cast<std::size_t>(before * L) * sizeof(T));
    std::memcpy(yn + before * L, x + n * C * L, static_cast<std::size_t>(C * L) * sizeof(T));
    std::memset(static_cast<void*>(yn + (before + C) * L), 0, static_cast<std::size_t>(after * L) * sizeof(T));
  }
}

template <class T>
void pad_channels_backward(std::int64_t N, std::int64_t C, std::int64_t L, std::int64_t before,
                           std::int64_t after, const T* dy, T* dx) {
  const std::int64_t Co = before + C + after, CL = C * L;
#pragma omp parallel for schedule(static) if (N * CL > 32768)
  for (std::int64_t n = 0; n < N; ++n) {
    const T* dr = dy + (n * Co + before) * L;
    T* gr = dx + n * CL;
#pragma omp simd
    for (std::int64_t i = 0; i < CL; ++i) gr[i] += dr[i];
  }
}

#define XRDID_INST(T)                                                                            \
  template void scale_channels_forward<T>(std::int64_t, std::int64_t, std::int64_t, const T*,    \
                                          const T*, T*);                                         \
  template void scale_channels_backward<T>(std::int64_t, std::int64_t, std::int64_t, const T*,   \
                                           const T*, const T*, T*, T*);                          \
  template void pad_channels_forward<T>(std::int64_t, std::int64_t, std::int64_t, std::int64_t,  \
                                        std::int64_t, const T*, T*);                             \
  template void pad_channels_backward<T>(std::int64_t, std::int64_t, std::int64_t, std::int64_t, \
                                         std::int64_t, const T*, T*);
XRDID_INST(float)
XRDID_INST(double)
#undef XRDID_INST

}  // namespace xrdid::nn::ops
