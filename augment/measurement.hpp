// Turning a clean simulated pattern into a realistic "measured" one: a smooth background
// (polynomial + amorphous hump) and Poisson counting noise. Deterministic by seed.
#pragma once
#include <cstdint>

#include "xrd/pattern.hpp"

namespace xrdid::augment {

struct MeasurementOptions {
  double peak_counts = 2000.0;     // counts at the strongest peak
  double background_counts = 150;  // counts of the flat+polynomial background at low angle
  double background_slope = -0.6;  // relative change of the background over the range
  double hump_counts = 120;        // amorphous hump height (counts), 0 = none
  double hump_center_deg = 22.0, hump_width_deg = 6.0;
  bool poisson = true;
  std::uint64_t seed = 1;
};

// Scales p to peak_counts, adds the background and draws Poisson counts (in place).
void make_measured(xrd::Pattern& p, const MeasurementOptions& opt);

}  // namespace xrdid::augment
