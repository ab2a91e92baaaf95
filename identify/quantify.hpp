// Quantitative phase analysis beyond the Hill–Howard weight fractions of a joint fit
// (identify/mixture_fit.hpp): micro-absorption correction and absolute fractions from an
// internal standard.
//
// Micro-absorption (Brindley, Phil. Mag. 36 (1945) 347): in a powder of grains comparable to the
// absorption length, a grain of a strongly absorbing phase diffracts less than its share, one of
// a weakly absorbing phase more. Each phase's intensity carries the particle absorption factor
//   τ_i = (1/V) ∫_V exp(−(μ_i − μ̄) x) dV,
// with μ_i its linear attenuation coefficient (composition and density at the refined cell, mass
// attenuation coefficients of xrd/absorption.hpp at the pattern's wavelength), μ̄ the mean of the
// solid, Σ v_j μ_j over the phases' volume fractions, and x the path of the beam within the grain
// to the scattering point and out again. Grains are taken as spheres of radius R = D/2, x at the
// scattering angle 2θ in the middle of the fitted range; τ is integrated numerically over the
// sphere (Gauss–Legendre). The corrected fractions w_i ∝ S_i (ZMV)_i / τ_i are iterated to a fixed
// point, μ̄ depending on w. Brindley's classes: μD < 0.01 fine (τ ≈ 1), 0.01–0.1 medium,
// 0.1–1 coarse (the correction applies), > 1 very coarse (it no longer describes the powder).
//
// Internal standard (e.g. Si or corundum weighed into the sample at mass fraction F): the
// crystalline fractions w_i (corrected, when asked) become absolute, w_i F / w_std, and what
// they leave, 1 − Σ w_i(abs) = 1 − F / w_std, is the amorphous and unidentified content of the
// spiked sample (Bish & Howard, J. Appl. Cryst. 21 (1988) 86; Madsen, Scarlett & Kern, Z.
// Kristallogr. 226 (2011) 944); divided by 1 − F, that of the sample before the standard went in.
//
// ESDs: the derived fractions' gradients with respect to the phases' scales (central differences
// through the whole computation, the Brindley iteration included) against the scales' covariance
// from the fit. The uncertainty of F, of the particle size and of the tabulated μ/ρ is not in them.
#pragma once
#include <string>
#include <vector>

#include "identify/mixture_fit.hpp"
#include "xrd/crystal.hpp"

namespace xrdid::identify {

struct QuantOptions {
  double brindley_size_um = 0.0;  // grain diameter D (µm) for the micro-absorption correction; 0: none
  std::string standard;           // the internal standard: a library id or a formula ("Si", "Al2O3"); "": none
  double standard_fraction = 0.0; // its weighed-in mass fraction of the spiked sample, in (0, 1)
  bool active() const { return brindley_size_um > 0 || !standard.empty(); }
};

struct PhaseQuant {
  double mass_attenuation = 0.0;  // μ/ρ, cm²/g (with Brindley)
  double mu = 0.0;                // linear attenuation coefficient μ, cm⁻¹ (with Brindley)
  double density = 0.0;           // g/cm³ at the refined cell (with Brindley)
  double tau = 1.0;               // Brindley particle absorption factor
  // The crystalline weight fraction the absolute one is derived from: the fit's, or Brindley's.
  double weight_fraction = 0.0, weight_fraction_esd = 0.0;
  double absolute_fraction = 0.0, absolute_fraction_esd = 0.0;  // with a standard
};

struct Quantification {
  bool brindley = false;
  double particle_size_um = 0.0, mean_mu = 0.0, two_theta = 0.0;  // two_theta: where x is taken
  std::string line;   // the tabulated line used, e.g. "CuKa"
  int iterations = 0;
  bool standard = false;
  int standard_index = -1;  // among the fit's phases
  double standard_fraction = 0.0;
  double amorphous_fraction = 0.0, amorphous_fraction_esd = 0.0;              // of the spiked sample
  double amorphous_fraction_sample = 0.0, amorphous_fraction_sample_esd = 0.0;  // ÷ (1 − F)
  std::vector<PhaseQuant> phases;  // in the fit's order
};

// Throws std::invalid_argument on a size <= 0 or not finite, F outside (0, 1) with a standard, or
// F without one.
void check_quant_options(const QuantOptions& opt);

// Brindley's τ for a sphere, as a function of a = (μ_i − μ̄) R and the scattering angle 2θ
// (degrees): the mean of exp(−a x/R) over the sphere's volume, x the path in and out.
double brindley_tau(double a, double two_theta_deg);

// Which of the phases is the standard: `standard` equal to ids[k], or a formula whose element
// ratios equal phase k's composition (within 0.5 %). −1 when none.
int find_standard(const std::string& standard, const std::vector<std::string>& ids,
                  const std::vector<const xrd::Crystal*>& crystals);

// The quantification of a joint fit `fit` of `crystals` (same order; ids name them in messages
// and for --standard). Throws std::invalid_argument with a clear message on a standard that is
// not among the phases (naming those found), F outside (0, 1), a size <= 0 or not finite, or a
// wavelength without tabulated absorption.
Quantification quantify(const MixtureFit& fit, const std::vector<const xrd::Crystal*>& crystals,
                        const std::vector<std::string>& ids, const QuantOptions& opt);

// {"micro_absorption":{"particle_size_um","mean_mu_per_cm","two_theta","line","iterations"}} and/or
// {"standard":{"id","weighed_fraction"},"amorphous_fraction",…}: what quantify adds at the
// mixture's level; phase_quant_json: what it adds to phase k.
nlohmann::json quantification_json(const Quantification& q, const std::vector<std::string>& ids);
nlohmann::json phase_quant_json(const Quantification& q, std::size_t k);

}  // namespace xrdid::identify
