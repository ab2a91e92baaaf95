// Physics-informed augmentation: realistic variants of a crystal's powder pattern (Debye–Waller,
// lattice strain, texture, size broadening, Kα2, shifts, displacement, background, counting noise).
// Every function is deterministic given its explicit RNG or seed (docs/augmentation.md).
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "xrd/crystal.hpp"
#include "xrd/pattern.hpp"
#include "xrd/powder.hpp"
#include "xrd/render.hpp"

namespace xrdid::augment {

using Rng = std::mt19937_64;

// Seed of variant `index` of a batch drawn with `seed` (SplitMix64 mixing of both), so a batch
// does not depend on how variants are spread over threads.
std::uint64_t variant_seed(std::uint64_t seed, std::uint64_t index);

// ---------------------------------------------------------------- on the crystal
// One B ~ U[b_min, b_max] Å² per distinct element (docs/method.md §3.4), keyed by symbol, drawn in
// alphabetical element order. Use as PowderOptions::b_by_element.
std::map<std::string, double> random_debye_waller(const xrd::Crystal& c, Rng& rng, double b_min = 0.5,
                                                  double b_max = 3.0);

// a, b, c scaled by (1 + eps[i]) and α, β, γ changed by dangle_deg[i] (docs/method.md §3.7 item 2).
// Fractional coordinates are kept; the symmetry operations are kept too (compute_sticks checks
// them against the new metric and ignores those that no longer hold, so degenerate reflections
// split). Throws std::invalid_argument if the cell becomes degenerate.
xrd::Crystal strain_lattice(const xrd::Crystal& c, const std::array<double, 3>& eps,
                            const std::array<double, 3>& dangle_deg = {0, 0, 0});
// eps_i ~ U(−delta, delta); angle changes ~ U(−max_angle_deg, max_angle_deg) (0 = none).
xrd::Crystal random_strain(const xrd::Crystal& c, Rng& rng, double delta = 0.02, double max_angle_deg = 0.0);

// ---------------------------------------------------------------- on the sticks
// March–Dollase factor W(α) = (r² cos²α + sin²α / r)^(−3/2) (Dollase, J. Appl. Cryst. 19, 267
// (1986), eq. 10). r < 1: platelets whose normal is the preferred direction (enhances those hkl);
// r > 1: needles. r = 1 gives W = 1.
double march_dollase(double r, double cos_alpha);
// Multiplies each stick by the March–Dollase factor, α being the angle between the reciprocal
// vector g(hkl) and g(direction) (both in the reciprocal metric of `c`); a merged stick gets the
// mean over its hkl list. Sticks without hkl (impurities) are left alone.
void apply_march_dollase(xrd::Sticks& s, const xrd::Crystal& c, const std::array<int, 3>& direction, double r);
// Contiguous-window texture scaling (the physical reading of autoXRD's scaling, docs/method.md
// §5.2): [lo, hi) is cut into windows of window_deg; each window gets a factor U[t_min, 1] and
// every stick in it is multiplied by that factor.
void texture_windows(xrd::Sticks& s, Rng& rng, double lo, double hi, double window_deg = 10.0, double t_min = 0.5);
// Drops each stick with probability p_drop (reflections missing in a measurement, docs/method.md
// §5.2); the strongest stick is always kept.
void eliminate_peaks(xrd::Sticks& s, Rng& rng, double p_drop = 0.1);
// Adds `count` impurity sticks (no hkl) at 2θ ~ U[lo, hi), intensity ~ U[0.2, 1]·max_rel × the
// strongest stick; keeps the list ordered by 2θ.
void add_impurity_peaks(xrd::Sticks& s, Rng& rng, int count, double lo, double hi, double max_rel = 0.05);
// Bragg's law with the same d for another wavelength: sinθ' = (λ'/λ) sinθ; sticks whose sinθ'
// ≥ 1 are dropped. Used for the Kα2 line (docs/method.md §3.7 item 3).
xrd::Sticks to_wavelength(const xrd::Sticks& s, double lambda);
// Sample displacement: Δ2θ = −2 s cosθ / R radians (Klug & Alexander, X-ray Diffraction
// Procedures, 2nd ed. (1974), §5-2; s and R in the same unit, s > 0 = sample above the circle).
double displacement_shift_deg(double two_theta_deg, double s, double radius);
// Adds displacement_shift_deg(2θ) + zero_shift_deg to every stick.
void shift_sticks(xrd::Sticks& s, double zero_shift_deg, double displacement = 0.0, double radius = 240.0);

// ---------------------------------------------------------------- rendering
// Adds the profile of sticks (and, when w.alpha2 > 0, of its Kα2 copy at weight w.ratio21) to acc.
// The sticks must be for w.alpha1. Pseudo-Voigt with Scherrer size broadening when
// profile.kind = PseudoVoigt and profile.size_nm > 0 (see xrd/render.hpp).
void render_with_doublet(const xrd::Sticks& s, const xrd::Wavelength& w, const std::vector<double>& grid,
                         const xrd::ProfileOptions& profile, std::vector<double>& acc);

// ---------------------------------------------------------------- on the grid
// True shift to higher 2θ by delta_deg (negative: lower): I'(x) = I(x − Δ), linear interpolation,
// 0 where x − Δ falls outside the grid.
void shift_pattern(xrd::Pattern& p, double delta_deg);
// General form: I'(x) = I(source(x)) on the pattern's own grid, linear interpolation, 0 where
// the source is not finite or falls outside the grid.
void remap_pattern(xrd::Pattern& p, const std::function<double(double)>& source);
// Sample displacement on a pattern: I'(x) = I(x − Δ(x)) with Δ from displacement_shift_deg
// (a peak at 2θ moves by Δ(2θ) to first order).
void displace_pattern(xrd::Pattern& p, double s, double radius = 240.0);
// Smooth background in counts: b0·(1 + c1 u + c2 u²), u = (2θ − 2θ_first)/span, clipped at 0,
// plus an amorphous hump h·exp(−(2θ − center)²/(2 width²)).
struct Background {
  double b0 = 0.0, c1 = 0.0, c2 = 0.0;
  double hump = 0.0, hump_center_deg = 22.0, hump_width_deg = 6.0;
};
void add_background(xrd::Pattern& p, const Background& b);
// Replaces every intensity (the expected count, clipped at 0) with a Poisson draw.
void poisson_noise(xrd::Pattern& p, Rng& rng);
// Per-sample min-max to [0, 1] (constant → zeros).
void minmax(xrd::Pattern& p);

// ---------------------------------------------------------------- one variant, batches
struct PhysicsAugmentOptions {
  // Radiation: alpha1 is the line the sticks are computed for; alpha2/ratio21 used when the
  // doublet is drawn. Default Cu Kα1/Kα2 (Hölzer et al. 1997), I(Kα2)/I(Kα1) = 0.5.
  xrd::Wavelength wavelength{1.540598, 1.544426, 0.5};
  double p_kalpha2 = 0.5;
  // Debye–Waller (docs/method.md §3.4).
  double p_debye_waller = 1.0, b_min = 0.5, b_max = 3.0;
  // Lattice strain (docs/method.md §3.7).
  double p_strain = 0.5, strain_delta = 0.015, strain_max_angle_deg = 0.3;
  // March–Dollase preferred orientation: a direction among the low-index ones below, r ~ U[r_min, r_max].
  double p_preferred_orientation = 0.4, r_min = 0.6, r_max = 1.4;
  std::vector<std::array<int, 3>> po_directions{{0, 0, 1}, {1, 0, 0}, {0, 1, 0}, {1, 1, 0}, {1, 1, 1}};
  // Texture windows.
  double p_texture = 0.3, texture_window_deg = 10.0, texture_min = 0.5;
  // Peak elimination and impurities.
  double p_eliminate = 0.2, eliminate_fraction = 0.1;
  double p_impurity = 0.3, impurity_max_rel = 0.05;
  int impurity_max_count = 3;
  // Profile: pseudo-Voigt, Gaussian σ ~ U[sigma_min, sigma_max] degrees; with p_size a
  // Scherrer crystallite size L ~ log-U[size_min_nm, size_max_nm].
  double sigma_min = 0.04, sigma_max = 0.10;
  double p_size = 0.5, size_min_nm = 15.0, size_max_nm = 200.0;
  // True shift (both directions) and sample displacement (mm, goniometer radius mm).
  double p_shift = 0.5, max_shift_deg = 0.3;
  double p_displacement = 0.5, max_displacement_mm = 0.2, goniometer_radius_mm = 240.0;
  // Measurement: the strongest peak gets log-U[peak_counts_min, peak_counts_max] counts; flat +
  // polynomial background of U[0, max_background_rel] × those counts; an amorphous hump with p_hump.
  double p_noise = 0.8, peak_counts_min = 300.0, peak_counts_max = 30000.0;
  double max_background_rel = 0.1, p_hump = 0.3, max_hump_rel = 0.1;
  double hump_center_min_deg = 15.0, hump_center_max_deg = 35.0;
  bool normalize = true;  // per-sample min-max to [0, 1] at the end
};

// The clean pattern of `c` on grid for options.wavelength.alpha1 (pseudo-Voigt, σ = mean of
// the σ range, no augmentation), min-max normalised; the reference for plots.
xrd::Pattern clean_pattern(const xrd::Crystal& c, const std::vector<double>& grid, const PhysicsAugmentOptions& o);

// One realistic variant of `c` on grid (ascending), every draw from Rng(seed). Order: crystal
// (DW, strain) → sticks (preferred orientation, texture, elimination, impurities) → Kα2 copy →
// zero shift + displacement (on the sticks, exact) → pseudo-Voigt/Scherrer rendering →
// background + Poisson counts → min-max. Throws std::invalid_argument for inconsistent options
// (p outside [0, 1], min > max, …) and from compute_sticks (e.g. no reflection in range).
xrd::Pattern make_variant(const xrd::Crystal& c, const std::vector<double>& grid, const PhysicsAugmentOptions& o,
                          std::uint64_t seed);

// n variants, variant i = make_variant(c, grid, o, variant_seed(seed, i)); OpenMP over variants,
// result independent of the thread count. An exception thrown by a variant is rethrown (after the loop).
std::vector<xrd::Pattern> make_variants(const xrd::Crystal& c, std::size_t n, const std::vector<double>& grid,
                                        const PhysicsAugmentOptions& o, std::uint64_t seed);

}  // namespace xrdid::augment
