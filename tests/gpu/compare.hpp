// Comparison helpers of the backend op tests, host-only (no CUDA): random inputs, the tolerance
// models and the checks |got - ref| <= atol + rtol*|ref| that print the first mismatches. Every
// check fails on NaN (written as !(err <= tol)), so an output left at its NaN poison fails.
#pragma once
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace xrdid::gputest {

using i64 = std::int64_t;

template <class T>
std::vector<T> uniform(std::size_t n, std::mt19937_64& rng, double lo = -1.0, double hi = 1.0) {
  std::uniform_real_distribution<double> d(lo, hi);
  std::vector<T> v(n);
  for (auto& e : v) e = static_cast<T>(d(rng));
  return v;
}

template <class T>
double rms(const std::vector<T>& v) {
  double s = 0;
  for (T e : v) s += static_cast<double>(e) * static_cast<double>(e);
  return v.empty() ? 0.0 : std::sqrt(s / static_cast<double>(v.size()));
}

template <class T>
constexpr double eps_of() {
  return static_cast<double>(std::numeric_limits<T>::epsilon());
}

struct Tol {
  double atol = 0, rtol = 0;
};

// Reductions over n terms: the rounding error of either side's sum grows like sqrt(n)*eps times
// the size of the partial sums, which is the size of the result itself (rms of the reference);
// 16x covers both sides' errors and the max over ~1e6 outputs. A real indexing bug is O(1).
template <class T>
Tol reduction_tol(double n, double scale) {
  const double r = 16.0 * std::sqrt(std::max(n, 1.0)) * eps_of<T>();
  return {r * std::max(scale, 1e-30), r};
}

// Elementwise ops: a few roundings differ (FMA contraction on the GPU, expf within 2 ulp), and
// cancellation (e.g. x*a + b in BN, s + x s (1-s) in swish') makes them absolute at the size of
// the operands, which the rms of the reference bounds within a small factor: 16 eps both ways.
template <class T>
Tol elementwise_tol(double scale) {
  const double r = 16.0 * eps_of<T>();
  return {r * std::max(scale, 1e-30), r};
}

constexpr Tol kExact{0.0, 0.0};

// True when every element satisfies |gpu - cpu| <= atol + rtol*|cpu| (NaN fails). Otherwise
// prints the first 5 mismatches and the largest absolute and relative errors.
template <class T>
bool check_close(const std::string& what, const std::vector<T>& gpu, const std::vector<T>& cpu, Tol t) {  // gpu: tested, cpu: reference
  if (gpu.size() != cpu.size()) {
    std::printf("%s: size %zu vs %zu\n", what.c_str(), gpu.size(), cpu.size());
    return false;
  }
  std::size_t bad = 0;
  double max_abs = 0, max_rel = 0;
  for (std::size_t i = 0; i < cpu.size(); ++i) {
    const double g = static_cast<double>(gpu[i]), c = static_cast<double>(cpu[i]);
    const double err = std::fabs(g - c);
    const bool ok = err <= t.atol + t.rtol * std::fabs(c);  // false for NaN (err or c)
    if (std::isfinite(err)) {
      max_abs = std::max(max_abs, err);
      if (c != 0) max_rel = std::max(max_rel, err / std::fabs(c));
    }
    if (!ok) {
      if (bad < 5)
        std::printf("  %s[%zu]: gpu %.9g cpu %.9g |diff| %.3g > %.3g\n", what.c_str(), i, g, c, err,
                    t.atol + t.rtol * std::fabs(c));
      ++bad;
    }
  }
  if (bad)
    std::printf("%s: %zu / %zu mismatches (atol %.3g, rtol %.3g); max abs err %.3g, max rel err %.3g\n",
                what.c_str(), bad, cpu.size(), t.atol, t.rtol, max_abs, max_rel);
  return bad == 0;
}

// True when |got[i] - ref[i]| <= tol[i] for every i (NaN fails); prints the first 5 mismatches.
// For ops whose error bound differs from element to element.
template <class T>
bool check_within(const std::string& what, const std::vector<T>& got, const std::vector<T>& ref,
                  const std::vector<double>& tol) {
  if (got.size() != ref.size() || tol.size() != ref.size()) {
    std::printf("%s: size %zu vs %zu (tol %zu)\n", what.c_str(), got.size(), ref.size(), tol.size());
    return false;
  }
  std::size_t bad = 0;
  double worst = 0;  // largest |diff| / tol
  for (std::size_t i = 0; i < ref.size(); ++i) {
    const double g = static_cast<double>(got[i]), c = static_cast<double>(ref[i]);
    const double err = std::fabs(g - c);
    if (std::isfinite(err) && tol[i] > 0) worst = std::max(worst, err / tol[i]);
    if (!(err <= tol[i])) {
      if (bad < 5)
        std::printf("  %s[%zu]: got %.9g ref %.9g |diff| %.3g > %.3g\n", what.c_str(), i, g, c, err, tol[i]);
      ++bad;
    }
  }
  if (bad) std::printf("%s: %zu / %zu mismatches; worst |diff|/tol %.3g\n", what.c_str(), bad, ref.size(), worst);
  return bad == 0;
}

}  // namespace xrdid::gputest
