// BEADS: Baseline Estimation And Denoising with Sparsity (Ning, Selesnick & Duval,
// Chemometrics and Intelligent Laboratory Systems 139 (2014) 156–167), as specified in
// docs/method.md §6, plus an XRD wrapper that fixes the intensity scale.
#pragma once
#include <string>
#include <vector>

namespace xrdid::denoise {

// Smoothed L1 sparsity penalty φ on the derivatives (docs/method.md §6.1).
enum class Penalty {
  L1_v1,  // φ(v) = √(v² + ε1),            w(v) = 1/√(v² + ε1)
  L1_v2,  // φ(v) = |v| − ε1·ln(|v| + ε1), w(v) = 1/(|v| + ε1)
};

struct BeadsParams {
  int d = 1;             // filter order 2d, d ∈ {1, 2}
  double fc = 0.006;     // high-pass cut-off, cycles/sample, 0 < fc < 0.5
  double r = 6.0;        // asymmetry ratio (negative x costs r times more)
  double lam0 = 0.4;     // λ0: penalty on x
  double lam1 = 4.0;     // λ1: penalty on D1·x
  double lam2 = 3.2;     // λ2: penalty on D2·x
  int iterations = 15;   // MM iterations
  Penalty penalty = Penalty::L1_v2;
  // Edge handling (docs/method.md §6.5): extend both ends smoothly to zero with sigmoids of scale
  // extend_sigma samples (10·σ points per side), run, crop. The end values are the mean of
  // the first/last extend_edge_points samples (1 = the reference y[0] / y[N−1]; more is robust
  // to counting noise on measured patterns).
  bool extend = true;
  double extend_sigma = 30.0;  // spec demo value
  int extend_edge_points = 1;
  double eps0 = 1e-6;    // ε0 (asymmetric penalty joint)
  double eps1 = 1e-6;    // ε1 (smoothing of φ)
};

struct BeadsResult {
  std::vector<double> x;     // peak signal (sparse, mostly non-negative)
  std::vector<double> f;     // baseline f = L(y − x)
  std::vector<double> cost;  // F(x) after each iteration (on the extended signal if extend)
};

// The pybeads/MATLAB defaults (docs/method.md §6.4), tuned for chromatograms; same as BeadsParams{}.
BeadsParams beads_reference_defaults();

// Baseline period used by the XRD defaults, in degrees 2θ: fc = step / kXrdBaselinePeriodDeg.
inline constexpr double kXrdBaselinePeriodDeg = 8.0;

// Defaults for powder XRD patterns that beads_xrd() scales to max 100, for a 2θ grid of
// step_deg degrees (fc = step_deg / 8°; step_deg ≤ 0 keeps fc = 0.006). Chosen on the shared
// measured data; see beads.cpp for the justification.
BeadsParams beads_xrd_defaults(double step_deg = 0.01);

// BEADS on y exactly as docs/method.md §6.3 (on the raw scale of y; the λ are not scale-invariant).
BeadsResult beads(const std::vector<double>& y, const BeadsParams& p);

// BEADS for an XRD intensity vector: y is scaled so that max|y| = target_max, BEADS runs,
// and x, f are scaled back (cost stays on the scaled problem). A constant-zero y returns zeros.
BeadsResult beads_xrd(const std::vector<double>& y, const BeadsParams& p, double target_max = 100.0);

// The banded filter coefficients of docs/method.md §6.2: b of (−z + 2 − z⁻¹)^d and
// a = b + t·(z + 2 + z⁻¹)^d with t = tan^(2d)(π·fc). Each has 2d+1 entries.
struct FilterCoefficients {
  std::vector<double> a, b;
};
FilterCoefficients beads_filter(int d, double fc);

// F(x) of docs/method.md §6.1 (exposed for tests).
double beads_cost(const std::vector<double>& y, const std::vector<double>& x, const BeadsParams& p);

Penalty parse_penalty(const std::string& s);  // "l1v1" | "l1v2" (also "L1_v1", "L1_v2")

}  // namespace xrdid::denoise
