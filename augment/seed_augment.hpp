// XRDidentifier's on-the-fly training augmentation, exactly as implemented (docs/method.md §5.1):
// periodic-comb peak elimination and scaling, shift, then per-sample min-max normalisation.
#pragma once
#include <cstdint>
#include <random>

namespace xrdid::augment {

struct SeedAugmentParams {
  int period = 100;         // W: the masks are a W-vector tiled along the pattern (a comb)
  int max_shift = 120;      // shift c uniform in {-max_shift, ..., max_shift-1} points
  double p_elim = 0.2;      // peak elimination: each comb value is 0 w.p. 2/3, 1 w.p. 1/3
  double p_scale = 0.2;     // peak scaling: comb values U[0, 1)
  double p_shift = 0.5;
  // true: as implemented — a negative c does not shift, it only zeroes the last |c| points.
  // false: a true shift to higher 2θ (prepend |c| zeros, drop the tail).
  bool faithful_negative_shift = true;
};

// Applies the augmentation in place to x[0..L) and min-max normalises to [0, 1] (an all-equal
// pattern becomes all zeros instead of NaN). Every draw comes from rng.
void seed_augment(float* x, int L, const SeedAugmentParams& p, std::mt19937_64& rng);

// Per-sample min-max normalisation to [0, 1]; constant input -> zeros.
void minmax_normalize(float* x, int L);

}  // namespace xrdid::augment
