// Perturbations of a measured pattern for robustness evaluation (`xrdid eval --perturb`): what
// real samples do to a pattern the library does not model. Applied on the pattern's own grid.
//
// Specification: comma-separated key=value items, e.g. "strain=0.01,range=10:60,counts=300":
//   shift=D         zero shift: every feature moves by D degrees 2θ
//   displacement=S  sample displacement of S mm on a 240 mm goniometer (Δ2θ = −2S cosθ / R)
//   strain=E        every d-spacing × (1 + E): peaks move to lower angle, more at high angle
//   range=A:B       keep only A <= 2θ <= B (a partial scan)
//   counts=N        rescale so the strongest point has N counts and redraw Poisson counts
//   hump=H          add an amorphous hump of H × the maximum at 25° (σ 5°)
//   seed=K          seed for the random draws (default 1; each file mixes in its index)
#pragma once
#include <cstdint>
#include <string>

#include "xrd/pattern.hpp"

namespace xrdid::augment {

struct Perturbation {
  double shift_deg = 0.0;
  double displacement_mm = 0.0;
  double strain = 0.0;
  double range_lo = -1.0, range_hi = -1.0;  // < 0: keep all
  double counts = 0.0;                      // 0: no redraw
  double hump = 0.0;
  std::uint64_t seed = 1;
  std::string spec;                         // as given
  bool empty() const;
};

// Throws std::invalid_argument naming the bad item (unknown key, bad number, empty range …).
Perturbation parse_perturbation(const std::string& spec);

// Applies p in place (order: strain, displacement, shift, hump, counts, range). Draws come from
// (p.seed, index). Throws std::invalid_argument when the range leaves fewer than 2 points.
void apply_perturbation(xrd::Pattern& pattern, const Perturbation& p, std::uint64_t index = 0);

}  // namespace xrdid::augment
