// The fused batch norm + swish + dropout op: gradient checks in double, and equality with the
// unfused sequence batch_norm1d -> swish -> dropout (values, gradients, running statistics).
#include <doctest/doctest.h>

#include <cstring>

#include "gradcheck.hpp"

using namespace xrdid;
using namespace xrdid::nn;
using xrdid::test::rand_tensor;

namespace {

struct Result {
  std::vector<double> y, gx, gg, gb, rm, rv;
};

// Runs either the fused op or the three-op sequence on copies of the inputs and returns the
// output, the gradients of sum(y * R) and the updated running statistics.
Result run(bool fused, const Tensor& x0, const Tensor& g0, const Tensor& b0, bool training, double p,
           std::uint64_t seed, DType dt) {
  Var x(x0.to(dt), true), g(g0.to(dt), true), b(b0.to(dt), true);
  const std::int64_t C = x0.dim(1);
  Tensor rm = rand_tensor({C}, 11, -0.5, 0.5, dt), rv = rand_tensor({C}, 12, 0.5, 2.0, dt);
  Var y;
  if (fused) {
    y = F::bn_swish_dropout(x, g, b, rm, rv, training, 0.1, 1e-5, p, seed);
  } else {
    y = F::swish(F::batch_norm1d(x, g, b, rm, rv, training, 0.1, 1e-5));
    if (p > 0) y = F::dropout(y, p, training, seed);
  }
  const Tensor R = rand_tensor(y.shape(), 99, -1, 1, dt);
  F::sum(F::mul(y, Var(R))).backward();
  return {y.value().to_vector(), x.grad().to_vector(), g.grad().to_vector(), b.grad().to_vector(),
          rm.to_vector(), rv.to_vector()};
}

void check_same(const Result& a, const Result& r, double atol, double rtol) {
  XRDID_CHECK_CLOSE(a.y, r.y, atol, rtol);
  XRDID_CHECK_CLOSE(a.gx, r.gx, atol, rtol);
  XRDID_CHECK_CLOSE(a.gg, r.gg, atol * 100, rtol);
  XRDID_CHECK_CLOSE(a.gb, r.gb, atol * 100, rtol);
  XRDID_CHECK_CLOSE(a.rm, r.rm, atol, rtol);
  XRDID_CHECK_CLOSE(a.rv, r.rv, atol, rtol);
}

}  // namespace

TEST_CASE("gradcheck bn_swish_dropout (training with and without dropout, evaluation)") {
  const std::vector<Tensor> in{rand_tensor({3, 2, 5}, 1, -2, 3), rand_tensor({2}, 2, 0.5, 1.5),
                               rand_tensor({2}, 3)};
  SUBCASE("training, dropout") {
    Tensor rm = Tensor::zeros({2}, DType::F64), rv = Tensor::full({2}, 1.0, DType::F64);
    auto f = [&](const std::vector<Var>& v) {
      return F::bn_swish_dropout(v[0], v[1], v[2], rm, rv, true, 0.1, 1e-5, 0.5, 1234);
    };
    XRDID_GRADCHECK(f, in);
  }
  SUBCASE("training, no dropout") {
    Tensor rm = Tensor::zeros({2}, DType::F64), rv = Tensor::full({2}, 1.0, DType::F64);
    auto f = [&](const std::vector<Var>& v) {
      return F::bn_swish_dropout(v[0], v[1], v[2], rm, rv, true, 0.1, 1e-5, 0.0, 0);
    };
    XRDID_GRADCHECK(f, in);
  }
  SUBCASE("evaluation (dropout inactive)") {
    Tensor rm = rand_tensor({2}, 5), rv = rand_tensor({2}, 6, 0.5, 2.0);
    auto f = [&](const std::vector<Var>& v) {
      return F::bn_swish_dropout(v[0], v[1], v[2], rm, rv, false, 0.1, 1e-5, 0.5, 1234);
    };
    XRDID_GRADCHECK(f, in);
  }
}

TEST_CASE("bn_swish_dropout equals batch_norm1d -> swish -> dropout") {
  // Small (serial) and large (N*C*L > 32768: OpenMP path) shapes.
  for (const Shape& sh : {Shape{2, 3, 7}, Shape{4, 40, 300}}) {
    const Tensor x = rand_tensor(sh, 21, -3, 3), g = rand_tensor({sh[1]}, 22, 0.5, 1.5),
                 b = rand_tensor({sh[1]}, 23);
    for (bool training : {true, false})
      for (double p : {0.0, 0.5}) {
        CAPTURE(shape_str(sh));
        CAPTURE(training);
        CAPTURE(p);
        check_same(run(true, x, g, b, training, p, 77, DType::F64), run(false, x, g, b, training, p, 77, DType::F64),
                   1e-12, 1e-10);
        check_same(run(true, x, g, b, training, p, 77, DType::F32), run(false, x, g, b, training, p, 77, DType::F32),
                   1e-5, 1e-4);
      }
  }
}

TEST_CASE("bn_swish_dropout is deterministic (bit-identical reruns)") {
  const Tensor x = rand_tensor({4, 40, 300}, 31, -3, 3), g = rand_tensor({40}, 32, 0.5, 1.5), b = rand_tensor({40}, 33);
  const Result a = run(true, x, g, b, true, 0.5, 5, DType::F32);
  const Result c = run(true, x, g, b, true, 0.5, 5, DType::F32);
  CHECK(a.y == c.y);
  CHECK(a.gx == c.gx);
  CHECK(a.gg == c.gg);
  CHECK(a.gb == c.gb);
}

TEST_CASE("CPU tensors reuse cached blocks without sharing live storage") {
  // Blocks freed to the caching allocator come back for same-size requests; live tensors never
  // alias, and zeros() still zero-fills a reused block.
  for (int round = 0; round < 3; ++round) {
    Tensor a = Tensor::full({1 << 16}, 1.0), b = Tensor::full({1 << 16}, 2.0);
    CHECK(a.raw() != b.raw());
    Tensor z = Tensor::zeros({1 << 16});
    for (std::int64_t i = 0; i < z.numel(); i += 997) CHECK(z.item(i) == 0.0);
    CHECK(a.item(12345) == 1.0);
    CHECK(b.item(54321) == 2.0);
  }
}

#include "nn/net1d.hpp"

TEST_CASE("compact Net1D train step is bit-identical across reruns (same thread count)") {
  // Two fresh models from the same seed, one train-mode forward + backward each: the output and
  // every parameter gradient must match bit for bit (no timing-dependent reduction order).
  auto step = [](std::vector<double>& out, std::vector<std::vector<double>>& grads) {
    Rng rng(7);
    Net1DConfig cfg = net1d_config("compact");
    Net1D net(cfg, rng, DType::F32);
    const Tensor x = rand_tensor({2, 1, 1200}, 51, -1, 1, DType::F32);
    ForwardCtx ctx;
    ctx.training = true;
    ctx.seed = 99;
    Var y = net.forward(Var(x), ctx);
    F::sum(F::mul(y, Var(rand_tensor(y.shape(), 52, -1, 1, DType::F32)))).backward();
    out = y.value().to_vector();
    for (Var* p : net.parameters()) grads.push_back(p->grad().defined() ? p->grad().to_vector() : std::vector<double>{});
  };
  std::vector<double> o1, o2;
  std::vector<std::vector<double>> g1, g2;
  step(o1, g1);
  step(o2, g2);
  CHECK(o1 == o2);
  REQUIRE(g1.size() == g2.size());
  for (std::size_t i = 0; i < g1.size(); ++i) {
    CAPTURE(i);
    CHECK(g1[i] == g2[i]);
  }
}

TEST_CASE("F32 matmul with trans_b (cosine head path, column-split sgemm) matches F64") {
  // Work 16 * 1000 * 300 > 4e6: the parallel column split is taken.
  for (const auto& d : {std::vector<std::int64_t>{16, 1000, 300}, std::vector<std::int64_t>{3, 7, 5}}) {
    const std::int64_t M = d[0], N = d[1], K = d[2];
    const Tensor a = rand_tensor({M, K}, 61), b = rand_tensor({N, K}, 62), r = rand_tensor({M, N}, 63);
    std::vector<double> y[2], ga[2], gb[2];
    for (int f = 0; f < 2; ++f) {
      const DType dt = f ? DType::F32 : DType::F64;
      Var va(a.to(dt), true), vb(b.to(dt), true);
      Var y0 = F::matmul(va, vb, true);
      F::sum(F::mul(y0, Var(r.to(dt)))).backward();
      y[f] = y0.value().to_vector();
      ga[f] = va.grad().to_vector();
      gb[f] = vb.grad().to_vector();
    }
    CAPTURE(M);
    XRDID_CHECK_CLOSE(y[1], y[0], 1e-4, 1e-4);
    XRDID_CHECK_CLOSE(ga[1], ga[0], 1e-3, 1e-4);
    XRDID_CHECK_CLOSE(gb[1], gb[0], 1e-4, 1e-4);
  }
}
