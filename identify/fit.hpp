// Whole-pattern fit of one crystalline phase to a measured powder pattern, and the verification
// of identification candidates by such fits (the right phase fits with a clearly lower Rwp/BIC).
//
// Model (Rietveld 1969; Young, "The Rietveld Method", 1993), with the stick intensities of the
// CIF at its own cell kept fixed (no structure-factor refinement):
//   y_c(2θ) = Σ_j c_j T_j(t) + S Σ_k Σ_line r_line I_k exp(−B Q_k / 2) P_k Φ(2θ − 2θ_k,line)
//   T_j: Chebyshev polynomials of the first kind, t = 2θ mapped onto [−1, 1];
//   Q_k = 1/d_k² = h G* hᵀ, G* the reciprocal metric, constrained by the crystal system; its free
//     components are the cell parameters of the fit (bounded by ±cell_bound on the lengths);
//   2θ_k,line = 2 asin(λ_line √Q_k / 2) + Z + D cos θ (zero shift Z, sample displacement D);
//   lines: Kα1 (r = 1) and, for a doublet, Kα2 (r = ratio21, 0.5 for Cu);
//   exp(−2 B s²), s = sin θ / λ = √Q / 2: one overall isotropic displacement B (Å²);
//   P_k: March (1932) – Dollase (1986) preferred orientation (optional), averaged over the
//     reflections merged into stick k;
//   Φ: pseudo-Voigt η L + (1 − η) G with one FWHM H, H² = U tan²θ + V tan θ + W (Caglioti,
//     Paoletti & Ricci 1958), normalised G and L as in Thompson, Cox & Hastings (1987); each
//     peak is evaluated on ±window_fwhm·H only (less for weak peaks, see FitOptions).
// Least squares with weights w = 1/max(y_o, 1) (counting statistics on raw counts) and a
// Gaussian prior on D (FitOptions::displacement_sigma) by
// Levenberg (1944) – Marquardt (1963) with analytic derivatives, started from a coarse search
// over the zero shift and an isotropic cell strain. Agreement after Hill & Madsen / Toby (2006):
// Rwp = √(Σ w (y_o − y_c)² / Σ w y_o²), Rexp = √((N − P) / Σ w y_o²), GoF = χ² / (N − P).
#pragma once
#include <array>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "xrd/crystal.hpp"
#include "xrd/pattern.hpp"

namespace xrdid::identify {

struct FitOptions {
  // Radiation used when the pattern does not name its wavelength (Cu Kα1 + Kα2, ratio 0.5).
  xrd::Wavelength default_wavelength{1.540598, 1.544426, 0.5};
  // Use default_wavelength even when the pattern names one.
  bool force_wavelength = false;
  // Fit range in degrees 2θ (clipped to the data; leading/trailing runs of exact zeros, which
  // are padding rather than counts, are left out as well).
  double two_theta_min = 0.0, two_theta_max = 180.0;
  int background_terms = 6;          // Chebyshev terms (1–12)
  double cell_bound = 0.03;          // cell lengths within ±3 % of the CIF cell
  double zero_search = 0.5;          // coarse zero-shift search over ±this (degrees)
  double zero_bound = 1.0;           // |Z| bound in the least squares (degrees)
  double initial_fwhm = 0.1;         // starting FWHM (degrees), W = FWHM², U = V = 0
  double window_fwhm = 12.0;         // each peak is evaluated on ±window_fwhm·FWHM
  bool scale_window = true;          // … times √(relative intensity), at least 4 FWHM
  double min_relative_intensity = 2e-4;  // sticks weaker than this × the strongest are left out
  bool refine_displacement = true;   // D (cos θ shift)
  // Gaussian prior D ~ N(0, displacement_sigma²), degrees (0: none). D moves every peak nearly
  // as the zero shift does and, over a scan's range, as a change of cell does: without a prior
  // Z and D drift apart in opposite directions (|D| up to 1°, a 2 mm displacement on a 240 mm
  // goniometer) and carry the cell with them. 0.1° is 0.2 mm on 240 mm (docs/results.md).
  double displacement_sigma = 0.1;
  bool refine_profile = true;        // U, V, W, η
  bool refine_b = true;              // overall B
  bool preferred_orientation = false;  // try March–Dollase along a few low-index directions
  // A mixture's joint fits keep each phase's March–Dollase r within [1/R, R] for this R: beyond, a
  // phase's intensities could be bent to fit peaks that are not its own (a single phase's fit
  // keeps r within [0.3, 3]).
  double mixture_po_range = 2.0;
  // Besides the low-index directions, March–Dollase is tried along the normals of the phase's
  // this many strongest reflections (0: none): a cleavage plane is often a strong reflection
  // ((104) of calcite, whose rhombohedra lie on it; none of the low-index directions). Measured
  // for mixtures, not chosen: more directions also let wrong phases bend their intensities onto
  // others' peaks (docs/results.md "Mixtures").
  int po_strong_lines = 0;
  int max_iterations = 60;           // Levenberg–Marquardt iterations per stage
  double tolerance = 1e-6;           // stop when χ² falls by less than this fraction
};

// One refined quantity. Cell lengths/angles are derived from the refined metric with ESDs
// propagated; their `refined` is true when the crystal system leaves them free.
struct FitParameter {
  std::string name;  // "scale", "zero", "displacement", "a", …, "U", "V", "W", "eta", "B", "po_r", "bg0", …
  double value = 0.0;
  double esd = 0.0;       // √(diag((JᵀWJ)⁻¹)·GoF); 0 for fixed or bound parameters
  double start = 0.0;     // value before the least squares
  bool refined = true;
  bool at_bound = false;
};

struct FitReflection {
  std::array<int, 3> hkl{};  // of the merged equivalents, the one with the most non-negative indices, then the largest
  int multiplicity = 0;
  double d = 0.0;            // Å at the refined cell
  double two_theta = 0.0;    // Kα1 position including zero shift and displacement
  double intensity = 0.0;    // S·I·exp(−BQ/2)·P: the integrated Kα1 intensity of the fit
};

enum class FitStatus { Converged, IterationLimit, Diverged };

struct FitResult {
  std::string phase;           // Crystal::source (or block name)
  std::string crystal_system;  // "cubic", "tetragonal", …
  FitStatus status = FitStatus::Diverged;
  bool hit_bound = false;      // a cell, zero, displacement or scale parameter ended on its bound
  std::string message;         // why it diverged / what hit a bound ("" when fine)
  std::vector<FitParameter> parameters;
  std::array<double, 6> cell{};      // refined a, b, c (Å), α, β, γ (°)
  std::array<double, 6> cell_esd{};
  std::array<double, 6> cell_start{};
  double rwp = 0.0, rexp = 0.0, gof = 0.0, chi2 = 0.0, bic = 0.0;
  int n_points = 0, n_parameters = 0, iterations = 0;
  double wavelength = 0.0;  // Kα1 (Å)
  double seconds = 0.0;     // wall time of the fit
  // For a report: the fitted range and curves (calculated includes the background).
  std::vector<double> two_theta, observed, calculated, background;
  std::vector<FitReflection> reflections;
  bool ok() const { return status != FitStatus::Diverged; }
  const FitParameter* parameter(const std::string& name) const;
};

// Fits one phase. Throws (XRDID_CHECK) on unusable input: fewer than 50 points in range, a
// flat pattern, non-finite values, or a crystal without reflections in the range. A fit that
// runs away (non-finite values, singular normal matrix) returns status Diverged with a message.
FitResult fit_phase(const xrd::Pattern& measured, const xrd::Crystal& crystal, const FitOptions& opt = {});

// The reflections a fit of `crystal` to `measured` models: its sticks in the fit range, split
// where the crystal system lets their positions differ. Throws as fit_phase on unusable input.
std::size_t fit_reflection_count(const xrd::Pattern& measured, const xrd::Crystal& crystal, const FitOptions& opt = {});

// Fits every candidate against one pattern (candidates that cannot be fitted come back as
// Diverged with the error as message), in the order given.
std::vector<FitResult> verify_candidates(const xrd::Pattern& measured, const std::vector<const xrd::Crystal*>& candidates,
                                         const FitOptions& opt = {});

// Ranking criterion: true when `a` explains the pattern better than `b`: a fit that did not
// diverge beats one that did, then the lower BIC = χ² + P ln N (Schwarz 1978) wins.
bool better_fit(const FitResult& a, const FitResult& b);

const char* to_string(FitStatus s);

// For tests: the largest difference between the analytic Jacobian of the model and central
// finite differences, relative to each column's largest entry, over every parameter (March–
// Dollase r along [001] included) at a point where all of them matter (U, V, η, B, Z, D ≠ 0,
// cell strained by 1.5 %). NaN when any value is not finite. Use a large opt.window_fwhm: the
// peak windows move with the parameters and cut the tails.
double fit_jacobian_check(const xrd::Pattern& measured, const xrd::Crystal& crystal, const FitOptions& opt = {});

// {"phase","status","hit_bound","message","crystal_system","rwp","rexp","gof","chi2","bic",
//  "n_points","n_parameters","iterations","seconds","wavelength","cell":{a,b,c,alpha,beta,gamma},
//  "cell_esd":{…},"cell_start":{…},"parameters":[{name,value,esd,start,refined,at_bound}],
//  "reflections":[{hkl,multiplicity,d,two_theta,intensity}]} plus, with curves,
//  "two_theta","observed","calculated","background".
nlohmann::json fit_to_json(const FitResult& r, bool curves);

// A cell (a, b, c in Å; α, β, γ in degrees) as JSON: {"a", "b", "c", "alpha", "beta", "gamma"}.
nlohmann::json cell_to_json(const std::array<double, 6>& cell);

// 100 ln(V / V0): a refined cell's volume against its reference's (the start), in per cent; NaN
// when either volume is not a positive finite number.
double cell_volume_change(const std::array<double, 6>& cell, const std::array<double, 6>& reference);

}  // namespace xrdid::identify
