// Test helpers: seeded random tensors and a finite-difference gradient check of Var functions
// in double precision (style guide §2 rule 3: central differences, h = 1e-6, rel tol ~1e-6).
#pragma once
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "nn/autograd.hpp"
#include "nn/functional.hpp"
#include "nn/ops/random.hpp"

namespace xrdid::test {

using nn::DType;
using nn::Shape;
using nn::Tensor;
using nn::Var;

// Uniform values in [lo, hi) from the counter-based hash (reproducible everywhere).
inline Tensor rand_tensor(const Shape& shape, std::uint64_t seed, double lo = -1.0, double hi = 1.0,
                          DType dtype = DType::F64) {
  Tensor t = Tensor::empty(shape, DType::F64);
  double* p = t.data<double>();
  for (std::int64_t i = 0; i < t.numel(); ++i)
    p[i] = lo + (hi - lo) * static_cast<double>(nn::ops::uniform(seed, static_cast<std::uint64_t>(i)));
  return dtype == DType::F64 ? t : t.to(dtype);
}

struct GradcheckResult {
  bool ok = true;
  double max_abs_err = 0, max_rel_err = 0;
  std::int64_t checked = 0;
  std::string report;  // first mismatches, for CAPTURE/INFO on failure
};

struct GradcheckOpts {
  double h = 1e-6;     // central-difference step
  double rtol = 1e-6;  // relative tolerance on each partial derivative
  // Absolute floor: the difference quotient carries roundoff ~ eps_mach*|f|/h ~ 2e-10*|f|
  // (truncation ~ h^2 f''' ~ 1e-12 is negligible), so atol = atol_base + 1e-8*max(1,|f|).
  double atol_base = 1e-8;
  std::uint64_t seed = 0xdeadbeef;
  std::vector<bool> differentiable;  // per input; empty = all
};

// f maps F64 leaf Vars to any Var; a non-scalar output is reduced to sum(out * R) with a fixed
// random R. Compares the autograd gradient of every differentiable input with the full
// finite-difference gradient.
inline GradcheckResult gradcheck(const std::function<Var(const std::vector<Var>&)>& f,
                                 const std::vector<Tensor>& inputs, const GradcheckOpts& o = {}) {
  GradcheckResult res;
  auto diff = [&](std::size_t i) { return o.differentiable.empty() || o.differentiable[i]; };
  // Analytic pass.
  std::vector<Var> vars;
  for (std::size_t i = 0; i < inputs.size(); ++i) vars.emplace_back(inputs[i].clone(), diff(i));
  Var out = f(vars);
  const Tensor R = rand_tensor(out.shape(), o.seed ^ 0x5eed, -1.0, 1.0);
  Var loss = nn::F::sum(nn::F::mul(out, Var(R)));
  const double f0 = loss.value().item();
  loss.backward();
  const double atol = o.atol_base + 1e-8 * std::max(1.0, std::fabs(f0));
  auto project = [&](const std::vector<Tensor>& vals) {
    nn::NoGradGuard ng;
    std::vector<Var> v;
    for (const Tensor& t : vals) v.emplace_back(t, false);
    const Tensor y = f(v).value();
    const double* yp = y.data<double>();
    const double* rp = R.data<double>();
    double s = 0;
    for (std::int64_t i = 0; i < y.numel(); ++i) s += yp[i] * rp[i];
    return s;
  };
  std::ostringstream rep;
  int shown = 0;
  std::vector<Tensor> vals;
  for (const Tensor& t : inputs) vals.push_back(t.clone());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!diff(i)) continue;
    const Tensor g = vars[i].grad().defined() ? vars[i].grad() : Tensor::zeros(inputs[i].shape(), DType::F64);
    double* p = vals[i].data<double>();
    for (std::int64_t j = 0; j < vals[i].numel(); ++j) {
      const double x0 = p[j];
      p[j] = x0 + o.h;
      const double fp = project(vals);
      p[j] = x0 - o.h;
      const double fm = project(vals);
      p[j] = x0;
      const double num = (fp - fm) / (2 * o.h);
      const double ana = g.data<double>()[j];
      const double err = std::fabs(ana - num);
      res.max_abs_err = std::max(res.max_abs_err, err);
      res.max_rel_err = std::max(res.max_rel_err, err / std::max(std::fabs(num), 1e-12));
      ++res.checked;
      if (err > atol + o.rtol * std::fabs(num)) {
        res.ok = false;
        if (shown++ < 5) rep << "input " << i << " [" << j << "]: analytic " << ana << " numeric " << num << "\n";
      }
    }
  }
  rep << "checked " << res.checked << " partials, max abs err " << res.max_abs_err << ", max rel err "
      << res.max_rel_err << ", atol " << atol;
  res.report = rep.str();
  return res;
}

// doctest assertion wrapper that prints the report on failure.
#define XRDID_GRADCHECK(fn, inputs, ...)                                   \
  do {                                                                     \
    const auto _gc = ::xrdid::test::gradcheck(fn, inputs, ##__VA_ARGS__);  \
    INFO(_gc.report);                                                      \
    CHECK(_gc.ok);                                                         \
    CHECK(_gc.checked > 0);                                                \
  } while (0)

// Max |a - b| <= atol + rtol*|b| elementwise, with the first mismatches in the message.
inline std::string compare(const std::vector<double>& got, const std::vector<double>& ref, double atol,
                           double rtol, bool* ok) {
  std::ostringstream rep;
  *ok = got.size() == ref.size();
  if (!*ok) return "size mismatch";
  double max_abs = 0;
  int shown = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const double e = std::fabs(got[i] - ref[i]);
    max_abs = std::max(max_abs, e);
    if (!(e <= atol + rtol * std::fabs(ref[i]))) {
      *ok = false;
      if (shown++ < 5) rep << "[" << i << "] got " << got[i] << " ref " << ref[i] << "\n";
    }
  }
  rep << "max abs err " << max_abs;
  return rep.str();
}

#define XRDID_CHECK_CLOSE(got, ref, atol, rtol)                                  \
  do {                                                                           \
    bool _ok = false;                                                            \
    const std::string _rep = ::xrdid::test::compare(got, ref, atol, rtol, &_ok); \
    INFO(_rep);                                                                  \
    CHECK(_ok);                                                                  \
  } while (0)

}  // namespace xrdid::test
