// The float GEMM of the 1x1 convolutions and the linear layers (nn/ops/sgemm.hpp) on every CPU
// path this machine supports (nn/cpu_path.hpp: avx512, avx2, portable), against a double
// reference: shapes that are not multiples of the register tiles (8 x 48, 6 x 16) or the cache
// blocks (KC 256, NC 480, MC 128 / 120), transposes, accumulation, row strides wider than the
// rows, NaN propagation, the narrow products computed as their transposes, and the XRDID_CPU
// choice.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "nn/cpu_path.hpp"
#include "nn/ops/sgemm.hpp"

using namespace xrdid::nn;

namespace {

std::vector<CpuPath> supported_paths() { return supported_cpu_paths(); }

// Uniform in [-1, 1) from a 64-bit LCG (the same numbers on every platform).
std::vector<float> rand_floats(std::size_t n, std::uint64_t seed) {
  std::vector<float> v(n);
  std::uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
  for (float& x : v) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    x = static_cast<float>(static_cast<double>(s >> 40) / static_cast<double>(1ull << 23) - 1.0);
  }
  return v;
}

struct Case {
  std::int64_t M, N, K;
  bool ta, tb, acc;
  std::int64_t lda() const { return (ta ? M : K) + 3; }
  std::int64_t ldb() const { return (tb ? K : N) + 5; }
  std::int64_t ldc() const { return N + 2; }
  float a(const std::vector<float>& A, std::int64_t i, std::int64_t k) const {
    return ta ? A[k * lda() + i] : A[i * lda() + k];
  }
  float b(const std::vector<float>& B, std::int64_t k, std::int64_t j) const {
    return tb ? B[j * ldb() + k] : B[k * ldb() + j];
  }
};

void run(CpuPath p, const Case& c, const std::vector<float>& A, const std::vector<float>& B, std::vector<float>& C) {
  xrdid::nn::ops::detail::sgemm_on(p, c.ta, c.tb, c.M, c.N, c.K, A.data(), c.lda(), B.data(), c.ldb(), C.data(),
                                   c.ldc(), c.acc);
}

}  // namespace

TEST_CASE("sgemm matches a double-precision product on every supported CPU path") {
  const std::int64_t dims[][3] = {{1, 1, 1},    {5, 15, 3},    {6, 16, 8},     {7, 47, 5},    {8, 48, 16},
                                  {9, 49, 257}, {13, 17, 31},  {121, 33, 513}, {17, 97, 600}, {130, 481, 300},
                                  {130, 24, 300}, {97, 1, 33},  {200, 32, 600}};
  for (CpuPath p : supported_paths())
    for (const auto& d : dims)
      for (int ta = 0; ta < 2; ++ta)
        for (int tb = 0; tb < 2; ++tb)
          for (int acc = 0; acc < 2; ++acc) {
            const Case c{d[0], d[1], d[2], ta != 0, tb != 0, acc != 0};
            const std::uint64_t seed = static_cast<std::uint64_t>(c.M * 1000003 + c.N * 1009 + c.K);
            const std::vector<float> A = rand_floats(static_cast<std::size_t>((ta ? c.K : c.M) * c.lda()), seed);
            const std::vector<float> B = rand_floats(static_cast<std::size_t>((tb ? c.N : c.K) * c.ldb()), seed + 1);
            const std::vector<float> C0 = rand_floats(static_cast<std::size_t>(c.M * c.ldc()), seed + 2);
            std::vector<float> C = C0, C2 = C0;
            run(p, c, A, B, C);
            run(p, c, A, B, C2);
            // Error bound of a float sum of K + 1 products and terms, each rounded once (FMA) or
            // twice: gamma_{2K+2} * (|C0| + sum_k |a b|), well above what any order gives.
            const double u = std::numeric_limits<float>::epsilon() / 2;
            const double gamma = (2.0 * static_cast<double>(c.K) + 2.0) * u / (1.0 - (2.0 * c.K + 2.0) * u);
            std::int64_t bad = 0, pad_bad = 0;
            double worst = 0;
            for (std::int64_t i = 0; i < c.M; ++i) {
              for (std::int64_t j = 0; j < c.N; ++j) {
                double ref = c.acc ? C0[i * c.ldc() + j] : 0.0, mag = std::fabs(ref);
                for (std::int64_t k = 0; k < c.K; ++k) {
                  const double t = static_cast<double>(c.a(A, i, k)) * static_cast<double>(c.b(B, k, j));
                  ref += t;
                  mag += std::fabs(t);
                }
                const double err = std::fabs(ref - C[i * c.ldc() + j]);
                worst = std::max(worst, err / (mag + 1e-30));
                if (!(err <= gamma * mag)) ++bad;
              }
              // Columns of C beyond N are never written.
              for (std::int64_t j = c.N; j < c.ldc(); ++j) pad_bad += C[i * c.ldc() + j] != C0[i * c.ldc() + j];
            }
            const std::string path = cpu_path_name(p);
            CAPTURE(path);
            CAPTURE(c.M);
            CAPTURE(c.N);
            CAPTURE(c.K);
            CAPTURE(ta);
            CAPTURE(tb);
            CAPTURE(acc);
            CAPTURE(worst);
            CHECK(bad == 0);
            CHECK(pad_bad == 0);
            // Deterministic: the same call gives the same bits.
            CHECK(std::memcmp(C.data(), C2.data(), C.size() * sizeof(float)) == 0);
          }
}

TEST_CASE("sgemm: a narrow product (computed as its transpose) gives the bits of the same columns of a wide one") {
  // The packed paths (Eigen's blocking, on the portable path, may depend on N).
  const std::int64_t M = 150, K = 700, Nn = 24, Nw = 64;
  for (CpuPath p : supported_paths()) {
    if (p == CpuPath::portable) continue;
    for (int ta = 0; ta < 2; ++ta)
      for (int acc = 0; acc < 2; ++acc) {
        CAPTURE(std::string(cpu_path_name(p)));
        CAPTURE(ta);
        CAPTURE(acc);
        const std::vector<float> A = rand_floats(static_cast<std::size_t>(M * K), 31);
        const std::vector<float> B = rand_floats(static_cast<std::size_t>(K * Nw), 32);
        const std::vector<float> C0 = rand_floats(static_cast<std::size_t>(M * Nw), 33);
        std::vector<float> Cw = C0, Cn = C0;
        const std::int64_t lda = ta ? M : K;
        // The wide product (64 columns) and the narrow one over its first 24 (ldb = ldc = 64).
        xrdid::nn::ops::detail::sgemm_on(p, ta != 0, false, M, Nw, K, A.data(), lda, B.data(), Nw, Cw.data(), Nw,
                                         acc != 0);
        xrdid::nn::ops::detail::sgemm_on(p, ta != 0, false, M, Nn, K, A.data(), lda, B.data(), Nw, Cn.data(), Nw,
                                         acc != 0);
        std::int64_t differ = 0, pad_changed = 0;
        for (std::int64_t i = 0; i < M; ++i) {
          for (std::int64_t j = 0; j < Nn; ++j) differ += std::memcmp(&Cw[i * Nw + j], &Cn[i * Nw + j], sizeof(float)) != 0;
          for (std::int64_t j = Nn; j < Nw; ++j) pad_changed += Cn[i * Nw + j] != C0[i * Nw + j];
        }
        CHECK(differ == 0);
        CHECK(pad_changed == 0);
        CHECK(std::isfinite(Cn[0]));
      }
  }
}

TEST_CASE("sgemm propagates NaN from A and B, ignores C without accumulate, keeps it with") {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (CpuPath p : supported_paths())
    for (int ta = 0; ta < 2; ++ta)
      for (int tb = 0; tb < 2; ++tb) {
        // 19 x 53 x 300: partial tiles in both directions and two KC chunks over k.
        Case c{19, 53, 300, ta != 0, tb != 0, false};
        std::vector<float> A = rand_floats(static_cast<std::size_t>((c.ta ? c.K : c.M) * c.lda()), 7);
        std::vector<float> B = rand_floats(static_cast<std::size_t>((c.tb ? c.N : c.K) * c.ldb()), 8);
        const std::int64_t ia = 17, ka = 280, kb = 3, jb = 50;  // NaN at A(17, 280) and B(3, 50)
        (c.ta ? A[ka * c.lda() + ia] : A[ia * c.lda() + ka]) = nan;
        (c.tb ? B[jb * c.ldb() + kb] : B[kb * c.ldb() + jb]) = nan;
        std::vector<float> C(static_cast<std::size_t>(c.M * c.ldc()), nan);  // C all NaN before
        run(p, c, A, B, C);
        std::int64_t wrong = 0;
        for (std::int64_t i = 0; i < c.M; ++i)
          for (std::int64_t j = 0; j < c.N; ++j)
            wrong += std::isnan(C[i * c.ldc() + j]) != (i == ia || j == jb);
        const std::string path = cpu_path_name(p);
        CAPTURE(path);
        CAPTURE(ta);
        CAPTURE(tb);
        CHECK(wrong == 0);
        // Accumulating onto a NaN keeps it; onto finite values adds the (finite) products.
        c.acc = true;
        std::vector<float> C2(static_cast<std::size_t>(c.M * c.ldc()), 1.f);
        C2[2 * c.ldc() + 5] = nan;
        run(p, c, A, B, C2);
        wrong = 0;
        for (std::int64_t i = 0; i < c.M; ++i)
          for (std::int64_t j = 0; j < c.N; ++j)
            wrong += std::isnan(C2[i * c.ldc() + j]) != (i == ia || j == jb || (i == 2 && j == 5));
        CHECK(wrong == 0);
      }
}

TEST_CASE("sgemm with K = 0 writes zeros, or leaves C as it is when accumulating") {
  for (CpuPath p : supported_paths()) {
    const Case c{9, 50, 0, false, false, false};
    std::vector<float> A(16, 1.f), B(64, 1.f), C(static_cast<std::size_t>(c.M * c.ldc()), 3.f);
    run(p, Case{9, 50, 0, false, false, true}, A, B, C);
    CHECK(C[0] == 3.f);
    run(p, c, A, B, C);
    bool ok = true;
    for (std::int64_t i = 0; i < c.M; ++i)
      for (std::int64_t j = 0; j < c.ldc(); ++j) ok = ok && C[i * c.ldc() + j] == (j < c.N ? 0.f : 3.f);
    CHECK(ok);
  }
}

TEST_CASE("XRDID_CPU: the CPU path by name, refused when unknown or unsupported") {
  // Unset or empty: the best path this CPU has.
  const CpuPath best = cpu_path_for(nullptr);
  CHECK(cpu_supports(best));
  CHECK(cpu_path_for("") == best);
  for (CpuPath p : {CpuPath::avx512, CpuPath::avx2})
    if (cpu_supports(p)) CHECK(static_cast<int>(best) >= static_cast<int>(p));
  CHECK(cpu_path_for("portable") == CpuPath::portable);
  for (CpuPath p : {CpuPath::avx512, CpuPath::avx2}) {
    if (cpu_supports(p)) {
      CHECK(cpu_path_for(cpu_path_name(p)) == p);
    } else {
      std::string msg;
      try {
        cpu_path_for(cpu_path_name(p));
      } catch (const std::runtime_error& e) {
        msg = e.what();
      }
      CHECK(msg.find(std::string("XRDID_CPU=") + cpu_path_name(p)) != std::string::npos);
      CHECK(msg.find("supported here: ") != std::string::npos);
    }
  }
#if !defined(__x86_64__)
  CHECK(best == CpuPath::portable);
  CHECK_FALSE(cpu_supports(CpuPath::avx2));
#endif
  CHECK_THROWS_WITH_AS(cpu_path_for("sse9"), doctest::Contains("XRDID_CPU=sse9 is not a CPU path"), std::runtime_error);
  // The process's path follows XRDID_CPU (ctest nn-portable sets it), and sgemm runs on it.
  const char* env = std::getenv("XRDID_CPU");
  CHECK(cpu_path() == cpu_path_for(env));
  const Case c{23, 70, 41, false, true, false};
  const std::vector<float> A = rand_floats(static_cast<std::size_t>(c.M * c.lda()), 1);
  const std::vector<float> B = rand_floats(static_cast<std::size_t>(c.N * c.ldb()), 2);
  std::vector<float> C1(static_cast<std::size_t>(c.M * c.ldc())), C2 = C1;
  xrdid::nn::ops::detail::sgemm(c.ta, c.tb, c.M, c.N, c.K, A.data(), c.lda(), B.data(), c.ldb(), C1.data(), c.ldc(),
                                c.acc);
  run(cpu_path(), c, A, B, C2);
  CHECK(std::memcmp(C1.data(), C2.data(), C1.size() * sizeof(float)) == 0);
}
