// Rendering sticks into a profile on any 2θ grid (fixed Gaussian as in the seed, or
// pseudo-Voigt with Caglioti + Scherrer widths), and the one-call CIF-to-pattern helper.
#pragma once
#include <cstddef>
#include <vector>

#include "xrd/crystal.hpp"
#include "xrd/pattern.hpp"
#include "xrd/powder.hpp"

namespace xrdid::xrd {

enum class ProfileKind { Gaussian, PseudoVoigt };

struct ProfileOptions {
  ProfileKind kind = ProfileKind::Gaussian;
  // Gaussian σ in degrees (the seed: 0.07°). For pseudo-Voigt without Caglioti terms it sets
  // the Gaussian FWHM = 2√(2 ln 2)·σ.
  double sigma = 0.07;
  // Caglioti, Paoletti & Ricci, Nucl. Instrum. 3, 223 (1958): FWHM_G² = U tan²θ + V tanθ + W (deg²).
  bool use_caglioti = false;
  double U = 0.0, V = 0.0, W = 0.0;
  // Scherrer crystallite size in nm (0 = none): Lorentzian FWHM β = Kλ/(L cosθ) rad (pseudo-Voigt only).
  double size_nm = 0.0;
  double scherrer_k = 0.9;
  double zero_shift = 0.0;     // degrees added to every peak position
  double normalize_to = 100.0;  // scale the maximum to this; ≤ 0 leaves the raw sum
};

// The most points a 2θ grid (simulated, library or model input) may have: 10⁷, i.e. a step of
// 2·10⁻⁵° over 0–200°. Larger requests (a step typed wrongly, a corrupt header) are refused
// before memory is taken.
inline constexpr std::size_t kMaxGridPoints = 10'000'000;

// arange semantics: start, start+step, … while < stop (with a 1e-9·step guard), so
// uniform_grid(0, 120, 0.02) has exactly 6000 points, 0 … 119.98. Throws std::invalid_argument
// for non-finite bounds, step ≤ 0, stop ≤ start or more than kMaxGridPoints points.
std::vector<double> uniform_grid(double start, double stop, double step);

// Adds weight · Σ_k I_k · profile_k(x) into acc (float64, acc.size() == grid.size()).
// grid must be ascending. Cost O(peaks × points within the profile window): ±10σ for
// Gaussians, ±60 FWHM when a Lorentzian part is present. wavelength is needed for Scherrer.
void accumulate_profile(const Sticks& sticks, double weight, const std::vector<double>& grid,
                        const ProfileOptions& opt, std::vector<double>& acc);

// Renders one stick set onto grid, normalised per opt.normalize_to.
Pattern render(const Sticks& sticks, const std::vector<double>& grid, const ProfileOptions& opt = {});

// CIF structure → pattern on grid. A doublet wavelength (alpha2 > 0) adds the Kα2 sticks
// with weight ratio21 (sticks computed unscaled so the two lines keep their relative scale).
// powder.wavelength is ignored (taken from `wavelength`).
Pattern simulate_pattern(const Crystal& crystal, const Wavelength& wavelength, const std::vector<double>& grid,
                         const ProfileOptions& profile = {}, PowderOptions powder = {});

}  // namespace xrdid::xrd
