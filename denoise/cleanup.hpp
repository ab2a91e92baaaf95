// The clean-up every pattern gets before matching (identification, and the training inputs
// that imitate measurements): light smoothing, background removal and a noise floor that
// follows the local counting noise, so that noise in empty regions — or on top of an amorphous
// hump — does not count as intensity once compressed.
#pragma once
#include <string>
#include <vector>

namespace xrdid::denoise {

struct CleanupOptions {
  std::string background = "snip";  // snip | beads | none
  double noise_floor_sigmas = 1.0;  // subtract this many local noise sigmas of the smoothed signal
};

// In place on y (equally spaced by step_deg degrees):
//  1. σ_i, the local noise of one point: the running median of |y[j+1] − y[j]| over ±1° (peaks are
//     a minority of such a window) / (0.6745 √2), divided by √5 for the smoothing below;
//  2. a 5-point moving average;
//  3. the background removed: SNIP (0.4° window) of the smoothed signal, or BEADS (XRD defaults)
//     then the same smoothing; then the running median of what is left over ±1° (the part of a
//     broad feature — an amorphous hump — that iterated clipping cuts under), where positive;
//  4. minus noise_floor_sigmas × σ_i, clipped at 0.
// With background "none" only 1, 2 and 4. Throws std::runtime_error for an unknown background.
void cleanup_for_matching(std::vector<double>& y, double step_deg, const CleanupOptions& opt);

}  // namespace xrdid::denoise
