// Adam / AdamW update (see adam.hpp); the per-element formula is nn/ops/element.hpp's
// adam_element, shared with kernels/adam.cu. The loop runs on the process's CPU path.
#include "nn/ops/adam.hpp"

#include "nn/ops/cpu_target.hpp"
#include "nn/ops/element.hpp"

namespace xrdid::nn::ops {

namespace {
#define XRDID_KERNEL_FILE "nn/ops/adam_kernels.inc"
#include "nn/ops/cpu_paths.inc"
}  // namespace

template <class T>
void adam_update(T* p, const T* g, T* m, T* v, std::int64_t n, double lr, double b1, double b2, double eps,
                 double wd, bool decoupled, double bc1, double bc2) {
  if (!g) return;  // a parameter without gradient is left untouched, as by the kernels
  const AdamCoef<T> k = adam_coef<T>(lr, b1, b2, eps, wd, bc1, bc2);
  XRDID_CPU_DISPATCH(cpu_path(), adam_loop<T>, (k, decoupled, p, g, m, v, n));
}

template void adam_update<float>(float*, const float*, float*, float*, std::int64_t, double, double, double, double,
                                 double, bool, double, double);
template void adam_update<double>(double*, const double*, double*, double*, std::int64_t, double, double, double,
                                  double, double, bool, double, double);

}  // namespace xrdid::nn::ops
