// XRDidentifier's training augmentation (docs/method.md §5.1).
#include "augment/seed_augment.hpp"

#include <algorithm>
#include <vector>

namespace xrdid::augment {

void minmax_normalize(float* x, int L) {
  if (L <= 0) return;
  auto [lo, hi] = std::minmax_element(x, x + L);
  const float mn = *lo, range = *hi - *lo;
  if (range <= 0.f) {
    std::fill(x, x + L, 0.f);
    return;
  }
  // Divide (not multiply by 1/range): a denormal range would make 1/range infinite.
  for (int i = 0; i < L; ++i) x[i] = (x[i] - mn) / range;
}

void seed_augment(float* x, int L, const SeedAugmentParams& p, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u01(0.0, 1.0);
  const int W = std::max(1, p.period);
  std::vector<float> comb(static_cast<std::size_t>(W));
  if (u01(rng) < p.p_elim) {
    std::uniform_int_distribution<int> pick(0, 2);  // {0, 0, 1}: zero w.p. 2/3
    for (auto& c : comb) c = pick(rng) == 2 ? 1.f : 0.f;
    for (int i = 0; i < L; ++i) x[i] *= comb[static_cast<std::size_t>(i % W)];
  }
  if (u01(rng) < p.p_scale) {
    for (auto& c : comb) c = static_cast<float>(u01(rng));
    for (int i = 0; i < L; ++i) x[i] *= comb[static_cast<std::size_t>(i % W)];
  }
  if (u01(rng) < p.p_shift && p.max_shift > 0) {
    std::uniform_int_distribution<int> pick(-p.max_shift, p.max_shift - 1);
    const int c = pick(rng);
    if (c >= 0) {
      const int n = std::max(0, L - c);
      std::copy(x + std::min(c, L), x + std::min(c, L) + n, x);
      std::fill(x + n, x + L, 0.f);
    } else if (p.faithful_negative_shift) {
      std::fill(x + std::max(0, L + c), x + L, 0.f);
    } else {
      const int s = std::min(-c, L);
      std::copy_backward(x, x + (L - s), x + L);
      std::fill(x, x + s, 0.f);
    }
  }
  minmax_normalize(x, L);
}

}  // namespace xrdid::augment
