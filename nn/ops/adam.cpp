// Adam / AdamW update (see adam.hpp).
#include "nn/ops/adam.hpp"

#include <cmath>

namespace xrdid::nn::ops {

template <class T>
void adam_update(T* p, const T* g, T* m, T* v, std::int64_t n, double lr, double b1, double b2, double eps,
                 double wd, bool decoupled, double bc1, double bc2) {
  const T step_size = static_cast<T>(lr / bc1);
  const T sqrt_bc2 = static_cast<T>(std::sqrt(bc2));
  const T tb1 = static_cast<T>(b1), tb2 = static_cast<T>(b2), te = static_cast<T>(eps);
  const T decay = static_cast<T>(1.0 - lr * wd);
  const T twd = static_cast<T>(wd);
#pragma omp parallel for simd if (n > 32768)
  for (std::int64_t i = 0; i < n; ++i) {
    T gi = g[i];
    if (decoupled) p[i] *= decay;
    else gi += twd * p[i];
    m[i] = tb1 * m[i] + (T(1) - tb1) * gi;
    v[i] = tb2 * v[i] + (T(1) - tb2) * gi * gi;
    p[i] -= step_size * m[i] / (std::sqrt(v[i]) / sqrt_bc2 + te);
  }
}

template void adam_update<float>(float*, const float*, float*, float*, std::int64_t, double, double, double, double,
                                 double, bool, double, double);
template void adam_update<double>(double*, const double*, double*, double*, std::int64_t, double, double, double,
                                  double, double, bool, double, double);

}  // namespace xrdid::nn::ops
