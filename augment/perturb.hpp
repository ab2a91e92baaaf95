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
//   fluorescence=B  add a flat background of B × the maximum (sample fluorescence)
//   texture=R       preferred orientation, as every peak's height × a factor in [1/R, R]
//                   (log-uniform, drawn per 0.5° stretch of the pattern)
//   impurity=F      add a second phase (a library entry of another formula, chosen by the
//                   caller) whose strongest line is F × the strongest line of the pattern
//   noise=F         counting statistics F times worse: every count y -> Poisson(y / F) × F
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
  double fluorescence = 0.0;
  double texture = 0.0;                     // R >= 1; 0: none
  double impurity = 0.0;                    // F; 0: none
  double noise = 0.0;                       // F >= 1; 0: none
  std::uint64_t seed = 1;
  std::string spec;                         // as given
  bool empty() const;
};

// Throws std::invalid_argument naming the bad item (unknown key, bad number, empty range …).
Perturbation parse_perturbation(const std::string& spec);

// Applies p in place (order: texture, impurity, strain, displacement, shift, hump, fluorescence,
// counts, noise, range). Draws come from (p.seed, index). `impurity_phase` is the second phase's
// pattern on any grid (required when p.impurity > 0). Throws std::invalid_argument when the
// range leaves fewer than 2 points or an impurity is asked for without a phase.
void apply_perturbation(xrd::Pattern& pattern, const Perturbation& p, std::uint64_t index = 0,
                        const xrd::Pattern* impurity_phase = nullptr);

}  // namespace xrdid::augment
