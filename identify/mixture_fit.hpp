// Joint whole-pattern fit of several crystalline phases to one measured pattern, and their weight
// fractions.
//
// Model: y_c = Σ_j c_j T_j(t) + Σ_φ y_φ(2θ), where each phase's y_φ is the single-phase profile
// model of fit.hpp (its own scale, cell constrained by its crystal system, Caglioti U, V, W,
// mixing η, overall B) and all phases share one Chebyshev background, one zero shift Z and one
// sample displacement D. Weighted least squares (w = 1/max(y_o, 1)) by bounded Levenberg–
// Marquardt with analytic derivatives. U and V (the instrument's part of the width) are shared by
// all phases; each phase has its own W (size broadening) and η; B is refined for the first phase
// only (a minor phase's B is poorly determined).
// With FitOptions::preferred_orientation each phase may have March (1932) – Dollase (1986)
// preferred orientation, one refined r (within [0.5, 2], narrower than the single-phase fit's
// [0.3, 3]: beyond, a wrong phase's intensities bend to fit peaks not its own) along one of the
// low-index directions of fit_model.hpp. A phase's direction comes with its start; for a phase
// without one it is chosen after the second stage by screening each distinct direction at a few
// r (0.6, 0.8, 1.25, 1.6: the phase's scale and the background refitted linearly to what the
// other phases leave; the March–Dollase factor averaged over equivalents changes only to second
// order in r − 1 for a cubic phase, so a derivative at r = 1 cannot choose); the best, when it
// gains more than ln N in χ², is refined jointly and kept when the χ² falls by more than ln N
// per phase given an r (BIC).
//
// Weight fractions (Hill & Howard, J. Appl. Cryst. 20 (1987) 467):
//   w_φ = S_φ (ZMV)_φ / Σ_ψ S_ψ (ZMV)_ψ,
// with S_φ the scale of the raw intensities |F|² × multiplicity × Lorentz–polarisation (electrons²
// per cell) and (ZMV)_φ the mass of the cell contents (u) times the cell volume (Å³) at the
// refined cell; ESDs propagated from the covariance of the scales. These are uncorrected for
// micro-absorption: phases of very different absorption and grain size are biased, which
// identify/quantify.hpp corrects (Brindley 1945) on request, beside absolute fractions and the
// amorphous content from an internal standard.
#pragma once
#include <array>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "identify/fit.hpp"
#include "xrd/crystal.hpp"
#include "xrd/pattern.hpp"

namespace xrdid::identify {

struct PhaseShare {
  std::string phase;  // Crystal::source (or block name)
  std::string crystal_system;
  double scale = 0.0, scale_esd = 0.0;  // of the stored stick intensities (strongest = 100)
  double weight_fraction = 0.0, weight_fraction_esd = 0.0;
  double zmv = 0.0;  // mass of the cell contents (u) × cell volume (Å³), refined cell
  double mass_per_scale = 0.0;  // w ∝ scale × mass_per_scale ((ZMV) over the raw intensity unit)
  std::array<double, 6> cell{}, cell_esd{}, cell_start{};
  double fwhm_w = 0.0, eta = 0.0;  // Caglioti W (deg²) and pseudo-Voigt mixing
  // FWHM² (deg²) at the middle of the fit range, U t² + V t + W with the shared U, V (t = tan θ):
  // the W that gives a later fit, whose U and V start at 0, this phase's widths there.
  double fwhm2_mid = 0.0;
  bool hit_bound = false;          // its scale or a cell parameter ended on a bound
  std::array<int, 3> po_direction{};  // March–Dollase direction (reciprocal); (0 0 0): none
  double po_r = 1.0, po_r_esd = 0.0;
  std::vector<double> contribution;  // its calculated curve on the fit range, without background
  std::vector<FitReflection> reflections;
  // 100 ln(V / V0): the refined cell's volume against the reference's (cell_start), in per cent.
  double volume_change() const;
};

struct MixtureFit {
  FitStatus status = FitStatus::Diverged;
  std::string message;
  std::vector<PhaseShare> phases;  // in the order given
  // Covariance of the phases' scales (row-major, phases × phases; × GoF as the ESDs), for what is
  // derived from the weight fractions (identify/quantify.hpp).
  std::vector<double> scale_covariance;
  double zero = 0.0, displacement = 0.0;
  double U = 0.0, V = 0.0;  // the shared Caglioti U, V (deg²)
  double rwp = 0.0, rexp = 0.0, gof = 0.0, chi2 = 0.0, bic = 0.0;
  int n_points = 0, n_parameters = 0, iterations = 0;
  double wavelength = 0.0, seconds = 0.0;
  std::vector<double> two_theta, observed, calculated, background;
  bool ok() const { return status != FitStatus::Diverged; }
};

// Starting values of one phase from an earlier fit (its single-phase fit, or the same phase in a
// smaller joint fit); `scale` <= 0 means none.
struct PhaseStart {
  double scale = 0.0, W = 0.0, eta = 0.5;
  std::array<double, 6> cell{};  // a, b, c, α, β, γ; a = 0: the CIF cell
  // The shared zero shift and sample displacement (first phase's start only; NaN: none). They go
  // together: over a limited 2θ range Z and D cos θ trade places, so a zero shift refined beside
  // a displacement is wrong without it.
  double zero = std::numeric_limits<double>::quiet_NaN();
  double displacement = std::numeric_limits<double>::quiet_NaN();
  // With preferred orientation: po_decided takes po_direction ((0 0 0): none) and po_r (the
  // start of r; not 1 for a cubic phase, whose factor has no slope in r there); otherwise the
  // fit chooses them.
  bool po_decided = false;
  std::array<int, 3> po_direction{};
  double po_r = 1.0;
};

// Fits `phases` jointly. Without starts, the first phase should be the main one: each later phase's
// cell is started by a coarse search over what the phases before it leave unexplained (its peaks
// moved by the zero shift and displacement already refined), and its W at the first started phase's
// (U and V are shared, so it starts with that phase's widths; a start's W should be its
// PhaseShare::fwhm2_mid, as U and V start at 0). Throws (XRDID_CHECK) on unusable input as
// fit_phase does, or without phases; a fit that runs away returns status Diverged with a message.
// `starts`, when given, holds one entry per phase.
MixtureFit fit_mixture(const xrd::Pattern& measured, const std::vector<const xrd::Crystal*>& phases,
                       const FitOptions& opt = {}, const std::vector<PhaseStart>& starts = {});

// When every phase but the last has a start, the fit first refines the started phases alone (the
// last one at scale 0) and searches the last one's cell in what they leave. That first
// refinement does not depend on the last phase: the mixture search, which tries several new
// phases beside one set, computes it once (placed_refinement, with any new phase last) and
// passes it to each fit, which then gives exactly what it would have computed itself.
struct PlacedRefinement {
  bool ready = false;
  std::vector<double> params;                      // the joint parameters before the last phase's block
  std::vector<std::vector<double>> contributions;  // each started phase's peaks, in order
};
PlacedRefinement placed_refinement(const xrd::Pattern& measured, const std::vector<const xrd::Crystal*>& phases,
                                   const FitOptions& opt, const std::vector<PhaseStart>& starts);
MixtureFit fit_mixture(const xrd::Pattern& measured, const std::vector<const xrd::Crystal*>& phases,
                       const FitOptions& opt, const std::vector<PhaseStart>& starts, const PlacedRefinement& placed);

// For tests: the largest difference between the joint model's analytic Jacobian and central
// finite differences, relative to each column's largest entry, at a point where every parameter
// matters (as fit_jacobian_check; phase k textured along the k-th direction of March–Dollase
// with r = 0.8 + 0.05 k). NaN when any value is not finite.
double mixture_jacobian_check(const xrd::Pattern& measured, const std::vector<const xrd::Crystal*>& phases,
                              const FitOptions& opt = {});

// {"status","message","rwp","rexp","gof","chi2","bic","n_points","n_parameters","iterations",
//  "zero","displacement","wavelength","seconds","phases":[{"phase","crystal_system","scale",
//  "scale_esd","weight_fraction","weight_fraction_esd","cell":{…},"cell_esd":{…},"hit_bound"}
//  and, for a textured phase, "preferred_orientation":{"direction":[h,k,l],"r","r_esd"}]}
//  plus, with curves, "two_theta","observed","calculated","background" and each phase's
//  "contribution".
nlohmann::json mixture_fit_to_json(const MixtureFit& r, bool curves);

}  // namespace xrdid::identify
