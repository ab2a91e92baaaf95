// Vectorisable exp for the CPU ops (internal to nn/ops; sigmoid and swish are in element.hpp).
// float uses a polynomial exp (no libm call per element, so loops vectorise); double uses std::exp.
#pragma once
#include <bit>
#include <cmath>
#include <cstdint>
#include <type_traits>

namespace xrdid::nn::ops::detail {

// exp(x) for float: x = n ln2 + r with |r| <= ln2/2 (Cody-Waite split of ln2), a degree-6
// Taylor polynomial for e^r (truncation < 2e-8 relative) and 2^n built in the exponent bits.
// Inputs are clamped to [-87, 88], so the result stays a normal float (no inf, no NaN).
inline float exp_fast(float x) {
  x = x < -87.0f ? -87.0f : x;
  x = x > 88.0f ? 88.0f : x;
  // Round to nearest with the 1.5*2^23 shifter: t's low mantissa bits hold n (no float->int
  // conversion or floor, which GCC will not vectorise under -ftrapping-math).
  const float t = x * 1.44269504f + 12582912.0f;
  const float n = t - 12582912.0f;
  const float r = (x - n * 0.693359375f) + n * 2.12194440e-4f;
  float p = 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const std::int32_t e = (std::bit_cast<std::int32_t>(t) - 0x4B400000 + 127) * (1 << 23);
  return p * std::bit_cast<float>(e);
}

template <class T> inline T exp_t(T x) {
  if constexpr (std::is_same_v<T, float>)
    return exp_fast(x);
  else
    return std::exp(x);
}

}  // namespace xrdid::nn::ops::detail
