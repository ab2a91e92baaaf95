// Row-wise L2 normalisation and row cosines; OpenMP over rows. The kernels (nn/ops/norm_kernels.inc) are
// compiled for each CPU path and picked at run time (nn/ops/cpu_target.hpp).
#include "nn/ops/norm.hpp"

#include <algorithm>
#include <cmath>

#include "nn/ops/cpu_target.hpp"

namespace xrdid::nn::ops {

namespace {
#define XRDID_KERNEL_FILE "nn/ops/norm_kernels.inc"
#include "nn/ops/cpu_paths.inc"
}  // namespace

template <class T>
void l2_normalize_rows_forward(std::int64_t R, std::int64_t D, double eps, const T* x, T* y, T* norm) {
  XRDID_CPU_DISPATCH(cpu_path(), l2_normalize_rows_forward<T>, (R, D, eps, x, y, norm));
}

template <class T>
void l2_normalize_rows_backward(std::int64_t R, std::int64_t D, double eps, const T* y, const T* norm,
                                const T* dy, T* dx) {
  XRDID_CPU_DISPATCH(cpu_path(), l2_normalize_rows_backward<T>, (R, D, eps, y, norm, dy, dx));
}

template <class T>
void cosine_rows_forward(std::int64_t N, std::int64_t C, std::int64_t D, double eps, const T* u, const T* w, T* out) {
  XRDID_CPU_DISPATCH(cpu_path(), cosine_rows_forward<T>, (N, C, D, eps, u, w, out));
}

#define XRDID_INST(T)                                                                                \
  template void l2_normalize_rows_forward<T>(std::int64_t, std::int64_t, double, const T*, T*, T*);   \
  template void l2_normalize_rows_backward<T>(std::int64_t, std::int64_t, double, const T*, const T*, \
                                              const T*, T*);                                       \
  template void cosine_rows_forward<T>(std::int64_t, std::int64_t, std::int64_t, double, const T*, const T*, T*);
XRDID_INST(float)
XRDID_INST(double)
#undef XRDID_INST

}  // namespace xrdid::nn::ops
