// The fused end of a Net1D block (nn/ops/residual.hpp) against the composition of the separate
// ops it replaces: scale_channels + max_pool_same2 + pad_channels + add, forward and backward.
#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <vector>

#include "nn/ops/channel.hpp"
#include "nn/ops/elementwise.hpp"
#include "nn/ops/pool.hpp"
#include "nn/ops/residual.hpp"
#include "common/worst.hpp"

using namespace xrdid::nn::ops;

namespace {

void check_residual(ResidualShape s) {
  std::mt19937_64 rng(static_cast<std::uint64_t>(s.N * 131 + s.C_in * 17 + s.L_in));
  std::uniform_real_distribution<double> u(-1, 1);
  const std::int64_t Lo = s.L_out();
  auto rnd = [&](std::int64_t n) {
    std::vector<double> v(static_cast<std::size_t>(n));
    for (auto& e : v) e = u(rng);
    return v;
  };
  auto h = rnd(s.N * s.C_out * Lo), e = rnd(s.N * s.C_out), x = rnd(s.N * s.C_in * s.L_in), dy = rnd(s.N * s.C_out * Lo);
  if (s.downsample && s.L_in > 3) x[2] = x[3];  // a tie: the left element wins in both versions
  // Composition.
  std::vector<double> o(h.size()), pooled(static_cast<std::size_t>(s.N * s.C_in * Lo)), padded(h.size()), ref(h.size());
  scale_channels_forward<double>(s.N, s.C_out, Lo, h.data(), e.data(), o.data());
  const double* sc = x.data();
  if (s.downsample) {
    maxpool_same2_forward<double>(s.N * s.C_in, s.L_in, x.data(), pooled.data());
    sc = pooled.data();
  }
  pad_channels_forward<double>(s.N, s.C_in, Lo, s.before, s.C_out - s.C_in - s.before, sc, padded.data());
  add_forward<double>(static_cast<std::int64_t>(h.size()), o.data(), padded.data(), ref.data());
  std::vector<double> y(h.size(), NAN);
  residual_se_forward<double>(s, h.data(), e.data(), x.data(), y.data());
  double d = 0;
  for (std::size_t i = 0; i < y.size(); ++i) d = xrdid::testing::worse(d, std::abs(y[i] - ref[i]));
  CHECK(d == 0.0);  // residual.cpp is built without FMA contraction: the same two roundings
  // Backward of the shortcut: pad backward, then max-pool backward, onto non-zero gradients.
  std::vector<double> dref = rnd(s.N * s.C_in * s.L_in), dx = dref, dpool(pooled.size(), 0.0);
  if (s.downsample) {
    pad_channels_backward<double>(s.N, s.C_in, Lo, s.before, s.C_out - s.C_in - s.before, dy.data(), dpool.data());
    maxpool_same2_backward<double>(s.N * s.C_in, s.L_in, x.data(), dpool.data(), dref.data());
  } else {
    pad_channels_backward<double>(s.N, s.C_in, Lo, s.before, s.C_out - s.C_in - s.before, dy.data(), dref.data());
  }
  residual_shortcut_backward<double>(s, x.data(), dy.data(), dx.data());
  d = 0;
  for (std::size_t i = 0; i < dx.size(); ++i) d = xrdid::testing::worse(d, std::abs(dx[i] - dref[i]));
  CHECK(d == 0.0);  // the same single addition per element
}

}  // namespace

TEST_CASE("fused SE + shortcut equals scale, max-pool, pad and add, forward and backward") {
  check_residual({2, 4, 4, 10, false, 0});   // identity shortcut
  check_residual({2, 4, 4, 11, true, 0});    // pooled, odd length (appended zero)
  check_residual({3, 4, 8, 9, true, 2});     // pooled and padded 2/2
  check_residual({1, 3, 8, 7, true, 2});     // asymmetric padding 2/3, batch 1
  check_residual({1, 2, 6, 1, true, 2});     // length 1: the window is (x, 0)
  check_residual({2, 5, 9, 6, false, 2});    // padded without pooling
}

TEST_CASE("fused residual refuses inconsistent shapes") {
  std::vector<double> a(64), b(64);
  CHECK_THROWS_WITH(residual_se_forward<double>({1, 4, 2, 4, false, 0}, a.data(), a.data(), a.data(), b.data()),
                    doctest::Contains("inconsistent"));
  CHECK_THROWS_WITH(residual_shortcut_backward<double>({1, 2, 4, 4, false, 3}, a.data(), a.data(), b.data()),
                    doctest::Contains("inconsistent"));
}
