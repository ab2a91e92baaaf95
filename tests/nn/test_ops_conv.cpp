// conv1d raw ops against a naive double-precision reference written here, in float and double;
// the "same" padding table of docs/method.md §7.2; the accumulate contract; an opt-in timing case.
#include <doctest/doctest.h>

#include <chrono>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "gradcheck.hpp"
#include "nn/cpu_path.hpp"
#include "nn/ops/conv1d.hpp"

using namespace xrdid;
using nn::ops::Conv1dShape;
using xrdid::test::rand_tensor;

namespace {

// Naive reference: y[n,co,l] = b[co] + sum_{ci in group, k} w[co,ci,k] x[n, g*Cgi+ci, l*s + k*d - pl].
void ref_forward(const Conv1dShape& s, const std::vector<double>& x, const std::vector<double>& w,
                 const std::vector<double>& b, std::vector<double>& y) {
  const std::int64_t Cgi = s.C_in / s.groups, Cgo = s.C_out / s.groups;
  y.assign(static_cast<std::size_t>(s.N * s.C_out * s.L_out), 0.0);
  for (std::int64_t n = 0; n < s.N; ++n)
    for (std::int64_t co = 0; co < s.C_out; ++co) {
      const std::int64_t g = co / Cgo;
      for (std::int64_t l = 0; l < s.L_out; ++l) {
        double acc = b.empty() ? 0.0 : b[co];
        for (std::int64_t ci = 0; ci < Cgi; ++ci)
          for (std::int64_t k = 0; k < s.K; ++k) {
            const std::int64_t p = l * s.stride + k * s.dilation - s.pad_left;
            if (p < 0 || p >= s.L_in) continue;
            acc += w[(co * Cgi + ci) * s.K + k] * x[((n * s.C_in) + g * Cgi + ci) * s.L_in + p];
          }
        y[(n * s.C_out + co) * s.L_out + l] = acc;
      }
    }
}

void ref_backward(const Conv1dShape& s, const std::vector<double>& x, const std::vector<double>& w,
                  const std::vector<double>& dy, std::vector<double>& dx, std::vector<double>& dw,
                  std::vector<double>& db) {
  const std::int64_t Cgi = s.C_in / s.groups, Cgo = s.C_out / s.groups;
  dx.assign(x.size(), 0.0);
  dw.assign(w.size(), 0.0);
  db.assign(static_cast<std::size_t>(s.C_out), 0.0);
  for (std::int64_t n = 0; n < s.N; ++n)
    for (std::int64_t co = 0; co < s.C_out; ++co) {
      const std::int64_t g = co / Cgo;
      for (std::int64_t l = 0; l < s.L_out; ++l) {
        const double d = dy[(n * s.C_out + co) * s.L_out + l];
        db[co] += d;
        for (std::int64_t ci = 0; ci < Cgi; ++ci)
          for (std::int64_t k = 0; k < s.K; ++k) {
            const std::int64_t p = l * s.stride + k * s.dilation - s.pad_left;
            if (p < 0 || p >= s.L_in) continue;
            const std::size_t xi = ((n * s.C_in) + g * Cgi + ci) * s.L_in + p;
            dw[(co * Cgi + ci) * s.K + k] += d * x[xi];
            dx[xi] += d * w[(co * Cgi + ci) * s.K + k];
          }
      }
    }
}

template <class T>
std::vector<T> cast(const std::vector<double>& v) {
  return std::vector<T>(v.begin(), v.end());
}
template <class T>
std::vector<double> widen(const std::vector<T>& v) {
  return std::vector<double>(v.begin(), v.end());
}

// On the process's CPU path (cpu_path()) when path is null, else on *path (conv1d_*_on).
template <class T>
void check_against_reference(const Conv1dShape& s, std::uint64_t seed, const nn::CpuPath* path = nullptr) {
  const std::vector<double> x = rand_tensor({s.N, s.C_in, s.L_in}, seed).to_vector();
  const std::vector<double> w = rand_tensor({s.C_out, s.C_in / s.groups, s.K}, seed + 1).to_vector();
  const std::vector<double> b = rand_tensor({s.C_out}, seed + 2).to_vector();
  const std::vector<double> dy = rand_tensor({s.N, s.C_out, s.L_out}, seed + 3).to_vector();
  std::vector<double> y_ref, dx_ref, dw_ref, db_ref;
  ref_forward(s, x, w, b, y_ref);
  ref_backward(s, x, w, dy, dx_ref, dw_ref, db_ref);
  const auto xt = cast<T>(x), wt = cast<T>(w), bt = cast<T>(b), dyt = cast<T>(dy);
  std::vector<T> y(y_ref.size()), dx(x.size(), T(0)), dw(w.size(), T(0)), db(b.size(), T(0));
  if (path) {
    nn::ops::conv1d_forward_on<T>(*path, s, xt.data(), wt.data(), bt.data(), y.data());
    nn::ops::conv1d_backward_on<T>(*path, s, xt.data(), wt.data(), dyt.data(), dx.data(), dw.data(), db.data());
    // Deterministic per path: a second run gives the same bits.
    std::vector<T> y2(y.size()), dx2(dx.size(), T(0)), dw2(dw.size(), T(0)), db2(db.size(), T(0));
    nn::ops::conv1d_forward_on<T>(*path, s, xt.data(), wt.data(), bt.data(), y2.data());
    nn::ops::conv1d_backward_on<T>(*path, s, xt.data(), wt.data(), dyt.data(), dx2.data(), dw2.data(), db2.data());
    CHECK(y2 == y);
    CHECK(dx2 == dx);
    CHECK(dw2 == dw);
    CHECK(db2 == db);
  } else {
    nn::ops::conv1d_forward<T>(s, xt.data(), wt.data(), bt.data(), y.data());
    nn::ops::conv1d_backward<T>(s, xt.data(), wt.data(), dyt.data(), dx.data(), dw.data(), db.data());
  }
  // Sums of n products of O(1) values: rtol and atol ~ sqrt(n) * machine epsilon (rule 6),
  // with a factor 4 margin; n = the longest reduction of the op (Cgi*K, or N*L_out for dw).
  const double e = std::is_same_v<T, float> ? FLT_EPSILON : DBL_EPSILON;
  const double n_fwd = static_cast<double>(s.C_in / s.groups * s.K);
  const double n_dw = static_cast<double>(s.N * s.L_out);
  const double n_dx = static_cast<double>(s.C_out / s.groups * s.K);
  XRDID_CHECK_CLOSE(widen(y), y_ref, 4 * std::sqrt(n_fwd) * e, 4 * std::sqrt(n_fwd) * e);
  XRDID_CHECK_CLOSE(widen(dx), dx_ref, 4 * std::sqrt(n_dx) * e, 4 * std::sqrt(n_dx) * e);
  XRDID_CHECK_CLOSE(widen(dw), dw_ref, 4 * std::sqrt(n_dw) * e, 4 * std::sqrt(n_dw) * e);
  XRDID_CHECK_CLOSE(widen(db), db_ref, 4 * std::sqrt(n_dw) * e, 4 * std::sqrt(n_dw) * e);
}

struct Case {
  std::int64_t N, Ci, Co, L, K, stride, dil, groups;
  std::string describe() const {
    char buf[128];
    std::snprintf(buf, sizeof buf, "N%lld Ci%lld Co%lld L%lld K%lld s%lld d%lld G%lld", (long long)N, (long long)Ci,
                  (long long)Co, (long long)L, (long long)K, (long long)stride, (long long)dil, (long long)groups);
    return buf;
  }
};

// Edge cases (N = 1, K = 1, groups 1 / C, stride 2, odd channel counts, odd L) plus reduced
// versions of the Net1D shapes (16 channels per group, K = 16, the stem, 1x1 with short rows).
const Case kCases[] = {
    {1, 1, 1, 1, 1, 1, 1, 1},     {1, 3, 5, 7, 3, 1, 1, 1},    {2, 6, 6, 11, 3, 2, 1, 6},
    {3, 4, 6, 10, 5, 2, 2, 2},    {2, 5, 5, 9, 1, 1, 1, 1},    {2, 5, 10, 150, 1, 1, 1, 1},
    {3, 1, 8, 120, 16, 2, 1, 1},  {4, 32, 32, 47, 16, 2, 1, 2}, {4, 32, 32, 24, 16, 1, 1, 2},
    {2, 32, 32, 95, 16, 2, 1, 2}, {5, 64, 64, 12, 1, 1, 1, 1}, {2, 16, 16, 3, 16, 1, 1, 1},
    {2, 4, 8, 6, 1, 2, 1, 2},      {2, 1, 16, 120, 16, 2, 1, 1}, {2, 1, 64, 33, 16, 2, 1, 1},
    {2, 16, 32, 20, 5, 3, 1, 1},   {1, 32, 32, 17, 1, 2, 1, 2},  {2, 16, 16, 40, 2, 2, 1, 1},
    {1, 16, 16, 30, 20, 1, 1, 1},  {2, 32, 16, 9, 16, 2, 1, 1},
};

}  // namespace

TEST_CASE("conv1d same padding follows docs/method.md §7.2") {
  const Conv1dShape s1 = Conv1dShape::same(1, 1, 1, 1500, 16, 1);
  CHECK(s1.pad_left == 7);
  CHECK(s1.pad_right == 8);
  CHECK(s1.L_out == 1500);
  const Conv1dShape s2 = Conv1dShape::same(1, 1, 1, 6000, 16, 2);
  CHECK(s2.pad_left == 7);
  CHECK(s2.pad_right == 7);
  CHECK(s2.L_out == 3000);
  const Conv1dShape s3 = Conv1dShape::same(1, 1, 1, 375, 16, 2);
  CHECK(s3.pad_left == 7);
  CHECK(s3.pad_right == 8);
  CHECK(s3.L_out == 188);
  const Conv1dShape s4 = Conv1dShape::same(1, 1, 1, 47, 16, 2);
  CHECK(s4.L_out == 24);
  CHECK(s4.pad_right == 8);
  const Conv1dShape s5 = Conv1dShape::same(1, 4, 4, 10, 1, 1);
  CHECK(s5.pad_left + s5.pad_right == 0);
  const Conv1dShape s6 = Conv1dShape::same(1, 1, 1, 9, 3, 1, 2);  // dilated: span 5 -> 2/2
  CHECK(s6.pad_left == 2);
  CHECK(s6.pad_right == 2);
  CHECK_THROWS_AS(Conv1dShape::same(1, 6, 4, 10, 3, 1, 1, 4), std::runtime_error);
  CHECK_THROWS_AS(Conv1dShape::padded(1, 1, 1, 3, 5, 1, 1, 1, 0, 0), std::runtime_error);
}

TEST_CASE("conv1d forward and backward match the naive reference (float and double)") {
  std::uint64_t seed = 500;
  for (const Case& c : kCases) {
    CAPTURE(c.describe());
    const Conv1dShape s = Conv1dShape::same(c.N, c.Ci, c.Co, c.L, c.K, c.stride, c.dil, c.groups);
    check_against_reference<double>(s, seed);
    check_against_reference<float>(s, seed);
    seed += 10;
  }
  // explicit asymmetric padding
  const Conv1dShape p = Conv1dShape::padded(2, 4, 4, 13, 4, 3, 1, 2, 3, 0);
  check_against_reference<float>(p, 900);
  check_against_reference<double>(p, 900);
}

TEST_CASE("conv1d on every CPU path this machine supports matches the naive reference") {
  // The direct kernels (16k channels per group) and the 1x1 GEMMs are compiled for each path of
  // nn/cpu_path.hpp; every supported one is checked here, whatever XRDID_CPU says. The Net1D
  // shapes at full width (1024 channels, 64 groups) run the threaded kernels.
  const Case net_cases[] = {{2, 1024, 1024, 47, 16, 1, 1, 64}, {3, 256, 256, 95, 16, 2, 1, 16},
                            {1, 128, 256, 40, 1, 1, 1, 1}};
  for (nn::CpuPath path : {nn::CpuPath::avx512, nn::CpuPath::avx2, nn::CpuPath::portable}) {
    if (!nn::cpu_supports(path)) continue;
    CAPTURE(std::string(nn::cpu_path_name(path)));
    std::uint64_t seed = 700;
    for (const Case& c : kCases) {
      CAPTURE(c.describe());
      const Conv1dShape s = Conv1dShape::same(c.N, c.Ci, c.Co, c.L, c.K, c.stride, c.dil, c.groups);
      check_against_reference<double>(s, seed, &path);
      check_against_reference<float>(s, seed, &path);
      seed += 10;
    }
    for (const Case& c : net_cases) {
      CAPTURE(c.describe());
      check_against_reference<float>(Conv1dShape::same(c.N, c.Ci, c.Co, c.L, c.K, c.stride, c.dil, c.groups), seed++,
                                     &path);
    }
  }
}

TEST_CASE("conv1d backward accumulates into dx, dw, db and honours nullptr") {
  for (const Case& c : {Case{2, 4, 4, 9, 3, 2, 1, 2}, Case{3, 5, 6, 20, 1, 1, 1, 1}, Case{2, 1, 4, 400, 3, 2, 1, 1}}) {
    CAPTURE(c.describe());
    const Conv1dShape s = Conv1dShape::same(c.N, c.Ci, c.Co, c.L, c.K, c.stride, c.dil, c.groups);
    const auto x = rand_tensor({s.N, s.C_in, s.L_in}, 1).to_vector();
    const auto w = rand_tensor({s.C_out, s.C_in / s.groups, s.K}, 2).to_vector();
    const auto dy = rand_tensor({s.N, s.C_out, s.L_out}, 3).to_vector();
    std::vector<double> dx0(x.size(), 0.0), dw0(w.size(), 0.0), db0(static_cast<std::size_t>(s.C_out), 0.0);
    nn::ops::conv1d_backward<double>(s, x.data(), w.data(), dy.data(), dx0.data(), dw0.data(), db0.data());
    std::vector<double> dx9(x.size(), 9.0), dw9(w.size(), 9.0), db9(db0.size(), 9.0);
    nn::ops::conv1d_backward<double>(s, x.data(), w.data(), dy.data(), dx9.data(), dw9.data(), db9.data());
    auto plus9 = [](std::vector<double> v) {
      for (double& t : v) t += 9.0;
      return v;
    };
    XRDID_CHECK_CLOSE(dx9, plus9(dx0), 1e-12, 1e-12);
    XRDID_CHECK_CLOSE(dw9, plus9(dw0), 1e-12, 1e-12);
    XRDID_CHECK_CLOSE(db9, plus9(db0), 1e-12, 1e-12);
    // Only dw requested: dx, db untouched (nullptr), dw still exact.
    std::vector<double> dw_only(w.size(), 0.0);
    nn::ops::conv1d_backward<double>(s, x.data(), w.data(), dy.data(), nullptr, dw_only.data(), nullptr);
    XRDID_CHECK_CLOSE(dw_only, dw0, 1e-12, 1e-12);
    std::vector<double> dx_only(x.size(), 0.0);
    nn::ops::conv1d_backward<double>(s, x.data(), w.data(), dy.data(), dx_only.data(), nullptr, nullptr);
    XRDID_CHECK_CLOSE(dx_only, dx0, 1e-12, 1e-12);
  }
}

TEST_CASE("conv1d forward from weights laid out once: the same bits as the forward; none for 1x1 and im2col") {
  // Direct-kernel shapes: stride 1 and 2, K a multiple of the stride or not, 16 and 32 channels per
  // group, with and without bias.
  const Case cases[] = {{2, 64, 64, 47, 16, 1, 1, 4}, {3, 32, 64, 40, 3, 2, 1, 1}, {1, 256, 256, 24, 5, 2, 1, 8}};
  std::uint64_t seed = 1200;
  for (const Case& c : cases) {
    CAPTURE(c.describe());
    const Conv1dShape s = Conv1dShape::same(c.N, c.Ci, c.Co, c.L, c.K, c.stride, c.dil, c.groups);
    const std::int64_t n = nn::ops::conv1d_forward_layout_size(s);
    REQUIRE(n >= s.C_out * (s.C_in / s.groups) * s.K);  // every weight, taps past K padded with 0
    const auto x = cast<float>(rand_tensor({s.N, s.C_in, s.L_in}, seed).to_vector());
    const auto w = cast<float>(rand_tensor({s.C_out, s.C_in / s.groups, s.K}, seed + 1).to_vector());
    const auto b = cast<float>(rand_tensor({s.C_out}, seed + 2).to_vector());
    seed += 3;
    std::vector<float> layout(static_cast<std::size_t>(n), std::nanf(""));
    nn::ops::conv1d_forward_layout<float>(s, w.data(), layout.data());
    for (const float* bias : {b.data(), static_cast<const float*>(nullptr)}) {
      std::vector<float> y0(static_cast<std::size_t>(s.N * s.C_out * s.L_out), std::nanf(""));
      std::vector<float> y1(y0.size(), std::nanf(""));
      nn::ops::conv1d_forward<float>(s, x.data(), w.data(), bias, y0.data());
      nn::ops::conv1d_forward_laid_out<float>(s, x.data(), layout.data(), bias, y1.data());
      bool same = true;
      for (std::size_t i = 0; i < y0.size(); ++i) same = same && std::isfinite(y1[i]) && y1[i] == y0[i];
      CHECK(same);
    }
    // The layout does not depend on the batch or the length.
    const Conv1dShape other = Conv1dShape::same(c.N + 3, c.Ci, c.Co, c.L + 17, c.K, c.stride, c.dil, c.groups);
    CHECK(nn::ops::conv1d_forward_layout_size(other) == n);
  }
  for (const Case& c : {Case{2, 16, 32, 20, 1, 1, 1, 1}, Case{2, 4, 4, 9, 3, 2, 1, 2}, Case{2, 32, 32, 30, 3, 1, 2, 2}}) {
    CAPTURE(c.describe());
    const Conv1dShape s = Conv1dShape::same(c.N, c.Ci, c.Co, c.L, c.K, c.stride, c.dil, c.groups);
    CHECK(nn::ops::conv1d_forward_layout_size(s) == 0);
    std::vector<float> w(static_cast<std::size_t>(s.C_out * (s.C_in / s.groups) * s.K), 1.f), out(4);
    CHECK_THROWS_WITH(nn::ops::conv1d_forward_layout<float>(s, w.data(), out.data()),
                      doctest::Contains("reads the weights as they are"));
  }
}

// Opt-in timing (not part of the normal run):  test_nn -tc="conv1d timing*" --no-skip
TEST_CASE("conv1d timing at Net1D shapes" * doctest::skip()) {
  struct T {
    const char* name;
    Conv1dShape s;
  };
  const T shapes[] = {
      {"stage5 k16 s1 G64 C1024 L47", Conv1dShape::same(16, 1024, 1024, 47, 16, 1, 1, 64)},
      {"stage1 k16 s1 G10 C160 L750", Conv1dShape::same(16, 160, 160, 750, 16, 1, 1, 10)},
      {"stem   k16 s2 G1 1->64 L6000", Conv1dShape::same(16, 1, 64, 6000, 16, 2, 1, 1)},
      {"1x1 C1024 L47", Conv1dShape::same(16, 1024, 1024, 47, 1, 1, 1, 1)},
      {"1x1 C160 L750", Conv1dShape::same(16, 160, 160, 750, 1, 1, 1, 1)},
  };
  for (const T& t : shapes) {
    const Conv1dShape& s = t.s;
    std::vector<float> x(static_cast<std::size_t>(s.N * s.C_in * s.L_in), 0.5f);
    std::vector<float> w(static_cast<std::size_t>(s.C_out * s.C_in / s.groups * s.K), 0.01f);
    std::vector<float> b(static_cast<std::size_t>(s.C_out), 0.1f);
    std::vector<float> y(static_cast<std::size_t>(s.N * s.C_out * s.L_out));
    std::vector<float> dx(x.size()), dw(w.size()), db(b.size());
    auto time_it = [](auto&& fn) {
      fn();  // warm-up
      const int reps = 5;
      auto t0 = std::chrono::steady_clock::now();
      for (int i = 0; i < reps; ++i) fn();
      return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / reps;
    };
    const double tf = time_it([&] { nn::ops::conv1d_forward<float>(s, x.data(), w.data(), b.data(), y.data()); });
    const double tb = time_it([&] {
      nn::ops::conv1d_backward<float>(s, x.data(), w.data(), y.data(), dx.data(), dw.data(), db.data());
    });
    std::printf("%-30s fwd %8.3f ms %7.1f GFLOP/s | bwd (dx+dw) %8.3f ms %7.1f GFLOP/s\n", t.name, tf * 1e3,
                s.flops() / tf * 1e-9, tb * 1e3, 2 * s.flops() / tb * 1e-9);
    CHECK(tf > 0);
  }
}
