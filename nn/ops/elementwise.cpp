// Elementwise CPU reference ops: vectorisable loops, OpenMP for large arrays.
#include "nn/ops/elementwise.hpp"

#include <algorithm>

#include "nn/dispatch.hpp"

namespace xrdid::nn::ops {

namespace {
constexpr std::int64_t kPar = 65536;

template <class T>
void add_inplace_impl(T* d, const T* s, std::int64_t n) {
#pragma omp parallel for simd if (n > kPar)
  for (std::int64_t i = 0; i < n; ++i) d[i] += s[i];
}
}  // namespace

void add_inplace(Tensor& dst, const Tensor& src) {
  XRDID_CHECK(dst.shape() == src.shape() && dst.dtype() == src.dtype(),
              "add_inplace: " + shape_str(src.shape()) + " into " + shape_str(dst.shape()));
  XRDID_DISPATCH_FLOAT(dst.dtype(), T, add_inplace_impl<T>(dst.data<T>(), src.data<T>(), dst.numel()));
}

template <class T>
void add_forward(std::int64_t n, const T* a, const T* b, T* y) {
#pragma omp parallel for simd if (n > kPar)
  for (std::int64_t i = 0; i < n; ++i) y[i] = a[i] + b[i];
}

template <class T>
void axpy(std::int64_t n, T alpha, const T* x, T* y) {
#pragma omp parallel for simd if (n > kPar)
  for (std::int64_t i = 0; i < n; ++i) y[i] += alpha * x[i];
}

template <class T>
void mul_forward(std::int64_t n, const T* a, const T* b, T* y) {
#pragma omp parallel for simd if (n > kPar)
  for (std::int64_t i = 0; i < n; ++i) y[i] = a[i] * b[i];
}

template <class T>
void mul_backward(std::int64_t n, const T* a, const T* b, const T* dy, T* da, T* db) {
  if (da) {
#pragma omp parallel for simd if (n > kPar)
    for (std::int64_t i = 0; i < n; ++i) da[i] += dy[i] * b[i];
  }
  if (db) {
#pragma omp parallel for simd if (n > kPar)
    for (std::int64_t i = 0; i < n; ++i) db[i] += dy[i] * a[i];
  }
}

// Deterministic: a fixed number of chunks (independent of the thread count and of timing),
// each summed in order, then the chunk sums in order. OpenMP reductions combine in an
// unspecified order, which would make training runs (and exact resume) irreproducible.
template <class T>
double sum_all(std::int64_t n, const T* x) {
  constexpr std::int64_t kChunks = 64;
  double part[kChunks] = {};
  const std::int64_t len = (n + kChunks - 1) / kChunks;
#pragma omp parallel for schedule(static) if (n > kPar)
  for (std::int64_t c = 0; c < kChunks; ++c) {
    double acc = 0;
    const std::int64_t lo = c * len, hi = std::min(n, lo + len);
    for (std::int64_t i = lo; i < hi; ++i) acc += x[i];
    part[c] = acc;
  }
  double acc = 0;
  for (double v : part) acc += v;
  return acc;
}

template <class T>
void add_scalar(std::int64_t n, T value, T* y) {
#pragma omp parallel for simd if (n > kPar)
  for (std::int64_t i = 0; i < n; ++i) y[i] += value;
}

#define XRDID_INST(T)                                                                         \
  template void add_forward<T>(std::int64_t, const T*, const T*, T*);                         \
  template void axpy<T>(std::int64_t, T, const T*, T*);                                       \
  template void mul_forward<T>(std::int64_t, const T*, const T*, T*);                         \
  template void mul_backward<T>(std::int64_t, const T*, const T*, const T*, T*, T*);          \
  template double sum_all<T>(std::int64_t, const T*);                                         \
  template void add_scalar<T>(std::int64_t, T, T*);
XRDID_INST(float)
XRDID_INST(double)
#undef XRDID_INST

}  // namespace xrdid::nn::ops
