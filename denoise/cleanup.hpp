// The clean-up every pattern gets before matching (identification, and the training inputs
// that imitate measurements): background removal, light smoothing and a noise floor, so that
// counting noise in empty regions does not count as intensity once compressed.
#pragma once
#include <string>
#include <vector>

namespace xrdid::denoise {

struct CleanupOptions {
  std::string background = "snip";  // snip | beads | none
  double noise_floor_sigmas = 3.0;  // subtract this many noise sigmas after smoothing
};

// In place on y (equally spaced by step_deg degrees): background removed (SNIP with a
// 0.4° window, or BEADS with the XRD defaults), 5-point moving average, minus
// noise_floor_sigmas × σ (σ from the median absolute first difference of the background-free
// signal, robust to peaks), clipped at 0. Throws std::runtime_error for an unknown background.
void cleanup_for_matching(std::vector<double>& y, double step_deg, const CleanupOptions& opt);

}  // namespace xrdid::denoise
