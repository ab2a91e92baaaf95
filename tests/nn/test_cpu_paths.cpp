// The ops compiled once per CPU path (nn/cpu_path.hpp, nn/ops/cpu_target.hpp) on every path this
// machine supports, whatever XRDID_CPU says: batch norm and the fused batch norm + swish +
// dropout against double, Adam bit for bit against the portable path, and a compact Net1D
// (forward and backward, train mode) against the portable path, each deterministic on reruns.
// The convolution's paths are checked in test_ops_conv.cpp, the SGEMM's in test_sgemm.cpp.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "gradcheck.hpp"
#include "nn/cpu_path.hpp"
#include "nn/net1d.hpp"
#include "nn/ops/adam.hpp"

using namespace xrdid;
using namespace xrdid::nn;
using xrdid::test::rand_tensor;

namespace {

std::vector<CpuPath> supported_paths() { return supported_cpu_paths(); }

struct Result {
  std::vector<double> y, gx, gg, gb, rm, rv;
};

// batch_norm1d (fused with swish and dropout when fused) forward and the gradients of sum(y * R).
Result run_bn(bool fused, const Tensor& x0, const Tensor& g0, const Tensor& b0, bool training, double p, DType dt) {
  Var x(x0.to(dt), true), g(g0.to(dt), true), b(b0.to(dt), true);
  const std::int64_t C = x0.dim(1);
  Tensor rm = rand_tensor({C}, 11, -0.5, 0.5, dt), rv = rand_tensor({C}, 12, 0.5, 2.0, dt);
  Var y = fused ? F::bn_swish_dropout(x, g, b, rm, rv, training, 0.1, 1e-5, p, 77)
                : F::batch_norm1d(x, g, b, rm, rv, training, 0.1, 1e-5);
  const Tensor R = rand_tensor(y.shape(), 99, -1, 1, dt);
  F::sum(F::mul(y, Var(R))).backward();
  return {y.value().to_vector(), x.grad().to_vector(), g.grad().to_vector(), b.grad().to_vector(),
          rm.to_vector(), rv.to_vector()};
}

}  // namespace

TEST_CASE("CPU paths: batch norm and fused batch norm + swish + dropout match double, bit-identical reruns") {
  // Rows of 47 and 300 (a vector tail on every path); the large shape runs the OpenMP loops.
  for (const Shape& sh : {Shape{2, 3, 47}, Shape{4, 40, 300}}) {
    const Tensor x = rand_tensor(sh, 21, -3, 3), g = rand_tensor({sh[1]}, 22, 0.5, 1.5), b = rand_tensor({sh[1]}, 23);
    for (bool fused : {true, false})
      for (bool training : {true, false})
        for (double p : {0.0, 0.5}) {
          if (!fused && p > 0) continue;
          CAPTURE(shape_str(sh));
          CAPTURE(fused);
          CAPTURE(training);
          CAPTURE(p);
          const Result ref = run_bn(fused, x, g, b, training, p, DType::F64);
          for (CpuPath path : supported_paths()) {
            CAPTURE(std::string(cpu_path_name(path)));
            ScopedCpuPath on(path);
            const Result a = run_bn(fused, x, g, b, training, p, DType::F32);
            XRDID_CHECK_CLOSE(a.y, ref.y, 1e-5, 1e-4);
            XRDID_CHECK_CLOSE(a.gx, ref.gx, 1e-5, 1e-4);
            XRDID_CHECK_CLOSE(a.gg, ref.gg, 1e-3, 1e-4);
            XRDID_CHECK_CLOSE(a.gb, ref.gb, 1e-3, 1e-4);
            XRDID_CHECK_CLOSE(a.rm, ref.rm, 1e-5, 1e-4);
            XRDID_CHECK_CLOSE(a.rv, ref.rv, 1e-5, 1e-4);
            const Result c = run_bn(fused, x, g, b, training, p, DType::F32);
            CHECK(a.y == c.y);
            CHECK(a.gx == c.gx);
            CHECK(a.gg == c.gg);
            CHECK(a.gb == c.gb);
          }
        }
  }
}

TEST_CASE("CPU paths: Adam and AdamW give the same bits on every path (explicit FMAs, no contraction)") {
  const std::int64_t n = 70001;  // threaded, with a vector tail
  const std::vector<double> p0 = rand_tensor({n}, 1).to_vector(), g0 = rand_tensor({n}, 2).to_vector(),
                            m0 = rand_tensor({n}, 3, -0.1, 0.1).to_vector(),
                            v0 = rand_tensor({n}, 4, 0.0, 0.01).to_vector();
  for (bool decoupled : {false, true}) {
    CAPTURE(decoupled);
    auto run = [&](CpuPath path) {
      ScopedCpuPath on(path);
      std::vector<float> p(p0.begin(), p0.end()), g(g0.begin(), g0.end()), m(m0.begin(), m0.end()),
          v(v0.begin(), v0.end());
      for (int t = 1; t <= 3; ++t)
        ops::adam_update<float>(p.data(), g.data(), m.data(), v.data(), n, 1e-3, 0.9, 0.999, 1e-8, 0.01, decoupled,
                                1 - std::pow(0.9, t), 1 - std::pow(0.999, t));
      p.insert(p.end(), m.begin(), m.end());
      p.insert(p.end(), v.begin(), v.end());
      return p;
    };
    const std::vector<float> ref = run(CpuPath::portable);
    for (CpuPath path : supported_paths()) {
      CAPTURE(std::string(cpu_path_name(path)));
      CHECK(run(path) == ref);
    }
  }
}

TEST_CASE("CPU paths: a compact Net1D train-mode forward and backward agree with the portable path") {
  auto step = [](std::vector<double>& out, std::vector<double>& grads) {
    Rng rng(7);
    Net1D net(net1d_config("compact"), rng, DType::F32);
    const Tensor x = rand_tensor({2, 1, 1200}, 51, -1, 1, DType::F32);
    ForwardCtx ctx;
    ctx.training = true;
    ctx.seed = 99;
    Var y = net.forward(Var(x), ctx);
    F::sum(F::mul(y, Var(rand_tensor(y.shape(), 52, -1, 1, DType::F32)))).backward();
    out = y.value().to_vector();
    grads.clear();
    for (Var* p : net.parameters())
      if (p->grad().defined()) {
        const std::vector<double> g = p->grad().to_vector();
        grads.insert(grads.end(), g.begin(), g.end());
      }
  };
  std::vector<double> o_ref, g_ref;
  {
    ScopedCpuPath on(CpuPath::portable);
    step(o_ref, g_ref);
  }
  double gmax = 0;
  for (double v : g_ref) gmax = std::max(gmax, std::abs(v));
  for (CpuPath path : supported_paths()) {
    CAPTURE(std::string(cpu_path_name(path)));
    ScopedCpuPath on(path);
    std::vector<double> o1, g1, o2, g2;
    step(o1, g1);
    step(o2, g2);
    CHECK(o1 == o2);
    CHECK(g1 == g2);
    // Different summation orders and FMA use: float rounding differences only.
    XRDID_CHECK_CLOSE(o1, o_ref, 1e-3, 1e-3);
    XRDID_CHECK_CLOSE(g1, g_ref, 1e-3 * gmax, 1e-2);
  }
}

#include "nn/ops/linear.hpp"
#include "nn/ops/norm.hpp"

TEST_CASE("CPU paths: the cosine head's float products (1 to 9 rows) and row normalisation match double") {
  // Below 8 rows matmul_forward uses per-path dot products, from 8 rows the SGEMM; N * K is large
  // enough for the threaded loops.
  const std::int64_t N = 1000, K = 300;
  const std::vector<double> b = rand_tensor({N, K}, 5).to_vector();
  const std::vector<float> bf(b.begin(), b.end());
  for (std::int64_t M : {1, 3, 7, 8, 9}) {
    CAPTURE(M);
    const std::vector<double> a = rand_tensor({M, K}, 6 + static_cast<std::uint64_t>(M)).to_vector();
    const std::vector<float> af(a.begin(), a.end());
    std::vector<double> ref(static_cast<std::size_t>(M * N));
    for (std::int64_t m = 0; m < M; ++m)
      for (std::int64_t j = 0; j < N; ++j) {
        double acc = 0;
        for (std::int64_t k = 0; k < K; ++k) acc += a[m * K + k] * b[j * K + k];
        ref[m * N + j] = acc;
      }
    for (CpuPath path : supported_paths()) {
      CAPTURE(std::string(cpu_path_name(path)));
      ScopedCpuPath on(path);
      std::vector<float> c(ref.size()), c2(ref.size());
      ops::matmul_forward<float>({M, K, N, true}, af.data(), bf.data(), c.data());
      ops::matmul_forward<float>({M, K, N, true}, af.data(), bf.data(), c2.data());
      CHECK(c == c2);
      XRDID_CHECK_CLOSE(std::vector<double>(c.begin(), c.end()), ref, 1e-4, 1e-4);
    }
  }
  // l2_normalize_rows forward and backward on the head weight's shape (reduced).
  const std::vector<double> dy = rand_tensor({N, K}, 8).to_vector();
  std::vector<double> y_ref(b.size()), n_ref(N), dx_ref(b.size());
  for (std::int64_t r = 0; r < N; ++r) {
    double sq = 0;
    for (std::int64_t i = 0; i < K; ++i) sq += b[r * K + i] * b[r * K + i];
    n_ref[r] = std::sqrt(sq);
    double dot = 0;
    for (std::int64_t i = 0; i < K; ++i) {
      y_ref[r * K + i] = b[r * K + i] / n_ref[r];
      dot += y_ref[r * K + i] * dy[r * K + i];
    }
    for (std::int64_t i = 0; i < K; ++i) dx_ref[r * K + i] = (dy[r * K + i] - y_ref[r * K + i] * dot) / n_ref[r];
  }
  const std::vector<float> dyf(dy.begin(), dy.end());
  for (CpuPath path : supported_paths()) {
    CAPTURE(std::string(cpu_path_name(path)));
    ScopedCpuPath on(path);
    std::vector<float> y(b.size()), n(N), dx(b.size(), 0.f);
    ops::l2_normalize_rows_forward<float>(N, K, 1e-12, bf.data(), y.data(), n.data());
    ops::l2_normalize_rows_backward<float>(N, K, 1e-12, y.data(), n.data(), dyf.data(), dx.data());
    XRDID_CHECK_CLOSE(std::vector<double>(y.begin(), y.end()), y_ref, 1e-6, 1e-5);
    XRDID_CHECK_CLOSE(std::vector<double>(n.begin(), n.end()), n_ref, 1e-6, 1e-5);
    XRDID_CHECK_CLOSE(std::vector<double>(dx.begin(), dx.end()), dx_ref, 1e-5, 1e-4);
  }
}

TEST_CASE("CPU paths: the cosine head's one-pass cosines match double; the head's forward without a gradient equals its graph") {
  const std::int64_t C = 700, D = 300;
  std::vector<double> w = rand_tensor({C, D}, 21).to_vector();
  for (std::int64_t i = 0; i < D; ++i) w[5 * D + i] = 0.0;  // a zero class row: its cosines are 0 (norm clamped)
  const std::vector<float> wf(w.begin(), w.end());
  for (std::int64_t N : {1, 3, 4, 5, 16}) {
    CAPTURE(N);
    std::vector<double> u = rand_tensor({N, D}, 30 + static_cast<std::uint64_t>(N)).to_vector();
    for (std::int64_t n = 0; n < N; ++n) {
      double sq = 0;
      for (std::int64_t i = 0; i < D; ++i) sq += u[n * D + i] * u[n * D + i];
      for (std::int64_t i = 0; i < D; ++i) u[n * D + i] /= std::sqrt(sq);
    }
    std::vector<double> ref(static_cast<std::size_t>(N * C));
    for (std::int64_t c = 0; c < C; ++c) {
      double sq = 0;
      for (std::int64_t i = 0; i < D; ++i) sq += w[c * D + i] * w[c * D + i];
      for (std::int64_t n = 0; n < N; ++n) {
        double dot = 0;
        for (std::int64_t i = 0; i < D; ++i) dot += u[n * D + i] * w[c * D + i];
        ref[n * C + c] = dot / std::max(std::sqrt(sq), 1e-12);
      }
    }
    CHECK(ref[5] == 0.0);
    const std::vector<float> uf(u.begin(), u.end());
    for (CpuPath path : supported_paths()) {
      CAPTURE(std::string(cpu_path_name(path)));
      ScopedCpuPath on(path);
      std::vector<float> out(ref.size(), std::nanf("")), out2(ref.size());
      ops::cosine_rows_forward<float>(N, C, D, 1e-12, uf.data(), wf.data(), out.data());
      ops::cosine_rows_forward<float>(N, C, D, 1e-12, uf.data(), wf.data(), out2.data());
      CHECK(out == out2);
      XRDID_CHECK_CLOSE(std::vector<double>(out.begin(), out.end()), ref, 1e-5, 1e-5);
      std::vector<double> outd(ref.size(), std::nan(""));
      ops::cosine_rows_forward<double>(N, C, D, 1e-12, u.data(), w.data(), outd.data());
      XRDID_CHECK_CLOSE(outd, ref, 1e-12, 1e-12);
    }
  }
  // CosineHead: the one-pass forward (no gradient) against normalise + matmul (gradient recorded).
  Rng rng(3);
  CosineHead head(50, 32, rng);
  const Tensor e = rand_tensor({6, 32}, 40, -1, 1, DType::F32);
  const Tensor graph = head.forward(Var(e, true)).value();
  Tensor quick;
  {
    NoGradGuard ng;
    quick = head.forward(Var(e, true)).value();
  }
  XRDID_CHECK_CLOSE(quick.to_vector(), graph.to_vector(), 1e-5, 1e-6);
  CHECK_THROWS_AS(F::cosine_rows(Var(e, true), head.weight), std::runtime_error);
}
