// The seed augmentation: comb period, shift semantics, normalisation, determinism by seed.
#include <doctest/doctest.h>

#include <vector>

#include "augment/seed_augment.hpp"

using namespace xrdid::augment;

TEST_CASE("elimination is a period-100 comb keeping about 1/3") {
  SeedAugmentParams p;
  p.p_elim = 1.0;
  p.p_scale = 0.0;
  p.p_shift = 0.0;
  std::vector<float> x(6000, 1.f);
  x[0] = 2.f;  // so min-max keeps the kept ones at a known value
  std::mt19937_64 rng(5);
  seed_augment(x.data(), 6000, p, rng);
  int kept = 0;
  for (int i = 100; i < 6000; ++i) {
    CHECK(x[i] == x[i % 100 + 100]);  // periodic with period 100
    kept += x[i] > 0;
  }
  CHECK(kept > 5900 / 6);
  CHECK(kept < 5900 * 2 / 3);
}

TEST_CASE("positive shift moves to lower 2theta; faithful negative shift only zeroes the tail") {
  SeedAugmentParams p;
  p.p_elim = p.p_scale = 0.0;
  p.p_shift = 1.0;
  p.max_shift = 50;
  bool saw_left_shift = false;
  for (std::uint64_t seed = 0; seed < 40; ++seed) {
    std::vector<float> x(200, 0.f);
    x[100] = 1.f;
    std::mt19937_64 rng(seed);
    seed_augment(x.data(), 200, p, rng);
    int pos = -1;
    for (int i = 0; i < 200; ++i)
      if (x[i] == 1.f) pos = i;
    REQUIRE(pos >= 0);
    CHECK(pos <= 100);  // never to higher 2theta in the faithful mode
    CHECK(pos >= 100 - 49);
    saw_left_shift = saw_left_shift || pos < 100;
  }
  CHECK(saw_left_shift);
  SeedAugmentParams q = p;
  q.faithful_negative_shift = false;
  bool saw_right_shift = false;
  for (std::uint64_t seed = 0; seed < 40 && !saw_right_shift; ++seed) {
    std::vector<float> x(200, 0.f);
    x[100] = 1.f;
    std::mt19937_64 rng(seed);
    seed_augment(x.data(), 200, q, rng);
    for (int i = 101; i < 200; ++i) saw_right_shift = saw_right_shift || x[i] == 1.f;
  }
  CHECK(saw_right_shift);
}

TEST_CASE("same seed, same variant; output in [0, 1]; constant input stays finite") {
  SeedAugmentParams p;
  std::vector<float> a(1000), b;
  for (int i = 0; i < 1000; ++i) a[i] = static_cast<float>((i * 37) % 101);
  b = a;
  std::mt19937_64 r1(42), r2(42);
  seed_augment(a.data(), 1000, p, r1);
  seed_augment(b.data(), 1000, p, r2);
  CHECK(a == b);
  for (float v : a) CHECK((v >= 0.f && v <= 1.f));
  std::vector<float> c(10, 3.f);
  minmax_normalize(c.data(), 10);
  for (float v : c) CHECK(v == 0.f);
}

TEST_CASE("min-max of a pattern whose range is denormal stays finite and within [0, 1]") {
  std::vector<float> x(8, 0.f);
  x[3] = 1e-40f;  // denormal: 1/x overflows to inf
  minmax_normalize(x.data(), 8);
  CHECK(x[3] == 1.f);
  CHECK(x[0] == 0.f);
}
