// Elementwise activations: branch-free loops the compiler vectorises, OpenMP for large arrays.
#include "nn/ops/activation.hpp"

#include <cmath>

namespace xrdid::nn::ops {

namespace {
constexpr std::int64_t kPar = 32768;  // below this, threading costs more than it saves
template <class T> inline T sigm(T x) { return T(1) / (T(1) + std::exp(-x)); }
}  // namespace

template <class T>
void swish_forward(std::int64_t n, const T* x, T* y) {
#pragma omp parallel for simd schedule(static) if (n > kPar)
  for (std::int64_t i = 0; i < n; ++i) y[i] = x[i] * sigm(x[i]);
}

template <class T>
void swish_backward(std::int64_t n, const T* x, const T* dy, T* dx) {
#pragma omp parallel for simd schedule(static) if (n > kPar)
  for (std::int64_t i = 0; i < n; ++i) {
    const T s = sigm(x[i]);
    dx[i] += dy[i] * (s + x[i] * s * (T(1) - s));
  }
}

template <class T>
void sigmoid_forward(std::int64_t n, const T* x, T* y) {
#pragma omp parallel for simd schedule(static) if (n > kPar)
  for (std::int64_t i = 0; i < n; ++i) y[i] = sigm(x[i]);
}

template <class T>
void sigmoid_backward(std::int64_t n, const T* y, const T* dy, T* dx) {
#pragma omp parallel for simd schedule(static) if (n > kPar)
  for (std::int64_t i = 0; i < n; ++i) dx[i] += dy[i] * y[i] * (T(1) - y[i]);
}

template <class T>
void relu_forward(std::int64_t n, const T* x, T* y) {
#pragma omp parallel for simd schedule(static) if (n > kPar)
  for (std::int64_t i = 0; i < n; ++i) y[i] = x[i] > T(0) ? x[i] : T(0);
}

template <class T>
void relu_backward(std::int64_t n, const T* x, const T* dy, T* dx) {
#pragma omp parallel for simd schedule(static) if (n > kPar)
  for (std::int64_t i = 0; i < n; ++i) dx[i] += x[i] > T(0) ? dy[i] : T(0);
}

#define XRDID_INST(T)                                                              \
  template void swish_forward<T>(std::int64_t, const T*, T*);                      \
  template void swish_backward<T>(std::int64_t, const T*, const T*, T*);           \
  template void sigmoid_forward<T>(std::int64_t, const T*, T*);                    \
  template void sigmoid_backward<T>(std::int64_t, const T*, const T*, T*);         \
  template void relu_forward<T>(std::int64_t, const T*, T*);                       \
  template void relu_backward<T>(std::int64_t, const T*, const T*, T*);
XRDID_INST(float)
XRDID_INST(double)
#undef XRDID_INST

}  // namespace xrdid::nn::ops
