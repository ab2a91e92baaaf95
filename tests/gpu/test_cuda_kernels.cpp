// The CUDA kernels and properties that the op-case table (op_cases.hpp, run on every backend by
// test_backend_ops.cpp) does not cover: kernel entry points without a Backend op (relu, mul,
// sum_all, add_scalar, batchnorm_forward/_backward, batchnorm_swish_dropout_forward, the uint64
// dropout seed, adam_update with host scalars and adam_update_multi), bit-for-bit determinism of
// the reductions, bit equality of kernels that must agree exactly (Adam with device or host
// scalars, axpy with a device or host scale), and the worked examples of docs/method.md §13.3.
// Outputs are NaN-poisoned first; gradients start from random priors (the += contract).
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <numeric>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "gpu_test_util.hpp"
#include "kernels/buffer.hpp"
#include "kernels/ops_cuda.hpp"
#include "nn/ops/activation.hpp"
#include "nn/ops/adam.hpp"
#include "nn/ops/batchnorm.hpp"
#include "nn/ops/dropout.hpp"
#include "nn/ops/elementwise.hpp"
#include "nn/ops/random.hpp"
#include "op_cases.hpp"

namespace cpu = xrdid::nn::ops;
namespace gpu = xrdid::cuda;
using namespace xrdid::gputest;

namespace {

TEST_CASE("conv1d and batchnorm reductions are bitwise deterministic") {
  std::mt19937_64 rng(0xdeadbeef + 13);
  gpu::Stream st;
  for (std::size_t ci : {1u, 9u}) {  // grouped K16 stride 2; pointwise (cuBLAS)
    const auto s = xrdid::optest::conv_cases()[ci].shape();
    CAPTURE(ci);
    const std::size_t nx = s.N * s.C_in * s.L_in, nw = s.C_out * (s.C_in / s.groups) * s.K;
    const std::size_t ny = s.N * s.C_out * s.L_out;
    auto d_x = to_dev(uniform<float>(nx, rng)), d_w = to_dev(uniform<float>(nw, rng));
    auto d_dy = to_dev(uniform<float>(ny, rng));
    std::vector<float> zeros_w(nw, 0.f), zeros_x(nx, 0.f), zeros_b(s.C_out, 0.f);
    std::vector<std::vector<float>> runs;
    for (int r = 0; r < 2; ++r) {
      auto d_dx = to_dev(zeros_x), d_dw = to_dev(zeros_w), d_db = to_dev(zeros_b);
      gpu::conv1d_backward<float>(s, d_x.data(), d_w.data(), d_dy.data(), d_dx.data(), d_dw.data(), d_db.data(), st);
      auto v = host(d_dw, st);
      auto b = host(d_db, st);
      v.insert(v.end(), b.begin(), b.end());
      runs.push_back(std::move(v));
    }
    CHECK(check_close("dw+db run 2 vs run 1", runs[1], runs[0], kExact));
  }
  const cpu::BatchNormShape s{4, 64, 3000};
  const std::size_t n = s.N * s.C * s.L;
  auto d_x = to_dev(uniform<float>(n, rng, 4.0, 6.0)), d_dy = to_dev(uniform<float>(n, rng));
  auto d_g = to_dev(uniform<float>(s.C, rng));
  std::vector<std::vector<float>> runs;
  for (int r = 0; r < 2; ++r) {
    auto d_mean = poisoned<float>(s.C), d_var = poisoned<float>(s.C);
    auto d_dg = to_dev(std::vector<float>(s.C, 0.f)), d_db = to_dev(std::vector<float>(s.C, 0.f));
    gpu::batchnorm_stats<float>(s, d_x.data(), d_mean.data(), d_var.data(), st);
    gpu::batchnorm_backward<float>(s, d_x.data(), d_mean.data(), d_var.data(), d_g.data(), d_dy.data(), 1e-5, true,
                                   nullptr, d_dg.data(), d_db.data(), st);
    std::vector<float> v;
    for (auto* b : {&d_mean, &d_var, &d_dg, &d_db}) {
      auto h = host(*b, st);
      v.insert(v.end(), h.begin(), h.end());
    }
    runs.push_back(std::move(v));
  }
  CHECK(check_close("bn stats+grads run 2 vs run 1", runs[1], runs[0], kExact));
}

// ------------------------------------------------------------------------------- batchnorm ----
struct BnCase {
  i64 N, C, L;
  std::string describe() const {
    return "bn N" + std::to_string(N) + " C" + std::to_string(C) + " L" + std::to_string(L);
  }
};
const std::vector<BnCase> kBnCases = {{4, 64, 3000}, {1, 16, 24}, {3, 5, 37}, {8, 1024, 24}, {2, 160, 750}, {1, 3, 1}};

// Size of the terms that y = x*a + b0 (forward) and dx = a*dy - k*x + b0 (training backward)
// add up, per element (rms over the tensor): the elementwise rounding differences (FMA on the GPU)
// are relative to these, not to the result, which cancellation can make much smaller.
template <class T>
std::pair<double, double> bn_term_scales(const cpu::BatchNormShape& s, const std::vector<T>& x,
                                         const std::vector<T>& mean, const std::vector<T>& var,
                                         const std::vector<T>& gamma, const std::vector<T>& dy, double eps) {
  double fwd = 0, bwd = 0;
  const double m = static_cast<double>(s.N * s.L);
  for (i64 c = 0; c < s.C; ++c) {
    const double invstd = 1.0 / std::sqrt(static_cast<double>(var[c]) + eps), a = invstd * gamma[c];
    const double b0f = mean[c] * a;
    double sdy = 0, sdyx = 0;
    for (i64 n = 0; n < s.N; ++n)
      for (i64 l = 0; l < s.L; ++l) {
        const i64 i = (n * s.C + c) * s.L + l;
        sdy += dy[i];
        sdyx += dy[i] * (x[i] - static_cast<double>(mean[c]));
      }
    const double k = a * sdyx * invstd * invstd / m;
    const double b0 = std::fabs(a * sdy / m) + std::fabs(k * mean[c]);
    for (i64 n = 0; n < s.N; ++n)
      for (i64 l = 0; l < s.L; ++l) {
        const i64 i = (n * s.C + c) * s.L + l;
        const double tf = std::fabs(x[i] * a) + std::fabs(b0f);
        const double tb = std::fabs(a * dy[i]) + std::fabs(k * x[i]) + b0;
        fwd += tf * tf;
        bwd += tb * tb;
      }
  }
  const double cnt = static_cast<double>(x.size());
  return {std::sqrt(fwd / cnt), std::sqrt(bwd / cnt)};
}

template <class T>
void run_bn_case(const BnCase& bc, std::mt19937_64& rng, const gpu::Stream& st) {
  CAPTURE(bc.describe());
  const cpu::BatchNormShape s{bc.N, bc.C, bc.L};
  const std::size_t n = bc.N * bc.C * bc.L, C = bc.C;
  const double eps = 1e-5;
  const i64 M = bc.N * bc.L;
  auto x = uniform<T>(n, rng, 4.0, 6.0);  // offset mean: a one-pass variance would lose digits
  auto gamma = uniform<T>(C, rng, 0.5, 1.5), beta = uniform<T>(C, rng), dy = uniform<T>(n, rng);
  // A mean and an x-correlated part in dy, so that the training-mode terms of dx are O(1).
  for (std::size_t i = 0; i < n; ++i) dy[i] = static_cast<T>(dy[i] + 0.5 + 0.5 * (x[i] - 5.0));
  auto d_x = to_dev(x), d_gamma = to_dev(gamma), d_beta = to_dev(beta), d_dy = to_dev(dy);

  // Statistics: double sums on both sides over M = N*L values.
  std::vector<T> mean(C), var(C);
  cpu::batchnorm_stats<T>(s, x.data(), mean.data(), var.data());
  auto d_mean = poisoned<T>(C), d_var = poisoned<T>(C);
  gpu::batchnorm_stats<T>(s, d_x.data(), d_mean.data(), d_var.data(), st);
  CHECK(check_close("mean", host(d_mean, st), mean, reduction_tol<T>(M, rms(mean))));
  CHECK(check_close("var", host(d_var, st), var, reduction_tol<T>(M, rms(var))));

  // Forward from the CPU statistics (elementwise given the statistics).
  d_mean.copy_from_host(mean);
  d_var.copy_from_host(var);
  std::vector<T> y(n);
  cpu::batchnorm_forward<T>(s, x.data(), mean.data(), var.data(), gamma.data(), beta.data(), eps, y.data());
  auto d_y = poisoned<T>(n);
  gpu::batchnorm_forward<T>(s, d_x.data(), d_mean.data(), d_var.data(), d_gamma.data(), d_beta.data(), eps,
                            d_y.data(), st);
  const auto [fwd_scale, bwd_scale] = bn_term_scales(s, x, mean, var, gamma, dy, eps);
  CHECK(check_close("y", host(d_y, st), y, elementwise_tol<T>(fwd_scale)));

  // Running statistics (elementwise in double).
  auto rm = uniform<T>(C, rng), rv = uniform<T>(C, rng, 0.5, 2.0);
  auto d_rm = to_dev(rm), d_rv = to_dev(rv);
  cpu::batchnorm_update_running<T>(bc.C, M, mean.data(), var.data(), 0.1, rm.data(), rv.data());
  gpu::batchnorm_update_running<T>(bc.C, M, d_mean.data(), d_var.data(), 0.1, d_rm.data(), d_rv.data(), st);
  CHECK(check_close("running_mean", host(d_rm, st), rm, elementwise_tol<T>(rms(rm))));
  CHECK(check_close("running_var", host(d_rv, st), rv, elementwise_tol<T>(rms(rv))));

  // Backward, training and evaluation; priors on all three gradients.
  for (bool training : {true, false}) {
    CAPTURE(training);
    auto dx = uniform<T>(n, rng), dg = uniform<T>(C, rng), dbt = uniform<T>(C, rng);
    auto d_dx = to_dev(dx), d_dg = to_dev(dg), d_dbt = to_dev(dbt);
    cpu::batchnorm_backward<T>(s, x.data(), mean.data(), var.data(), gamma.data(), dy.data(), eps, training,
                               dx.data(), dg.data(), dbt.data());
    gpu::batchnorm_backward<T>(s, d_x.data(), d_mean.data(), d_var.data(), d_gamma.data(), d_dy.data(), eps,
                               training, d_dx.data(), d_dg.data(), d_dbt.data(), st);
    // dx = a*dy - k*x + b0: the sums behind k, b0 are double on both sides, so the differences
    // are the final roundings, relative to the terms' size (plus the prior's).
    CHECK(check_close("dx", host(d_dx, st), dx, elementwise_tol<T>(2.0 * (bwd_scale + rms(dx)))));
    CHECK(check_close("dgamma", host(d_dg, st), dg, reduction_tol<T>(M, rms(dg))));
    CHECK(check_close("dbeta", host(d_dbt, st), dbt, reduction_tol<T>(M, rms(dbt))));
  }

  // Fused BN + swish + dropout against the composition of the CPU ops.
  for (double p : {0.0, 0.5}) {
    CAPTURE(p);
    const std::uint64_t seed = 1234567;
    std::vector<T> act(n), out(n);
    cpu::swish_forward<T>(static_cast<i64>(n), y.data(), act.data());
    cpu::dropout_forward<T>(static_cast<i64>(n), p, seed, act.data(), out.data());
    auto d_xbn = poisoned<T>(n), d_act = poisoned<T>(n), d_out = poisoned<T>(n);
    gpu::batchnorm_swish_dropout_forward<T>(s, d_x.data(), d_mean.data(), d_var.data(), d_gamma.data(),
                                            d_beta.data(), eps, p, seed, d_xbn.data(), d_act.data(), d_out.data(),
                                            st);
    // Differences in xbn propagate through swish (slope <= 1.1) and the dropout factor 1/(1-p).
    CHECK(check_close("fused xbn", host(d_xbn, st), y, elementwise_tol<T>(fwd_scale)));
    CHECK(check_close("fused act", host(d_act, st), act, elementwise_tol<T>(2.0 * fwd_scale)));
    CHECK(check_close("fused out", host(d_out, st), out, elementwise_tol<T>(4.0 * fwd_scale)));
  }
}

TEST_CASE("batchnorm stats/forward/backward/running match the CPU reference") {
  std::mt19937_64 rng(0xdeadbeef + 2);
  gpu::Stream st;
  for (const auto& c : kBnCases) run_bn_case<float>(c, rng, st);
  run_bn_case<double>(kBnCases[2], rng, st);
  run_bn_case<double>(kBnCases[4], rng, st);
}

// ------------------------------------------------------------------- activation, dropout ----
template <class T>
void run_activation(std::mt19937_64& rng, const gpu::Stream& st) {
  const i64 n = 100003;
  auto x = uniform<T>(n, rng, -10.0, 10.0);
  for (i64 i = 0; i < n; i += 997) x[i] = T(0);  // relu's kink
  auto dy = uniform<T>(n, rng);
  auto d_x = to_dev(x), d_dy = to_dev(dy);
  struct Op {
    const char* name;
    void (*cf)(i64, const T*, T*);
    void (*cb)(i64, const T*, const T*, T*);
    void (*gf)(i64, const T*, T*, cudaStream_t);
    void (*gb)(i64, const T*, const T*, T*, cudaStream_t);
    bool backward_from_output;
  };
  const Op ops[] = {
      {"relu", cpu::relu_forward<T>, cpu::relu_backward<T>, gpu::relu_forward<T>, gpu::relu_backward<T>, false},
  };
  for (const Op& op : ops) {
    CAPTURE(op.name);
    std::vector<T> y(n);
    op.cf(n, x.data(), y.data());
    auto d_y = poisoned<T>(n);
    op.gf(n, d_x.data(), d_y.data(), st);
    CHECK(check_close(std::string(op.name) + " y", host(d_y, st), y, elementwise_tol<T>(rms(y))));
    auto dx = uniform<T>(n, rng);
    auto d_dx = to_dev(dx);
    const T* in_c = op.backward_from_output ? y.data() : x.data();
    op.cb(n, in_c, dy.data(), dx.data());
    auto d_in = to_dev(op.backward_from_output ? y : x);
    op.gb(n, d_in.data(), d_dy.data(), d_dx.data(), st);
    CHECK(check_close(std::string(op.name) + " dx", host(d_dx, st), dx, elementwise_tol<T>(rms(dx))));
  }
}

TEST_CASE("relu (no Backend entry) matches the CPU reference") {
  std::mt19937_64 rng(0xdeadbeef + 3);
  gpu::Stream st;
  run_activation<float>(rng, st);
  run_activation<double>(rng, st);
}

TEST_CASE("dropout mask is identical to the CPU mask") {
  std::mt19937_64 rng(0xdeadbeef + 4);
  gpu::Stream st;
  const i64 n = 100003;
  auto x = uniform<float>(n, rng), dy = uniform<float>(n, rng);
  auto d_x = to_dev(x), d_dy = to_dev(dy);
  for (double p : {0.5, 0.1, 0.0}) {
    for (std::uint64_t seed : {0ull, 42ull, 0xfedcba9876543210ull}) {
      CAPTURE(p);
      CAPTURE(seed);
      std::vector<float> y(n);
      cpu::dropout_forward<float>(n, p, seed, x.data(), y.data());
      auto d_y = poisoned<float>(n);
      gpu::dropout_forward<float>(n, p, seed, d_x.data(), d_y.data(), st);
      CHECK(check_close("dropout y", host(d_y, st), y, kExact));  // one rounding, same on both
      auto dx = uniform<float>(n, rng);
      auto d_dx = to_dev(dx);
      cpu::dropout_backward<float>(n, p, seed, dy.data(), dx.data());
      gpu::dropout_backward<float>(n, p, seed, d_dy.data(), d_dx.data(), st);
      CHECK(check_close("dropout dx", host(d_dx, st), dx, elementwise_tol<float>(rms(dx))));
    }
  }
}

TEST_CASE("elementwise ops and the full sum match the CPU reference") {
  std::mt19937_64 rng(0xdeadbeef + 15);
  gpu::Stream st;
  for (i64 n : {i64{1}, i64{1000}, i64{1000003}}) {
    CAPTURE(n);
    auto a = uniform<float>(n, rng), b = uniform<float>(n, rng), dy = uniform<float>(n, rng);
    auto d_a = to_dev(a), d_b = to_dev(b), d_dy = to_dev(dy);
    std::vector<float> y(n);
    cpu::add_forward<float>(n, a.data(), b.data(), y.data());
    auto d_y = poisoned<float>(n);
    gpu::add_forward<float>(n, d_a.data(), d_b.data(), d_y.data(), st);
    CHECK(check_close("add", host(d_y, st), y, kExact));  // one rounding on both sides
    cpu::mul_forward<float>(n, a.data(), b.data(), y.data());
    gpu::mul_forward<float>(n, d_a.data(), d_b.data(), d_y.data(), st);
    CHECK(check_close("mul", host(d_y, st), y, kExact));
    auto da = uniform<float>(n, rng), db = uniform<float>(n, rng);
    auto d_da = to_dev(da), d_db = to_dev(db);
    cpu::mul_backward<float>(n, a.data(), b.data(), dy.data(), da.data(), db.data());
    gpu::mul_backward<float>(n, d_a.data(), d_b.data(), d_dy.data(), d_da.data(), d_db.data(), st);
    CHECK(check_close("mul da", host(d_da, st), da, elementwise_tol<float>(rms(da))));
    CHECK(check_close("mul db", host(d_db, st), db, elementwise_tol<float>(rms(db))));
    auto yy = uniform<float>(n, rng);
    auto d_yy = to_dev(yy);
    cpu::axpy<float>(n, 0.37f, a.data(), yy.data());
    gpu::axpy<float>(n, 0.37f, d_a.data(), d_yy.data(), st);
    CHECK(check_close("axpy", host(d_yy, st), yy, elementwise_tol<float>(rms(yy))));
    cpu::add_scalar<float>(n, -1.25f, yy.data());
    gpu::add_scalar<float>(n, -1.25f, d_yy.data(), st);
    CHECK(check_close("add_scalar", host(d_yy, st), yy, elementwise_tol<float>(rms(yy))));
    const double want = cpu::sum_all<float>(n, a.data());
    DeviceBuffer<double> d_sum(1);
    d_sum.fill_bytes(0xFF);
    gpu::sum_all<float>(n, d_a.data(), d_sum.data(), st);
    // Double accumulation on both sides: only the order differs.
    CHECK(check_close("sum_all", host(d_sum, st), std::vector<double>{want},
                      reduction_tol<double>(static_cast<double>(n), rms(a) * std::sqrt(static_cast<double>(n)))));
  }
}

TEST_CASE("CosFace and cross-entropy reproduce the worked example of docs/method.md §13.3") {
  gpu::Stream st;
  // docs/method.md §13.3: CosFace 4.162844, plain CE 0.839304 on the given cosines.
  const std::vector<float> cs = {0.894427f, 0.447214f, 0.f, 0.f, 0.707107f, 0.5f, 0.5f, 0.5f, 0.707107f};
  DeviceBuffer<float> d_c(cs);
  DeviceBuffer<i64> d_lab(std::vector<i64>{0, 1, 2});
  auto d_p = poisoned<float>(9), d_loss = poisoned<float>(1);
  gpu::cosface_forward<float>(3, 3, 30.0, 0.4, d_c.data(), d_lab.data(), d_p.data(), d_loss.data(), st);
  CHECK(host(d_loss, st)[0] == doctest::Approx(4.162844).epsilon(1e-5));
  gpu::cross_entropy_forward<float>(3, 3, d_c.data(), d_lab.data(), d_p.data(), d_loss.data(), st);
  CHECK(host(d_loss, st)[0] == doctest::Approx(0.839304).epsilon(1e-5));
}

TEST_CASE("the AdaCos scale update reproduces the worked example of docs/method.md §13.3") {
  gpu::Stream st;
  // docs/method.md §13.3, two in-place steps (s_prev aliases s_new): 0.980258 -> 1.464124 -> 1.725513.
  const double W[3][4] = {{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 1}}, X[3][4] = {{2, 1, 0, 0}, {0, 1, 1, 0}, {1, 1, 1, 1}};
  std::vector<double> cs(9);
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) {
      double d = 0, nx = 0, nw = 0;
      for (int k = 0; k < 4; ++k) d += X[i][k] * W[j][k], nx += X[i][k] * X[i][k], nw += W[j][k] * W[j][k];
      cs[i * 3 + j] = d / std::sqrt(nx * nw);
    }
  DeviceBuffer<double> d_c(cs), d_s(std::vector<double>{std::sqrt(2.0) * std::log(2.0)});
  DeviceBuffer<i64> d_lab(std::vector<i64>{0, 1, 2});
  gpu::adacos_update_scale<double>(3, 3, d_c.data(), d_lab.data(), d_s.data(), d_s.data(), st);
  CHECK(host(d_s, st)[0] == doctest::Approx(1.464124).epsilon(2e-6));
  gpu::adacos_update_scale<double>(3, 3, d_c.data(), d_lab.data(), d_s.data(), d_s.data(), st);
  CHECK(host(d_s, st)[0] == doctest::Approx(1.725513).epsilon(2e-6));
}

// ----------------------------------------------------------------------------------- Adam ----
// Against nn::ops::adam_update, the CPU update nn/optim.cpp runs.
TEST_CASE("fused Adam / AdamW match the reference update") {
  std::mt19937_64 rng(0xdeadbeef + 12);
  gpu::Stream st;
  const double lr = 1e-3, b1 = 0.9, b2 = 0.999, eps = 1e-8;
  for (bool decoupled : {false, true}) {
    CAPTURE(decoupled);
    const double wd = decoupled ? 0.01 : 1e-4;
    const std::vector<i64> sizes = {1, 4097, 10000, 5};
    std::vector<std::vector<float>> p, g, m, v;
    std::vector<DeviceBuffer<float>> dp, dg, dm, dv;
    for (i64 n : sizes) {
      p.push_back(uniform<float>(n, rng));
      g.push_back(uniform<float>(n, rng));
      m.push_back(std::vector<float>(n, 0.f));
      v.push_back(std::vector<float>(n, 0.f));
      dp.emplace_back(p.back());
      dg.emplace_back(g.back());
      dm.emplace_back(m.back());
      dv.emplace_back(v.back());
    }
    std::vector<float*> pp, mp, vp;
    std::vector<const float*> gp;
    for (std::size_t t = 0; t < sizes.size(); ++t) {
      pp.push_back(dp[t].data());
      gp.push_back(t == 3 ? nullptr : dg[t].data());  // tensor 3: no gradient -> untouched
      mp.push_back(dm[t].data());
      vp.push_back(dv[t].data());
    }
    for (int step = 1; step <= 3; ++step) {
      const double bc1 = 1.0 - std::pow(b1, step), bc2 = 1.0 - std::pow(b2, step);
      for (std::size_t t = 0; t < 3; ++t)
        cpu::adam_update<float>(p[t].data(), g[t].data(), m[t].data(), v[t].data(), sizes[t], lr, b1, b2, eps, wd,
                                decoupled, bc1, bc2);
      if (step == 2)  // one step through the single-tensor entry point
        for (std::size_t t = 0; t < 3; ++t)
          gpu::adam_update<float>(pp[t], gp[t], mp[t], vp[t], sizes[t], lr, b1, b2, eps, wd, decoupled, bc1, bc2, st);
      else
        gpu::adam_update_multi<float>(static_cast<int>(sizes.size()), pp.data(), gp.data(), mp.data(), vp.data(),
                                      sizes.data(), lr, b1, b2, eps, wd, decoupled, bc1, bc2, st);
    }
    for (std::size_t t = 0; t < sizes.size(); ++t) {
      CAPTURE(t);
      // Elementwise; the update is ~lr and subtracted from p ~ 1, so the atol is set by |p|.
      CHECK(check_close("adam p", host(dp[t], st), p[t], elementwise_tol<float>(rms(p[t]))));
      CHECK(check_close("adam m", host(dm[t], st), m[t], elementwise_tol<float>(rms(m[t]))));
      CHECK(check_close("adam v", host(dv[t], st), v[t], elementwise_tol<float>(rms(v[t]))));
    }
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

}  // namespace
