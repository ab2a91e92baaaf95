// Finite-difference gradient checks in double for every differentiable op of nn/functional.hpp.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <string>

#include "gradcheck.hpp"

using namespace xrdid;
using namespace xrdid::nn;
using xrdid::test::rand_tensor;

namespace {

struct ConvCase {
  std::int64_t N, Ci, Co, L, K, stride, dil, groups;
  bool same;
  int pl, pr;
  bool bias;
  std::string describe() const {
    char buf[160];
    std::snprintf(buf, sizeof buf, "N%lld Ci%lld Co%lld L%lld K%lld s%lld d%lld G%lld %s%s", (long long)N,
                  (long long)Ci, (long long)Co, (long long)L, (long long)K, (long long)stride, (long long)dil,
                  (long long)groups, same ? "same" : "pad", bias ? " bias" : "");
    return buf;
  }
};

// Small shapes covering every code path: 1x1 GEMM (short and long rows), im2col with one or
// several samples per GEMM, the per-thread dw reduction (few groups, several chunks),
// groups 1/2/C, stride 1/2, dilation 2, odd/even L, K 1/3/16, explicit padding.
const ConvCase kConvCases[] = {
    {2, 2, 3, 7, 3, 1, 1, 1, true, 0, 0, true},
    {2, 4, 4, 8, 3, 2, 1, 2, true, 0, 0, true},
    {2, 3, 3, 9, 3, 2, 1, 3, true, 0, 0, true},
    {1, 2, 2, 9, 3, 1, 2, 1, true, 0, 0, true},
    {1, 2, 2, 19, 16, 2, 1, 1, true, 0, 0, true},
    {2, 2, 2, 17, 16, 1, 1, 2, true, 0, 0, false},
    {2, 3, 4, 5, 1, 1, 1, 1, true, 0, 0, true},
    {1, 2, 2, 130, 1, 1, 1, 1, true, 0, 0, true},
    {2, 2, 2, 6, 3, 1, 1, 1, false, 1, 2, true},
    {2, 1, 2, 400, 3, 2, 1, 1, true, 0, 0, true},
    {2, 2, 4, 8, 1, 2, 1, 2, true, 0, 0, true},
    // 16 channels per group: the direct register-blocked kernel (forward and dx).
    {1, 16, 16, 5, 3, 1, 1, 1, true, 0, 0, true},
    {1, 32, 32, 4, 2, 2, 1, 2, true, 0, 0, true},
};

}  // namespace

TEST_CASE("gradcheck conv1d over groups, stride, dilation, padding and K") {
  std::uint64_t seed = 100;
  for (const ConvCase& c : kConvCases) {
    CAPTURE(c.describe());
    std::vector<Tensor> in{rand_tensor({c.N, c.Ci, c.L}, seed++), rand_tensor({c.Co, c.Ci / c.groups, c.K}, seed++)};
    if (c.bias) in.push_back(rand_tensor({c.Co}, seed++));
    F::Conv1dOpts o;
    o.stride = static_cast<int>(c.stride);
    o.dilation = static_cast<int>(c.dil);
    o.groups = static_cast<int>(c.groups);
    o.same = c.same;
    o.pad_left = c.pl;
    o.pad_right = c.pr;
    auto f = [&](const std::vector<Var>& v) { return F::conv1d(v[0], v[1], v.size() > 2 ? v[2] : Var(), o); };
    XRDID_GRADCHECK(f, in);
  }
}

TEST_CASE("gradcheck batch_norm1d in training (batch statistics inside) and evaluation") {
  const std::vector<Tensor> in{rand_tensor({3, 2, 4}, 1, -2, 3), rand_tensor({2}, 2, 0.5, 1.5),
                               rand_tensor({2}, 3)};
  SUBCASE("training") {
    Tensor rm = Tensor::zeros({2}, DType::F64), rv = Tensor::full({2}, 1.0, DType::F64);
    auto f = [&](const std::vector<Var>& v) { return F::batch_norm1d(v[0], v[1], v[2], rm, rv, true); };
    XRDID_GRADCHECK(f, in);
  }
  SUBCASE("training, N*L = 2") {
    Tensor rm = Tensor::zeros({2}, DType::F64), rv = Tensor::full({2}, 1.0, DType::F64);
    const std::vector<Tensor> in2{rand_tensor({1, 2, 2}, 4, -1, 1), in[1], in[2]};
    auto f = [&](const std::vector<Var>& v) { return F::batch_norm1d(v[0], v[1], v[2], rm, rv, true); };
    XRDID_GRADCHECK(f, in2);
  }
  SUBCASE("evaluation") {
    Tensor rm = rand_tensor({2}, 5), rv = rand_tensor({2}, 6, 0.5, 2.0);
    auto f = [&](const std::vector<Var>& v) { return F::batch_norm1d(v[0], v[1], v[2], rm, rv, false); };
    XRDID_GRADCHECK(f, in);
  }
}

TEST_CASE("gradcheck activations and dropout") {
  const Tensor x = rand_tensor({2, 3, 5}, 7, -4, 4);
  XRDID_GRADCHECK([](const std::vector<Var>& v) { return F::swish(v[0]); }, {x});
  XRDID_GRADCHECK([](const std::vector<Var>& v) { return F::sigmoid(v[0]); }, {x});
  // relu: keep every value at least 0.05 away from the kink.
  Tensor xr = x.clone();
  for (std::int64_t i = 0; i < xr.numel(); ++i) {
    double& t = xr.data<double>()[i];
    t = t >= 0 ? t + 0.05 : t - 0.05;
  }
  XRDID_GRADCHECK([](const std::vector<Var>& v) { return F::relu(v[0]); }, {xr});
  // dropout: the mask is a function of the fixed seed, so every evaluation drops the same entries.
  XRDID_GRADCHECK([](const std::vector<Var>& v) { return F::dropout(v[0], 0.5, true, 1234); }, {x});
  XRDID_GRADCHECK([](const std::vector<Var>& v) { return F::dropout(v[0], 0.5, false, 1234); }, {x});
}

TEST_CASE("gradcheck pooling, channel ops and shapes") {
  // maxpool: odd L so the last window compares with the zero pad; |x| >= 0.1 keeps the last
  // element clear of that pad; the hash values are distinct, so no ties within a window.
  Tensor xp = rand_tensor({2, 2, 7}, 8, -1, 1);
  for (std::int64_t i = 0; i < xp.numel(); ++i) {
    double& t = xp.data<double>()[i];
    t = t >= 0 ? t + 0.1 : t - 0.1;
  }
  XRDID_GRADCHECK([](const std::vector<Var>& v) { return F::max_pool_same2(v[0]); }, {xp});
  XRDID_GRADCHECK([](const std::vector<Var>& v) { return F::max_pool_same2(v[0]); },
                  {rand_tensor({1, 3, 6}, 9)});
  XRDID_GRADCHECK([](const std::vector<Var>& v) { return F::mean_length(v[0]); }, {rand_tensor({2, 3, 5}, 10)});
  XRDID_GRADCHECK([](const std::vector<Var>& v) { return F::scale_channels(v[0], v[1]); },
                  {rand_tensor({2, 3, 4}, 11), rand_tensor({2, 3}, 12)});
  XRDID_GRADCHECK([](const std::vector<Var>& v) { return F::add(v[0], v[1]); },
                  {rand_tensor({2, 3, 4}, 13), rand_tensor({2, 3, 4}, 14)});
  XRDID_GRADCHECK([](const std::vector<Var>& v) { return F::mul(v[0], v[1]); },
                  {rand_tensor({2, 3, 4}, 15), rand_tensor({2, 3, 4}, 16)});
  XRDID_GRADCHECK([](const std::vector<Var>& v) { return F::pad_channels(v[0], 2, 1); }, {rand_tensor({2, 3, 4}, 17)});
  XRDID_GRADCHECK([](const std::vector<Var>& v) { return F::reshape(v[0], {6, -1}); }, {rand_tensor({2, 3, 4}, 18)});
  XRDID_GRADCHECK([](const std::vector<Var>& v) { return F::sum(v[0]); }, {rand_tensor({2, 3, 4}, 19)});
  // A Var used twice must receive the sum of both contributions.
  XRDID_GRADCHECK([](const std::vector<Var>& v) { return F::mul(v[0], F::add(v[0], v[0])); },
                  {rand_tensor({5}, 20)});
}

TEST_CASE("gradcheck dense ops and the cosine head") {
  XRDID_GRADCHECK([](const std::vector<Var>& v) { return F::linear(v[0], v[1], v[2]); },
                  {rand_tensor({3, 4}, 21), rand_tensor({5, 4}, 22), rand_tensor({5}, 23)});
  XRDID_GRADCHECK([](const std::vector<Var>& v) { return F::linear(v[0], v[1], Var()); },
                  {rand_tensor({3, 4}, 24), rand_tensor({5, 4}, 25)});
  XRDID_GRADCHECK([](const std::vector<Var>& v) { return F::matmul(v[0], v[1]); },
                  {rand_tensor({3, 4}, 26), rand_tensor({4, 2}, 27)});
  XRDID_GRADCHECK([](const std::vector<Var>& v) { return F::matmul(v[0], v[1], true); },
                  {rand_tensor({3, 4}, 28), rand_tensor({2, 4}, 29)});
  XRDID_GRADCHECK([](const std::vector<Var>& v) { return F::l2_normalize_rows(v[0]); }, {rand_tensor({3, 4}, 30)});
  // The full cosine head: normalise x and W, then x_hat W_hat^T.
  XRDID_GRADCHECK(
      [](const std::vector<Var>& v) {
        return F::matmul(F::l2_normalize_rows(v[0]), F::l2_normalize_rows(v[1]), true);
      },
      {rand_tensor({3, 6}, 31), rand_tensor({4, 6}, 32)});
}

TEST_CASE("gradcheck losses: cross-entropy, CosFace, AdaCos with the scale frozen") {
  const std::vector<std::int64_t> labels{2, 0, 3};
  XRDID_GRADCHECK([&](const std::vector<Var>& v) { return F::cross_entropy(v[0], labels); },
                  {rand_tensor({3, 4}, 33, -3, 3)});
  XRDID_GRADCHECK([&](const std::vector<Var>& v) { return F::cosface_loss(v[0], labels); },
                  {rand_tensor({3, 5}, 34)});
  XRDID_GRADCHECK([&](const std::vector<Var>& v) { return F::cosface_loss(v[0], labels, 4.0, 0.2); },
                  {rand_tensor({3, 5}, 35)});
  // AdaCos: s is not differentiated (style guide rule 5). The logits are s_new * c, so
  // (a) the gradient through adacos_logits must be exactly s_new * upstream, and
  // (b) CE(s * c) with s held as a constant tensor passes the finite-difference check.
  const Tensor c0 = rand_tensor({3, 5}, 36);
  double s = F::adacos_initial_scale(5);
  Var c(c0.clone(), true);
  Var z = F::adacos_logits(c, labels, s);
  const Tensor R = rand_tensor({3, 5}, 37);
  z.backward(R);
  for (std::int64_t i = 0; i < 15; ++i) CHECK(c.grad().item(i) == doctest::Approx(s * R.item(i)).epsilon(1e-14));
  const double s_frozen = s;
  XRDID_GRADCHECK(
      [&](const std::vector<Var>& v) {
        return F::cross_entropy(F::mul(v[0], Var(Tensor::full({3, 5}, s_frozen, DType::F64))), labels);
      },
      {c0});
}

TEST_CASE("gradcheck a pre-activation block chain (conv, BN, swish, dropout, SE, shortcut)") {
  // x (2, 2, 9) -> 1x1 conv to 4 -> BN -> swish -> dropout -> k3 s2 G2 conv -> SE -> + maxpool/pad.
  Tensor rm = Tensor::zeros({4}, DType::F64), rv = Tensor::full({4}, 1.0, DType::F64);
  auto f = [&](const std::vector<Var>& v) {
    F::Conv1dOpts p1;
    Var h = F::conv1d(v[0], v[1], v[2], p1);
    h = F::dropout(F::swish(F::batch_norm1d(h, v[3], v[4], rm, rv, true)), 0.5, true, 77);
    F::Conv1dOpts g2;
    g2.stride = 2;
    g2.groups = 2;
    h = F::conv1d(h, v[5], Var(), g2);
    Var m = F::mean_length(h);
    Var e = F::sigmoid(F::linear(F::swish(F::linear(m, v[6], Var())), v[7], Var()));
    h = F::scale_channels(h, e);
    return F::add(h, F::pad_channels(F::max_pool_same2(v[0]), 1, 1));
  };
  XRDID_GRADCHECK(f, {rand_tensor({2, 2, 9}, 40), rand_tensor({4, 2, 1}, 41), rand_tensor({4}, 42),
                      rand_tensor({4}, 43, 0.5, 1.5), rand_tensor({4}, 44), rand_tensor({4, 2, 3}, 45),
                      rand_tensor({2, 4}, 46), rand_tensor({4, 2}, 47)});
}
