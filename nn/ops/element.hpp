// Per-element formulas shared by the CPU reference ops (nn/ops/*.cpp) and their CUDA kernels
// (kernels/*.cu): written once, compiled for the host and the device (XRDID_HD).
//
// Rounding is explicit where it matters: fma_elem is one fused multiply-add on both sides and
// mul_rn a product rounded on its own (never contracted into a neighbouring add on the device),
// so that two kernels computing the same element from the same coefficients agree bit for bit
// whatever the compiler contracts around them. exp differs by side: the host uses the
// vectorisable polynomial of nn/ops/fastmath.hpp for float, the device CUDA's exp.
#pragma once
#include <cmath>
#include <type_traits>

#include "common/host_device.hpp"
#if !defined(__CUDACC__)
#include "nn/ops/fastmath.hpp"  // C++20 (std::bit_cast): host-compiler translation units only
#endif

namespace xrdid::nn::ops {

// ---- rounding primitives --------------------------------------------------------------------
template <class T>
XRDID_HD T fma_elem(T a, T b, T c) {
#if defined(__CUDA_ARCH__)
  return fma(a, b, c);
#else
  return std::fma(a, b, c);
#endif
}

// a*b rounded to T, kept out of any FMA contraction on the device.
template <class T>
XRDID_HD T mul_rn(T a, T b) {
#if defined(__CUDA_ARCH__)
  if constexpr (std::is_same_v<T, float>)
    return __fmul_rn(a, b);
  else
    return __dmul_rn(a, b);
#else
  return a * b;
#endif
}

template <class T>
XRDID_HD T sqrt_elem(T x) {
#if defined(__CUDA_ARCH__)
  return sqrt(x);
#else
  return std::sqrt(x);
#endif
}

template <class T>
XRDID_HD T exp_elem(T x) {
#if defined(__CUDA_ARCH__)
  return exp(x);
#elif defined(__CUDACC__)
  return std::exp(x);  // host side of a .cu file: the kernels' launchers never evaluate it
#else
  return detail::exp_t(x);
#endif
}

// ---- activations (nn/ops/activation.hpp, kernels/activation.cu) ------------------------------
template <class T>
XRDID_HD T sigmoid_elem(T x) {
  return T(1) / (T(1) + exp_elem(-x));
}
template <class T>
XRDID_HD T swish_elem(T x) {
  return x * sigmoid_elem(x);
}
// The increment of dx for swish: dy * (s + x s (1 - s)), s = sigmoid(x).
template <class T>
XRDID_HD T swish_backward_elem(T x, T dy) {
  const T s = sigmoid_elem(x);
  return dy * (s + x * s * (T(1) - s));
}
// The increment of dx for sigmoid, from the forward output y: dy * y * (1 - y).
template <class T>
XRDID_HD T sigmoid_backward_elem(T y, T dy) {
  return dy * y * (T(1) - y);
}

// ---- Adam / AdamW (nn/ops/adam.hpp, kernels/adam.cu) ------------------------------------------
// The coefficients of one update, rounded to T once (adam_coef on the host; kernels/adam.cu forms
// them on the device from an AdamHyper by the same double expressions).
template <class T>
struct AdamCoef {
  T step_size, sqrt_bc2, b1, b2, eps, decay, wd;
};

template <class T>
inline AdamCoef<T> adam_coef(double lr, double b1, double b2, double eps, double wd, double bc1, double bc2) {
  return AdamCoef<T>{static_cast<T>(lr / bc1), static_cast<T>(std::sqrt(bc2)), static_cast<T>(b1),
                     static_cast<T>(b2),       static_cast<T>(eps),           static_cast<T>(1.0 - lr * wd),
                     static_cast<T>(wd)};
}

// One element, torch.optim semantics: decoupled (AdamW): p *= 1 - lr*wd; else (Adam) g += wd*p;
// m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; p -= step_size * m / (sqrt(v)/sqrt(bc2) + eps).
// Every product is either an explicit FMA or rounded alone (see the top of this file).
template <class T>
XRDID_HD void adam_element(const AdamCoef<T>& k, bool decoupled, T& p, T g, T& m, T& v) {
  if (decoupled)
    p = mul_rn(p, k.decay);
  else
    g = fma_elem(k.wd, p, g);
  m = fma_elem(k.b1, m, mul_rn(T(1) - k.b1, g));
  v = fma_elem(k.b2, v, mul_rn(mul_rn(T(1) - k.b2, g), g));
  p = p - mul_rn(k.step_size, m) / (sqrt_elem(v) / k.sqrt_bc2 + k.eps);
}

}  // namespace xrdid::nn::ops
