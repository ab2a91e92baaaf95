// Every CUDA op (kernels/ops_cuda.hpp) against its CPU twin (nn/ops) over tables of shapes with the
// edge cases (groups 1, C/16, C; K 1, 16; stride 1, 2; odd L; batch 1). Outputs are NaN-poisoned
// first; gradients start from the same random prior on both sides (checks the += contract).
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
#include "nn/ops/channel.hpp"
#include "nn/ops/conv1d.hpp"
#include "nn/ops/dropout.hpp"
#include "nn/ops/elementwise.hpp"
#include "nn/ops/linear.hpp"
#include "nn/ops/loss.hpp"
#include "nn/ops/norm.hpp"
#include "nn/ops/pool.hpp"

namespace cpu = xrdid::nn::ops;
namespace gpu = xrdid::cuda;
using namespace xrdid::gputest;

namespace {

// ---------------------------------------------------------------------------------- conv1d ----
struct ConvCase {
  i64 N, C_in, C_out, L, K, stride, dilation, groups;
  i64 pad_left = -1, pad_right = -1;  // -1: the spec's "same" padding
  cpu::Conv1dShape shape() const {
    return pad_left < 0 ? cpu::Conv1dShape::same(N, C_in, C_out, L, K, stride, dilation, groups)
                        : cpu::Conv1dShape::padded(N, C_in, C_out, L, K, stride, dilation, groups, pad_left,
                                                   pad_right);
  }
  std::string describe() const {
    const auto s = shape();
    return "conv N" + std::to_string(N) + " C" + std::to_string(C_in) + "->" + std::to_string(C_out) + " L" +
           std::to_string(L) + "->" + std::to_string(s.L_out) + " K" + std::to_string(K) + " s" +
           std::to_string(stride) + " d" + std::to_string(dilation) + " G" + std::to_string(groups) + " pad " +
           std::to_string(s.pad_left) + "/" + std::to_string(s.pad_right);
  }
};

const std::vector<ConvCase> kConvCases = {
    {2, 1, 64, 6000, 16, 2, 1, 1},       // stem, G = 1, C_in = 1
    {2, 64, 64, 3000, 16, 2, 1, 4},      // S0B0 grouped k16 s2, longest grouped length
    {2, 64, 64, 1500, 16, 1, 1, 4},      // S0B1, pad 7/8
    {1, 160, 160, 375, 16, 1, 1, 10},    // batch 1, odd length
    {2, 400, 400, 375, 16, 2, 1, 25},    // stride 2 with odd L: pad 7/8
    {2, 1024, 1024, 47, 16, 2, 1, 64},   // S5 / S6 shapes
    {3, 1024, 1024, 24, 16, 1, 1, 64},   // shortest length
    {2, 32, 32, 101, 16, 2, 1, 32},      // depthwise (G = C)
    {2, 48, 48, 77, 16, 1, 1, 1},        // dense K16
    {3, 64, 160, 750, 1, 1, 1, 1},       // pointwise -> cuBLAS path
    {2, 400, 1024, 47, 1, 1, 1, 1},      // pointwise -> cuBLAS
    {1, 1024, 1024, 24, 1, 1, 1, 1},     // pointwise -> cuBLAS, batch 1
    {2, 64, 64, 93, 1, 1, 1, 4},         // grouped 1x1 -> implicit GEMM
    {2, 16, 32, 51, 1, 2, 1, 1},         // strided 1x1 -> implicit GEMM
    {2, 3, 5, 37, 5, 2, 2, 1},           // odd channels, dilation 2
    {1, 6, 9, 31, 3, 1, 1, 3},           // 2 -> 3 channels per group
    {2, 7, 7, 19, 4, 3, 1, 7},           // stride 3, even K, depthwise
    {2, 8, 8, 50, 3, 1, 1, 2, 0, 0},     // valid (no padding)
    {2, 8, 12, 50, 5, 2, 1, 4, 1, 4},    // asymmetric explicit padding
};

template <class T>
void run_conv_case(const ConvCase& cc, std::mt19937_64& rng, const gpu::Stream& st) {
  CAPTURE(cc.describe());
  const auto s = cc.shape();
  const i64 G = s.groups, Cgi = s.C_in / G, Cgo = s.C_out / G;
  const std::size_t nx = s.N * s.C_in * s.L_in, nw = s.C_out * Cgi * s.K, ny = s.N * s.C_out * s.L_out;
  const double bound = 1.0 / std::sqrt(static_cast<double>(Cgi * s.K));  // PyTorch init scale
  auto x = uniform<T>(nx, rng), w = uniform<T>(nw, rng, -bound, bound), b = uniform<T>(s.C_out, rng, -bound, bound);
  auto dy = uniform<T>(ny, rng);
  auto dx = uniform<T>(nx, rng), dw = uniform<T>(nw, rng), db = uniform<T>(s.C_out, rng);  // priors

  std::vector<T> y(ny);
  cpu::conv1d_forward<T>(s, x.data(), w.data(), b.data(), y.data());
  auto dx_c = dx, dw_c = dw, db_c = db;
  cpu::conv1d_backward<T>(s, x.data(), w.data(), dy.data(), dx_c.data(), dw_c.data(), db_c.data());

  auto d_x = to_dev(x), d_w = to_dev(w), d_b = to_dev(b), d_dy = to_dev(dy);
  auto d_y = poisoned<T>(ny);
  auto d_dx = to_dev(dx), d_dw = to_dev(dw), d_db = to_dev(db);
  gpu::conv1d_forward<T>(s, d_x.data(), d_w.data(), d_b.data(), d_y.data(), st);
  gpu::conv1d_backward<T>(s, d_x.data(), d_w.data(), d_dy.data(), d_dx.data(), d_dw.data(), d_db.data(), st);

  // Reduction lengths: forward Cgi*K (+ bias); dx Cgo*K (+ prior); dw and db N*L_out (+ prior).
  CHECK(check_close("y", host(d_y, st), y, reduction_tol<T>(Cgi * s.K + 1, rms(y))));
  CHECK(check_close("dx", host(d_dx, st), dx_c, reduction_tol<T>(Cgo * s.K + 1, rms(dx_c))));
  CHECK(check_close("dw", host(d_dw, st), dw_c, reduction_tol<T>(s.N * s.L_out + 1, rms(dw_c))));
  CHECK(check_close("db", host(d_db, st), db_c, reduction_tol<T>(s.N * s.L_out + 1, rms(db_c))));

  // nullptr gradients are skipped, and forward without bias.
  auto d_y2 = poisoned<T>(ny);
  gpu::conv1d_forward<T>(s, d_x.data(), d_w.data(), nullptr, d_y2.data(), st);
  gpu::conv1d_backward<T>(s, d_x.data(), d_w.data(), d_dy.data(), nullptr, nullptr, nullptr, st);
  auto y2 = y;
  for (i64 n = 0; n < s.N; ++n)
    for (i64 c = 0; c < s.C_out; ++c)
      for (i64 l = 0; l < s.L_out; ++l) y2[(n * s.C_out + c) * s.L_out + l] -= b[c];
  CHECK(check_close("y (no bias)", host(d_y2, st), y2, reduction_tol<T>(Cgi * s.K + 2, rms(y))));
}

TEST_CASE("conv1d forward/backward match the CPU reference (float)") {
  std::mt19937_64 rng(0xdeadbeef);
  gpu::Stream st;
  for (const auto& c : kConvCases) run_conv_case<float>(c, rng, st);
}

TEST_CASE("conv1d forward/backward match the CPU reference (double)") {
  std::mt19937_64 rng(0xdeadbeef + 1);
  gpu::Stream st;
  for (std::size_t i : {1u, 4u, 9u, 14u}) run_conv_case<double>(kConvCases[i], rng, st);
}

// The reductions are meant to be deterministic (fixed splits, no float atomics): two runs on the
// same inputs must agree bit for bit.
TEST_CASE("conv1d and batchnorm reductions are bitwise deterministic") {
  std::mt19937_64 rng(0xdeadbeef + 13);
  gpu::Stream st;
  for (std::size_t ci : {1u, 9u}) {
    const auto s = kConvCases[ci].shape();
    CAPTURE(kConvCases[ci].describe());
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
      {"swish", cpu::swish_forward<T>, cpu::swish_backward<T>, gpu::swish_forward<T>, gpu::swish_backward<T>, false},
      {"sigmoid", cpu::sigmoid_forward<T>, cpu::sigmoid_backward<T>, gpu::sigmoid_forward<T>,
       gpu::sigmoid_backward<T>, true},
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

TEST_CASE("activations match the CPU reference") {
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

// -------------------------------------------------------------------------- pool, channel ----
TEST_CASE("max-pool and mean over length match the CPU reference") {
  std::mt19937_64 rng(0xdeadbeef + 5);
  gpu::Stream st;
  const std::vector<std::pair<i64, i64>> shapes = {{3 * 64, 3000}, {5, 375}, {7, 1}, {2 * 1024, 47}, {4, 2}};
  for (auto [R, L] : shapes) {
    CAPTURE(R);
    CAPTURE(L);
    const i64 Lo = (L + 1) / 2;
    auto x = uniform<float>(R * L, rng);
    for (i64 i = 0; i < R * L; i += 7) x[i] = std::round(x[i] * 4) / 4;  // ties
    auto dy = uniform<float>(R * Lo, rng), dx = uniform<float>(R * L, rng);
    auto d_x = to_dev(x), d_dy = to_dev(dy), d_dx = to_dev(dx);
    std::vector<float> y(R * Lo);
    cpu::maxpool_same2_forward<float>(R, L, x.data(), y.data());
    auto d_y = poisoned<float>(R * Lo);
    gpu::maxpool_same2_forward<float>(R, L, d_x.data(), d_y.data(), st);
    CHECK(check_close("maxpool y", host(d_y, st), y, kExact));
    cpu::maxpool_same2_backward<float>(R, L, x.data(), dy.data(), dx.data());
    gpu::maxpool_same2_backward<float>(R, L, d_x.data(), d_dy.data(), d_dx.data(), st);
    CHECK(check_close("maxpool dx", host(d_dx, st), dx, kExact));  // one addition, same on both

    std::vector<float> m(R);
    cpu::mean_length_forward<float>(R, L, x.data(), m.data());
    auto d_m = poisoned<float>(R);
    gpu::mean_length_forward<float>(R, L, d_x.data(), d_m.data(), st);
    CHECK(check_close("mean", host(d_m, st), m, reduction_tol<float>(L, rms(m))));
    auto dm = uniform<float>(R, rng), dx2 = uniform<float>(R * L, rng);
    auto d_dm = to_dev(dm), d_dx2 = to_dev(dx2);
    cpu::mean_length_backward<float>(R, L, dm.data(), dx2.data());
    gpu::mean_length_backward<float>(R, L, d_dm.data(), d_dx2.data(), st);
    CHECK(check_close("mean dx", host(d_dx2, st), dx2, elementwise_tol<float>(rms(dx2))));
  }
}

TEST_CASE("scale_channels and pad_channels match the CPU reference") {
  std::mt19937_64 rng(0xdeadbeef + 6);
  gpu::Stream st;
  struct S {
    i64 N, C, L, before, after;
  };
  for (S c : {S{2, 64, 1500, 48, 48}, S{1, 160, 188, 120, 120}, S{3, 400, 47, 312, 312}, S{2, 5, 3, 0, 1},
              S{2, 4, 7, 2, 0}}) {
    CAPTURE(c.N);
    CAPTURE(c.C);
    CAPTURE(c.L);
    const i64 n = c.N * c.C * c.L, Co = c.before + c.C + c.after;
    auto x = uniform<float>(n, rng), e = uniform<float>(c.N * c.C, rng, 0.0, 1.0), dy = uniform<float>(n, rng);
    auto d_x = to_dev(x), d_e = to_dev(e), d_dy = to_dev(dy);
    std::vector<float> y(n);
    cpu::scale_channels_forward<float>(c.N, c.C, c.L, x.data(), e.data(), y.data());
    auto d_y = poisoned<float>(n);
    gpu::scale_channels_forward<float>(c.N, c.C, c.L, d_x.data(), d_e.data(), d_y.data(), st);
    CHECK(check_close("scale y", host(d_y, st), y, kExact));
    auto dx = uniform<float>(n, rng), de = uniform<float>(c.N * c.C, rng);
    auto d_dx = to_dev(dx), d_de = to_dev(de);
    cpu::scale_channels_backward<float>(c.N, c.C, c.L, x.data(), e.data(), dy.data(), dx.data(), de.data());
    gpu::scale_channels_backward<float>(c.N, c.C, c.L, d_x.data(), d_e.data(), d_dy.data(), d_dx.data(),
                                        d_de.data(), st);
    CHECK(check_close("scale dx", host(d_dx, st), dx, elementwise_tol<float>(rms(dx))));
    CHECK(check_close("scale de", host(d_de, st), de, reduction_tol<float>(c.L + 1, rms(de))));

    std::vector<float> yp(c.N * Co * c.L);
    cpu::pad_channels_forward<float>(c.N, c.C, c.L, c.before, c.after, x.data(), yp.data());
    auto d_yp = poisoned<float>(yp.size());
    gpu::pad_channels_forward<float>(c.N, c.C, c.L, c.before, c.after, d_x.data(), d_yp.data(), st);
    CHECK(check_close("pad y", host(d_yp, st), yp, kExact));
    auto dyp = uniform<float>(yp.size(), rng), dx3 = uniform<float>(n, rng);
    auto d_dyp = to_dev(dyp), d_dx3 = to_dev(dx3);
    cpu::pad_channels_backward<float>(c.N, c.C, c.L, c.before, c.after, dyp.data(), dx3.data());
    gpu::pad_channels_backward<float>(c.N, c.C, c.L, c.before, c.after, d_dyp.data(), d_dx3.data(), st);
    CHECK(check_close("pad dx", host(d_dx3, st), dx3, kExact));
  }
}

// ---------------------------------------------------------------------- linear, matmul ----
template <class T>
void run_linear(std::mt19937_64& rng, const gpu::Stream& st) {
  for (cpu::LinearShape s : {cpu::LinearShape{256, 1024, 1000}, cpu::LinearShape{3, 5, 7},
                             cpu::LinearShape{1, 1024, 512}, cpu::LinearShape{64, 512, 1024}}) {
    CAPTURE(s.N);
    CAPTURE(s.in);
    CAPTURE(s.out);
    auto x = uniform<T>(s.N * s.in, rng), w = uniform<T>(s.out * s.in, rng), b = uniform<T>(s.out, rng);
    auto dy = uniform<T>(s.N * s.out, rng);
    auto dx = uniform<T>(x.size(), rng), dw = uniform<T>(w.size(), rng), db = uniform<T>(b.size(), rng);
    auto d_x = to_dev(x), d_w = to_dev(w), d_b = to_dev(b), d_dy = to_dev(dy);
    auto d_dx = to_dev(dx), d_dw = to_dev(dw), d_db = to_dev(db);
    std::vector<T> y(s.N * s.out);
    cpu::linear_forward<T>(s, x.data(), w.data(), b.data(), y.data());
    cpu::linear_backward<T>(s, x.data(), w.data(), dy.data(), dx.data(), dw.data(), db.data());
    auto d_y = poisoned<T>(y.size());
    gpu::linear_forward<T>(s, d_x.data(), d_w.data(), d_b.data(), d_y.data(), st);
    gpu::linear_backward<T>(s, d_x.data(), d_w.data(), d_dy.data(), d_dx.data(), d_dw.data(), d_db.data(), st);
    CHECK(check_close("linear y", host(d_y, st), y, reduction_tol<T>(s.in + 1, rms(y))));
    CHECK(check_close("linear dx", host(d_dx, st), dx, reduction_tol<T>(s.out + 1, rms(dx))));
    CHECK(check_close("linear dw", host(d_dw, st), dw, reduction_tol<T>(s.N + 1, rms(dw))));
    CHECK(check_close("linear db", host(d_db, st), db, reduction_tol<T>(s.N + 1, rms(db))));
  }
  for (bool tb : {false, true}) {
    for (cpu::MatmulShape s : {cpu::MatmulShape{7, 13, 5, tb}, cpu::MatmulShape{64, 256, 100, tb}}) {
      CAPTURE(tb);
      CAPTURE(s.M);
      auto a = uniform<T>(s.M * s.K, rng), b = uniform<T>(s.K * s.N, rng), dc = uniform<T>(s.M * s.N, rng);
      auto da = uniform<T>(a.size(), rng), db = uniform<T>(b.size(), rng);
      auto d_a = to_dev(a), d_b = to_dev(b), d_dc = to_dev(dc), d_da = to_dev(da), d_db = to_dev(db);
      std::vector<T> c(s.M * s.N);
      cpu::matmul_forward<T>(s, a.data(), b.data(), c.data());
      cpu::matmul_backward<T>(s, a.data(), b.data(), dc.data(), da.data(), db.data());
      auto d_c = poisoned<T>(c.size());
      gpu::matmul_forward<T>(s, d_a.data(), d_b.data(), d_c.data(), st);
      gpu::matmul_backward<T>(s, d_a.data(), d_b.data(), d_dc.data(), d_da.data(), d_db.data(), st);
      CHECK(check_close("matmul c", host(d_c, st), c, reduction_tol<T>(s.K, rms(c))));
      CHECK(check_close("matmul da", host(d_da, st), da, reduction_tol<T>(s.N + 1, rms(da))));
      CHECK(check_close("matmul db", host(d_db, st), db, reduction_tol<T>(s.M + 1, rms(db))));
    }
  }
}

TEST_CASE("linear and matmul (cuBLAS) match the CPU reference") {
  std::mt19937_64 rng(0xdeadbeef + 7);
  gpu::Stream st;
  run_linear<float>(rng, st);
  run_linear<double>(rng, st);
}

// ------------------------------------------------------------------------------ l2 norm ----
TEST_CASE("row L2 normalisation matches the CPU reference") {
  std::mt19937_64 rng(0xdeadbeef + 8);
  gpu::Stream st;
  const double eps = 1e-12;
  for (auto [R, D] : std::vector<std::pair<i64, i64>>{{256, 1024}, {5, 3}, {1000, 1024}, {3, 1}}) {
    CAPTURE(R);
    CAPTURE(D);
    auto x = uniform<float>(R * D, rng);
    for (i64 i = 0; i < D; ++i) x[i] = 0.f;  // row 0: the eps clamp
    auto dy = uniform<float>(R * D, rng), dx = uniform<float>(R * D, rng);
    auto d_x = to_dev(x), d_dy = to_dev(dy);
    std::vector<float> y(R * D), nrm(R);
    cpu::l2_normalize_rows_forward<float>(R, D, eps, x.data(), y.data(), nrm.data());
    auto d_y = poisoned<float>(y.size()), d_n = poisoned<float>(R);
    gpu::l2_normalize_rows_forward<float>(R, D, eps, d_x.data(), d_y.data(), d_n.data(), st);
    CHECK(check_close("l2 y", host(d_y, st), y, reduction_tol<float>(D, rms(y))));
    CHECK(check_close("l2 norm", host(d_n, st), nrm, reduction_tol<float>(D, rms(nrm))));
    // Backward from the CPU forward outputs. Row 0 gets dy/eps ~ 1e12: the rtol handles it, and
    // the atol is set by the other rows.
    auto d_yc = to_dev(y), d_nc = to_dev(nrm), d_dx = to_dev(dx);
    cpu::l2_normalize_rows_backward<float>(R, D, eps, y.data(), nrm.data(), dy.data(), dx.data());
    gpu::l2_normalize_rows_backward<float>(R, D, eps, d_yc.data(), d_nc.data(), d_dy.data(), d_dx.data(), st);
    std::vector<float> rest(dx.begin() + D, dx.end());
    CHECK(check_close("l2 dx", host(d_dx, st), dx, reduction_tol<float>(D + 1, rest.empty() ? 1.0 : rms(rest))));
  }
}

// ------------------------------------------------------------------------- losses, AdaCos ----
template <class T>
void run_cosface(i64 N, i64 C, double s, double m, std::mt19937_64& rng, const gpu::Stream& st) {
  CAPTURE(N);
  CAPTURE(C);
  CAPTURE(s);
  auto c = uniform<T>(N * C, rng);
  std::vector<i64> labels(N);
  std::uniform_int_distribution<i64> lab(0, C - 1);
  for (auto& l : labels) l = lab(rng);
  std::vector<T> p(N * C), loss(1);
  cpu::cosface_forward<T>(N, C, s, m, c.data(), labels.data(), p.data(), loss.data());
  auto d_c = to_dev(c);
  DeviceBuffer<i64> d_lab(labels);
  auto d_p = poisoned<T>(p.size()), d_loss = poisoned<T>(1);
  gpu::cosface_forward<T>(N, C, s, m, d_c.data(), d_lab.data(), d_p.data(), d_loss.data(), st);
  // Both sides work in double (LSE shift) and round once: elementwise.
  CHECK(check_close("cosface p", host(d_p, st), p, elementwise_tol<T>(rms(p))));
  CHECK(check_close("cosface loss", host(d_loss, st), loss, elementwise_tol<T>(rms(loss))));
  auto dc = uniform<T>(N * C, rng);
  auto d_dc = to_dev(dc);
  cpu::cosface_backward<T>(N, C, s, p.data(), labels.data(), T(0.75), dc.data());
  auto d_pc = to_dev(p);
  gpu::cosface_backward<T>(N, C, s, d_pc.data(), d_lab.data(), T(0.75), d_dc.data(), st);
  CHECK(check_close("cosface dc", host(d_dc, st), dc, elementwise_tol<T>(rms(dc))));
}

TEST_CASE("CosFace and cross-entropy match the CPU reference") {
  std::mt19937_64 rng(0xdeadbeef + 9);
  gpu::Stream st;
  run_cosface<float>(64, 1000, 30.0, 0.4, rng, st);
  run_cosface<float>(5, 3, 30.0, 0.4, rng, st);
  run_cosface<float>(256, 8172, 30.0, 0.4, rng, st);
  run_cosface<float>(33, 100, 1.0, 0.0, rng, st);  // plain cross-entropy
  run_cosface<double>(17, 300, 30.0, 0.4, rng, st);

  // method-spec 13.3: CosFace 4.162844, plain CE 0.839304 on the given cosines.
  const std::vector<float> cs = {0.894427f, 0.447214f, 0.f, 0.f, 0.707107f, 0.5f, 0.5f, 0.5f, 0.707107f};
  DeviceBuffer<float> d_c(cs);
  DeviceBuffer<i64> d_lab(std::vector<i64>{0, 1, 2});
  auto d_p = poisoned<float>(9), d_loss = poisoned<float>(1);
  gpu::cosface_forward<float>(3, 3, 30.0, 0.4, d_c.data(), d_lab.data(), d_p.data(), d_loss.data(), st);
  CHECK(host(d_loss, st)[0] == doctest::Approx(4.162844).epsilon(1e-5));
  gpu::cross_entropy_forward<float>(3, 3, d_c.data(), d_lab.data(), d_p.data(), d_loss.data(), st);
  CHECK(host(d_loss, st)[0] == doctest::Approx(0.839304).epsilon(1e-5));
}

TEST_CASE("AdaCos scale update on the device matches the CPU reference") {
  std::mt19937_64 rng(0xdeadbeef + 10);
  gpu::Stream st;
  for (auto [N, C] : std::vector<std::pair<i64, i64>>{{64, 1000}, {63, 1000}, {1, 10}, {2, 5}, {256, 8172}}) {
    CAPTURE(N);
    CAPTURE(C);
    auto c = uniform<float>(N * C, rng);
    std::vector<i64> labels(N);
    std::uniform_int_distribution<i64> lab(0, C - 1);
    for (auto& l : labels) l = lab(rng);
    const double s0 = std::sqrt(2.0) * std::log(static_cast<double>(C - 1 > 1 ? C - 1 : 2));
    const double want = cpu::adacos_update_scale<float>(N, C, c.data(), labels.data(), s0);
    auto d_c = to_dev(c);
    DeviceBuffer<i64> d_lab(labels);
    DeviceBuffer<double> d_s(std::vector<double>{s0}), d_out(1);
    d_out.fill_bytes(0xFF);
    gpu::adacos_update_scale<float>(N, C, d_c.data(), d_lab.data(), d_s.data(), d_out.data(), st);
    // Double on both sides; N*C exp terms and CUDA's acos/log/cos within 2 ulp.
    CHECK(host(d_out, st)[0] == doctest::Approx(want).epsilon(1e-10 * std::sqrt(static_cast<double>(N * C))));
  }
  // method-spec 13.3, two in-place steps (s_prev aliases s_new): 0.980258 -> 1.464124 -> 1.725513.
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

// ---------------------------------------------------------------------------------- top-k ----
TEST_CASE("top-k matches the CPU reference, ties to the lower index") {
  std::mt19937_64 rng(0xdeadbeef + 11);
  gpu::Stream st;
  struct S {
    i64 N, C, k;
  };
  for (S c : {S{64, 1000, 5}, S{3, 7, 7}, S{5, 300, 1}, S{256, 8172, 10}}) {
    CAPTURE(c.N);
    CAPTURE(c.C);
    CAPTURE(c.k);
    auto sc = uniform<float>(c.N * c.C, rng);
    for (auto& v : sc) v = std::round(v * 20.f) / 20.f;  // many ties
    std::vector<i64> idx(c.N * c.k);
    cpu::topk_rows<float>(c.N, c.C, sc.data(), c.k, idx.data());
    auto d_sc = to_dev(sc);
    DeviceBuffer<i64> d_idx(idx.size());
    d_idx.fill_bytes(0xFF);
    gpu::topk_rows<float>(c.N, c.C, d_sc.data(), c.k, d_idx.data(), st);
    auto got = host(d_idx, st);
    std::size_t bad = 0;
    for (std::size_t i = 0; i < idx.size(); ++i)
      if (got[i] != idx[i] && bad++ < 5) std::printf("  topk[%zu]: gpu %ld cpu %ld\n", i, (long)got[i], (long)idx[i]);
    CHECK(bad == 0);
  }
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

}  // namespace

// ---------------------------------------------------------------------------- CUDA graphs ----
namespace {

// A slice of a training step on the device: conv forward, BN stats + fused BN/swish/dropout, a
// linear layer (cuBLAS), CosFace, the AdaCos update and the conv backward. Scratch memory is
// stream-ordered (cudaMallocAsync), so the same calls must also work inside stream capture.
struct StepBuffers {
  cpu::Conv1dShape cs = cpu::Conv1dShape::same(4, 64, 64, 375, 16, 2, 1, 4);
  cpu::BatchNormShape bs{4, 64, 188};
  cpu::LinearShape ls{4, 64 * 188, 10};
  DeviceBuffer<float> x, w, b, y, mean, var, gamma, beta, act, lw, logits, p, loss, dy, dx, dw, db;
  DeviceBuffer<i64> labels;
  DeviceBuffer<double> scale;
  explicit StepBuffers(std::mt19937_64& rng) {
    const std::size_t nx = cs.N * cs.C_in * cs.L_in, nw = cs.C_out * (cs.C_in / cs.groups) * cs.K;
    const std::size_t ny = cs.N * cs.C_out * cs.L_out;
    x = to_dev(uniform<float>(nx, rng));
    w = to_dev(uniform<float>(nw, rng, -0.25, 0.25));
    b = to_dev(uniform<float>(cs.C_out, rng));
    y = poisoned<float>(ny);
    mean = poisoned<float>(bs.C);
    var = poisoned<float>(bs.C);
    gamma = to_dev(uniform<float>(bs.C, rng, 0.5, 1.5));
    beta = to_dev(uniform<float>(bs.C, rng));
    act = poisoned<float>(ny);
    lw = to_dev(uniform<float>(ls.out * ls.in, rng, -0.01, 0.01));
    logits = poisoned<float>(ls.N * ls.out);
    p = poisoned<float>(ls.N * ls.out);
    loss = poisoned<float>(1);
    dy = to_dev(uniform<float>(ny, rng));
    dx = to_dev(std::vector<float>(nx, 0.f));
    dw = to_dev(std::vector<float>(nw, 0.f));
    db = to_dev(std::vector<float>(cs.C_out, 0.f));
    labels = DeviceBuffer<i64>(std::vector<i64>{1, 7, 3, 3});
    scale = DeviceBuffer<double>(std::vector<double>{2.0});
  }
  void run(cudaStream_t st) {
    gpu::conv1d_forward<float>(cs, x.data(), w.data(), b.data(), y.data(), st);
    gpu::batchnorm_stats<float>(bs, y.data(), mean.data(), var.data(), st);
    gpu::batchnorm_swish_dropout_forward<float>(bs, y.data(), mean.data(), var.data(), gamma.data(), beta.data(),
                                                1e-5, 0.5, 99, nullptr, nullptr, act.data(), st);
    gpu::linear_forward<float>(ls, act.data(), lw.data(), nullptr, logits.data(), st);
    gpu::cosface_forward<float>(ls.N, ls.out, 30.0, 0.4, logits.data(), labels.data(), p.data(), loss.data(), st);
    gpu::adacos_update_scale<float>(ls.N, ls.out, logits.data(), labels.data(), scale.data(), scale.data(), st);
    gpu::conv1d_backward<float>(cs, x.data(), w.data(), dy.data(), dx.data(), dw.data(), db.data(), st);
  }
  std::vector<float> outputs(const gpu::Stream& st) const {
    std::vector<float> all;
    for (const auto* buf : {&y, &act, &logits, &p, &loss, &dx, &dw, &db}) {
      auto h = host(*buf, st);
      all.insert(all.end(), h.begin(), h.end());
    }
    all.push_back(static_cast<float>(host(scale, st)[0]));
    return all;
  }
};

}  // namespace

TEST_CASE("a slice of the training step captures into a CUDA graph and replays like direct calls") {
  gpu::Stream st;
  std::mt19937_64 rng_a(0xdeadbeef + 14), rng_b(0xdeadbeef + 14);
  StepBuffers direct(rng_a), graphed(rng_b);  // identical inputs
  direct.run(st);
  const auto want = direct.outputs(st);

  cudaGraph_t graph = nullptr;
  cudaGraphExec_t exec = nullptr;
  REQUIRE(cudaStreamBeginCapture(st, cudaStreamCaptureModeThreadLocal) == cudaSuccess);
  graphed.run(st);
  REQUIRE(cudaStreamEndCapture(st, &graph) == cudaSuccess);
  REQUIRE(cudaGraphInstantiate(&exec, graph, 0) == cudaSuccess);
  REQUIRE(cudaGraphLaunch(exec, st) == cudaSuccess);
  const auto got = graphed.outputs(st);
  cudaGraphExecDestroy(exec);
  cudaGraphDestroy(graph);
  // Same kernels and splits; cuBLAS may pick another algorithm under capture: loose tolerance.
  CHECK(check_close("graph replay vs direct", got, want, reduction_tol<float>(64.0 * 16.0, rms(want))));
}
