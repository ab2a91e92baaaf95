// BatchNorm1d CPU ops: OpenMP over channels, vectorisable inner loops over length; per-channel
// sums are accumulated in double. The kernels (nn/ops/batchnorm_kernels.inc) are compiled for
// each CPU path and picked at run time (nn/ops/cpu_target.hpp).
#include "nn/ops/batchnorm.hpp"

#include <cmath>

#include "nn/ops/cpu_target.hpp"
#include "nn/ops/cpu_util.hpp"
#include "nn/ops/element.hpp"
#include "nn/ops/random.hpp"

namespace xrdid::nn::ops {

namespace {
#define XRDID_KERNEL_FILE "nn/ops/batchnorm_kernels.inc"
#include "nn/ops/cpu_paths.inc"
}  // namespace

// Each op runs the kernels of the process's CPU path (nn/cpu_path.hpp).
template <class T>
void batchnorm_stats(const BatchNormShape& s, const T* x, T* mean, T* var) {
  XRDID_CPU_DISPATCH(cpu_path(), batchnorm_stats<T>, (s, x, mean, var));
}

template <class T>
void batchnorm_forward(const BatchNormShape& s, const T* x, const T* mean, const T* var, const T* gamma,
                       const T* beta, double eps, T* y) {
  XRDID_CPU_DISPATCH(cpu_path(), batchnorm_forward<T>, (s, x, mean, var, gamma, beta, eps, y));
}

template <class T>
void batchnorm_backward(const BatchNormShape& s, const T* x, const T* mean, const T* var, const T* gamma,
                        const T* dy, double eps, bool training, T* dx, T* dgamma, T* dbeta) {
  XRDID_CPU_DISPATCH(cpu_path(), batchnorm_backward<T>, (s, x, mean, var, gamma, dy, eps, training, dx, dgamma, dbeta));
}

template <class T>
void bn_swish_dropout_forward(const BatchNormShape& s, const T* x, const T* mean, const T* var, const T* gamma,
                              const T* beta, double eps, bool drop, double p, std::uint64_t seed, T* y) {
  XRDID_CPU_DISPATCH(cpu_path(), bn_swish_dropout_forward<T>, (s, x, mean, var, gamma, beta, eps, drop, p, seed, y));
}

template <class T>
void bn_swish_dropout_backward(const BatchNormShape& s, const T* x, const T* mean, const T* var, const T* gamma,
                               const T* beta, double eps, bool training, bool drop, double p, std::uint64_t seed,
                               const T* dy, T* dx, T* dgamma, T* dbeta) {
  XRDID_CPU_DISPATCH(cpu_path(), bn_swish_dropout_backward<T>,
                     (s, x, mean, var, gamma, beta, eps, training, drop, p, seed, dy, dx, dgamma, dbeta));
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
