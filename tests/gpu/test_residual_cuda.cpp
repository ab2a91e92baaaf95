// The fused end of a Net1D block on the GPU against its CPU reference (nn/ops/residual.hpp).
#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <vector>

#include "gpu_test_util.hpp"
#include "kernels/ops_cuda.hpp"
#include "nn/ops/residual.hpp"

using namespace xrdid;

namespace {

template <class T>
void gpu_residual(nn::ops::ResidualShape s) {
  std::mt19937_64 rng(static_cast<std::uint64_t>(s.N * 7 + s.C_in * 3 + s.L_in));
  const std::int64_t Lo = s.L_out();
  auto h = gputest::uniform<T>(static_cast<std::size_t>(s.N * s.C_out * Lo), rng);
  auto e = gputest::uniform<T>(static_cast<std::size_t>(s.N * s.C_out), rng);
  auto x = gputest::uniform<T>(static_cast<std::size_t>(s.N * s.C_in * s.L_in), rng);
  auto dy = gputest::uniform<T>(h.size(), rng);
  auto dx0 = gputest::uniform<T>(x.size(), rng);
  std::vector<T> y(h.size()), dx = dx0;
  nn::ops::residual_se_forward<T>(s, h.data(), e.data(), x.data(), y.data());
  nn::ops::residual_shortcut_backward<T>(s, x.data(), dy.data(), dx.data());
  auto dh = gputest::to_dev(h), de = gputest::to_dev(e), dxx = gputest::to_dev(x), ddy = gputest::to_dev(dy);
  auto gy = gputest::poisoned<T>(y.size());
  auto gdx = gputest::to_dev(dx0);
  cuda::residual_se_forward<T>(s, dh.data(), de.data(), dxx.data(), gy.data(), nullptr);
  cuda::residual_shortcut_backward<T>(s, dxx.data(), ddy.data(), gdx.data(), nullptr);
  XRDID_CUDA_CHECK(cudaDeviceSynchronize());
  const auto hy = gy.to_host(), hdx = gdx.to_host();
  // Forward: one product and one sum; FMA contraction on either side rounds once less: 2 ulp.
  const double eps = std::is_same_v<T, float> ? 1.2e-7 : 2.3e-16;
  double d = 0;
  for (std::size_t i = 0; i < y.size(); ++i)
    d = std::max(d, std::abs(static_cast<double>(hy[i]) - y[i]) / (1 + std::abs(static_cast<double>(y[i]))));
  CHECK(d <= 2 * eps);  // NaN (an unwritten output) fails
  // Backward: the same single addition per element, the same max-pool winner: exact.
  int diff = 0;
  for (std::size_t i = 0; i < dx.size(); ++i) diff += hdx[i] != dx[i];
  CHECK(diff == 0);
}

}  // namespace

TEST_CASE("GPU fused SE + shortcut equals the CPU op") {
  for (auto s : {nn::ops::ResidualShape{2, 4, 4, 10, false, 0}, nn::ops::ResidualShape{2, 64, 160, 3001, true, 48},
                 nn::ops::ResidualShape{1, 3, 8, 7, true, 2}, nn::ops::ResidualShape{1, 2, 6, 1, true, 2},
                 nn::ops::ResidualShape{16, 400, 1024, 94, true, 312}}) {
    gpu_residual<float>(s);
    gpu_residual<double>(s);
  }
}
