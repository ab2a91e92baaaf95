// The CUDA ops and runtime controls added for the planned (CUDA-graph) training step, against their
// CPU twins: SeedArg dropout seeds (fixed, or step_seed(*base, counter) on the device), the fused
// bn_swish_dropout forward/backward, adam_update with device-resident AdamHyper scalars,
// axpy_device_scale, ScratchScope arenas, the TF32 switch, and a graph replayed with new seeds and
// scalars. Outputs are NaN-poisoned first; gradients start from random priors (the += contract).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "gpu_test_util.hpp"
#include "kernels/buffer.hpp"
#include "kernels/cublas_util.cuh"
#include "kernels/ops_cuda.hpp"
#include "nn/ops/adam.hpp"
#include "nn/ops/batchnorm.hpp"
#include "nn/ops/dropout.hpp"
#include "nn/ops/elementwise.hpp"
#include "nn/ops/linear.hpp"
#include "nn/ops/random.hpp"

namespace cpu = xrdid::nn::ops;
namespace gpu = xrdid::cuda;
using namespace xrdid::gputest;

namespace {

// True when |gpu[i] - cpu[i]| <= tol[i] for every i (NaN fails); prints the first 5 mismatches.
// For ops whose error bound differs from element to element (derived per element below).
template <class T>
bool check_within(const std::string& what, const std::vector<T>& gpu, const std::vector<T>& cpu,
                  const std::vector<double>& tol) {
  if (gpu.size() != cpu.size() || tol.size() != cpu.size()) {
    std::printf("%s: size %zu vs %zu (tol %zu)\n", what.c_str(), gpu.size(), cpu.size(), tol.size());
    return false;
  }
  std::size_t bad = 0;
  double worst = 0;  // largest |diff| / tol
  for (std::size_t i = 0; i < cpu.size(); ++i) {
    const double g = static_cast<double>(gpu[i]), c = static_cast<double>(cpu[i]);
    const double err = std::fabs(g - c);
    if (std::isfinite(err) && tol[i] > 0) worst = std::max(worst, err / tol[i]);
    if (!(err <= tol[i])) {
      if (bad < 5)
        std::printf("  %s[%zu]: gpu %.9g cpu %.9g |diff| %.3g > %.3g\n", what.c_str(), i, g, c, err, tol[i]);
      ++bad;
    }
  }
  if (bad) std::printf("%s: %zu / %zu mismatches; worst |diff|/tol %.3g\n", what.c_str(), bad, cpu.size(), worst);
  return bad == 0;
}

// ------------------------------------------------------------------------ SeedArg dropout ----
template <class T>
void run_dropout_seedarg(std::mt19937_64& rng, const gpu::Stream& st) {
  for (i64 n : {i64{1}, i64{1001}, i64{100003}}) {
    auto x = uniform<T>(n, rng), dy = uniform<T>(n, rng);
    auto d_x = to_dev(x), d_dy = to_dev(dy);
    DeviceBuffer<std::uint64_t> d_base(1);
    for (double p : {0.0, 0.3}) {
      for (std::uint64_t base : {0ull, 42ull, 0xfedcba9876543210ull}) {
        const std::uint64_t counter = 5;
        CAPTURE(n);
        CAPTURE(p);
        CAPTURE(base);
        st.synchronize();  // the previous kernels may still read *base
        d_base.copy_from_host(std::vector<std::uint64_t>{base});
        const std::uint64_t seed = cpu::step_seed(base, counter);
        std::vector<T> y(n);
        cpu::dropout_forward<T>(n, p, seed, x.data(), y.data());
        // Device-derived seed, the fixed SeedArg and the legacy uint64 overload: the same mask.
        auto d_y1 = poisoned<T>(n), d_y2 = poisoned<T>(n), d_y3 = poisoned<T>(n);
        gpu::dropout_forward<T>(n, p, gpu::SeedArg{d_base.data(), counter}, d_x.data(), d_y1.data(), st);
        gpu::dropout_forward<T>(n, p, gpu::SeedArg{nullptr, seed}, d_x.data(), d_y2.data(), st);
        gpu::dropout_forward<T>(n, p, seed, d_x.data(), d_y3.data(), st);
        // y = x * scale or 0: one rounding on both sides, identical.
        CHECK(check_close("dropout y (device seed)", host(d_y1, st), y, kExact));
        CHECK(check_close("dropout y (fixed SeedArg)", host(d_y2, st), y, kExact));
        CHECK(check_close("dropout y (uint64 seed)", host(d_y3, st), y, kExact));
        auto dx = uniform<T>(n, rng);
        auto d_dx = to_dev(dx);
        cpu::dropout_backward<T>(n, p, seed, dy.data(), dx.data());
        gpu::dropout_backward<T>(n, p, gpu::SeedArg{d_base.data(), counter}, d_dy.data(), d_dx.data(), st);
        // dx += dy*scale: the GPU may fuse it into one FMA (one rounding less), relative to |dx|.
        CHECK(check_close("dropout dx (device seed)", host(d_dx, st), dx, elementwise_tol<T>(rms(dx))));
      }
    }
  }
}

TEST_CASE("dropout with a SeedArg equals the CPU op seeded with step_seed(base, counter)") {
  std::mt19937_64 rng(0x5eed0001);
  gpu::Stream st;
  run_dropout_seedarg<float>(rng, st);
  run_dropout_seedarg<double>(rng, st);
}

// -------------------------------------------------------------------- fused BN/swish/dropout ----
struct BsdCase {
  i64 N, C, L;
  std::string describe() const {
    return "bsd N" + std::to_string(N) + " C" + std::to_string(C) + " L" + std::to_string(L);
  }
};
const std::vector<BsdCase> kBsdCases = {
    {1, 3, 37},      // batch 1, odd length, C = 3
    {2, 64, 375},    // C = 64, odd length
    {3, 1, 101},     // C = 1
    {1, 64, 24},     // batch 1, shortest stage length
    {4, 3, 3000},    // several splits per channel
    {2, 1, 25000},   // C = 1 with many splits
    {5, 3, 1},       // L = 1
};

struct BsdVariant {
  bool drop;
  double p;
  bool device_seed;  // SeedArg{base in device memory, counter} instead of a fixed seed
  std::string describe() const {
    return std::string(drop ? "drop" : "no drop") + " p" + std::to_string(p) + (device_seed ? " device seed" : "");
  }
};
const std::vector<BsdVariant> kBsdVariants = {
    {false, 0.3, false}, {true, 0.0, false}, {true, 0.3, false}, {true, 0.3, true}};

// First-order bounds on |gpu - cpu| of the fused ops, per output element, from the CPU inputs.
// Per element (channel c, invstd, a = gamma*invstd, b0 = beta - mean*a, keep = mask * 1/(1-p)):
//   z = x*a + b0 differs by <= 2.5 eps*zt, zt = |x*a| + |b0| (FMA on the GPU, separate roundings
//     on the CPU, b0's double expression possibly contracted);
//   sigmoid(z) by <= 7 eps*sg (expf / exp within 2 ulp vs the CPU's polynomial exp within 3 ulp,
//     plus the 1 + e and the division), which moves swish' = sg + z*sg*(1 - sg) by (1 + |z|) times
//     that; swish'' <= 0.5 scales the z difference; 4 eps (1 + |z|) for its own roundings and 2 for
//     g = dy*keep*swish':  |dg| <= eps*|dy|*keep*(1.25 zt + 13 (1 + |z|)) =: Eg;
//   y = keep*z*sg: swish' <= 1.1 on z's difference, |z| on sg's, 2 roundings:
//     |dy_out| <= eps*keep*(2.75 zt + 9 (1 + |z|)) + eps*|y|.
// The channel sums S1 = sum g, S2 = sum g*(x - mean) are double on both sides: they differ by
// sum Eg (resp. sum Eg*|x - mean|), worst case, plus the order of the double additions
// (16 sqrt(M) eps_double * sum |terms|). dbeta, dgamma: those, plus their final rounding to T.
// dx = a*g - k*x + b0: a*Eg, the sums' differences through k and b0 (which enter as
// k*(x - mean)), 3 roundings of each term, and the rounding of the accumulated result.
// Every bound gets a 4x margin; an indexing or mask error is O(1) relative, far above.
struct BsdBounds {
  std::vector<double> y, dx, dgamma, dbeta;
};

template <class T>
BsdBounds bsd_bounds(const cpu::BatchNormShape& s, const std::vector<T>& x, const std::vector<T>& mean,
                     const std::vector<T>& var, const std::vector<T>& gamma, const std::vector<T>& beta, double eps,
                     bool training, bool drop, double p, std::uint64_t seed, const std::vector<T>& dy,
                     const std::vector<T>& y, const std::vector<T>& dx, const std::vector<T>& dgamma,
                     const std::vector<T>& dbeta) {
  constexpr double kMargin = 4.0;
  const double e = eps_of<T>(), m = static_cast<double>(s.N * s.L);
  const double r_order = 16.0 * std::sqrt(m) * eps_of<double>();
  BsdBounds b;
  b.y.resize(x.size());
  b.dx.resize(x.size());
  b.dgamma.resize(s.C);
  b.dbeta.resize(s.C);
  std::vector<double> g(x.size()), eg(x.size());
  for (i64 c = 0; c < s.C; ++c) {
    const double invstd = 1.0 / std::sqrt(static_cast<double>(var[c]) + eps), a = invstd * gamma[c];
    const double b0 = beta[c] - mean[c] * a, mu = mean[c];
    double s1 = 0, s2 = 0, s1e = 0, s2e = 0, a1 = 0, a2 = 0;
    for (i64 n = 0; n < s.N; ++n)
      for (i64 l = 0; l < s.L; ++l) {
        const i64 i = (n * s.C + c) * s.L + l;
        const double keep = drop ? cpu::dropout_scale<double>(p, seed, i) : 1.0;
        const double z = x[i] * a + b0, zt = std::fabs(x[i] * a) + std::fabs(b0);
        const double sg = 1.0 / (1.0 + std::exp(-z));
        g[i] = dy[i] * keep * (sg + z * sg * (1.0 - sg));
        eg[i] = e * std::fabs(dy[i]) * keep * (1.25 * zt + 13.0 * (1.0 + std::fabs(z)));
        b.y[i] = kMargin * (e * keep * (2.75 * zt + 9.0 * (1.0 + std::fabs(z))) + e * std::fabs(y[i]));
        const double d = std::fabs(x[i] - mu);
        s1 += g[i];
        s2 += g[i] * (x[i] - mu);
        s1e += eg[i];
        s2e += eg[i] * d;
        a1 += std::fabs(g[i]);
        a2 += std::fabs(g[i]) * d;
      }
    const double ds1 = s1e + r_order * a1, ds2 = s2e + r_order * a2;
    b.dbeta[c] = kMargin * (ds1 + e * std::fabs(dbeta[c]));
    b.dgamma[c] = kMargin * (ds2 * invstd + e * std::fabs(dgamma[c]));
    const double k = a * s2 * invstd * invstd / m, bb = -a * s1 / m + k * mu;
    for (i64 n = 0; n < s.N; ++n)
      for (i64 l = 0; l < s.L; ++l) {
        const i64 i = (n * s.C + c) * s.L + l;
        double t = std::fabs(a) * eg[i] + 3.0 * e * std::fabs(a * g[i]) + e * std::fabs(dx[i]);
        if (training)
          t += std::fabs(x[i] - mu) * std::fabs(a) * invstd * invstd / m * ds2 + std::fabs(a) / m * ds1 +
               3.0 * e * (std::fabs(k * x[i]) + std::fabs(bb));
        b.dx[i] = kMargin * t;
      }
  }
  return b;
}

template <class T>
void run_bsd_case(const BsdCase& bc, bool training, const BsdVariant& var, std::mt19937_64& rng,
                  const gpu::Stream& st) {
  CAPTURE(bc.describe());
  CAPTURE(training);
  CAPTURE(var.describe());
  const cpu::BatchNormShape s{bc.N, bc.C, bc.L};
  const std::size_t n = bc.N * bc.C * bc.L, C = bc.C;
  const double eps = 1e-5;
  auto x = uniform<T>(n, rng, 4.0, 6.0);  // offset mean, as real pre-BN activations
  auto gamma = uniform<T>(C, rng, 0.5, 1.5), beta = uniform<T>(C, rng), dy = uniform<T>(n, rng);
  std::vector<T> mean(C), vr(C);
  if (training) {
    cpu::batchnorm_stats<T>(s, x.data(), mean.data(), vr.data());
  } else {  // running statistics: constants near the batch's
    mean = uniform<T>(C, rng, 4.5, 5.5);
    vr = uniform<T>(C, rng, 0.2, 2.0);
  }
  const std::uint64_t base = rng(), counter = 11, fixed = rng();
  const std::uint64_t seed = var.device_seed ? cpu::step_seed(base, counter) : fixed;
  DeviceBuffer<std::uint64_t> d_base(std::vector<std::uint64_t>{base});
  const gpu::SeedArg arg = var.device_seed ? gpu::SeedArg{d_base.data(), counter} : gpu::SeedArg{nullptr, fixed};
  auto d_x = to_dev(x), d_mean = to_dev(mean), d_var = to_dev(vr), d_gamma = to_dev(gamma), d_beta = to_dev(beta);
  auto d_dy = to_dev(dy);

  std::vector<T> y(n);
  cpu::bn_swish_dropout_forward<T>(s, x.data(), mean.data(), vr.data(), gamma.data(), beta.data(), eps, var.drop,
                                   var.p, seed, y.data());
  auto d_y = poisoned<T>(n);
  gpu::bn_swish_dropout_forward<T>(s, d_x.data(), d_mean.data(), d_var.data(), d_gamma.data(), d_beta.data(), eps,
                                   var.drop, var.p, arg, d_y.data(), st);

  auto dx = uniform<T>(n, rng), dg = uniform<T>(C, rng), db = uniform<T>(C, rng);  // priors
  auto d_dx = to_dev(dx), d_dg = to_dev(dg), d_db = to_dev(db);
  auto d_dx2 = to_dev(dx), d_db2 = to_dev(db);  // for the nullptr-gradient calls
  cpu::bn_swish_dropout_backward<T>(s, x.data(), mean.data(), vr.data(), gamma.data(), beta.data(), eps, training,
                                    var.drop, var.p, seed, dy.data(), dx.data(), dg.data(), db.data());
  gpu::bn_swish_dropout_backward<T>(s, d_x.data(), d_mean.data(), d_var.data(), d_gamma.data(), d_beta.data(), eps,
                                    training, var.drop, var.p, arg, d_dy.data(), d_dx.data(), d_dg.data(),
                                    d_db.data(), st);
  gpu::bn_swish_dropout_backward<T>(s, d_x.data(), d_mean.data(), d_var.data(), d_gamma.data(), d_beta.data(), eps,
                                    training, var.drop, var.p, arg, d_dy.data(), d_dx2.data(), nullptr, nullptr, st);
  gpu::bn_swish_dropout_backward<T>(s, d_x.data(), d_mean.data(), d_var.data(), d_gamma.data(), d_beta.data(), eps,
                                    training, var.drop, var.p, arg, d_dy.data(), nullptr, nullptr, d_db2.data(), st);

  const auto bnd = bsd_bounds<T>(s, x, mean, vr, gamma, beta, eps, training, var.drop, var.p, seed, dy, y, dx, dg, db);
  CHECK(check_within("bsd y", host(d_y, st), y, bnd.y));
  CHECK(check_within("bsd dx", host(d_dx, st), dx, bnd.dx));
  CHECK(check_within("bsd dgamma", host(d_dg, st), dg, bnd.dgamma));
  CHECK(check_within("bsd dbeta", host(d_db, st), db, bnd.dbeta));
  CHECK(check_within("bsd dx (dgamma, dbeta null)", host(d_dx2, st), dx, bnd.dx));
  CHECK(check_within("bsd dbeta (dx, dgamma null)", host(d_db2, st), db, bnd.dbeta));
}

TEST_CASE("bn_swish_dropout forward/backward match the CPU fused ops") {
  std::mt19937_64 rng(0x5eed0002);
  gpu::Stream st;
  for (const auto& c : kBsdCases)
    for (bool training : {true, false})
      for (const auto& v : kBsdVariants) {
        run_bsd_case<float>(c, training, v, rng, st);
        run_bsd_case<double>(c, training, v, rng, st);
      }
}

TEST_CASE("bn_swish_dropout_backward is bitwise deterministic") {
  std::mt19937_64 rng(0x5eed0003);
  gpu::Stream st;
  const cpu::BatchNormShape s{4, 64, 3000};
  const std::size_t n = s.N * s.C * s.L;
  auto x = uniform<float>(n, rng, 4.0, 6.0);
  std::vector<float> mean(s.C), vr(s.C);
  cpu::batchnorm_stats<float>(s, x.data(), mean.data(), vr.data());
  auto d_x = to_dev(x), d_mean = to_dev(mean), d_var = to_dev(vr), d_dy = to_dev(uniform<float>(n, rng));
  auto d_g = to_dev(uniform<float>(s.C, rng, 0.5, 1.5)), d_b = to_dev(uniform<float>(s.C, rng));
  std::vector<std::vector<float>> runs;
  for (int r = 0; r < 2; ++r) {
    auto d_dx = to_dev(std::vector<float>(n, 0.f));
    auto d_dg = to_dev(std::vector<float>(s.C, 0.f)), d_db = to_dev(std::vector<float>(s.C, 0.f));
    gpu::bn_swish_dropout_backward<float>(s, d_x.data(), d_mean.data(), d_var.data(), d_g.data(), d_b.data(), 1e-5,
                                          true, true, 0.2, gpu::SeedArg{nullptr, 77}, d_dy.data(), d_dx.data(),
                                          d_dg.data(), d_db.data(), st);
    std::vector<float> v;
    for (auto* b : {&d_dx, &d_dg, &d_db}) {
      auto h = host(*b, st);
      v.insert(v.end(), h.begin(), h.end());
    }
    runs.push_back(std::move(v));
  }
  CHECK(check_close("bsd grads run 2 vs run 1", runs[1], runs[0], kExact));
}

// ------------------------------------------------------------------------ AdamHyper Adam ----
template <class T>
void run_adam_hyper(bool decoupled, std::mt19937_64& rng, const gpu::Stream& st) {
  CAPTURE(decoupled);
  const double b1 = 0.9, b2 = 0.999, eps = 1e-8, wd = decoupled ? 0.01 : 1e-4;
  for (i64 n : {i64{1}, i64{4097}, i64{10000}}) {
    CAPTURE(n);
    auto p = uniform<T>(n, rng);
    std::vector<T> m(n, T(0)), v(n, T(0));
    auto d_p = to_dev(p), d_m = to_dev(m), d_v = to_dev(v);     // AdamHyper path
    auto d_p2 = to_dev(p), d_m2 = to_dev(m), d_v2 = to_dev(v);  // host-scalar path
    DeviceBuffer<gpu::AdamHyper> d_h(1);
    for (int step = 1; step <= 3; ++step) {
      const double lr = 1e-3 * (1.0 + 0.37 * step);  // a schedule: lr changes every step
      const double bc1 = 1.0 - std::pow(b1, step), bc2 = 1.0 - std::pow(b2, step);
      auto g = uniform<T>(n, rng);
      st.synchronize();  // the previous step's kernels read d_h and the gradient
      d_h.copy_from_host(std::vector<gpu::AdamHyper>{gpu::AdamHyper{lr, bc1, bc2}});
      auto d_g = to_dev(g);
      cpu::adam_update<T>(p.data(), g.data(), m.data(), v.data(), n, lr, b1, b2, eps, wd, decoupled, bc1, bc2);
      gpu::adam_update<T>(d_p.data(), d_g.data(), d_m.data(), d_v.data(), n, d_h.data(), b1, b2, eps, wd, decoupled,
                          st);
      gpu::adam_update<T>(d_p2.data(), d_g.data(), d_m2.data(), d_v2.data(), n, lr, b1, b2, eps, wd, decoupled, bc1,
                          bc2, st);
      st.synchronize();
    }
    // No gradient: untouched (and *hyper never read).
    gpu::adam_update<T>(d_p.data(), nullptr, d_m.data(), d_v.data(), n, d_h.data(), b1, b2, eps, wd, decoupled, st);
    const auto hp = host(d_p, st), hm = host(d_m, st), hv = host(d_v, st);
    // Elementwise; the update is ~lr and subtracted from p ~ 1, so the atol is set by |p|.
    CHECK(check_close("adam(hyper) p", hp, p, elementwise_tol<T>(rms(p))));
    CHECK(check_close("adam(hyper) m", hm, m, elementwise_tol<T>(rms(m))));
    CHECK(check_close("adam(hyper) v", hv, v, elementwise_tol<T>(rms(v))));
    // The device forms the coefficients exactly as the host does (same double expressions, one
    // rounding each), and the update is the same code: bit for bit.
    CHECK(check_close("adam(hyper) p vs host scalars", hp, host(d_p2, st), kExact));
    CHECK(check_close("adam(hyper) m vs host scalars", hm, host(d_m2, st), kExact));
    CHECK(check_close("adam(hyper) v vs host scalars", hv, host(d_v2, st), kExact));
  }
}

TEST_CASE("adam_update with device AdamHyper matches nn::ops::adam_update (Adam and AdamW)") {
  std::mt19937_64 rng(0x5eed0004);
  gpu::Stream st;
  for (bool decoupled : {false, true}) {
    run_adam_hyper<float>(decoupled, rng, st);
    run_adam_hyper<double>(decoupled, rng, st);
  }
}

// -------------------------------------------------------------------- axpy_device_scale ----
template <class T>
void run_axpy_device_scale(std::mt19937_64& rng, const gpu::Stream& st) {
  const double sc = 2.718281828459045;  // not representable in float: checks the rounding to T
  DeviceBuffer<double> d_s(std::vector<double>{sc});
  for (i64 n : {i64{1}, i64{1000}, i64{1000003}}) {
    CAPTURE(n);
    auto x = uniform<T>(n, rng), y = uniform<T>(n, rng);
    auto d_x = to_dev(x), d_y = to_dev(y), d_y2 = to_dev(y);
    cpu::axpy<T>(n, static_cast<T>(sc), x.data(), y.data());
    gpu::axpy_device_scale<T>(n, d_s.data(), d_x.data(), d_y.data(), st);
    gpu::axpy<T>(n, static_cast<T>(sc), d_x.data(), d_y2.data(), st);
    const auto got = host(d_y, st);
    // y += alpha*x: the GPU may fuse it into one FMA (one rounding less), relative to |y|.
    CHECK(check_close("axpy_device_scale", got, y, elementwise_tol<T>(rms(y))));
    // Same alpha (the device double rounded to T as the host rounds it), same kernel arithmetic.
    CHECK(check_close("axpy_device_scale vs axpy", got, host(d_y2, st), kExact));
  }
}

TEST_CASE("axpy_device_scale matches axpy with alpha = T(s)") {
  std::mt19937_64 rng(0x5eed0005);
  gpu::Stream st;
  run_axpy_device_scale<float>(rng, st);
  run_axpy_device_scale<double>(rng, st);
}

// --------------------------------------------------------------------------- ScratchScope ----
TEST_CASE("ScratchScope: kernels take their scratch from the arena, LIFO, and a too-small one throws") {
  std::mt19937_64 rng(0x5eed0006);
  gpu::Stream st;
  for (const cpu::BatchNormShape s : {cpu::BatchNormShape{4, 64, 3000}, cpu::BatchNormShape{1, 3, 37}}) {
    CAPTURE(s.C);
    const std::size_t n = s.N * s.C * s.L;
    auto x = uniform<float>(n, rng, 4.0, 6.0);
    std::vector<float> mean(s.C), vr(s.C);
    cpu::batchnorm_stats<float>(s, x.data(), mean.data(), vr.data());
    const auto dx0 = uniform<float>(n, rng), dg0 = uniform<float>(s.C, rng), db0 = uniform<float>(s.C, rng);
    auto d_x = to_dev(x), d_mean = to_dev(mean), d_var = to_dev(vr), d_dy = to_dev(uniform<float>(n, rng));
    auto d_g = to_dev(uniform<float>(s.C, rng, 0.5, 1.5)), d_b = to_dev(uniform<float>(s.C, rng));
    // One batchnorm_backward from the priors; returns dx, dgamma, dbeta concatenated.
    auto run = [&]() {
      auto d_dx = to_dev(dx0), d_dg = to_dev(dg0), d_db = to_dev(db0);
      gpu::batchnorm_backward<float>(s, d_x.data(), d_mean.data(), d_var.data(), d_g.data(), d_dy.data(), 1e-5,
                                     true, d_dx.data(), d_dg.data(), d_db.data(), st);
      std::vector<float> v;
      for (auto* b : {&d_dx, &d_dg, &d_db}) {
        auto h = host(*b, st);
        v.insert(v.end(), h.begin(), h.end());
      }
      return v;
    };
    // Without a scope (cudaMallocAsync); the high-water mark is counted the same way.
    gpu::ScratchScope::reset_high_water();
    const auto want = run();
    const std::size_t hw_free = gpu::ScratchScope::high_water();
    CHECK(hw_free > 0);

    DeviceBuffer<unsigned char> region(std::size_t{16} << 20), region2(std::size_t{16} << 20);
    gpu::ScratchScope::reset_high_water();
    {
      gpu::ScratchScope scope(region.data(), region.size());
      // Same kernels, same splits, other addresses: bit for bit.
      CHECK(check_close("bn backward in a scope", run(), want, kExact));
    }
    const std::size_t hw = gpu::ScratchScope::high_water();
    CHECK(hw > 0);
    CHECK(hw <= region.size());
    CHECK(hw == hw_free);  // 256-aligned base: both modes count the rounded requests
    {
      gpu::ScratchScope scope(region.data(), hw);  // exactly the measured size suffices
      CHECK(check_close("bn backward in an exact-size scope", run(), want, kExact));
      // The fused backward needs one more C-sized slice than batchnorm_backward: its workspace
      // and first coefficient slice fit, the second throws, naming the request...
      auto d_dx = to_dev(dx0);
      bool threw = false;
      try {
        gpu::bn_swish_dropout_backward<float>(s, d_x.data(), d_mean.data(), d_var.data(), d_g.data(), d_b.data(),
                                              1e-5, true, false, 0.0, gpu::SeedArg{}, d_dy.data(), d_dx.data(),
                                              nullptr, nullptr, st);
      } catch (const gpu::CudaError& e) {
        threw = true;
        const std::string what = e.what();
        CHECK(what.find("bytes") != std::string::npos);
      }
      CHECK(threw);
      // ...and the slices taken before the throw were given back: the full size is free again.
      CHECK(check_close("bn backward after a failed request", run(), want, kExact));
    }
    {
      gpu::ScratchScope scope(region.data(), hw - 1);
      auto d_dx = to_dev(dx0);
      CHECK_THROWS_AS(gpu::batchnorm_backward<float>(s, d_x.data(), d_mean.data(), d_var.data(), d_g.data(),
                                                     d_dy.data(), 1e-5, true, d_dx.data(), nullptr, nullptr, st),
                      gpu::CudaError);
    }
    {
      gpu::ScratchScope outer(region.data(), region.size());
      {
        gpu::ScratchScope inner(region2.data(), region2.size());
        CHECK(check_close("bn backward in a nested scope", run(), want, kExact));
      }
      CHECK(check_close("bn backward in the restored outer scope", run(), want, kExact));
    }
    {
      gpu::ScratchScope empty(nullptr, 0);  // installed, but every request throws
      auto d_dx = to_dev(dx0);
      CHECK_THROWS_AS(gpu::batchnorm_backward<float>(s, d_x.data(), d_mean.data(), d_var.data(), d_g.data(),
                                                     d_dy.data(), 1e-5, true, d_dx.data(), nullptr, nullptr, st),
                      gpu::CudaError);
    }
    CHECK(check_close("bn backward after the scopes (cudaMallocAsync)", run(), want, kExact));
  }
}

// ------------------------------------------------------------------------------------ TF32 ----
// Restores FP32 math at the end of the test whatever happens (the switch is process-wide).
struct Tf32Guard {
  ~Tf32Guard() { gpu::set_tf32(false); }
};

TEST_CASE("set_tf32 switches the math mode of the cuBLAS handle in use") {
  std::mt19937_64 rng(0x5eed0007);
  gpu::Stream st;
  Tf32Guard guard;
  const cpu::MatmulShape s{256, 1024, 300, false};
  const auto a = uniform<float>(s.M * s.K, rng), b = uniform<float>(s.K * s.N, rng);
  std::vector<float> c(s.M * s.N);
  cpu::matmul_forward<float>(s, a.data(), b.data(), c.data());
  auto d_a = to_dev(a), d_b = to_dev(b);
  cublasMath_t mode{};

  CHECK_FALSE(gpu::tf32_enabled());
  REQUIRE(cublasGetMathMode(gpu::cublas_handle(st), &mode) == CUBLAS_STATUS_SUCCESS);
  CHECK(mode == CUBLAS_DEFAULT_MATH);

  gpu::set_tf32(true);
  CHECK(gpu::tf32_enabled());
  REQUIRE(cublasGetMathMode(gpu::cublas_handle(st), &mode) == CUBLAS_STATUS_SUCCESS);
  CHECK(mode == CUBLAS_TF32_TENSOR_OP_MATH);
  auto d_c = poisoned<float>(c.size());
  gpu::matmul_forward<float>(s, d_a.data(), d_b.data(), d_c.data(), st);
  // TF32 keeps 10 mantissa bits: each of the K products carries an input-rounding error of up to
  // 2^-10 relative (truncation may bias it), so the sum is off by ~2^-10 times the size of the
  // result (rms); 8x margin. Double precision is untouched by the switch (checked elsewhere).
  const double u_tf32 = std::ldexp(1.0, -10);
  CHECK(check_close("matmul TF32", host(d_c, st), c, Tol{8.0 * u_tf32 * rms(c), 8.0 * u_tf32}));

  gpu::set_tf32(false);  // back to FP32 on the same (existing) handle
  CHECK_FALSE(gpu::tf32_enabled());
  REQUIRE(cublasGetMathMode(gpu::cublas_handle(st), &mode) == CUBLAS_STATUS_SUCCESS);
  CHECK(mode == CUBLAS_DEFAULT_MATH);
  gpu::matmul_forward<float>(s, d_a.data(), d_b.data(), d_c.data(), st);
  CHECK(check_close("matmul FP32", host(d_c, st), c, reduction_tol<float>(s.K, rms(c))));
}

// ------------------------------------------------------------------------- graph replay ----
// A captured slice of a planned step: fused BN/swish/dropout forward and backward and a dropout
// with device-derived seeds, Adam with device scalars, axpy with a device scale; captured inside
// a ScratchScope (no allocation nodes), replayed twice with new host-written values, each replay
// compared with the CPU ops at that replay's seeds and scalars.
TEST_CASE("a graph with device seeds and scalars replays with new values like the CPU ops") {
  std::mt19937_64 rng(0x5eed0008);
  gpu::Stream st;
  const cpu::BatchNormShape s{2, 16, 375};
  const std::size_t n = s.N * s.C * s.L, C = s.C;
  const double eps = 1e-5, p1 = 0.3, p2 = 0.2, b1 = 0.9, b2 = 0.999, aeps = 1e-8, wd = 0.01;
  const std::uint64_t site1 = 1, site2 = 2;
  auto x = uniform<float>(n, rng, 4.0, 6.0), gamma = uniform<float>(C, rng, 0.5, 1.5), beta = uniform<float>(C, rng);
  auto dy = uniform<float>(n, rng);
  std::vector<float> mean(C), vr(C);
  cpu::batchnorm_stats<float>(s, x.data(), mean.data(), vr.data());
  const auto dx0 = uniform<float>(n, rng), acc0 = uniform<float>(n, rng);
  const std::vector<float> zc(C, 0.f);
  auto d_x = to_dev(x), d_mean = to_dev(mean), d_var = to_dev(vr), d_gamma = to_dev(gamma), d_beta = to_dev(beta);
  auto d_dy = to_dev(dy), d_y = poisoned<float>(n), d_y2 = poisoned<float>(n), d_dx = to_dev(dx0);
  auto d_dg = to_dev(zc), d_db = to_dev(zc), d_p = to_dev(gamma), d_m = to_dev(zc), d_v = to_dev(zc);
  auto d_acc = to_dev(acc0);
  DeviceBuffer<std::uint64_t> d_base(1);
  DeviceBuffer<gpu::AdamHyper> d_h(1);
  DeviceBuffer<double> d_scale(1);
  DeviceBuffer<unsigned char> region(std::size_t{8} << 20);

  cudaGraph_t graph = nullptr;
  cudaGraphExec_t exec = nullptr;
  {
    gpu::ScratchScope scope(region.data(), region.size());
    REQUIRE(cudaStreamBeginCapture(st, cudaStreamCaptureModeThreadLocal) == cudaSuccess);
    gpu::bn_swish_dropout_forward<float>(s, d_x.data(), d_mean.data(), d_var.data(), d_gamma.data(), d_beta.data(),
                                         eps, true, p1, gpu::SeedArg{d_base.data(), site1}, d_y.data(), st);
    gpu::dropout_forward<float>(static_cast<i64>(n), p2, gpu::SeedArg{d_base.data(), site2}, d_y.data(), d_y2.data(),
                                st);
    gpu::bn_swish_dropout_backward<float>(s, d_x.data(), d_mean.data(), d_var.data(), d_gamma.data(), d_beta.data(),
                                          eps, true, true, p1, gpu::SeedArg{d_base.data(), site1}, d_dy.data(),
                                          d_dx.data(), d_dg.data(), d_db.data(), st);
    gpu::adam_update<float>(d_p.data(), d_dg.data(), d_m.data(), d_v.data(), static_cast<i64>(C), d_h.data(), b1, b2,
                            aeps, wd, true, st);
    gpu::axpy_device_scale<float>(static_cast<i64>(n), d_scale.data(), d_y2.data(), d_acc.data(), st);
    REQUIRE(cudaStreamEndCapture(st, &graph) == cudaSuccess);
  }
  std::size_t count = 0;
  REQUIRE(cudaGraphGetNodes(graph, nullptr, &count) == cudaSuccess);
  std::vector<cudaGraphNode_t> nodes(count);
  REQUIRE(cudaGraphGetNodes(graph, nodes.data(), &count) == cudaSuccess);
  std::size_t alloc_nodes = 0;
  for (auto node : nodes) {
    cudaGraphNodeType type{};
    REQUIRE(cudaGraphNodeGetType(node, &type) == cudaSuccess);
    if (type == cudaGraphNodeTypeMemAlloc || type == cudaGraphNodeTypeMemFree) ++alloc_nodes;
  }
  CHECK(alloc_nodes == 0);  // the scratch came from the arena
  REQUIRE(cudaGraphInstantiate(&exec, graph, 0) == cudaSuccess);

  struct Replay {
    std::uint64_t base;
    double lr, scale;
  };
  for (const Replay r : {Replay{12345, 1e-3, 0.75}, Replay{0xabcdef0123456789ull, 3e-3, -1.5}}) {
    CAPTURE(r.base);
    const double bc1 = 1.0 - b1, bc2 = 1.0 - b2;  // step 1 each time (state reset below)
    st.synchronize();
    d_base.copy_from_host(std::vector<std::uint64_t>{r.base});
    d_h.copy_from_host(std::vector<gpu::AdamHyper>{gpu::AdamHyper{r.lr, bc1, bc2}});
    d_scale.copy_from_host(std::vector<double>{r.scale});
    d_dx.copy_from_host(dx0);
    d_dg.copy_from_host(zc);
    d_db.copy_from_host(zc);
    d_p.copy_from_host(gamma);
    d_m.copy_from_host(zc);
    d_v.copy_from_host(zc);
    d_acc.copy_from_host(acc0);
    REQUIRE(cudaGraphLaunch(exec, st) == cudaSuccess);

    const std::uint64_t seed1 = cpu::step_seed(r.base, site1), seed2 = cpu::step_seed(r.base, site2);
    std::vector<float> y(n), y2(n), dx = dx0, dg = zc, db = zc, p = gamma, m = zc, v = zc, acc = acc0;
    cpu::bn_swish_dropout_forward<float>(s, x.data(), mean.data(), vr.data(), gamma.data(), beta.data(), eps, true,
                                         p1, seed1, y.data());
    cpu::dropout_forward<float>(static_cast<i64>(n), p2, seed2, y.data(), y2.data());
    cpu::bn_swish_dropout_backward<float>(s, x.data(), mean.data(), vr.data(), gamma.data(), beta.data(), eps, true,
                                          true, p1, seed1, dy.data(), dx.data(), dg.data(), db.data());
    cpu::adam_update<float>(p.data(), dg.data(), m.data(), v.data(), static_cast<i64>(C), r.lr, b1, b2, aeps, wd,
                            true, bc1, bc2);
    cpu::axpy<float>(static_cast<i64>(n), static_cast<float>(r.scale), y2.data(), acc.data());

    const auto bnd = bsd_bounds<float>(s, x, mean, vr, gamma, beta, eps, true, true, p1, seed1, dy, y, dx, dg, db);
    CHECK(check_within("graph y", host(d_y, st), y, bnd.y));
    // y2 = y * mask2 / (1 - p2): y's bound times the scale, plus one rounding.
    std::vector<double> t2(n), ta(n);
    for (std::size_t i = 0; i < n; ++i) {
      t2[i] = bnd.y[i] / (1.0 - p2) + eps_of<float>() * std::fabs(y2[i]);
      ta[i] = std::fabs(r.scale) * t2[i] + 2.0 * eps_of<float>() * (std::fabs(acc[i]) + std::fabs(r.scale * y2[i]));
    }
    CHECK(check_within("graph y2", host(d_y2, st), y2, t2));
    CHECK(check_within("graph dx", host(d_dx, st), dx, bnd.dx));
    CHECK(check_within("graph dgamma", host(d_dg, st), dg, bnd.dgamma));
    CHECK(check_within("graph dbeta", host(d_db, st), db, bnd.dbeta));
    CHECK(check_within("graph acc", host(d_acc, st), acc, ta));
    // One Adam step moves each p by about lr*sign(g) (Adam's first step is insensitive to small
    // gradient differences); elementwise relative to |p|, as the Adam test.
    CHECK(check_close("graph adam p", host(d_p, st), p, elementwise_tol<float>(rms(p))));
  }
  cudaGraphExecDestroy(exec);
  cudaGraphDestroy(graph);
}

}  // namespace
