// Inverted dropout: the mask is recomputed from (seed, index) in both passes.
#include "nn/ops/dropout.hpp"

#include "nn/ops/random.hpp"

namespace xrdid::nn::ops {

template <class T>
T dropout_scale(double p, std::uint64_t seed, std::int64_t i) {
  const float pf = static_cast<float>(p);
  return uniform(seed, static_cast<std::uint64_t>(i)) >= pf ? static_cast<T>(1.0 / (1.0 - p)) : T(0);
}

template <class T>
void dropout_forward(std::int64_t n, double p, std::uint64_t seed, const T* x, T* y) {
  const T scale = static_cast<T>(1.0 / (1.0 - p));
  const float pf = static_cast<float>(p);
#pragma omp parallel for simd schedule(static) if (n > 32768)
  for (std::int64_t i = 0; i < n; ++i)
    y[i] = uniform(seed, static_cast<std::uint64_t>(i)) >= pf ? x[i] * scale : T(0);
}

template <class T>
void dropout_backward(std::int64_t n, double p, std::uint64_t seed, const T* dy, T* dx) {
  const T scale = static_cast<T>(1.0 / (1.0 - p));
  const float pf = static_cast<float>(p);
#pragma omp parallel for simd schedule(static) if (n > 32768)
  for (std::int64_t i = 0; i < n; ++i)
    dx[i] += uniform(seed, static_cast<std::uint64_t>(i)) >= pf ? dy[i] * scale : T(0);
}

#define XRDID_INST(T)                                                                          \
  template T dropout_scale<T>(double, std::uint64_t, std::int64_t);                            \
  template void dropout_forward<T>(std::int64_t, double, std::uint64_t, const T*, T*);         \
  template void dropout_backward<T>(std::int64_t, double, std::uint64_t, const T*, T*);
XRDID_INST(float)
XRDID_INST(double)
#undef XRDID_INST

}  // namespace xrdid::nn::ops
