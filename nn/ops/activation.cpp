// Elementwise activations: branch-free loops the compiler vectorises, OpenMP for large arrays.
// float uses a polynomial exp that vectorises (no libm call per element); double uses std::exp.
// The per-element formulas are nn/ops/element.hpp's, shared with kernels/activation.cu.
#include "nn/ops/activation.hpp"

#include "nn/ops/element.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <type_traits>

namespace xrdid::nn::ops {

namespace {
constexpr std::int64_t kPar = 32768;  // below this, threading costs more than it saves



// Runs body(begin, end) over blocks of 4096 elements, in parallel for large n. The body's
// plain loop is what the compiler vectorises (outlined OpenMP loops often are not).
template <class Body>
inline void blocked(std::int64_t n, Body body) {
  constexpr std::int64_t kBlock = 4096;
  const std::int64_t nb = (n + kBlock - 1) / kBlock;
#pragma omp parallel for schedule(static) if (n > kPar)
  for (std::int64_t b = 0; b < nb; ++b) body(b * kBlock, std::min(n, (b + 1) * kBlock));
}


// Per-block kernels: restrict-qualified parameters let the compiler vectorise (a lambda's
// captured pointers could alias the stores).
template <class T>
void swish_fwd_k(std::int64_t n, const T* __restrict x, T* __restrict y) {
#pragma omp simd
  for (std::int64_t i = 0; i < n; ++i) y[i] = swish_elem(x[i]);
}
template <class T>
void swish_bwd_k(std::int64_t n, const T* __restrict x, const T* __restrict dy, T* __restrict dx) {
#pragma omp simd
  for (std::int64_t i = 0; i < n; ++i) dx[i] += swish_backward_elem(x[i], dy[i]);
}
template <class T>
void sigmoid_fwd_k(std::int64_t n, const T* __restrict x, T* __restrict y) {
#pragma omp simd
  for (std::int64_t i = 0; i < n; ++i) y[i] = sigmoid_elem(x[i]);
}
template <class T>
void sigmoid_bwd_k(std::int64_t n, const T* __restrict y, const T* __restrict dy, T* __restrict dx) {
#pragma omp simd
  for (std::int64_t i = 0; i < n; ++i) dx[i] += sigmoid_backward_elem(y[i], dy[i]);
}
template <class T>
void relu_fwd_k(std::int64_t n, const T* __restrict x, T* __restrict y) {
#pragma omp simd
  for (std::int64_t i = 0; i < n; ++i) y[i] = x[i] > T(0) ? x[i] : T(0);
}
template <class T>
void relu_bwd_k(std::int64_t n, const T* __restrict x, const T* __restrict dy, T* __restrict dx) {
#pragma omp simd
  for (std::int64_t i = 0; i < n; ++i) dx[i] += x[i] > T(0) ? dy[i] : T(0);
}

}  // namespace

template <class T>
void swish_forward(std::int64_t n, const T* x, T* y) {
  blocked(n, [=](std::int64_t a, std::int64_t b) { swish_fwd_k<T>(b - a, x + a, y + a); });
}
template <class T>
void swish_backward(std::int64_t n, const T* x, const T* dy, T* dx) {
  blocked(n, [=](std::int64_t a, std::int64_t b) { swish_bwd_k<T>(b - a, x + a, dy + a, dx + a); });
}
template <class T>
void sigmoid_forward(std::int64_t n, const T* x, T* y) {
  blocked(n, [=](std::int64_t a, std::int64_t b) { sigmoid_fwd_k<T>(b - a, x + a, y + a); });
}
template <class T>
void sigmoid_backward(std::int64_t n, const T* y, const T* dy, T* dx) {
  blocked(n, [=](std::int64_t a, std::int64_t b) { sigmoid_bwd_k<T>(b - a, y + a, dy + a, dx + a); });
}
template <class T>
void relu_forward(std::int64_t n, const T* x, T* y) {
  blocked(n, [=](std::int64_t a, std::int64_t b) { relu_fwd_k<T>(b - a, x + a, y + a); });
}
template <class T>
void relu_backward(std::int64_t n, const T* x, const T* dy, T* dx) {
  blocked(n, [=](std::int64_t a, std::int64_t b) { relu_bwd_k<T>(b - a, x + a, dy + a, dx + a); });
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
