// Forward semantics of the non-convolution ops against naive inline references (docs/method.md
// §7.2, §8, §13.3), the accumulate contract of every raw backward, and dropout determinism.
#include <doctest/doctest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <functional>
#include <vector>

#include "gradcheck.hpp"
#include "nn/ops/activation.hpp"
#include "nn/ops/batchnorm.hpp"
#include "nn/ops/channel.hpp"
#include "nn/ops/dropout.hpp"
#include "nn/ops/elementwise.hpp"
#include "nn/ops/linear.hpp"
#include "nn/ops/loss.hpp"
#include "nn/ops/norm.hpp"
#include "nn/ops/pool.hpp"

using namespace xrdid;
using namespace xrdid::nn;
using xrdid::test::rand_tensor;

namespace {
Tensor t64(Shape s, std::vector<double> v) { return Tensor::from_vector(std::move(s), v); }
}  // namespace

TEST_CASE("batch_norm1d training: biased var to normalise, unbiased to the running var") {
  const std::int64_t N = 3, C = 2, L = 5;
  const Tensor x = rand_tensor({N, C, L}, 1, -2, 4);
  const Tensor g = t64({C}, {1.5, 0.5}), b = t64({C}, {0.1, -0.2});
  for (DType dt : {DType::F64, DType::F32}) {
    CAPTURE(dtype_name(dt));
    Tensor rm = Tensor::full({C}, 0.0, dt), rv = Tensor::full({C}, 1.0, dt);
    Var y = F::batch_norm1d(Var(x.to(dt)), Var(g.to(dt)), Var(b.to(dt)), rm, rv, true);
    const double tol = dt == DType::F64 ? 1e-12 : 1e-5;
    for (std::int64_t c = 0; c < C; ++c) {
      double mu = 0, var = 0;
      for (std::int64_t n = 0; n < N; ++n)
        for (std::int64_t l = 0; l < L; ++l) mu += x.item((n * C + c) * L + l);
      mu /= N * L;
      for (std::int64_t n = 0; n < N; ++n)
        for (std::int64_t l = 0; l < L; ++l) var += std::pow(x.item((n * C + c) * L + l) - mu, 2);
      const double biased = var / (N * L), unbiased = var / (N * L - 1);
      for (std::int64_t n = 0; n < N; ++n)
        for (std::int64_t l = 0; l < L; ++l) {
          const std::int64_t i = (n * C + c) * L + l;
          const double ref = (x.item(i) - mu) / std::sqrt(biased + 1e-5) * g.item(c) + b.item(c);
          CHECK(y.value().item(i) == doctest::Approx(ref).epsilon(tol));
        }
      CHECK(rm.item(c) == doctest::Approx(0.1 * mu).epsilon(tol));
      CHECK(rv.item(c) == doctest::Approx(0.9 + 0.1 * unbiased).epsilon(tol));
    }
  }
}

TEST_CASE("batch_norm1d evaluation uses the running statistics and leaves them unchanged") {
  Tensor rm = t64({2}, {0.5, -1.0}), rv = t64({2}, {4.0, 0.25});
  const Tensor x = rand_tensor({2, 2, 3}, 2);
  Var y = F::batch_norm1d(Var(x), Var(t64({2}, {2.0, 1.0})), Var(t64({2}, {0.0, 1.0})), rm, rv, false);
  for (std::int64_t i = 0; i < 12; ++i) {
    const std::int64_t c = (i / 3) % 2;
    const double ref = c == 0 ? (x.item(i) - 0.5) / std::sqrt(4.0 + 1e-5) * 2.0 : (x.item(i) + 1.0) / std::sqrt(0.25 + 1e-5) + 1.0;
    CHECK(y.value().item(i) == doctest::Approx(ref).epsilon(1e-12));
  }
  CHECK(rm.item(0) == 0.5);
  CHECK(rv.item(1) == 0.25);
  Tensor none;
  CHECK_THROWS_AS(F::batch_norm1d(Var(x), Var(t64({2}, {1, 1})), Var(t64({2}, {0, 0})), none, none, false),
                  std::runtime_error);
}

TEST_CASE("activations match their formulas") {
  const Tensor x = rand_tensor({40}, 3, -8, 8);
  Var s = F::swish(Var(x)), g = F::sigmoid(Var(x)), r = F::relu(Var(x));
  for (std::int64_t i = 0; i < 40; ++i) {
    const double v = x.item(i), sg = 1.0 / (1.0 + std::exp(-v));
    CHECK(s.value().item(i) == doctest::Approx(v * sg).epsilon(1e-14));
    CHECK(g.value().item(i) == doctest::Approx(sg).epsilon(1e-14));
    CHECK(r.value().item(i) == (v > 0 ? v : 0.0));
  }
}

TEST_CASE("float swish and sigmoid (polynomial exp) stay within a few ulp of double") {
  // exp_fast: degree-6 Taylor on |r| <= ln2/2 (truncation < 2e-8) plus float rounding of ~6
  // operations: bound the relative error by 8 FLT_EPSILON over the whole clamped range.
  const std::int64_t n = 100001;
  std::vector<float> xf(n), sf(n), gf(n);
  std::vector<double> xd(n), sd(n), gd(n);
  for (std::int64_t i = 0; i < n; ++i) xd[i] = xf[i] = -60.0f + 120.0f * float(i) / float(n - 1);
  for (std::int64_t i = 0; i < n; ++i) xd[i] = xf[i];
  ops::swish_forward<float>(n, xf.data(), sf.data());
  ops::sigmoid_forward<float>(n, xf.data(), gf.data());
  ops::swish_forward<double>(n, xd.data(), sd.data());
  ops::sigmoid_forward<double>(n, xd.data(), gd.data());
  double worst_s = 0, worst_g = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    worst_s = std::max(worst_s, std::fabs(sf[i] - sd[i]) / std::max(std::fabs(sd[i]), 1e-30));
    worst_g = std::max(worst_g, std::fabs(gf[i] - gd[i]) / std::max(gd[i], 1e-30));
  }
  CHECK(worst_s <= 8 * FLT_EPSILON);
  CHECK(worst_g <= 8 * FLT_EPSILON);
  std::vector<float> big{-1e4f, -100.f, 100.f, 1e4f}, out(4);
  ops::sigmoid_forward<float>(4, big.data(), out.data());
  CHECK(out[0] >= 0.0f);
  CHECK(out[0] < 1e-37f);
  CHECK(out[3] == 1.0f);
  ops::swish_forward<float>(4, big.data(), out.data());
  CHECK(std::isfinite(out[0]));
  CHECK(out[3] == 1e4f);
}

TEST_CASE("same max-pool pads one ZERO on the right (docs/method.md §7.2)") {
  // Odd L: the last window compares x[L-1] with 0, so a negative last value becomes 0.
  Var y = F::max_pool_same2(Var(t64({1, 2, 5}, {1, -3, -2, -5, -0.5, /**/ -1, -2, 4, 3, 0.25})));
  CHECK(y.shape() == Shape{1, 2, 3});
  const std::vector<double> ref{1, -2, 0, -1, 4, 0.25};
  XRDID_CHECK_CLOSE(y.value().to_vector(), ref, 0.0, 0.0);
  Var e = F::max_pool_same2(Var(t64({1, 1, 4}, {-1, -2, -4, -3})));  // even L: no pad
  XRDID_CHECK_CLOSE(e.value().to_vector(), (std::vector<double>{-1, -3}), 0.0, 0.0);
  // Backward routes to the winner; the pad winner passes nothing on.
  Var x(t64({1, 1, 5}, {1, 2, 4, 3, -1}), true);
  F::sum(F::mul(F::max_pool_same2(x), Var(t64({1, 1, 3}, {10, 20, 30})))).backward();
  XRDID_CHECK_CLOSE(x.grad().to_vector(), (std::vector<double>{0, 10, 20, 0, 0}), 0.0, 0.0);
}

TEST_CASE("mean_length, scale_channels, pad_channels, linear and matmul forward") {
  const Tensor x = rand_tensor({2, 3, 4}, 4);
  Var m = F::mean_length(Var(x));
  for (std::int64_t r = 0; r < 6; ++r)
    CHECK(m.value().item(r) ==
          doctest::Approx((x.item(r * 4) + x.item(r * 4 + 1) + x.item(r * 4 + 2) + x.item(r * 4 + 3)) / 4).epsilon(1e-14));
  const Tensor e = rand_tensor({2, 3}, 5);
  Var sc = F::scale_channels(Var(x), Var(e));
  for (std::int64_t i = 0; i < 24; ++i) CHECK(sc.value().item(i) == doctest::Approx(x.item(i) * e.item(i / 4)).epsilon(1e-15));
  Var p = F::pad_channels(Var(x), 1, 2);
  CHECK(p.shape() == Shape{2, 6, 4});
  for (std::int64_t n = 0; n < 2; ++n)
    for (std::int64_t c = 0; c < 6; ++c)
      for (std::int64_t l = 0; l < 4; ++l) {
        const double ref = (c >= 1 && c < 4) ? x.item((n * 3 + c - 1) * 4 + l) : 0.0;
        CHECK(p.value().item((n * 6 + c) * 4 + l) == ref);
      }
  // linear y = x w^T + b against a naive triple loop; matmul both forms.
  const Tensor a = rand_tensor({3, 5}, 6), w = rand_tensor({4, 5}, 7), bias = rand_tensor({4}, 8);
  Var y = F::linear(Var(a), Var(w), Var(bias));
  Var mt = F::matmul(Var(a), Var(w), true);
  Var mn = F::matmul(Var(a), Var(rand_tensor({5, 4}, 7)));  // same values, (K, N) layout below
  const Tensor wkn = rand_tensor({5, 4}, 7);
  for (std::int64_t i = 0; i < 3; ++i)
    for (std::int64_t j = 0; j < 4; ++j) {
      double acc = 0, acc2 = 0;
      for (std::int64_t k = 0; k < 5; ++k) {
        acc += a.item(i * 5 + k) * w.item(j * 5 + k);
        acc2 += a.item(i * 5 + k) * wkn.item(k * 4 + j);
      }
      CHECK(y.value().item(i * 4 + j) == doctest::Approx(acc + bias.item(j)).epsilon(1e-14));
      CHECK(mt.value().item(i * 4 + j) == doctest::Approx(acc).epsilon(1e-14));
      CHECK(mn.value().item(i * 4 + j) == doctest::Approx(acc2).epsilon(1e-14));
    }
  CHECK_THROWS_AS(F::matmul(Var(a), Var(w)), std::runtime_error);
  CHECK_THROWS_AS(F::add(Var(a), Var(w)), std::runtime_error);
}

TEST_CASE("large dense products (threaded row blocks) match the naive reference") {
  const std::int64_t M = 33, K = 257, N = 700;
  const Tensor a = rand_tensor({M, K}, 9, -1, 1, DType::F32), b = rand_tensor({N, K}, 10, -1, 1, DType::F32);
  Var c = F::matmul(Var(a), Var(b), true);
  Var l = F::linear(Var(a), Var(b), Var());
  // fp32 sums of K products of O(1) values: atol = rtol = 4 sqrt(K) FLT_EPSILON (rule 6).
  const double tol = 4 * std::sqrt(double(K)) * FLT_EPSILON;
  for (std::int64_t i = 0; i < M; i += 8)
    for (std::int64_t j = 0; j < N; j += 37) {
      double acc = 0;
      for (std::int64_t k = 0; k < K; ++k) acc += a.item(i * K + k) * b.item(j * K + k);
      CHECK(std::fabs(c.value().item(i * N + j) - acc) <= tol * (1 + std::fabs(acc)));
      CHECK(std::fabs(l.value().item(i * N + j) - acc) <= tol * (1 + std::fabs(acc)));
    }
}

TEST_CASE("dropout is inverted, deterministic per seed and identical in float and double") {
  const std::int64_t n = 20000;
  const Tensor x = Tensor::full({n}, 1.0, DType::F64);
  Var a = F::dropout(Var(x), 0.5, true, 42), b = F::dropout(Var(x), 0.5, true, 42), c = F::dropout(Var(x), 0.5, true, 43);
  Var f = F::dropout(Var(x.to(DType::F32)), 0.5, true, 42);
  std::int64_t kept = 0, differ = 0, same_f = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    const double v = a.value().item(i);
    CHECK((v == 0.0 || v == 2.0));
    kept += v != 0.0;
    differ += v != c.value().item(i);
    same_f += v == f.value().item(i);
    if (v != b.value().item(i)) FAIL("same seed gave a different mask at ", i);
  }
  // Binomial(20000, 0.5): sd 71, so +-600 is > 8 sd.
  CHECK(std::llabs(kept - n / 2) < 600);
  CHECK(differ > n / 4);
  CHECK(same_f == n);
  Var in(x, true);
  CHECK(F::dropout(in, 0.5, false, 1).impl() == in.impl());  // evaluation: identity
  CHECK_THROWS_AS(F::dropout(in, 1.0, true, 1), std::runtime_error);
  // p = 0.25 keeps about 3/4 with scale 4/3
  Var q = F::dropout(Var(x), 0.25, true, 7);
  std::int64_t kq = 0;
  for (std::int64_t i = 0; i < n; ++i) kq += q.value().item(i) != 0.0;
  CHECK(std::llabs(kq - 3 * n / 4) < 600);
  CHECK(ops::dropout_scale<double>(0.25, 7, 0) == (q.value().item(0) != 0.0 ? 4.0 / 3.0 : 0.0));
}

TEST_CASE("cosine head, CosFace, CE and AdaCos reproduce docs/method.md §13.3") {
  const Tensor W = t64({3, 4}, {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1});
  const Tensor X = t64({3, 4}, {2, 1, 0, 0, 0, 1, 1, 0, 1, 1, 1, 1});
  const std::vector<std::int64_t> labels{0, 1, 2};
  Var cos = F::matmul(F::l2_normalize_rows(Var(X)), F::l2_normalize_rows(Var(W)), true);
  const std::vector<double> ref{0.894427, 0.447214, 0, 0, 0.707107, 0.5, 0.5, 0.5, 0.707107};
  XRDID_CHECK_CLOSE(cos.value().to_vector(), ref, 1e-6, 0.0);
  CHECK(F::cosface_loss(cos, labels, 30.0, 0.4).value().item() == doctest::Approx(4.162844).epsilon(1e-6));
  CHECK(F::cross_entropy(cos, labels).value().item() == doctest::Approx(0.839304).epsilon(1e-6));
  double s = F::adacos_initial_scale(3);
  CHECK(s == doctest::Approx(0.980258).epsilon(1e-6));
  Var z = F::adacos_logits(cos, labels, s);
  CHECK(s == doctest::Approx(1.464124).epsilon(1e-6));
  for (std::int64_t i = 0; i < 9; ++i) CHECK(z.value().item(i) == doctest::Approx(s * cos.value().item(i)).epsilon(1e-14));
  F::adacos_logits(cos, labels, s);
  CHECK(s == doctest::Approx(1.725513).epsilon(1e-6));
  // float path gives the same numbers to float precision
  Var cf(cos.value().to(DType::F32));
  CHECK(F::cosface_loss(cf, labels).value().item() == doctest::Approx(4.162844).epsilon(1e-5));
  // All-zero cosines, C = 1000: 12 + ln(999 + e^-12) = 18.907 (docs/method.md §8.2).
  Var zero(Tensor::zeros({2, 1000}, DType::F64));
  CHECK(F::cosface_loss(zero, {0, 999}).value().item() == doctest::Approx(12.0 + std::log(999.0 + std::exp(-12.0))).epsilon(1e-12));
  CHECK(F::cosface_loss(zero, {0, 999}).value().item() == doctest::Approx(18.907).epsilon(1e-4));
  CHECK_THROWS_AS(F::cosface_loss(zero, {0, 1000}), std::runtime_error);
  CHECK_THROWS_AS(F::cosface_loss(zero, {0}), std::runtime_error);
}

TEST_CASE("AdaCos uses the LOWER median of the target angles for an even batch") {
  // Target cosines 0.9, 0.8, 0.3, 0.1 -> angles sorted: acos(.9) < acos(.8) < acos(.3) < acos(.1);
  // lower median = acos(0.8) (upper would be acos(0.3)). Non-target cosine 0 everywhere.
  const std::vector<std::int64_t> labels{0, 0, 0, 0};
  Var c(t64({4, 3}, {0.9, 0, 0, 0.1, 0, 0, 0.8, 0, 0, 0.3, 0, 0}));
  double s = 2.0;
  F::adacos_logits(c, labels, s);
  const double b_avg = 2.0;  // two non-target entries of exp(2*0) per row
  CHECK(s == doctest::Approx(std::log(b_avg) / std::cos(std::min(M_PI / 4, std::acos(0.8)))).epsilon(1e-14));
  CHECK(s != doctest::Approx(std::log(b_avg) / std::cos(std::min(M_PI / 4, std::acos(0.3)))).epsilon(1e-6));
}

TEST_CASE("topk: descending, ties to the lower index") {
  const Tensor sc = t64({2, 5}, {0.1, 0.7, 0.7, -1, 0.7, 3, 2, 1, 0, -1});
  const auto t = F::topk(sc, 3);
  CHECK(t[0] == std::vector<std::int64_t>{1, 2, 4});
  CHECK(t[1] == std::vector<std::int64_t>{0, 1, 2});
  CHECK(F::topk(sc, 5)[0] == std::vector<std::int64_t>{1, 2, 4, 0, 3});
  CHECK_THROWS_AS(F::topk(sc, 6), std::runtime_error);
}

TEST_CASE("every raw backward accumulates: a gradient prefilled with 9 ends at 9 + the true value") {
  // Each entry runs a raw backward writing into the given gradient buffers.
  using Fill = std::function<void(std::vector<std::vector<double>*>)>;
  const auto x = rand_tensor({2, 3, 5}, 11).to_vector();    // (N=2, C=3, L=5)
  const auto x2 = rand_tensor({2, 3, 5}, 12).to_vector();
  const auto dy = rand_tensor({2, 3, 5}, 13).to_vector();
  const auto dyp = rand_tensor({2, 3, 3}, 14).to_vector();  // pooled
  const auto dym = rand_tensor({6}, 15).to_vector();        // (N, C)
  const auto e = rand_tensor({6}, 16).to_vector();
  const auto g3 = rand_tensor({3}, 17, 0.5, 1.5).to_vector();
  const std::vector<double> mean{0.1, -0.2, 0.3}, var{1.1, 0.9, 1.3};
  const std::vector<std::int64_t> lab{1, 2};
  const auto p6 = rand_tensor({2, 3}, 18, 0.1, 0.5).to_vector();
  const ops::BatchNormShape bs{2, 3, 5};
  struct Case {
    const char* name;
    std::vector<std::size_t> sizes;
    Fill run;
  };
  const std::vector<Case> cases{
      {"batchnorm train", {30, 3, 3}, [&](auto g) { ops::batchnorm_backward<double>(bs, x.data(), mean.data(), var.data(), g3.data(), dy.data(), 1e-5, true, g[0]->data(), g[1]->data(), g[2]->data()); }},
      {"batchnorm eval", {30, 3, 3}, [&](auto g) { ops::batchnorm_backward<double>(bs, x.data(), mean.data(), var.data(), g3.data(), dy.data(), 1e-5, false, g[0]->data(), g[1]->data(), g[2]->data()); }},
      {"swish", {30}, [&](auto g) { ops::swish_backward<double>(30, x.data(), dy.data(), g[0]->data()); }},
      {"sigmoid", {30}, [&](auto g) { ops::sigmoid_backward<double>(30, x.data(), dy.data(), g[0]->data()); }},
      {"relu", {30}, [&](auto g) { ops::relu_backward<double>(30, x.data(), dy.data(), g[0]->data()); }},
      {"dropout", {30}, [&](auto g) { ops::dropout_backward<double>(30, 0.5, 3, dy.data(), g[0]->data()); }},
      {"maxpool", {30}, [&](auto g) { ops::maxpool_same2_backward<double>(6, 5, x.data(), dyp.data(), g[0]->data()); }},
      {"mean", {30}, [&](auto g) { ops::mean_length_backward<double>(6, 5, dym.data(), g[0]->data()); }},
      {"scale_channels", {30, 6}, [&](auto g) { ops::scale_channels_backward<double>(2, 3, 5, x.data(), e.data(), dy.data(), g[0]->data(), g[1]->data()); }},
      {"pad_channels", {10}, [&](auto g) { ops::pad_channels_backward<double>(2, 1, 5, 1, 1, dy.data(), g[0]->data()); }},
      {"mul", {30, 30}, [&](auto g) { ops::mul_backward<double>(30, x.data(), x2.data(), dy.data(), g[0]->data(), g[1]->data()); }},
      {"matmul", {6, 15}, [&](auto g) { ops::matmul_backward<double>({2, 3, 5, false}, x.data(), x2.data(), dy.data(), g[0]->data(), g[1]->data()); }},
      {"matmul^T", {6, 15}, [&](auto g) { ops::matmul_backward<double>({2, 3, 5, true}, x.data(), x2.data(), dy.data(), g[0]->data(), g[1]->data()); }},
      {"linear", {6, 15, 5}, [&](auto g) { ops::linear_backward<double>({2, 3, 5}, x.data(), x2.data(), dy.data(), g[0]->data(), g[1]->data(), g[2]->data()); }},
      {"l2norm", {6}, [&](auto g) { ops::l2_normalize_rows_backward<double>(2, 3, 1e-12, p6.data(), g3.data(), dy.data(), g[0]->data()); }},
      {"cosface", {6}, [&](auto g) { ops::cosface_backward<double>(2, 3, 30.0, p6.data(), lab.data(), 1.0, g[0]->data()); }},
      {"cross_entropy", {6}, [&](auto g) { ops::cross_entropy_backward<double>(2, 3, p6.data(), lab.data(), 0.5, g[0]->data()); }},
      {"axpy", {30}, [&](auto g) { ops::axpy<double>(30, 2.0, dy.data(), g[0]->data()); }},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    std::vector<std::vector<double>> zero, nine;
    for (std::size_t n : c.sizes) {
      zero.emplace_back(n, 0.0);
      nine.emplace_back(n, 9.0);
    }
    std::vector<std::vector<double>*> pz, pn;
    for (auto& v : zero) pz.push_back(&v);
    for (auto& v : nine) pn.push_back(&v);
    c.run(pz);
    c.run(pn);
    bool nonzero = false;
    for (std::size_t k = 0; k < zero.size(); ++k) {
      for (double& v : zero[k]) {
        nonzero = nonzero || v != 0.0;
        v += 9.0;
      }
      XRDID_CHECK_CLOSE(nine[k], zero[k], 1e-12, 1e-12);
    }
    CHECK(nonzero);
  }
}
